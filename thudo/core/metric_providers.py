"""The kernel's own measured figures."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from thudo.core import metrics
from thudo.core.models import Agency, Membership


def end_of(period: metrics.Period) -> datetime:
    """The first moment after the period's last day, in the platform's time zone."""
    return timezone.make_aware(datetime.combine(period.end + timedelta(days=1), time.min))


def start_of(period: metrics.Period) -> datetime:
    return timezone.make_aware(datetime.combine(period.start, time.min))


def _active_officials(period: metrics.Period, org_unit: str | None) -> tuple[Decimal, str]:
    until = end_of(period)
    memberships = Membership.objects.filter(
        Q(revoked_at__isnull=True) | Q(revoked_at__gte=until),
        granted_at__lt=until,
        user__is_active=True,
    )
    if org_unit is not None:
        if not Agency.objects.filter(code=org_unit).exists():
            raise metrics.MetricNotApplicable(org_unit)
        memberships = memberships.filter(agency__code=org_unit)
    officials = memberships.values("user_id").distinct()
    return Decimal(officials.count()), f"COUNT(*) FROM ({officials.query})"


def register() -> None:
    metrics.register(
        metrics.MetricProvider(
            code="core.active_officials",
            name="Số cán bộ, công chức có tài khoản hoạt động",
            unit="người",
            description=(
                "Officials with an active account holding at least one role in the agency "
                "at the end of the period."
            ),
            module="core",
            compute=_active_officials,
        )
    )
