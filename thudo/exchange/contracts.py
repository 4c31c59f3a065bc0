"""Plain data of the exchange hub, for the gateway and for other modules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SYSTEM_CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{1,49}")
SERVICE_CODE = re.compile(r"[a-z0-9][a-z0-9-]{1,49}")


def system_identifier(member_class: str, agency_code: str, system_code: str) -> str:
    return f"VN/{member_class}/{agency_code}/{system_code}"


_PARAM = re.compile(r"\{[^/{}]+\}")


@dataclass(frozen=True)
class Operation:
    """An allowed operation: an HTTP method and an OpenAPI-style path template."""

    method: str
    path: str
    pattern: re.Pattern[str] = field(compare=False, repr=False)

    @classmethod
    def of(cls, method: str, path: str) -> Operation:
        parts = _PARAM.split(path)
        regex = "[^/]+".join(re.escape(p) for p in parts)
        return cls(method.upper(), path, re.compile(f"^{regex}/?$"))

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method)) and bool(self.pattern.match(path))


@dataclass(frozen=True)
class SystemInfo:
    identifier: str
    agency_code: str
    agency_name: str
    name: str
    active: bool
    tokens_valid_after: datetime | None


@dataclass(frozen=True)
class ServiceInfo:
    id: int
    provider: str
    code: str
    version: str
    name: str
    upstream_url: str
    classification: str
    personal: bool
    active: bool


@dataclass(frozen=True)
class GrantInfo:
    id: int
    consumer: str
    service_id: int
    operations: tuple[Operation, ...]
    valid_from: datetime | None
    valid_until: datetime | None

    def allows(self, method: str, path: str, at: datetime) -> bool:
        if self.valid_from is not None and at < self.valid_from:
            return False
        if self.valid_until is not None and at >= self.valid_until:
            return False
        return not self.operations or any(op.matches(method, path) for op in self.operations)


@dataclass(frozen=True)
class ConfigSnapshot:
    """Everything the gateway needs to decide, held in memory."""

    version: int
    systems: dict[str, SystemInfo]
    services: dict[tuple[str, str], ServiceInfo]
    grants: dict[tuple[str, int], tuple[GrantInfo, ...]]


@dataclass(frozen=True)
class ClientCredentials:
    """A member system's OAuth2 client credentials (the secret is never stored)."""

    system: str
    client_id: str
    secret: str


@dataclass(frozen=True)
class ExchangeResponse:
    """What the exchange client returns to a platform module: the provider's answer (the
    hub's own refusals raise ExchangeError instead). Header names are lower case."""

    status: int
    headers: dict[str, str]
    body: bytes
    request_id: str
    signature: str

    def json(self) -> Any:
        import json

        return json.loads(self.body)


@dataclass(frozen=True)
class ForwardedCall:
    """Who is calling a provider through the hub, as the hub vouches for it."""

    request_id: str
    consumer: str
    consumer_agency: str
    provider: str
    service: str
    purpose: str
    data_subject: str
