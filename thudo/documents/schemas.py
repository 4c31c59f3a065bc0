"""API schemas of the documents module (django-ninja / pydantic)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from ninja import Field, Schema

from thudo.documents.contracts import DOCUMENT_TYPES, STATUS_CODES

TypeCode = Literal[tuple(DOCUMENT_TYPES)]  # type: ignore[valid-type]
Urgency = Literal["normal", "urgent", "very_urgent", "flash"]
Direction = Literal["out", "in"]
DocumentStatus = Literal[
    "draft",
    "review",
    "returned",
    "approved",
    "signed",
    "issued",
    "received",
    "registered",
    "assigned",
    "in_progress",
    "done",
    "rejected",
]


class RecipientOut(Schema):
    agency_code: str
    agency_name: str
    delivery: str = Field(..., description="pending | sent | failed")
    attempts: int
    last_error: str
    status_code: str = Field(..., description="the receiver's latest edXML status code")
    status_name: str
    status_at: datetime | None

    @staticmethod
    def resolve_status_name(obj: Any) -> str:
        return STATUS_CODES.get(obj.status_code, "")


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str


class TrailEventOut(Schema):
    action: str
    status_code: str
    status_name: str
    actor: str
    note: str
    at: datetime

    @staticmethod
    def resolve_status_name(obj: Any) -> str:
        return STATUS_CODES.get(obj.status_code, "")

    @staticmethod
    def resolve_actor(obj: Any) -> str:
        return str(obj.actor_name)


class AssignmentOut(Schema):
    id: int
    document_id: int
    assignee: str
    assignee_name: str
    assigned_by: str | None
    instructions: str
    working_days: int
    due_on: date
    status: str = Field(..., description="open | done")
    done_at: datetime | None
    result: str

    @staticmethod
    def resolve_assignee(obj: Any) -> str:
        return str(obj.assignee.get_username())

    @staticmethod
    def resolve_assignee_name(obj: Any) -> str:
        return str(obj.assignee.full_name)

    @staticmethod
    def resolve_assigned_by(obj: Any) -> str | None:
        return obj.assigned_by.get_username() if obj.assigned_by_id else None


class DocumentOut(Schema):
    id: int
    agency_code: str
    direction: str = Field(..., description="out (văn bản đi) | in (văn bản đến)")
    type_code: str
    type_name: str
    number: int | None
    notation: str = Field(..., description="số, ký hiệu, e.g. 01/QĐ-UBND; empty until issued")
    summary: str
    status: str
    status_name: str
    urgency: str
    confidential: bool
    issued_on: date | None
    signer_authority: str
    signer_position: str
    signer_name: str
    sender_code: str
    sender_name: str
    arrival_number: int | None
    received_at: datetime | None
    recipients: list[RecipientOut]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_agency_code(obj: Any) -> str:
        return str(obj.agency.code)

    @staticmethod
    def resolve_type_name(obj: Any) -> str:
        return DOCUMENT_TYPES[obj.type_code][0]

    @staticmethod
    def resolve_status_name(obj: Any) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_recipients(obj: Any) -> list[Any]:
        return list(obj.recipients.all())


class DocumentDetailOut(DocumentOut):
    body: str
    pdf_sha256: str = Field(..., description="SHA-256 of the PDF; empty when there is none")
    attachments: list[AttachmentOut]
    assignments: list[AssignmentOut]
    trail: list[TrailEventOut]

    @staticmethod
    def resolve_attachments(obj: Any) -> list[Any]:
        return list(obj.attachments.defer("content"))

    @staticmethod
    def resolve_assignments(obj: Any) -> list[Any]:
        return list(obj.assignments.select_related("assignee", "assigned_by"))

    @staticmethod
    def resolve_trail(obj: Any) -> list[Any]:
        return list(obj.trail.all())


class DraftIn(Schema):
    agency_code: str = Field(..., max_length=35, description="the issuing agency (one of mine)")
    type_code: TypeCode  # type: ignore[valid-type]
    summary: str = Field(..., max_length=500, description="trích yếu")
    body: str = Field("", max_length=200_000)
    recipients: list[str] = Field(default_factory=list, max_length=500, description="agency codes")
    confidential: bool = False
    urgency: Urgency = "normal"
    signer: str | None = Field(
        None, max_length=150, description="user name of the leader who will sign"
    )
    signer_authority: str = Field("", max_length=100, description="e.g. TM. ỦY BAN NHÂN DÂN")
    signer_position: str = Field("", max_length=100, description="e.g. CHỦ TỊCH")


class ReviewIn(Schema):
    approve: bool
    note: str = Field("", max_length=4000)


class SignIn(Schema):
    serial: str = Field(..., max_length=64, description="serial of my personal certificate")
    pin: str = Field(..., max_length=12)


class ReturnIn(Schema):
    reason: str = Field(..., max_length=4000)


class AssignIn(Schema):
    assignee: str = Field(..., max_length=150, description="user name of an official of the agency")
    working_days: int = Field(..., ge=1, le=90)
    instructions: str = Field("", max_length=4000)


class CompleteIn(Schema):
    result: str = Field(..., max_length=4000)


class ResendOut(Schema):
    resent: int
