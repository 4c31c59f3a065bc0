"""One permission check per service, with the service's name (see tests/test_architecture.py)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from thudo.core import rules as core_rules
from thudo.core.errors import PermissionDenied


def require(allowed: bool, message: Any = None) -> None:
    if not allowed:
        raise PermissionDenied(message or _("Bạn không có quyền thực hiện thao tác này."))


def population_generate(actor: Any) -> bool:
    # None is the operator at the command line, who already holds the server.
    return actor is None or bool(core_rules.is_platform_admin(actor))
