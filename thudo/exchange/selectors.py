"""Reads of the exchange hub's control plane.

The catalogue is open to every official; member systems and grants follow the kernel's
object rules: an official sees those of the agencies whose records they see (their own,
those below an agency they lead or administer), a platform administrator sees all.
Protected rows are fetched only through ``*_get_for_user`` / ``*_for_user``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from thudo.core import rules as core_rules
from thudo.core.errors import NotFound
from thudo.core.models import Agency, Membership, Role
from thudo.core.text import fold
from thudo.exchange import permissions
from thudo.exchange.models import AccessGrant, MemberSystem, Service

# --- whose records -------------------------------------------------------------------------


def visible_agency_ids(*, user: Any) -> set[int] | None:
    """Ids of the agencies whose records ``user`` sees; None means every agency.

    The same rule as ``core.rules.can_view_agency_records``, computed as a set so that
    lists filter in the database instead of asking the rule row by row.
    """
    if not core_rules.is_official(user):
        return set()
    if core_rules.is_platform_admin(user):
        return None
    roles = list(
        Membership.objects.filter(
            user=user, revoked_at__isnull=True, user__is_active=True
        ).values_list("agency_id", "role")
    )
    ids = {agency_id for agency_id, _role in roles}
    frontier = {a for a, role in roles if role in (Role.LEADER, Role.AGENCY_ADMIN)}
    explored = set(frontier)
    while frontier:
        below = set(Agency.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids |= below
        frontier = below - explored
        explored |= below
    return ids


def _visible(queryset: QuerySet[Any], user: Any, *agency_fields: str) -> QuerySet[Any]:
    ids = visible_agency_ids(user=user)
    if ids is None:
        return queryset
    condition = Q()
    for field in agency_fields:
        condition |= Q(**{f"{field}__in": ids})
    return queryset.filter(condition)


def agency_get(*, code: str) -> Agency:
    """An active agency, for the operator at the command line."""
    agency = Agency.objects.filter(is_active=True, code=(code or "").strip().upper()).first()
    if agency is None:
        raise NotFound(_("Không tìm thấy cơ quan %(code)s.") % {"code": code})
    return agency


def agency_get_for_user(*, user: Any, code: str) -> Agency:
    """An active agency whose records ``user`` sees; otherwise 404, as if absent."""
    agencies = Agency.objects.filter(is_active=True, code=(code or "").strip().upper())
    ids = visible_agency_ids(user=user)
    agency = (agencies if ids is None else agencies.filter(pk__in=ids)).first()
    if agency is None:
        raise NotFound(_("Không tìm thấy cơ quan %(code)s.") % {"code": code})
    return agency


def can_administer(*, user: Any, agency: Agency) -> bool:
    """May ``user`` manage the agency's systems, services and the grants to them?"""
    return bool(permissions.administers(user, agency))


def agencies_administered_by(*, user: Any) -> QuerySet[Agency]:
    agencies = Agency.objects.filter(is_active=True).order_by("code")
    if core_rules.is_platform_admin(user):
        return agencies
    if not core_rules.is_official(user):
        return agencies.none()
    return agencies.filter(
        memberships__user=user,
        memberships__role=Role.AGENCY_ADMIN,
        memberships__revoked_at__isnull=True,
    ).distinct()


# --- member systems ----------------------------------------------------------------------


def system_get(*, identifier: str) -> MemberSystem:
    """Any member system, for the operator at the command line."""
    system = MemberSystem.objects.select_related("agency").filter(identifier=identifier).first()
    if system is None:
        raise NotFound(_("Không tìm thấy hệ thống %(id)s.") % {"id": identifier})
    return system


def system_list_for_user(*, user: Any, active: bool | None = None) -> QuerySet[MemberSystem]:
    systems = _visible(MemberSystem.objects.select_related("agency"), user, "agency_id")
    if active is not None:
        systems = systems.filter(is_active=active)
    return systems.order_by("identifier")


def system_get_for_user(*, user: Any, identifier: str) -> MemberSystem:
    """A member system whose agency's records ``user`` sees; otherwise 404, as if absent."""
    system = system_list_for_user(user=user).filter(identifier=identifier).first()
    if system is None:
        raise NotFound(_("Không tìm thấy hệ thống %(id)s.") % {"id": identifier})
    return system


def systems_administered_by(*, user: Any) -> QuerySet[MemberSystem]:
    """Active systems of the agencies ``user`` administers (consumers of a request)."""
    return (
        MemberSystem.objects.filter(is_active=True, agency__in=agencies_administered_by(user=user))
        .select_related("agency")
        .order_by("identifier")
    )


