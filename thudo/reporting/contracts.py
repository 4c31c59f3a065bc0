"""Plain data of the reporting module, for its callers and other modules."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class ValueStatus(StrEnum):
    """What a figure in analytics rests on."""

    APPROVED = "approved"  # approved by the unit (or above), locked
    PROVISIONAL = "provisional"  # entered, not yet approved
    MEASURED = "measured"  # computed from the platform's own records


@dataclass(frozen=True)
class CellInput:
    """One cell to save: element code, disaggregation key ("" = none), raw text.

    ``ref`` names the cell in error messages (an Excel address such as ``D7``)."""

    element: str
    raw: str
    disaggregation: str = ""
    comment: str = ""
    ref: str = ""


@dataclass(frozen=True)
class Violation:
    rule: str
    name: str
    importance: str
    left: Decimal | None
    operator: str
    right: Decimal | None


@dataclass(frozen=True)
class SaveResult:
    value: Decimal | None
    violations: tuple[Violation, ...] = ()


@dataclass(frozen=True)
class AnalyticsCell:
    dx: str
    pe: str
    ou: str
    value: Decimal
    status: ValueStatus


@dataclass(frozen=True)
class AnalyticsResult:
    rows: tuple[AnalyticsCell, ...]
    names: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReleasedValue:
    """One figure of an indicator that may be published: approved (or measured)."""

    period: str
    period_label: str
    unit_code: str
    unit_name: str
    value: Decimal
    status: str
    approved_at: str = ""  # ISO time of the unit's approval of the period, when there is one
    approved_by: str = ""


@dataclass(frozen=True)
class IndicatorRelease:
    """An indicator's definition and its approved figures, for publication as open data."""

    code: str
    name: str
    description: str
    unit_label: str
    numerator: str
    denominator: str
    factor: Decimal
    decimals: int
    groups: tuple[str, ...]
    forms: tuple[str, ...]
    values: tuple[ReleasedValue, ...]
