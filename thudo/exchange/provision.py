"""Idempotent set-up of the hub by its operator: make sure a system, a service or a grant
is there, as the demo builder and deployment scripts need it.

Each function composes the control plane's services (with ``actor=None``, the operator,
so their permission checks and audit events apply unchanged) and can be run again: what
already exists is kept, what changed is updated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from thudo.exchange import credentials, openapi, selectors, services
from thudo.exchange.contracts import ClientCredentials, system_identifier
from thudo.exchange.models import AccessGrant, MemberSystem, Service


def _credentials(system: MemberSystem, secret: str) -> ClientCredentials:
    return ClientCredentials(system=system.identifier, client_id=system.identifier, secret=secret)


@transaction.atomic
def system_provision(
    *,
    agency_code: str,
    code: str,
    name: str,
    member_class: str = "GOV",
    description: str = "",
    known_secret: str = "",
    need_secret: bool = True,
) -> ClientCredentials:
    """The system, registered if missing; ``known_secret`` is kept when it still works,
    otherwise the secret is rotated and the new one returned (shown this once). A system
    that only provides services needs no secret (``need_secret=False``): an existing one
    is left as it is and returned with an empty secret."""
    identifier = system_identifier(member_class, agency_code, (code or "").strip().upper())
    system = selectors.system_get_active(identifier=identifier)
    if system is None:
        created = services.system_register(
            actor=None,
            agency=selectors.agency_get(code=agency_code),
            member_class=member_class,
            code=code,
            name=name,
            description=description,
        )
        return _credentials(created.system, created.secret)
    if known_secret and credentials.secret_matches(system, known_secret):
        return _credentials(system, known_secret)
    if not need_secret:
        return _credentials(system, "")
    rotated = services.system_secret_rotate(actor=None, system=system)
    return _credentials(rotated.system, rotated.secret)


@transaction.atomic
def system_secret_install(*, identifier: str, secret: str) -> ClientCredentials:
    """Give a system a secret provisioned outside the hub (a deployment's secret store);
    nothing changes when it already has that secret."""
    system = selectors.system_get(identifier=identifier)
    if credentials.secret_matches(system, secret):
        return _credentials(system, secret)
    system = services.system_secret_install(actor=None, system=system, secret=secret)
    return _credentials(system, secret)


@transaction.atomic
def service_provision(
    *,
    provider: str,
    code: str,
    name: str,
    upstream_url: str,
    openapi_document: Mapping[str, Any],
    classification: str,
    legal_basis: str,
    owner: str,
    description: str = "",
    version: str = "1",
) -> Service:
    """The service in the catalogue, published if missing, else brought up to date."""
    fields: dict[str, Any] = {
        "version": version,
        "name": name,
        "description": description,
        "upstream_url": upstream_url,
        "openapi": openapi_document,
        "classification": classification,
        "legal_basis": legal_basis,
        "owner": owner,
    }
    service = selectors.catalogue_list().filter(provider__identifier=provider, code=code).first()
    if service is None:
        provider_system = selectors.system_get(identifier=provider)
        return services.service_publish(actor=None, provider=provider_system, code=code, **fields)
    changed = {k: v for k, v in fields.items() if getattr(service, k) != v}
    if not changed:
        return service
    return services.service_update(actor=None, service=service, **changed)


@transaction.atomic
def grant_provision(
    *,
    consumer: str,
    provider: str,
    service_code: str,
    purpose: str,
    legal_basis: str,
    operations: Sequence[str] = (),
) -> AccessGrant:
    """An approved grant of ``operations`` ("GET /path"; all of the service's when
    empty) to the consumer, requested and approved in one step when there is none."""
    service = selectors.service_get(provider=provider, code=service_code)
    consumer_system = selectors.system_get(identifier=consumer)
    wanted = list(operations) or [op.key for op in openapi.operations(service.openapi)]
    as_dicts = [_operation(text) for text in wanted]
    current = AccessGrant.objects.filter(
        consumer=consumer_system, service=service, status=AccessGrant.Status.APPROVED
    ).first()
    if current is not None and sorted(map(_key, current.operations)) == sorted(wanted):
        return current
    if current is not None:
        services.grant_revoke(actor=None, grant=current, note="Thay bằng quyền mới khi cấu hình.")
    pending = AccessGrant.objects.filter(
        consumer=consumer_system, service=service, status=AccessGrant.Status.REQUESTED
    ).first()
    if pending is not None:
        services.grant_refuse(actor=None, grant=pending, note="Thay bằng quyền mới khi cấu hình.")
    grant = services.grant_request(
        actor=None,
        consumer=consumer_system,
        service=service,
        operations=as_dicts,
        purpose=purpose,
        legal_basis=legal_basis,
    )
    return services.grant_approve(actor=None, grant=grant)


def _operation(text: str) -> dict[str, str]:
    method, _space, path = text.strip().partition(" ")
    return {"method": method.upper(), "path": path.strip()}


def _key(operation: Mapping[str, str]) -> str:
    return f"{operation['method']} {operation['path']}"
