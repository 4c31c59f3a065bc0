"""Reads of the registries. Other modules use ``facade``, not this."""

from __future__ import annotations

import random
from datetime import date, datetime
from typing import TypeVar

from django.db import connection
from django.db.models import BooleanField, Model, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from thudo.core import facade as core
from thudo.registries.generator import Commune
from thudo.registries.models import Business, Person

M = TypeVar("M", bound=Model)

# Most people a name-and-birth-date search answers with.
SEARCH_LIMIT = 20

_RELATION_ORDER = {"head": 0, "spouse": 1, "parent": 2, "child": 3, "other": 4}


def communes_for_population(*, province_code: str) -> list[Commune]:
    """Communes (xã, phường) of the province in force today, by code."""
    units = core.units_in_force(parent_code=province_code, level="commune")
    return [Commune(u.id, u.code, u.kind) for u in sorted(units, key=lambda u: u.code)]


def _people() -> QuerySet[Person]:
    return Person.objects.select_related("household", "commune", "commune__parent")


def person_get(*, personal_id: str) -> Person | None:
    return _people().filter(pk=personal_id).first()


def household_members(*, personal_id: str) -> list[Person]:
    """The person's household, head first, then spouse, parents, children, others."""
    household_id = (
        Person.objects.filter(pk=personal_id).values_list("household_id", flat=True).first()
    )
    if household_id is None:
        return []
    members = list(_people().filter(household_id=household_id))
    members.sort(key=lambda p: (_RELATION_ORDER.get(p.relation, 9), p.birth_date, p.pk))
    return members


def _born_on_or_before(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _sample_keys(eligible: QuerySet[M], *, n: int, seed: int) -> list[str]:
    """Primary keys of ``n`` rows of ``eligible``, the same for the same seed and data, in
    the order drawn.

    One pass over the eligible keys in key order, keeping the drawn positions: no ORDER BY
    random() (not reproducible) and no OFFSET per row (quadratic on big tables).
    """
    total = eligible.count()
    if n <= 0 or total == 0:
        return []
    drawn = random.Random(seed).sample(range(total), min(n, total))  # noqa: S311 - demo data
    wanted = set(drawn)
    chosen: dict[int, str] = {}
    keys = eligible.order_by("pk").values_list("pk", flat=True)
    for position, key in enumerate(keys.iterator(chunk_size=10_000)):
        if position in wanted:
            chosen[position] = key
            if len(chosen) == len(wanted):
                break
    return [chosen[p] for p in drawn if p in chosen]


def people_sample(
    *, n: int, seed: int, province_code: str, min_age: int, today: date | None = None
) -> list[Person]:
    """``n`` people of the province aged at least ``min_age`` today, the same ones for the
    same seed and data; in the order drawn. Restricted records are never drawn: the
    registry would not disclose them to whoever the sample is for."""
    cutoff = _born_on_or_before(today or timezone.localdate(), min_age)
    eligible = Person.objects.filter(
        household__province_code=province_code, birth_date__lte=cutoff, restricted=False
    )
    keys = _sample_keys(eligible, n=n, seed=seed)
    people = _people().in_bulk(keys)
    return [people[key] for key in keys]


def population_count(*, province_code: str | None = None) -> int:
    people = Person.objects.all()
    if province_code is not None:
        people = people.filter(household__province_code=province_code)
    return people.count()


# --- what the provider systems answer --------------------------------------------------


def person_record(*, personal_id: str) -> Person | None:
    """The person with their household and commune, restricted or not."""
    return Person.objects.select_related("household", "commune").filter(pk=personal_id).first()


def household_disclosable_members(*, household_id: str) -> list[Person]:
    """The members of a household that may be disclosed, head first, then spouse,
    parents, children and others, each group by birth date."""
    members = list(Person.objects.filter(household_id=household_id, restricted=False))
    members.sort(key=lambda p: (_RELATION_ORDER.get(p.relation, 9), p.birth_date, p.pk))
    return members


def people_search(*, search_name: str, birth_date: date) -> list[Person]:
    """Disclosable people with this folded full name and birth date, by personal ID;
    at most SEARCH_LIMIT."""
    people = Person.objects.select_related("commune").filter(
        search_name=search_name, birth_date=birth_date, restricted=False
    )
    return list(people.order_by("personal_id")[:SEARCH_LIMIT])


def _after(model: type[Model], key: str, position: tuple[datetime, str]) -> RawSQL:
    """``(updated_at, key) > position`` as one row-value comparison, which PostgreSQL
    answers from the (updated_at, key) index wherever the page starts; the equivalent OR
    of two conditions makes it scan every row that shares the timestamp."""
    table = model._meta.db_table
    moment, value = position
    # Table and column names come from the models, values are parameters.
    return RawSQL(  # noqa: S611
        f'("{table}"."updated_at", "{table}"."{key}") > (%s, %s)',
        (connection.ops.adapt_datetimefield_value(moment), value),
        output_field=BooleanField(),
    )


def person_changes(
    *, since: datetime, after: tuple[datetime, str] | None, limit: int
) -> list[Person]:
    """People updated after ``since`` in (updated_at, personal_id) order, from just after
    ``after`` when given; at most ``limit``."""
    people = Person.objects.select_related("household", "commune").filter(updated_at__gt=since)
    if after is not None:
        people = people.filter(_after(Person, "personal_id", after))
    return list(people.order_by("updated_at", "personal_id")[:limit])


def business_record(*, tax_code: str) -> Business | None:
    return Business.objects.select_related("commune").filter(pk=tax_code).first()


def business_changes(
    *, since: datetime, after: tuple[datetime, str] | None, limit: int
) -> list[Business]:
    """Businesses updated after ``since`` in (updated_at, tax_code) order, from just
    after ``after`` when given; at most ``limit``."""
    businesses = Business.objects.select_related("commune").filter(updated_at__gt=since)
    if after is not None:
        businesses = businesses.filter(_after(Business, "tax_code", after))
    return list(businesses.order_by("updated_at", "tax_code")[:limit])


def business_sample(*, n: int, seed: int) -> list[Business]:
    """``n`` active, disclosable businesses, the same for the same seed and data."""
    eligible = Business.objects.filter(status=Business.Status.ACTIVE, restricted=False)
    keys = _sample_keys(eligible, n=n, seed=seed)
    businesses = Business.objects.select_related("commune", "commune__parent").in_bulk(keys)
    return [businesses[key] for key in keys]


def restricted_personal_ids(*, n: int) -> list[str]:
    """The first ``n`` restricted people by personal ID."""
    ids = Person.objects.filter(restricted=True).order_by("personal_id")
    return list(ids.values_list("personal_id", flat=True)[: max(n, 0)])
