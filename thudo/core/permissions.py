"""One permission check per service, with the service's name (see tests/test_architecture.py).

Each returns True when ``actor`` may perform the service on the given object. Services
call :func:`require` with the result as their first step.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from thudo.core import rules as core_rules
from thudo.core.errors import PermissionDenied
from thudo.core.models import Agency, ApiToken, Membership, Role, User


def require(allowed: bool, message: Any = None) -> None:
    if not allowed:
        raise PermissionDenied(message or _("Bạn không có quyền thực hiện thao tác này."))


def agency_create(actor: Any) -> bool:
    return bool(core_rules.is_platform_admin(actor))


def agency_update(actor: Any, agency: Agency) -> bool:
    return bool(core_rules.is_platform_admin(actor))


def official_create(actor: Any, agency: Agency) -> bool:
    return bool(core_rules.can_manage_agency_staff(actor, agency))


def membership_grant(actor: Any, agency: Agency, role: str) -> bool:
    if role == Role.PLATFORM_ADMIN:
        return bool(core_rules.is_platform_admin(actor))
    return bool(core_rules.can_manage_agency_staff(actor, agency))


def membership_revoke(actor: Any, membership: Membership) -> bool:
    return membership_grant(actor, membership.agency, membership.role)


def official_password_set(actor: Any, user: User) -> bool:
    if actor is None:
        return True
    agencies = Membership.objects.filter(user=user, revoked_at__isnull=True).select_related(
        "agency"
    )
    return bool(core_rules.is_platform_admin(actor)) or any(
        core_rules.can_manage_agency_staff(actor, m.agency) for m in agencies
    )


def api_token_create(actor: Any) -> bool:
    return bool(core_rules.is_official(actor))


def api_token_revoke(actor: Any, token: ApiToken) -> bool:
    return bool(
        actor.is_authenticated
        and (token.user_id == actor.pk or core_rules.is_platform_admin(actor))
    )


def units_import(actor: Any) -> bool:
    # None is the operator at the command line, who already holds the server.
    return actor is None or bool(core_rules.is_platform_admin(actor))


def calendar_override_set(actor: Any) -> bool:
    return actor is None or bool(core_rules.is_platform_admin(actor))


def totp_device_create(actor: Any) -> bool:
    return bool(core_rules.is_official(actor))


def totp_device_confirm(actor: Any) -> bool:
    return bool(core_rules.is_official(actor))


def password_change(actor: Any) -> bool:
    return bool(core_rules.is_official(actor))


def citizen_upsert(actor: Any) -> bool:
    # Called by the identity module after the national eID provider authenticated the
    # citizen; there is no signed-in actor yet.
    return actor is None
