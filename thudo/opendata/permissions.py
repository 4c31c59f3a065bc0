"""One permission check per service of the open-data portal, with its name.

An agency's officials keep its datasets: specialists and heads of division are editors
(create, change, upload, keep private or draft), its leaders and agency administrators
publish — make a dataset public, put it in or out of the open-data list, record the
Decree 47 review. ``actor=None`` is the platform itself (the demo builder, tasks
publishing indicators).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from thudo.core import rules as core_rules
from thudo.core.errors import PermissionDenied
from thudo.core.models import Agency, Role

EDITOR_ROLES = (Role.SPECIALIST, Role.HEAD, Role.LEADER, Role.AGENCY_ADMIN)
PUBLISHER_ROLES = (Role.LEADER, Role.AGENCY_ADMIN)


def require(allowed: bool, message: Any = None) -> None:
    if not allowed:
        raise PermissionDenied(message or _("Bạn không có quyền thực hiện thao tác này."))


def _admin(actor: Any) -> bool:
    return actor is None or core_rules.is_platform_admin(actor)


def edits(actor: Any, agency: Agency) -> bool:
    return _admin(actor) or core_rules.holds_role(actor, agency, *EDITOR_ROLES)


def publishes(actor: Any, agency: Agency) -> bool:
    return _admin(actor) or core_rules.holds_role(actor, agency, *PUBLISHER_ROLES)


def sees_private(actor: Any, agency: Agency) -> bool:
    return edits(actor, agency)


def dataset_create(actor: Any, agency: Agency, *, public: bool) -> bool:
    return publishes(actor, agency) if public else edits(actor, agency)


def dataset_patch(actor: Any, agency: Agency, *, public: bool) -> bool:
    return dataset_create(actor, agency, public=public)


def dataset_delete(actor: Any, agency: Agency) -> bool:
    return publishes(actor, agency)


def dataset_review(actor: Any, agency: Agency) -> bool:
    return publishes(actor, agency)


def resource_create(actor: Any, agency: Agency) -> bool:
    return edits(actor, agency)


def datastore_load(actor: Any, agency: Agency) -> bool:
    return edits(actor, agency)


def datastore_load_run(actor: Any) -> bool:
    return _admin(actor)


def datastore_create(actor: Any, agency: Agency) -> bool:
    return edits(actor, agency)


def datastore_upsert(actor: Any, agency: Agency) -> bool:
    return edits(actor, agency)


def group_create(actor: Any) -> bool:
    return _admin(actor)


def organization_ensure(actor: Any, agency: Agency) -> bool:
    return publishes(actor, agency)


def indicators_publish(actor: Any) -> bool:
    return _admin(actor)
