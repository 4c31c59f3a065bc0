"""Hand-made registry records, for tests that need exact values; and the hub's assertion."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings

from thudo.core.models import AdministrativeUnit
from thudo.core.text import fold
from thudo.exchange.contracts import ForwardedCall
from thudo.exchange.facade import forwarded_headers
from thudo.registries.models import Business, Household, Person

UPDATED = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def household(code: str, *, commune: AdministrativeUnit, address: str, head: str) -> Household:
    return Household.objects.create(
        code=code,
        province_code="01",
        commune=commune,
        address=address,
        head_personal_id=head,
        created=UPDATED,
        batch="test",
    )


def person(
    personal_id: str,
    full_name: str,
    *,
    of: Household,
    relation: str,
    birth_date: date,
    sex: str,
    restricted: bool = False,
    updated_at: datetime = UPDATED,
) -> Person:
    family, *middle, given = full_name.split()
    return Person.objects.create(
        personal_id=personal_id,
        family_name=family,
        middle_name=" ".join(middle),
        given_name=given,
        full_name=full_name,
        search_name=fold(full_name),
        birth_date=birth_date,
        sex=sex,
        household=of,
        relation=relation,
        commune=of.commune,
        birth_province_code=personal_id[:3],
        batch="test",
        restricted=restricted,
        updated_at=updated_at,
    )


def business(tax_code: str, name: str, *, commune: AdministrativeUnit, **extra: Any) -> Business:
    values: dict[str, Any] = {
        "kind": "llc_one",
        "status": "active",
        "registered_on": date(2019, 4, 2),
        "province_code": "01",
        "address": "Số 12, phố Kim Mã",
        "representative_personal_id": "001085012345",
        "representative_name": "Nguyễn Văn An",
        "lines": ["6201", "6202"],
        "restricted": False,
        "updated_at": UPDATED,
        "batch": "test",
    }
    values.update(extra)
    return Business.objects.create(tax_code=tax_code, name=name, commune=commune, **values)


def assertion_headers(
    *,
    data_subject: str = "",
    provider: str | None = None,
    issued: float | None = None,
    **changes: str,
) -> dict[str, str]:
    """``X-Exchange-Assertion`` as the hub's gateway adds it (population provider by
    default); ``issued`` signs it as if at that time."""
    call = ForwardedCall(
        request_id=changes.get("request_id", "req-0001"),
        consumer=changes.get("consumer", "VN/GOV/000.00.00.H26/MOTCUA"),
        consumer_agency=changes.get("consumer_agency", "000.00.00.H26"),
        provider=provider or settings.REGISTRIES_POPULATION_SYSTEM,
        service=changes.get("service", "tra-cuu-cong-dan"),
        purpose=changes.get("purpose", "Giải quyết thủ tục hành chính"),
        data_subject=data_subject,
    )
    if issued is None:
        return forwarded_headers(call)
    real = time.time
    time.time = lambda: issued
    try:
        return forwarded_headers(call)
    finally:
        time.time = real