def system_get_active(*, identifier: str) -> MemberSystem | None:
    """For client authentication: an active, unrevoked system, or None."""
    if not identifier or len(identifier) > 120:
        return None
    return (
        MemberSystem.objects.filter(identifier=identifier, is_active=True, revoked_at__isnull=True)
        .select_related("agency")
        .first()
    )


# --- service catalogue -------------------------------------------------------------------


def catalogue_list(
    *, q: str | None = None, classification: str | None = None, provider: str | None = None
) -> QuerySet[Service]:
    """Services on offer; ``q`` ignores accents and case ("dan cu" finds "Dân cư")."""
    services = Service.objects.filter(is_active=True, provider__is_active=True).select_related(
        "provider", "provider__agency"
    )
    phrase = fold(q or "")
    if phrase:
        # The folded query as one phrase: word by word, short words ("dan", "cu") would
        # match inside unrelated ones ("nhan dan", "tra cuu").
        services = services.filter(search_text__contains=phrase)
    if classification:
        services = services.filter(classification=classification)
    if provider:
        services = services.filter(provider__identifier=provider)
    return services.order_by("provider__identifier", "code")


def service_get(*, provider: str, code: str) -> Service:
    """A service on offer in the catalogue; otherwise 404."""
    service = catalogue_list().filter(provider__identifier=provider, code=code).first()
    if service is None:
        raise NotFound(_("Không tìm thấy dịch vụ %(s)s.") % {"s": f"{provider}/{code}"})
    return service


def service_get_for_user(*, user: Any, provider: str, code: str) -> Service:
    """A service on offer, or a withdrawn one for those who see its provider's records."""
    service = (
        Service.objects.select_related("provider", "provider__agency")
        .filter(provider__identifier=provider, code=code)
        .first()
    )
    if service is None or not (
        (service.is_active and service.provider.is_active)
        or core_rules.can_view_agency_records(user, service.provider.agency)
    ):
        raise NotFound(_("Không tìm thấy dịch vụ %(s)s.") % {"s": f"{provider}/{code}"})
    return service


def service_get_by_id(*, pk: int) -> Service:
    """A service on offer, by id (the request form's choice)."""
    service = catalogue_list().filter(pk=pk).first()
    if service is None:
        raise NotFound(_("Không tìm thấy dịch vụ."))
    return service


def services_of_user(*, user: Any) -> QuerySet[Service]:
    """Services of the systems ``user`` sees, withdrawn ones included."""
    return _visible(
        Service.objects.select_related("provider", "provider__agency"),
        user,
        "provider__agency_id",
    ).order_by("provider__identifier", "code")


# --- access grants -----------------------------------------------------------------------

_PENDING_FIRST = Case(
    When(status=AccessGrant.Status.REQUESTED, then=Value(0)),
    default=Value(1),
    output_field=IntegerField(),
)


def _grants() -> QuerySet[AccessGrant]:
    return AccessGrant.objects.select_related(
        "consumer",
        "consumer__agency",
        "service",
        "service__provider",
        "service__provider__agency",
        "requested_by",
        "decided_by",
    )


def grant_list_incoming(*, user: Any, status: str | None = None) -> QuerySet[AccessGrant]:
    """Requests and grants to services of the systems of my agencies; pending first."""
    grants = _visible(_grants(), user, "service__provider__agency_id")
    if status:
        grants = grants.filter(status=status)
    return grants.order_by(_PENDING_FIRST, "-requested_at", "-pk")


def grant_list_outgoing(*, user: Any, status: str | None = None) -> QuerySet[AccessGrant]:
    """Requests and grants of the systems of my agencies, to any provider's services."""
    grants = _visible(_grants(), user, "consumer__agency_id")
    if status:
        grants = grants.filter(status=status)
    return grants.order_by(_PENDING_FIRST, "-requested_at", "-pk")


def grant_get(*, pk: int) -> AccessGrant:
    """Any grant, for the operator at the command line."""
    grant = _grants().filter(pk=pk).first()
    if grant is None:
        raise NotFound(_("Không tìm thấy quyền truy cập #%(id)s.") % {"id": pk})
    return grant


def grant_get_for_user(*, user: Any, pk: int) -> AccessGrant:
    """A grant seen from either side; otherwise 404, as if absent."""
    grant = (
        _visible(_grants(), user, "consumer__agency_id", "service__provider__agency_id")
        .filter(pk=pk)
        .first()
    )
    if grant is None:
        raise NotFound(_("Không tìm thấy quyền truy cập #%(id)s.") % {"id": pk})
    return grant
