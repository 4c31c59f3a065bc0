"""What other modules may call in the kernel.

Models of ``core`` may be referenced by foreign keys from any module; everything that
reads or writes kernel data goes through the functions here (or the plain helpers in
``identifiers``, ``calendar``, ``metrics``, ``audit``, ``errors``, ``text``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from thudo.core import selectors, services
from thudo.core.audit import record as audit_record
from thudo.core.contracts import AgencyInfo, UnitInfo
from thudo.core.models import AdministrativeUnit, User

__all__ = [
    "AgencyInfo",
    "DataUse",
    "UnitInfo",
    "agency_info",
    "audit_record",
    "citizen_upsert",
    "data_uses_for_citizen",
    "units_in_force",
]


@dataclass(frozen=True)
class DataUse:
    """One recorded use of a citizen's data (for "who used my data")."""

    seq: int
    occurred_at: datetime
    actor: str
    agency_code: str | None
    agency_name: str | None
    action: str
    object_type: str
    object_id: str
    purpose: str


def data_uses_for_citizen(
    *, user: User, limit: int = 50, offset: int = 0
) -> tuple[list[DataUse], int]:
    events = selectors.audit_events_about_me(user=user)
    total = events.count()
    rows = [
        DataUse(
            seq=e.seq,
            occurred_at=e.occurred_at,
            actor=e.actor_label,
            agency_code=e.agency.code if e.agency is not None else None,
            agency_name=e.agency.name if e.agency is not None else None,
            action=e.action,
            object_type=e.object_type,
            object_id=e.object_id,
            purpose=e.purpose,
        )
        for e in events[offset : offset + limit]
    ]
    return rows, total


def citizen_upsert(
    *, personal_id: str, full_name: str, birth_date: date | None, gender: str, loa: int | None
) -> User:
    """Create or refresh the citizen account for an eID-authenticated person."""
    return services.citizen_upsert(
        actor=None,
        personal_id=personal_id,
        full_name=full_name,
        birth_date=birth_date,
        gender=gender,
        loa=loa,
    )


def _unit_info(u: AdministrativeUnit) -> UnitInfo:
    return UnitInfo(
        id=u.pk,
        code=u.code,
        name=u.name,
        kind=u.kind,
        level=u.level,
        parent_code=u.parent.code if u.parent is not None else None,
        valid_from=u.valid_from,
        valid_to=u.valid_to,
    )


def units_in_force(
    *, parent_code: str | None = None, level: str | None = None, at: date | None = None
) -> list[UnitInfo]:
    return [_unit_info(u) for u in selectors.unit_list(parent_code=parent_code, level=level, at=at)]


def agency_info(*, code: str) -> AgencyInfo:
    a = selectors.agency_get(code=code)
    return AgencyInfo(
        id=a.pk,
        code=a.code,
        name=a.name,
        kind=a.kind,
        parent_code=a.parent.code if a.parent is not None else None,
        unit_code=a.unit.code,
    )


# --- provisioning by the operator (the demo builder, set-up scripts) --------------------


def agency_exists(*, code: str) -> bool:
    return selectors.agency_list().filter(code=code).exists()


def agency_create(
    *,
    code: str,
    name: str,
    kind: str,
    unit_code: str,
    parent_code: str | None = None,
    short_name: str = "",
) -> AgencyInfo:
    services.agency_create(
        actor=None,
        code=code,
        name=name,
        kind=kind,
        unit_code=unit_code,
        parent_code=parent_code,
        short_name=short_name,
    )
    return agency_info(code=code)


def official_provision(
    *, agency_code: str, username: str, full_name: str, role: str, title: str, password: str
) -> str:
    """Make sure an official exists with this role and can sign in with ``password``.

    Returns "created", "kept" (the password still works) or "reset".
    """
    agency = selectors.agency_get(code=agency_code)
    existing = selectors.official_by_username(username=username)
    if existing is None:
        services.official_create(
            actor=None,
            agency=agency,
            username=username,
            full_name=full_name,
            role=role,
            title=title,
            password=password,
        )
        return "created"
    if not selectors.memberships_of(user=existing).filter(agency=agency, role=role).exists():
        services.membership_grant(actor=None, agency=agency, user=existing, role=role, title=title)
    if existing.check_password(password):
        return "kept"
    services.official_password_set(actor=None, user=existing, password=password)
    return "reset"


def official_password_works(*, username: str, password: str) -> bool:
    user = selectors.official_by_username(username=username)
    return bool(user is not None and user.is_active and user.check_password(password))
