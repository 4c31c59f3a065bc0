"""Plain data of the DTI module, for its callers and other modules."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class Method(StrEnum):
    """How a sub-index turns what the unit reports into points."""

    MANUAL = "manual"  # points given directly, with evidence
    YES_NO = "yes_no"  # yes = the maximum, no = 0
    RATIO = "ratio"  # maximum × min(value / target, 1)
    TIERS = "tiers"  # the highest tier whose threshold the value reaches


class Level(StrEnum):
    GROUP = "group"
    INDEX = "index"
    SUB = "sub"


class RoundStatus(StrEnum):
    DRAFT = "draft"  # set up by the standing body, not yet open
    OPEN = "open"  # units self-assess
    APPRAISAL = "appraisal"  # self-assessment closed, the council appraises
    PUBLISHED = "published"  # results public, every score locked


class UnitStatus(StrEnum):
    DRAFT = "draft"  # the assessor fills it in
    AWAITING_APPROVAL = "awaiting_approval"  # sent to the unit's leader
    SUBMITTED = "submitted"  # approved by the leader, with the council
    DECIDED = "decided"  # the council decided; an appeal may follow
    APPEALED = "appealed"  # the unit appealed, the council reviews again
    FINAL = "final"  # locked


class CouncilRole(StrEnum):
    CHAIR = "chair"
    VICE_CHAIR = "vice_chair"
    STANDING = "standing"
    MEMBER = "member"


class ReviewVerdict(StrEnum):
    CONFIRM = "confirm"
    ADJUST = "adjust"


@dataclass(frozen=True)
class IndexTotal:
    code: str
    name: str
    points: Decimal
    max_points: Decimal


@dataclass(frozen=True)
class UnitResult:
    unit_code: str
    unit_name: str
    points: Decimal
    max_points: Decimal
    value: Decimal  # points / max, 0–1, 4 decimals
    rank: int
    previous_value: Decimal | None
    change: Decimal | None
    indices: tuple[IndexTotal, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class RoundResults:
    round_id: int
    year: int
    framework: str
    name: str
    peer_group: str
    published: bool
    units: tuple[UnitResult, ...]
