"""What other modules may call in the exchange hub."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from thudo.exchange import assertion, logreads, provision
from thudo.exchange.client import ExchangeError
from thudo.exchange.contracts import ClientCredentials, ExchangeResponse, ForwardedCall
from thudo.exchange.logreads import ExchangeUse

__all__ = [
    "AssertionInvalid",
    "ClientCredentials",
    "ExchangeError",
    "ExchangeResponse",
    "ExchangeUse",
    "ForwardedCall",
    "call",
    "data_uses_for",
    "forwarded_headers",
    "grant_provision",
    "service_provision",
    "system_provision",
    "system_secret_install",
    "verify_forwarded",
]

AssertionInvalid = assertion.AssertionInvalid


def verify_forwarded(headers: Mapping[str, str], *, provider: str) -> ForwardedCall:
    """For provider systems: the call as the hub vouches for it (raises AssertionInvalid)."""
    return assertion.verify(headers, provider=provider)


def forwarded_headers(call: ForwardedCall) -> dict[str, str]:
    """The headers the gateway adds when it forwards ``call`` to its provider (the hub's
    signed assertion); lets a provider system's own tests speak as the hub does."""
    return {assertion.HEADER: assertion.sign(call)}


def call(
    service: str,
    path: str,
    *,
    purpose: str,
    data_subject: str | None = None,
    method: str = "GET",
    json: object = None,
    body: bytes | None = None,
    content_type: str = "",
) -> ExchangeResponse:
    """Call another system through the hub — the platform's only way out.

    ``service`` is ``<provider system>/<service code>``, e.g.
    ``VN/GOV/000.00.00.G01/DANCU/population``; the answer carries the hub's signed receipt,
    already checked. Raises ``ExchangeError`` when the hub cannot be used.
    """
    from thudo.exchange.client import default_client

    return default_client().call(
        service,
        path,
        purpose=purpose,
        data_subject=data_subject,
        method=method,
        json=json,
        body=body,
        content_type=content_type,
    )


def data_uses_for(
    *, personal_id: str, limit: int, offset: int = 0
) -> tuple[list[ExchangeUse], int]:
    """Every exchange whose data subject was this person, newest first (with the total)."""
    return logreads.uses_of(personal_id=personal_id, limit=limit, offset=offset)


# --- the operator's idempotent set-up (demo builder, deployment scripts) ------------------


# Both return plain ClientCredentials already.
system_provision = provision.system_provision
system_secret_install = provision.system_secret_install


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
) -> str:
    """Make sure a service is in the catalogue as given; returns ``<provider>/<code>``."""
    service = provision.service_provision(
        provider=provider,
        code=code,
        name=name,
        upstream_url=upstream_url,
        openapi_document=openapi_document,
        classification=classification,
        legal_basis=legal_basis,
        owner=owner,
        description=description,
        version=version,
    )
    return f"{service.provider.identifier}/{service.code}"


def grant_provision(
    *,
    consumer: str,
    provider: str,
    service_code: str,
    purpose: str,
    legal_basis: str,
    operations: Sequence[str] = (),
) -> int:
    """Make sure the consumer holds an approved grant of these operations ("GET /path";
    all when empty); returns the grant's id."""
    grant = provision.grant_provision(
        consumer=consumer,
        provider=provider,
        service_code=service_code,
        purpose=purpose,
        legal_basis=legal_basis,
        operations=operations,
    )
    return int(grant.pk)
