"""API schemas of the signing module (django-ninja / pydantic)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema

Level = Literal["B-B", "B-T", "B-LT"]
Reason = Literal[
    "keyCompromise",
    "cACompromise",
    "affiliationChanged",
    "superseded",
    "cessationOfOperation",
    "certificateHold",
    "privilegeWithdrawn",
    "aACompromise",
]


class CertificateOut(Schema):
    serial: str = Field(..., description="hexadecimal, lower case")
    profile: str = Field(..., description="seal | official | citizen")
    subject: str
    holder_name: str
    title: str
    agency_code: str
    agency_name: str
    authority: str = Field(..., description="code of the issuing CA: officials | citizens")
    not_before: datetime
    not_after: datetime
    status: str = Field(..., description="valid | revoked")
    revoked_at: datetime | None
    revocation_reason: str
    fingerprint: str = Field(..., description="SHA-256 of the DER certificate, hexadecimal")

    @staticmethod
    def resolve_agency_code(obj: Any) -> str:
        return str(obj.agency.code) if obj.agency_id else ""

    @staticmethod
    def resolve_agency_name(obj: Any) -> str:
        return str(obj.agency.name) if obj.agency_id else ""

    @staticmethod
    def resolve_authority(obj: Any) -> str:
        return str(obj.authority.code)


class RevokeIn(Schema):
    reason: Reason = Field(..., description="RFC 5280 reason code")


class SignIn(Schema):
    """The form fields of a signing request; the PDF travels as the ``file`` part."""

    serial: str = Field(..., max_length=40, description="serial of one of my certificates")
    pin: str | None = Field(None, max_length=12, description="not needed for an agency seal")
    level: Level = "B-LT"
    reason: str = Field("", max_length=200)


class SignatureOut(Schema):
    field_name: str
    signer: str
    signer_serial: str
    issuer: str
    signing_time: datetime | None = Field(..., description="as the signer's computer claimed")
    timestamp_time: datetime | None = Field(..., description="from the timestamp token")
    level: str = Field(..., description="B-B | B-T | B-LT ('' when unreadable)")
    intact: bool
    valid: bool
    trusted: bool
    revocation: str = Field(..., description="good | revoked | unknown")
    covers_whole_document: bool
    modified_after: str = Field(..., description="none | allowed | other")
    problems: list[str]
    ok: bool


class ValidationReportOut(Schema):
    ok: bool = Field(..., description="signed, and every signature intact, valid and trusted")
    signatures: list[SignatureOut]
    problems: list[str]
