"""In/Out schemas of the reporting API."""

from __future__ import annotations

from typing import Any, Literal

from ninja import Field, Schema

Status = Literal["approved", "provisional", "measured"]


class AnalyticsRowOut(Schema):
    dx: str = Field(description="data element or indicator code")
    pe: str = Field(description="period code (2026M03, 2026Q1, 2026S1, 2026N9, 2026)")
    ou: str = Field(description="unit (agency) code")
    value: str = Field(description="decimal number as text, to keep its precision")
    status: Status


class AnalyticsOut(Schema):
    rows: list[AnalyticsRowOut]
    names: dict[str, str] = Field(description="names of the codes used in the rows")


class ElementOut(Schema):
    code: str
    name: str
    value_type: str
    aggregation_type: str
    unit_label: str
    measured: bool
    disaggregations: list[str] = Field(description='keys to send as "disaggregation"')


class SectionOut(Schema):
    name: str
    elements: list[ElementOut]


class FormOut(Schema):
    code: str
    name: str
    version: int
    period_type: str
    deadline_days: int
    recipient: str
    requires_acceptance: bool


class FormDetailOut(FormOut):
    units: list[str]
    sections: list[SectionOut]


class ValueIn(Schema):
    element: str = Field(max_length=50)
    disaggregation: str = Field("", max_length=200)
    value: str | float | int | None = Field(
        description="a number, or null / empty text to clear the cell"
    )
    comment: str = Field("", max_length=500)


class ValuesIn(Schema):
    unit: str = Field(max_length=35)
    period: str = Field(max_length=8)
    values: list[ValueIn] = Field(max_length=5000)


class ValueOut(Schema):
    element: str
    disaggregation: str
    value: str
    source: str
    comment: str
    lineage: dict[str, Any] | None


class ValuesOut(Schema):
    unit: str
    period: str
    locked: bool
    completed: bool
    approval: Literal["approved", "accepted"] | None
    values: list[ValueOut]


class SavedOut(Schema):
    changed: int


class StepIn(Schema):
    unit: str = Field(max_length=35)
    period: str = Field(max_length=8)
    action: Literal["approve", "unapprove", "accept", "unaccept", "complete", "uncomplete"]
    comment: str = Field("", max_length=500)


class StepOut(Schema):
    unit: str
    period: str
    completed: bool
    approval: Literal["approved", "accepted"] | None


class ExportIn(Schema):
    recipient: str = Field(max_length=100, description="receiving system, e.g. bccp")
    unit: str = Field(max_length=35)
    period: str = Field(max_length=8)
    format: Literal["json", "sdmx"] = "json"


class MappingIn(Schema):
    recipient: str = Field(max_length=100, description="receiving system, e.g. bccp")
    indicator: str = Field(max_length=50, description="our indicator code")
    external_code: str = Field(max_length=100, description="the receiver's code for it")


class MappingOut(Schema):
    recipient: str
    indicator: str
    indicator_name: str
    external_code: str


class DeliveryOut(Schema):
    recipient: str
    unit: str
    period: str
    format: str
    status: Literal["delivered", "failed"]
    values: int
    digest: str = Field(description="SHA-256 of exactly the bytes sent")
    response: str
    at: str
