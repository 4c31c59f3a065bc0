"""One check per service, with the service's name."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from thudo.core.errors import PermissionDenied


def require(allowed: bool, message: Any = None) -> None:
    if not allowed:
        raise PermissionDenied(message or _("Bạn không có quyền thực hiện thao tác này."))


def citizen_sign_in(actor: Any) -> bool:
    # The national eID provider vouched for the person; nobody is signed in yet.
    return actor is None
