"""Measured figures of the identity module, for reporting, the DTI and the IOC."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from thudo.core import metrics
from thudo.identity import selectors

CITIZEN_SIGNINS = "identity.citizen_signins"


def citizen_signins(period: metrics.Period, org_unit: str | None) -> tuple[Decimal, str]:
    if org_unit is not None:
        # A citizen signs in to the province's platform, not to one agency.
        raise metrics.MetricNotApplicable(org_unit)
    start = timezone.make_aware(datetime.combine(period.start, time.min))
    end = timezone.make_aware(datetime.combine(period.end + timedelta(days=1), time.min))
    count, lineage = selectors.signin_count(start=start, end=end)
    return Decimal(count), lineage


def register() -> None:
    metrics.register(
        metrics.MetricProvider(
            code=CITIZEN_SIGNINS,
            name="Số lượt công dân đăng nhập bằng định danh điện tử",
            unit="lượt",
            description=(
                "Successful citizen sign-ins through the national eID (OpenID Connect) in "
                "the period, counted from the audit log; whole province only."
            ),
            module="identity",
            compute=citizen_signins,
        )
    )
