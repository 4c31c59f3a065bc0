"""What other modules see: frozen dataclasses, never ORM objects."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from thudo.registries import facade
from thudo.registries.business_data import VSIC
from thudo.registries.contracts import BusinessInfo, BusinessLine, PersonInfo
from thudo.registries.models import Business, Person
from thudo.registries.services import population_generate


@pytest.fixture
def people(hanoi) -> None:
    population_generate(size=600, seed=21, province_code="01")


@pytest.mark.django_db
def test_person_get(people) -> None:
    person = Person.objects.select_related("household", "commune").order_by("pk").first()
    assert person is not None
    info = facade.person_get(personal_id=person.personal_id)
    assert isinstance(info, PersonInfo)
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.full_name = "x"  # type: ignore[misc]
    assert info == PersonInfo(
        personal_id=person.personal_id,
        full_name=person.full_name,
        family_name=person.family_name,
        middle_name=person.middle_name,
        given_name=person.given_name,
        birth_date=person.birth_date,
        sex=person.sex,
        household_code=person.household_id,
        relation=person.relation,
        address=f"{person.household.address}, {person.commune.name}, Thành phố Hà Nội",
        commune_code=person.commune.code,
        commune_name=person.commune.name,
        province_code="01",
    )
    assert facade.person_get(personal_id="001090000000") is None


@pytest.mark.django_db
def test_household_members_head_first(people) -> None:
    child = Person.objects.filter(relation="child").first()
    assert child is not None
    members = facade.household_members(personal_id=child.personal_id)
    assert members[0].relation == "head"
    assert child.personal_id in {m.personal_id for m in members}
    assert {m.household_code for m in members} == {child.household_id}
    assert len(members) == Person.objects.filter(household_id=child.household_id).count()
    assert facade.household_members(personal_id="001090000000") == []


@pytest.mark.django_db
def test_people_sample_is_deterministic_and_adult(people) -> None:
    sample = facade.people_sample(n=5, seed=2026)
    assert len(sample) == 5
    assert facade.people_sample(n=5, seed=2026) == sample
    assert facade.people_sample(n=5, seed=2027) != sample
    today = date.today()
    for person in sample:
        age = (
            today.year
            - person.birth_date.year
            - ((today.month, today.day) < (person.birth_date.month, person.birth_date.day))
        )
        assert age >= 18
    children = facade.people_sample(n=50, seed=1, min_age=0)
    assert len({p.personal_id for p in children}) == 50
    assert facade.people_sample(n=5, seed=1, province_code="79") == []


@pytest.mark.django_db
def test_population_count(people) -> None:
    assert facade.population_count() == 600
    assert facade.population_count(province_code="01") == 600
    assert facade.population_count(province_code="79") == 0


@pytest.mark.django_db
def test_business_sample_is_deterministic_active_and_disclosable(people) -> None:
    sample = facade.business_sample(n=4, seed=2026)
    assert len(sample) == 4
    assert facade.business_sample(n=4, seed=2026) == sample
    assert facade.business_sample(n=4, seed=2027) != sample
    assert all(isinstance(b, BusinessInfo) and b.status == "active" for b in sample)
    first = sample[0]
    business = Business.objects.select_related("commune").get(pk=first.tax_code)
    assert first == BusinessInfo(
        tax_code=business.tax_code,
        name=business.name,
        kind=business.kind,
        status="active",
        registered_on=business.registered_on,
        address=f"{business.address}, {business.commune.name}, Thành phố Hà Nội",
        commune_code=business.commune.code,
        commune_name=business.commune.name,
        province_code="01",
        representative_personal_id=business.representative_personal_id,
        representative_name=business.representative_name,
        lines=tuple(BusinessLine(code, VSIC[code]) for code in business.lines),
    )
    Business.objects.filter(pk=first.tax_code).update(restricted=True)
    assert first.tax_code not in {b.tax_code for b in facade.business_sample(n=50, seed=1)}


@pytest.mark.django_db
def test_restricted_sample_and_people_sample(people) -> None:
    ids = list(Person.objects.order_by("personal_id").values_list("personal_id", flat=True))
    Person.objects.filter(restricted=True).update(restricted=False)
    Person.objects.filter(pk__in=ids[5:600:100]).update(restricted=True)
    assert facade.restricted_sample(n=3) == ids[5:600:100][:3]
    assert facade.restricted_sample(n=100) == ids[5:600:100]
    # Demo citizens are never records the registry would not disclose.
    drawn = {p.personal_id for p in facade.people_sample(n=600, seed=1, min_age=0)}
    assert len(drawn) == 600 - 6 and not drawn & set(ids[5:600:100])
