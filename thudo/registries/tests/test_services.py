"""population_generate against the database (runs on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from thudo.core.errors import InvalidInput, PermissionDenied
from thudo.core.identifiers import check_personal_id, check_tax_code
from thudo.core.models import AuditEvent
from thudo.core.tests.factories import official
from thudo.registries.contracts import UnitsMissing
from thudo.registries.models import Business, Household, Person
from thudo.registries.services import population_generate
from thudo.registries.tests.conftest import province_with_communes

FIELDS = (
    "personal_id",
    "family_name",
    "middle_name",
    "given_name",
    "full_name",
    "search_name",
    "birth_date",
    "sex",
    "household_id",
    "relation",
    "commune__code",
    "birth_province_code",
    "batch",
    "restricted",
)
BUSINESS_FIELDS = (
    "tax_code",
    "name",
    "kind",
    "status",
    "registered_on",
    "province_code",
    "address",
    "commune__code",
    "representative_personal_id",
    "representative_name",
    "lines",
    "restricted",
    "batch",
)


def snapshot() -> list[tuple[object, ...]]:
    return list(Person.objects.order_by("personal_id").values_list(*FIELDS))


def business_snapshot() -> list[tuple[object, ...]]:
    return list(Business.objects.order_by("tax_code").values_list(*BUSINESS_FIELDS))


@pytest.mark.django_db
def test_generates_exactly_n_valid_unique_people(hanoi) -> None:
    progress: list[int] = []
    result = population_generate(size=2_000, seed=7, province_code="01", progress=progress.append)
    assert (result.people, result.replaced, result.province_code) == (2_000, 0, "01")
    assert sum(progress) == 2_000
    assert Person.objects.count() == 2_000
    assert Household.objects.count() == result.households
    people = list(Person.objects.values_list("personal_id", "birth_date", "sex"))
    assert len({pid for pid, _b, _s in people}) == 2_000
    for pid, birth_date, sex in people:
        assert check_personal_id(pid, birth_date=birth_date, sex=sex) == pid


@pytest.mark.django_db
def test_households_in_force_communes_with_one_head(hanoi) -> None:
    population_generate(size=1_500, seed=3, province_code="01")
    codes = set(Household.objects.values_list("commune__code", flat=True))
    assert codes <= {"01004", "01008", "01070", "01619"}
    assert "01901" not in codes  # retired commune
    heads = Counter(Person.objects.filter(relation="head").values_list("household_id", flat=True))
    assert set(heads.values()) == {1}
    assert len(heads) == Household.objects.count()
    for household in Household.objects.all()[:200]:
        head = Person.objects.get(household=household, relation="head")
        assert household.head_personal_id == head.personal_id
        assert set(household.members.values_list("commune_id", flat=True)) == {household.commune_id}


@pytest.mark.django_db
def test_same_seed_gives_identical_people_and_replaces_the_previous_ones(hanoi) -> None:
    population_generate(size=800, seed=11, province_code="01")
    first, first_businesses = snapshot(), business_snapshot()
    result = population_generate(size=800, seed=11, province_code="01")
    assert result.replaced == 800
    assert snapshot() == first
    assert business_snapshot() == first_businesses and len(first_businesses) > 20
    other = population_generate(size=300, seed=12, province_code="01")
    assert other.replaced == 800
    assert Person.objects.count() == 300
    assert Business.objects.count() == other.businesses
    assert set(Person.objects.values_list("batch", flat=True)) == {"01-12"}
    assert set(Business.objects.values_list("batch", flat=True)) == {"01-12"}


@pytest.mark.django_db
def test_other_provinces_are_left_alone(hanoi) -> None:
    province_with_communes("79", "Thành phố Hồ Chí Minh")
    population_generate(size=400, seed=1, province_code="01")
    population_generate(size=250, seed=1, province_code="79")
    saigon = business_snapshot()
    saigon = [b for b in saigon if str(b[0]).startswith("79")]
    result = population_generate(size=100, seed=2, province_code="01")
    assert result.replaced == 400
    assert Person.objects.filter(household__province_code="79").count() == 250
    assert Person.objects.filter(household__province_code="01").count() == 100
    assert [b for b in business_snapshot() if str(b[0]).startswith("79")] == saigon and saigon
    assert Business.objects.filter(province_code="01").count() == result.businesses


@pytest.mark.django_db
def test_missing_units_are_explained_in_both_languages() -> None:
    with pytest.raises(UnitsMissing) as caught:
        population_generate(size=10, seed=1, province_code="01")
    message = str(caught.value)
    assert "thudo units import" in message
    assert "chưa có đơn vị hành chính" in message and "import the administrative units" in message
    assert Person.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("size", "seed", "province", "field"),
    [
        (0, 1, "01", "size"),
        (50_000_001, 1, "01", "size"),
        (10, -1, "01", "seed"),
        (10, 1, "1", "province_code"),
        (10, 1, "001", "province_code"),
        (10, 1, "ab", "province_code"),
        (10, 1, "00", "province_code"),
    ],
)
def test_arguments_are_validated(hanoi, size, seed, province, field) -> None:
    with pytest.raises(InvalidInput) as caught:
        population_generate(size=size, seed=seed, province_code=province)
    assert caught.value.field_errors[0].field == field
    assert Person.objects.count() == 0


@pytest.mark.django_db
def test_generation_is_audited_in_the_same_transaction(hanoi) -> None:
    population_generate(size=50, seed=5, province_code="01")
    event = AuditEvent.objects.get(action="registries.population_generate")
    assert event.object_id == "01"
    assert event.payload["seed"] == 5 and event.payload["size"] == 50


@pytest.mark.django_db
def test_only_platform_admins_may_generate_through_the_service(hanoi) -> None:
    with pytest.raises(PermissionDenied):
        population_generate(size=10, seed=1, province_code="01", actor=official())
    assert Person.objects.count() == 0


@pytest.mark.django_db
def test_businesses_are_generated_with_the_people(hanoi) -> None:
    before = timezone.now()
    result = population_generate(size=3_000, seed=9, province_code="01")
    after = timezone.now()
    businesses = list(Business.objects.select_related("commune"))
    assert len(businesses) == result.businesses
    assert 0.04 < result.businesses / 3_000 < 0.06
    people = {p.personal_id: p for p in Person.objects.all()}
    for business in businesses:
        assert check_tax_code(business.tax_code) == business.tax_code
        owner = people[business.representative_personal_id]
        assert business.representative_name == owner.full_name
        assert business.commune.code in {"01004", "01008", "01070", "01619"}
        assert business.lines and isinstance(business.lines, list)
    # Every row is stamped with the time of its generation, for the changes feeds.
    for model in (Person, Business):
        stamps = set(model.objects.values_list("updated_at", flat=True))
        assert all(
            before - timedelta(seconds=1) <= s <= after + timedelta(seconds=1) for s in stamps
        )
    event = AuditEvent.objects.get(action="registries.population_generate")
    assert event.payload["businesses"] == result.businesses


@pytest.mark.django_db
def test_restricted_flags_are_stored(hanoi) -> None:
    population_generate(size=3_000, seed=9, province_code="01")
    restricted = Person.objects.filter(restricted=True).count()
    assert 0 < restricted < 20  # 0.2 % of 3,000 is 6
