"""Kernel reads. Protected rows are fetched only through ``*_get_for_user`` / ``*_for_user``."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from thudo.core import rules as core_rules
from thudo.core.errors import NotFound, PermissionDenied
from thudo.core.models import (
    AdministrativeUnit,
    Agency,
    ApiToken,
    AuditEvent,
    Membership,
    User,
)
from thudo.core.text import fold


def unit_list(
    *,
    parent_code: str | None = None,
    level: str | None = None,
    q: str | None = None,
    at: date | None = None,
) -> QuerySet[AdministrativeUnit]:
    """Units in force on ``at`` (today by default)."""
    at = at or timezone.localdate()
    units = AdministrativeUnit.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=at), valid_from__lte=at
    ).select_related("parent")
    if parent_code:
        units = units.filter(parent__code=parent_code)
    if level:
        units = units.filter(level=level)
    if q:
        units = units.filter(Q(search_name__contains=fold(q)) | Q(code=q.strip()))
    return units.order_by("code")


def unit_get(*, code: str, at: date | None = None) -> AdministrativeUnit:
    unit = unit_list(at=at).filter(code=code).first()
    if unit is None:
        raise NotFound(_("Không tìm thấy đơn vị hành chính %(code)s.") % {"code": code})
    return unit


def agency_list(
    *,
    q: str | None = None,
    kind: str | None = None,
    parent_code: str | None = None,
    unit_code: str | None = None,
) -> QuerySet[Agency]:
    """The directory of agencies (names, codes, hierarchy are public information)."""
    agencies = Agency.objects.filter(is_active=True).select_related("parent", "unit")
    if q:
        folded = fold(q)
        agencies = agencies.filter(Q(search_name__contains=folded) | Q(code=q.strip().upper()))
    if kind:
        agencies = agencies.filter(kind=kind)
    if parent_code:
        agencies = agencies.filter(parent__code=parent_code)
    if unit_code:
        agencies = agencies.filter(unit__code=unit_code)
    return agencies.order_by("code")


def agency_get(*, code: str) -> Agency:
    agency = agency_list().filter(code=code.strip().upper()).first()
    if agency is None:
        raise NotFound(_("Không tìm thấy cơ quan %(code)s.") % {"code": code})
    return agency


def agency_get_for_user(*, user: Any, code: str) -> Agency:
    """An agency whose internal records ``user`` may see; otherwise 404, as if absent."""
    agency = Agency.objects.select_related("parent", "unit").filter(code=code.upper()).first()
    if agency is None or not core_rules.can_view_agency_records(user, agency):
        raise NotFound(_("Không tìm thấy cơ quan %(code)s.") % {"code": code})
    return agency


def agency_can_manage_staff(*, user: Any, agency: Agency) -> bool:
    return bool(core_rules.can_manage_agency_staff(user, agency))


def membership_list_for_agency(*, user: Any, agency: Agency) -> QuerySet[Membership]:
    if not core_rules.can_view_agency_records(user, agency):
        raise NotFound()
    return (
        Membership.objects.filter(agency=agency, revoked_at__isnull=True)
        .select_related("user")
        .order_by("user__full_name", "role")
    )


def membership_get_for_user(*, user: Any, pk: int) -> Membership:
    membership = Membership.objects.select_related("agency", "user").filter(pk=pk).first()
    if membership is None or not core_rules.can_view_agency_records(user, membership.agency):
        raise NotFound()
    return membership


def memberships_of(*, user: Any) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user, revoked_at__isnull=True)
        .select_related("agency", "agency__unit")
        .order_by("agency__code", "role")
    )


def official_get_for_user(*, user: Any, agency: Agency, username: str) -> User:
    """An official holding a role in ``agency``, for someone who may see its records."""
    if not core_rules.can_view_agency_records(user, agency):
        raise NotFound()
    official = (
        User.objects.filter(
            username=username,
            kind=User.Kind.OFFICIAL,
            memberships__agency=agency,
            memberships__revoked_at__isnull=True,
        )
        .distinct()
        .first()
    )
    if official is None:
        raise NotFound(
            _("Không tìm thấy cán bộ %(username)s tại cơ quan này.") % {"username": username}
        )
    return official


def audit_events_for_user(
    *, user: Any, agency: Agency | None = None, action: str | None = None
) -> QuerySet[AuditEvent]:
    """Audit events a user may read: an agency's for those who see its records, all for
    platform administrators."""
    events = AuditEvent.objects.select_related("agency").order_by("-seq")
    if agency is not None:
        if not core_rules.can_view_agency_records(user, agency):
            raise NotFound()
        events = events.filter(agency=agency)
    elif not core_rules.is_platform_admin(user):
        raise PermissionDenied()
    if action:
        events = events.filter(action=action)
    return events


def audit_events_about_me(*, user: Any) -> QuerySet[AuditEvent]:
    """Every recorded use of a citizen's data: the "who used my data" view."""
    if not getattr(user, "personal_id", None):
        return AuditEvent.objects.none()
    return (
        AuditEvent.objects.filter(data_subject=user.personal_id)
        .select_related("agency")
        .order_by("-seq")
    )


def api_tokens_for_user(*, user: Any) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def api_token_get_for_user(*, user: Any, pk: int) -> ApiToken:
    token = ApiToken.objects.filter(pk=pk).first()
    if token is None or (token.user_id != user.pk and not core_rules.is_platform_admin(user)):
        raise NotFound()
    return token


def totp_confirmed_exists(*, user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_device_pending(*, user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


def active_user_get(*, pk: object) -> User | None:
    """An active account by id (for the second sign-in step), or None."""
    if not isinstance(pk, int):
        return None
    return User.objects.filter(pk=pk, is_active=True).first()


def official_by_username(*, username: str) -> User | None:
    return User.objects.filter(username=username, kind=User.Kind.OFFICIAL).first()
