"""Object-level access rules (django-rules predicates).

An official sees an agency's internal records when they hold a role there, when they
lead or administer an agency above it, or when they administer the platform. Nothing
else: an official of commune A never sees commune B's records.
"""

from __future__ import annotations

from typing import Any

import rules
from django.db.models import Q

from thudo.core.models import Agency, Membership, Role, User


def _active_memberships(user: Any) -> Any:
    return Membership.objects.filter(user=user, revoked_at__isnull=True, user__is_active=True)


@rules.predicate
def is_official(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.kind == User.Kind.OFFICIAL)


@rules.predicate
def is_platform_admin(user: Any) -> bool:
    if not is_official(user):
        return False
    return _active_memberships(user).filter(role=Role.PLATFORM_ADMIN).exists()


def ancestor_ids(agency: Agency) -> list[int]:
    """Ids of the agency and every agency above it (agency trees are shallow)."""
    ids = []
    current: Agency | None = agency
    seen: set[int] = set()
    while current is not None and current.pk not in seen:
        ids.append(current.pk)
        seen.add(current.pk)
        current = current.parent
    return ids


@rules.predicate
def is_member(user: Any, agency: Agency | None) -> bool:
    if agency is None or not is_official(user):
        return False
    return _active_memberships(user).filter(agency=agency).exists()


def holds_role(user: Any, agency: Agency | None, *roles: str) -> bool:
    """An active official with one of ``roles`` (any role when none given) at ``agency``
    itself (not above it): the check each module's permissions build on."""
    if user is None or agency is None or not is_official(user):
        return False
    memberships = _active_memberships(user).filter(agency=agency)
    return bool(memberships.filter(role__in=roles).exists() if roles else memberships.exists())


@rules.predicate
def oversees(user: Any, agency: Agency | None) -> bool:
    """A leader or administrator of an agency above this one."""
    if agency is None or not is_official(user) or agency.parent_id is None:
        return False
    above = ancestor_ids(agency)[1:]
    return (
        _active_memberships(user)
        .filter(agency_id__in=above)
        .filter(Q(role=Role.LEADER) | Q(role=Role.AGENCY_ADMIN))
        .exists()
    )


@rules.predicate
def is_agency_admin(user: Any, agency: Agency | None) -> bool:
    if agency is None or not is_official(user):
        return False
    return _active_memberships(user).filter(agency=agency, role=Role.AGENCY_ADMIN).exists()


can_view_agency_records = is_platform_admin | is_member | oversees
can_manage_agency_staff = is_platform_admin | is_agency_admin

rules.add_perm("core.view_agency_records", can_view_agency_records)
rules.add_perm("core.manage_agency_staff", can_manage_agency_staff)
rules.add_perm("core.administer_platform", is_platform_admin)

# Configuration screens: platform administrators manage the kernel's reference data.
for _model in ("administrativeunit", "agency", "calendaroverride", "user"):
    for _action in ("view", "add", "change", "delete"):
        rules.add_perm(f"core.{_action}_{_model}", is_platform_admin)
rules.add_perm("core.view_auditevent", is_platform_admin)
