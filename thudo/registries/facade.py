"""What other modules may call in the registries: the population database (cơ sở dữ liệu
dân cư), the business registration database (đăng ký doanh nghiệp), and the Government
reporting system (hệ thống thông tin báo cáo Chính phủ) that receives reports.

Every function returns frozen dataclasses from ``contracts`` or plain JSON-able data,
never ORM objects. The databases' own APIs are for the exchange hub's gateway only.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings

from thudo.registries import business_data, selectors
from thudo.registries.api import business_api, govreport_api, population_api
from thudo.registries.contracts import (
    BUSINESS_PATH,
    GOVREPORT_PATH,
    POPULATION_PATH,
    BusinessInfo,
    BusinessLine,
    PersonInfo,
)
from thudo.registries.models import Business, Person

__all__ = [
    "BusinessInfo",
    "PersonInfo",
    "business_openapi",
    "business_sample",
    "govreport_openapi",
    "household_members",
    "people_sample",
    "person_get",
    "population_count",
    "population_openapi",
    "provider_paths",
    "restricted_sample",
]


def _info(person: Person) -> PersonInfo:
    household = person.household
    commune = person.commune
    parts = [household.address, commune.name]
    if commune.parent is not None:
        parts.append(commune.parent.name)
    return PersonInfo(
        personal_id=person.personal_id,
        full_name=person.full_name,
        family_name=person.family_name,
        middle_name=person.middle_name,
        given_name=person.given_name,
        birth_date=person.birth_date,
        sex=person.sex,
        household_code=household.code,
        relation=person.relation,
        address=", ".join(parts),
        commune_code=commune.code,
        commune_name=commune.name,
        province_code=household.province_code,
    )


def person_get(*, personal_id: str) -> PersonInfo | None:
    """The person with this personal ID, or None."""
    person = selectors.person_get(personal_id=personal_id)
    return _info(person) if person is not None else None


def people_sample(
    *, n: int, seed: int, province_code: str = "01", min_age: int = 18
) -> list[PersonInfo]:
    """``n`` people of the province aged ``min_age`` or more: the same for the same seed
    and population (used to pick demo citizens)."""
    people = selectors.people_sample(n=n, seed=seed, province_code=province_code, min_age=min_age)
    return [_info(p) for p in people]


def household_members(*, personal_id: str) -> list[PersonInfo]:
    """Everyone in the person's household, head first; empty if the person is unknown."""
    return [_info(p) for p in selectors.household_members(personal_id=personal_id)]


def population_count(*, province_code: str | None = None) -> int:
    """People in the registry, in one province or in all."""
    return selectors.population_count(province_code=province_code)


def business_sample(*, n: int, seed: int) -> list[BusinessInfo]:
    """``n`` active businesses that may be disclosed, the same for the same seed and data
    (used to pick demo businesses)."""
    return [_business_info(b) for b in selectors.business_sample(n=n, seed=seed)]


def _business_info(business: Business) -> BusinessInfo:
    commune = business.commune
    parts = [business.address, commune.name]
    if commune.parent is not None:
        parts.append(commune.parent.name)
    return BusinessInfo(
        tax_code=business.tax_code,
        name=business.name,
        kind=business.kind,
        status=business.status,
        registered_on=business.registered_on,
        address=", ".join(parts),
        commune_code=commune.code,
        commune_name=commune.name,
        province_code=business.province_code,
        representative_personal_id=business.representative_personal_id,
        representative_name=business.representative_name,
        lines=tuple(
            BusinessLine(code=code, name=business_data.VSIC.get(code, ""))
            for code in business.lines
        ),
    )


def restricted_sample(*, n: int) -> list[str]:
    """Personal IDs of up to ``n`` people the population database holds but may not
    disclose (it answers ``not_permitted``), by personal ID; for tests and the demo."""
    return selectors.restricted_personal_ids(n=n)


def provider_paths() -> dict[str, str]:
    """Each provider system's identifier and the path its API is served under on this
    server (what the hub forwards to)."""
    return {
        settings.REGISTRIES_POPULATION_SYSTEM: POPULATION_PATH,
        settings.REGISTRIES_BUSINESS_SYSTEM: BUSINESS_PATH,
        settings.REGISTRIES_GOVREPORT_SYSTEM: GOVREPORT_PATH,
    }


def _openapi(api: Any) -> dict[str, Any]:
    # Through JSON: plain dicts, lists and strings, whatever ninja builds the document from.
    return dict(json.loads(json.dumps(api.get_openapi_schema(), default=str)))


def population_openapi() -> dict[str, Any]:
    """The OpenAPI document of the population database (for the hub's catalogue); its
    paths start at ``provider_paths()``'s path, given as its ``servers`` entry."""
    return _openapi(population_api)


def business_openapi() -> dict[str, Any]:
    """The OpenAPI document of the business registration database (for the hub's
    catalogue); its paths start at ``provider_paths()``'s path."""
    return _openapi(business_api)


def govreport_openapi() -> dict[str, Any]:
    """The OpenAPI document of the Government reporting system (for the hub's catalogue);
    its paths start at ``provider_paths()``'s path."""
    return _openapi(govreport_api)
