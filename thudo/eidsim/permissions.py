"""One check per service, with the service's name.

The simulator knows no platform users: its records are written either by the operator
(command line, demo builder) or by the protocol itself on behalf of the person signing
in. Both act with ``actor=None``; anything else is refused.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from thudo.core.errors import PermissionDenied


def require(allowed: bool, message: Any = None) -> None:
    if not allowed:
        raise PermissionDenied(message or _("Bạn không có quyền thực hiện thao tác này."))


def account_upsert(actor: Any) -> bool:
    return actor is None


def client_upsert(actor: Any) -> bool:
    return actor is None


def account_authenticate(actor: Any) -> bool:
    return actor is None


def authorization_code_create(actor: Any) -> bool:
    return actor is None


def authorization_code_redeem(actor: Any) -> bool:
    return actor is None


def token_create(actor: Any) -> bool:
    return actor is None
