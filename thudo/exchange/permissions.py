"""One permission check per service of the exchange hub, with the service's name.

A member system, its services and the grants to them belong to the system's agency: its
agency administrator (quản trị cơ quan) manages them, as does a platform administrator.
A grant is requested by the consumer's side and decided by the provider's side.
``actor=None`` is the operator (command line, demo builder), who already holds the server.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from thudo.core import rules as core_rules
from thudo.core.errors import PermissionDenied
from thudo.core.models import Agency
from thudo.exchange.models import AccessGrant, MemberSystem, Service

administers = core_rules.is_platform_admin | core_rules.is_agency_admin


def require(allowed: bool, message: Any = None) -> None:
    if not allowed:
        raise PermissionDenied(message or _("Bạn không có quyền thực hiện thao tác này."))


def _administers(actor: Any, agency: Agency) -> bool:
    return actor is None or bool(administers(actor, agency))


def system_register(actor: Any, agency: Agency) -> bool:
    return _administers(actor, agency)


def system_secret_rotate(actor: Any, system: MemberSystem) -> bool:
    return _administers(actor, system.agency)


def system_secret_install(actor: Any, system: MemberSystem) -> bool:
    # A chosen secret comes from the deployment's secret store: the operator's act only.
    return actor is None


def system_revoke(actor: Any, system: MemberSystem) -> bool:
    return _administers(actor, system.agency)


def service_publish(actor: Any, provider: MemberSystem) -> bool:
    return _administers(actor, provider.agency)


def service_update(actor: Any, service: Service) -> bool:
    return _administers(actor, service.provider.agency)


def service_withdraw(actor: Any, service: Service) -> bool:
    return _administers(actor, service.provider.agency)


def grant_request(actor: Any, consumer: MemberSystem) -> bool:
    return _administers(actor, consumer.agency)


def grant_approve(actor: Any, grant: AccessGrant) -> bool:
    return _administers(actor, grant.service.provider.agency)


def grant_refuse(actor: Any, grant: AccessGrant) -> bool:
    return _administers(actor, grant.service.provider.agency)


def grant_revoke(actor: Any, grant: AccessGrant) -> bool:
    return _administers(actor, grant.service.provider.agency)
