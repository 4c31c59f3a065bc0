"""In/Out schemas of the public-services API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema

DossierStatus = Literal[
    "draft", "submitted", "supplement", "rejected", "processing", "signing", "result_ready",
    "returned", "refused", "withdrawn", "stopped",
]  # fmt: skip


class FeeOut(Schema):
    code: str
    name: str
    amount: int = Field(description="VND")


class DeadlineOut(Schema):
    working_days: int
    working_hours: int | None
    cutoff: str | None = Field(
        description="received after this hour counts from the next working day"
    )
    text: str


class ProcedureOut(Schema):
    code: str = Field(description="national procedure code")
    name: str
    sector: str
    service_level: Literal["full_online", "partial"]
    deadline: DeadlineOut
    fees: list[FeeOut]


class ComponentOut(Schema):
    code: str
    name: str
    required: bool
    formats: list[str]
    source: Literal["upload", "population", "wallet"]


class ProcedureDetailOut(ProcedureOut):
    version: int
    decision: str
    agency_kind: str
    exemptions: list[dict[str, Any]]
    components: list[ComponentOut]
    form_schema: dict[str, Any] = Field(description="JSON Schema (2020-12) of the applicant form")
    result: dict[str, Any]
    legal_basis: list[str]


class FileIn(Schema):
    component: str = Field(max_length=60, description="code of the dossier component")
    name: str = Field(max_length=200)
    content: str = Field(description="the file, base64 (its type is read from the bytes)")


class DossierIn(Schema):
    procedure: str = Field(max_length=20, description="procedure code")
    agency: str = Field(max_length=35, description="code of the competent agency")
    form: dict[str, Any]
    files: list[FileIn] = Field(default_factory=list, max_length=20)


class EventOut(Schema):
    at: datetime
    action: str
    from_status: str
    to_status: str
    note: str


class TaskOut(Schema):
    id: int
    name: str
    role: str
    state: str
    fields: list[str]


class DossierOut(Schema):
    code: str
    procedure: str
    procedure_name: str
    agency: str
    status: DossierStatus
    channel: Literal["online", "counter"]
    submitted_at: datetime | None
    received_at: datetime | None
    due_at: datetime | None
    finished_at: datetime | None
    timeliness: str = Field(
        description="early / on_time / late when finished; in_time / late while open"
    )
    fee_amount: int
    fee_status: str
    prefill: Literal["done", "pending", "failed"]
    applicant: dict[str, Any]
    form: dict[str, Any]
    events: list[EventOut]
    tasks: list[TaskOut]
    has_result: bool


class ReasonIn(Schema):
    reason: str = Field(max_length=4000)


class SupplyIn(Schema):
    note: str = Field("", max_length=4000)


class TaskIn(Schema):
    data: dict[str, Any] = Field(default_factory=dict)


class SignIn(Schema):
    serial: str = Field(max_length=64)
    pin: str = Field(max_length=32)


class RateIn(Schema):
    rating: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=2000)
