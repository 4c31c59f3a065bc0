"""In/Out schemas of the DTI API. Points and values are decimal numbers as text, to keep
their precision: points without trailing zeros (``"87.5"``), index values 0–1 with four
decimals (``"0.8750"``), as in the published reports."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema

RoundStatus = Literal["draft", "open", "appraisal", "published"]
UnitStatus = Literal["draft", "awaiting_approval", "submitted", "decided", "appealed", "final"]
Method = Literal["manual", "yes_no", "ratio", "tiers"]


class FrameworkOut(Schema):
    code: str
    year: int
    version: int
    name: str
    sample: bool = Field(description="the wording is an illustration, not the official text")
    max_points: str


class FrameworkImportedOut(FrameworkOut):
    digest: str = Field(description="SHA-256 of the canonical document")
    created: bool = Field(description="false: the document is already the latest version")


class RoundOut(Schema):
    id: int
    name: str
    year: int
    status: RoundStatus
    framework: str = Field(description="framework code")
    framework_version: int
    framework_name: str
    standing_body: str = Field(description="agency code of the standing body")
    self_deadline: date | None
    published_at: datetime | None


class IndexTotalOut(Schema):
    code: str
    name: str
    points: str
    max_points: str


class UnitResultOut(Schema):
    rank: int
    unit_code: str
    unit_name: str
    points: str
    max_points: str
    value: str = Field(description="points / maximum, 0–1, four decimals")
    previous_value: str | None = Field(description="last year's published value")
    change: str | None
    indices: list[IndexTotalOut]


class RoundResultsOut(Schema):
    round_id: int
    year: int
    framework: str
    name: str
    peer_group: str
    published: bool = Field(description="false: provisional (self-assessed) figures")
    units: list[UnitResultOut]


class ScoreOut(Schema):
    code: str
    name: str
    method: Method
    max_points: str
    value: str | None = Field(description="what the unit reports (yes_no: 1 or 0)")
    self_points: str | None
    explanation: str
    measured_value: str | None = Field(description="the platform's own figure")
    measured_points: str | None
    measured_lineage: str = Field(description="where the measured figure comes from")
    flagged: bool = Field(description="the reported value differs from the measured one")
    final_points: str | None = Field(description="the council's decision")
    final_reason: str


class AssessmentOut(Schema):
    round_id: int
    unit_code: str
    unit_name: str
    status: UnitStatus
    self_points: str
    final_points: str | None
    max_points: str
    scores: list[ScoreOut]


class ScoreIn(Schema):
    value: bool | int | float | str | None = Field(
        None,
        description=(
            "ratio and tiers: a number (in the sub-index's unit, % by default); yes_no: "
            "true or false; null or empty to clear"
        ),
    )
    points: int | float | str | None = Field(
        None, description="manual sub-indices only: 0 to the maximum, two decimals at most"
    )
    explanation: str = Field("", max_length=4000)
