"""API schemas of the exchange hub's control plane (django-ninja / pydantic)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema

from thudo.exchange import openapi

MemberClass = Literal["GOV", "COM", "ORG"]
Classification = Literal["public", "internal", "personal", "sensitive"]
GrantStatus = Literal["requested", "approved", "refused", "revoked"]


# --- member systems ----------------------------------------------------------------------


class SystemOut(Schema):
    identifier: str = Field(..., description="VN/<member class>/<agency code>/<system code>")
    member_class: str
    agency_code: str
    agency_name: str
    code: str
    name: str
    description: str
    contact_email: str
    secret_prefix: str
    secret_rotated_at: datetime | None
    tokens_valid_after: datetime | None
    is_active: bool
    revoked_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_agency_code(obj: Any) -> str:
        return str(obj.agency.code)

    @staticmethod
    def resolve_agency_name(obj: Any) -> str:
        return str(obj.agency.name)


class SystemIn(Schema):
    agency_code: str = Field(..., max_length=35)
    member_class: MemberClass = "GOV"
    code: str = Field(..., max_length=50, description="upper case, e.g. MOTCUA")
    name: str = Field(..., max_length=255)
    description: str = Field("", max_length=4000)
    contact_email: str = Field("", max_length=254)


class SecretOut(Schema):
    """Client credentials: the secret is shown in this response only."""

    client_id: str
    client_secret: str
    secret_prefix: str
    tokens_valid_after: datetime | None
    token_endpoint: str


class NewSystemOut(Schema):
    system: SystemOut
    credentials: SecretOut


class RevokeIn(Schema):
    reason: str = Field(..., max_length=4000)


# --- service catalogue -------------------------------------------------------------------


class ParameterOut(Schema):
    name: str
    location: str
    required: bool
    description: str


class OperationOut(Schema):
    method: str
    path: str
    summary: str
    operation_id: str
    parameters: list[ParameterOut]


class ServiceOut(Schema):
    provider: str
    provider_name: str
    agency_code: str
    agency_name: str
    code: str
    version: str
    name: str
    description: str
    classification: str
    legal_basis: str
    owner: str
    is_active: bool
    updated_at: datetime

    @staticmethod
    def resolve_provider(obj: Any) -> str:
        return str(obj.provider.identifier)

    @staticmethod
    def resolve_provider_name(obj: Any) -> str:
        return str(obj.provider.name)

    @staticmethod
    def resolve_agency_code(obj: Any) -> str:
        return str(obj.provider.agency.code)

    @staticmethod
    def resolve_agency_name(obj: Any) -> str:
        return str(obj.provider.agency.name)


class ServiceDetailOut(ServiceOut):
    operations: list[OperationOut]

    @staticmethod
    def resolve_operations(obj: Any) -> list[Any]:
        return openapi.operations(obj.openapi)


class OwnedServiceOut(ServiceOut):
    """What the provider's side sees of its own service, the upstream address included."""

    upstream_url: str


class ServiceIn(Schema):
    provider: str = Field(..., max_length=120, description="identifier of the provider system")
    code: str = Field(..., max_length=50, description="lower case, e.g. tra-cuu-cong-dan")
    version: str = Field("1", max_length=20)
    name: str = Field(..., max_length=255)
    description: str = Field("", max_length=4000)
    upstream_url: str = Field(..., max_length=500)
    openapi: dict[str, Any] | str = Field(
        ..., description="OpenAPI 3.x document, as an object or as JSON/YAML text"
    )
    classification: Classification
    legal_basis: str = Field("", max_length=4000)
    owner: str = Field("", max_length=255)


class ServiceUpdateIn(Schema):
    version: str | None = Field(None, max_length=20)
    name: str | None = Field(None, max_length=255)
    description: str | None = Field(None, max_length=4000)
    upstream_url: str | None = Field(None, max_length=500)
    openapi: dict[str, Any] | str | None = None
    classification: Classification | None = None
    legal_basis: str | None = Field(None, max_length=4000)
    owner: str | None = Field(None, max_length=255)


# --- access grants -----------------------------------------------------------------------


class OperationRef(Schema):
    method: str = Field(..., max_length=10)
    path: str = Field(..., max_length=1000)


class GrantIn(Schema):
    consumer: str = Field(..., max_length=120, description="identifier of the consumer system")
    provider: str = Field(..., max_length=120)
    service: str = Field(..., max_length=50, description="code of the provider's service")
    operations: list[OperationRef] = Field(..., max_length=200)
    purpose: str = Field(..., max_length=500)
    legal_basis: str = Field(..., max_length=4000)
    valid_from: datetime | None = None
    valid_until: datetime | None = None


class ApproveIn(Schema):
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    note: str = Field("", max_length=4000)


class NoteIn(Schema):
    note: str = Field(..., max_length=4000)


class GrantOut(Schema):
    id: int
    consumer: str
    consumer_agency: str
    provider: str
    provider_agency: str
    service: str
    operations: list[OperationRef]
    purpose: str
    legal_basis: str
    status: str
    valid_from: datetime | None
    valid_until: datetime | None
    requested_by: str | None
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str

    @staticmethod
    def resolve_consumer(obj: Any) -> str:
        return str(obj.consumer.identifier)

    @staticmethod
    def resolve_consumer_agency(obj: Any) -> str:
        return str(obj.consumer.agency.code)

    @staticmethod
    def resolve_provider(obj: Any) -> str:
        return str(obj.service.provider.identifier)

    @staticmethod
    def resolve_provider_agency(obj: Any) -> str:
        return str(obj.service.provider.agency.code)

    @staticmethod
    def resolve_service(obj: Any) -> str:
        return str(obj.service.code)

    @staticmethod
    def resolve_requested_by(obj: Any) -> str | None:
        return obj.requested_by.get_username() if obj.requested_by_id else None

    @staticmethod
    def resolve_decided_by(obj: Any) -> str | None:
        return obj.decided_by.get_username() if obj.decided_by_id else None
