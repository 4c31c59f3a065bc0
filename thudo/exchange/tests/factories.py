"""Test data builders for the exchange hub, through its services (audited, versioned).

provider, secret = system(city.justice, code="HOTICH")
svc = service(provider, code="tra-cuu", classification="personal")
consumer, _ = system(city.commune_a, code="MOTCUA")
g = grant(consumer, svc)                       # approved, every operation
g = grant(consumer, svc, operations=[("GET", "/people/{personal_id}")], approved=False)
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from django.test import Client

from thudo.core.models import Agency, AuditEvent, User
from thudo.exchange import services, snapshot
from thudo.exchange.models import AccessGrant, MemberSystem, Service
from thudo.exchange.openapi import operations as document_operations

# A small valid OpenAPI 3.1 document: a population-style lookup with three operations.
OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Tra cứu dân cư", "version": "1.0.0"},
    "paths": {
        "/people/{personal_id}": {
            "parameters": [
                {
                    "name": "personal_id",
                    "in": "path",
                    "required": True,
                    "description": "Số định danh cá nhân",
                    "schema": {"type": "string", "pattern": "^[0-9]{12}$"},
                }
            ],
            "get": {
                "summary": "Thông tin một công dân",
                "operationId": "person_get",
                "responses": {"200": {"description": "Công dân"}},
            },
        },
        "/households/{code}/members": {
            "get": {
                "summary": "Thành viên hộ gia đình",
                "parameters": [
                    {
                        "name": "code",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    {"name": "at", "in": "query", "schema": {"type": "string", "format": "date"}},
                ],
                "responses": {"200": {"description": "Danh sách"}},
            }
        },
        "/echo": {
            "post": {
                "summary": "Gửi lại nội dung",
                "responses": {"200": {"description": "Nội dung"}},
            }
        },
    },
}


def openapi_document() -> dict[str, Any]:
    """A fresh copy of the sample document, safe to change in a test."""
    return copy.deepcopy(OPENAPI)


def system(
    agency: Agency,
    code: str = "HETHONG",
    *,
    name: str | None = None,
    member_class: str = "GOV",
    actor: Any = None,
) -> tuple[MemberSystem, str]:
    """A registered member system and its client secret."""
    created = services.system_register(
        actor=actor,
        agency=agency,
        member_class=member_class,
        code=code,
        name=name or f"Hệ thống {code}",
    )
    return created.system, created.secret


def service(
    provider: MemberSystem,
    code: str = "tra-cuu-dan-cu",
    *,
    name: str = "Tra cứu thông tin dân cư",
    classification: str = "personal",
    openapi: dict[str, Any] | str | None = None,
    upstream_url: str = "http://127.0.0.1:9/",
    description: str = "",
    legal_basis: str = "Nghị định 278/2025/NĐ-CP",
    version: str = "1",
    actor: Any = None,
) -> Service:
    return services.service_publish(
        actor=actor,
        provider=provider,
        code=code,
        version=version,
        name=name,
        description=description,
        upstream_url=upstream_url,
        openapi=openapi if openapi is not None else openapi_document(),
        classification=classification,
        legal_basis=legal_basis,
        owner="Phòng Công nghệ thông tin",
    )


def grant(
    consumer: MemberSystem,
    service: Service,
    operations: Iterable[tuple[str, str]] | None = None,
    *,
    purpose: str = "Giải quyết thủ tục hành chính",
    legal_basis: str = "Nghị định 278/2025/NĐ-CP",
    approved: bool = True,
    actor: Any = None,
) -> AccessGrant:
    """A grant for the given (method, path) operations, all of the service's by default;
    approved unless ``approved=False`` (then it is a pending request)."""
    if operations is None:
        chosen = [
            {"method": op.method, "path": op.path} for op in document_operations(service.openapi)
        ]
    else:
        chosen = [{"method": m, "path": p} for m, p in operations]
    made = services.grant_request(
        actor=actor,
        consumer=consumer,
        service=service,
        operations=chosen,
        purpose=purpose,
        legal_basis=legal_basis,
    )
    if approved:
        made = services.grant_approve(actor=None, grant=made)
    return made


def login(user: User) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def state() -> tuple[int, int, int, int, int]:
    """What a refused change must leave as it was: row counts, audit, config version."""
    return (
        MemberSystem.objects.count(),
        Service.objects.count(),
        AccessGrant.objects.count(),
        AuditEvent.objects.count(),
        snapshot.current_version(),
    )
