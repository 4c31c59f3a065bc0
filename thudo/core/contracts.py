"""Plain data the kernel hands to other modules (no ORM objects cross module lines)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class UnitRow:
    """One administrative unit to import."""

    code: str
    name: str
    kind: str
    valid_from: date
    level: str = ""
    parent_code: str = ""
    valid_to: date | None = None


@dataclass(frozen=True)
class UnitInfo:
    id: int
    code: str
    name: str
    kind: str
    level: str
    parent_code: str | None
    valid_from: date
    valid_to: date | None


@dataclass(frozen=True)
class AgencyInfo:
    id: int
    code: str
    name: str
    kind: str
    parent_code: str | None
    unit_code: str


@dataclass(frozen=True)
class RoleInfo:
    agency_code: str
    agency_name: str
    role: str
    role_label: str
    title: str
