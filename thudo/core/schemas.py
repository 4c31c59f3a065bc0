"""API schemas of the kernel (django-ninja / pydantic)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from ninja import Field, Schema

from thudo.core.identifiers import AgencyCodeStr, GsoCodeStr


class UnitOut(Schema):
    code: str
    name: str
    kind: str
    level: str
    parent_code: str | None
    valid_from: date
    valid_to: date | None

    @staticmethod
    def resolve_parent_code(obj: Any) -> str | None:
        return obj.parent.code if obj.parent_id else None


class AgencyOut(Schema):
    code: str
    name: str
    short_name: str
    kind: str
    parent_code: str | None
    unit_code: str
    unit_name: str

    @staticmethod
    def resolve_parent_code(obj: Any) -> str | None:
        return obj.parent.code if obj.parent_id else None

    @staticmethod
    def resolve_unit_code(obj: Any) -> str:
        return str(obj.unit.code)

    @staticmethod
    def resolve_unit_name(obj: Any) -> str:
        return str(obj.unit.name)


class AgencyIn(Schema):
    code: AgencyCodeStr = Field(..., max_length=35)
    name: str = Field(..., min_length=1, max_length=255)
    short_name: str = Field("", max_length=50)
    kind: str = Field(..., max_length=30)
    unit_code: GsoCodeStr = Field(..., max_length=5)
    parent_code: str | None = Field(None, max_length=35)


class RoleOut(Schema):
    id: int
    agency_code: str
    agency_name: str
    role: str
    title: str

    @staticmethod
    def resolve_agency_code(obj: Any) -> str:
        return str(obj.agency.code)

    @staticmethod
    def resolve_agency_name(obj: Any) -> str:
        return str(obj.agency.name)


class MeOut(Schema):
    username: str
    kind: str
    full_name: str
    personal_id: str | None
    roles: list[RoleOut]


class OfficialOut(Schema):
    membership_id: int
    username: str
    full_name: str
    role: str
    title: str
    granted_at: datetime

    @staticmethod
    def resolve_membership_id(obj: Any) -> int:
        return int(obj.pk)

    @staticmethod
    def resolve_username(obj: Any) -> str:
        return str(obj.user.username)

    @staticmethod
    def resolve_full_name(obj: Any) -> str:
        return str(obj.user.full_name)


class OfficialIn(Schema):
    username: str = Field(..., min_length=1, max_length=150)
    full_name: str = Field(..., min_length=1, max_length=150)
    email: str = Field("", max_length=254)
    role: str = Field(..., max_length=20)
    title: str = Field("", max_length=100)


class NewOfficialOut(Schema):
    username: str
    membership_id: int
    initial_password: str = Field(
        ..., description="Shown once; the official must change it at first sign-in."
    )


class RoleGrantIn(Schema):
    username: str = Field(..., min_length=1, max_length=150)
    role: str = Field(..., max_length=20)
    title: str = Field("", max_length=100)


class AuditEventOut(Schema):
    seq: int
    occurred_at: datetime
    actor: str
    agency_code: str | None
    action: str
    object_type: str
    object_id: str
    purpose: str
    hash: str

    @staticmethod
    def resolve_actor(obj: Any) -> str:
        return str(obj.actor_label)

    @staticmethod
    def resolve_agency_code(obj: Any) -> str | None:
        return obj.agency.code if obj.agency_id else None


class IdentifierIn(Schema):
    kind: Literal["personal_id", "tax_code", "agency_code", "gso_code"]
    value: str = Field(..., max_length=64)
    birth_date: date | None = None
    sex: Literal["male", "female"] | None = None


class IdentifierOut(Schema):
    kind: str
    valid: bool
    normalized: str | None = None
    code: str | None = None
    message: str | None = None


class HolidayOut(Schema):
    date: date
    name: str
    source: str


class DueDateOut(Schema):
    start: date
    working_days: int
    due: date


class DueMomentOut(Schema):
    start: datetime
    working_hours: float
    due: datetime


class WorkingHoursOut(Schema):
    start: datetime
    end: datetime
    working_hours: float


class MetricOut(Schema):
    code: str
    name: str
    unit: str
    description: str
    module: str


class MetricValueOut(Schema):
    code: str
    period_start: date
    period_end: date
    org_unit: str | None
    value: float
    unit: str
    lineage: str
    computed_at: datetime


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    expires_in_days: int | None = Field(90, ge=1, le=366)


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(..., description="Shown once.")
