"""Measured figures of the exchange hub, for reporting, the DTI and the IOC.

``org_unit`` is an agency code: the exchanges of that agency's consumer systems (the
agency that asked for the data), or None for every exchange in the province. A code that
names no agency is not applicable, as for the kernel's figures, rather than a silent 0.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from thudo.core import facade as core
from thudo.core import metrics
from thudo.exchange import logreads

CALLS = "exchange.calls"
UPSTREAM_ERRORS = "exchange.upstream_errors"
PERSONAL_DATA_READS = "exchange.personal_data_reads"

Count = Callable[..., tuple[int, str]]


def _bounds(period: metrics.Period) -> tuple[datetime, datetime]:
    zone = timezone.get_default_timezone()
    start = timezone.make_aware(datetime.combine(period.start, time.min), zone)
    end = timezone.make_aware(datetime.combine(period.end + timedelta(days=1), time.min), zone)
    return start, end


def _measure(count: Count, period: metrics.Period, org_unit: str | None) -> tuple[Decimal, str]:
    if org_unit is not None and not core.agency_exists(code=org_unit):
        raise metrics.MetricNotApplicable(org_unit)
    start, end = _bounds(period)
    value, lineage = count(start=start, end=end, agency_code=org_unit)
    return Decimal(value), lineage


def calls(period: metrics.Period, org_unit: str | None) -> tuple[Decimal, str]:
    return _measure(logreads.call_count, period, org_unit)


def upstream_errors(period: metrics.Period, org_unit: str | None) -> tuple[Decimal, str]:
    return _measure(logreads.upstream_error_count, period, org_unit)


def personal_data_reads(period: metrics.Period, org_unit: str | None) -> tuple[Decimal, str]:
    return _measure(logreads.personal_data_read_count, period, org_unit)


def register() -> None:
    for code, name, description, compute in (
        (
            CALLS,
            "Số lượt trao đổi dữ liệu qua nền tảng LGSP",
            "Exchanges through the hub in the period, allowed or refused, counted from the "
            "message log; for an agency, those of its consumer systems.",
            calls,
        ),
        (
            UPSTREAM_ERRORS,
            "Số lượt trao đổi lỗi do hệ thống cung cấp",
            "Exchanges that failed at or behind the provider system (status 500 or more: "
            "upstream error, timeout, open circuit), counted from the message log; for an "
            "agency, those its consumer systems made.",
            upstream_errors,
        ),
        (
            PERSONAL_DATA_READS,
            "Số lượt khai thác dữ liệu cá nhân qua nền tảng LGSP",
            "Exchanges about a named citizen whose data was delivered (answered with 2xx), "
            "counted from the message log; for an agency, those of its consumer systems.",
            personal_data_reads,
        ),
    ):
        metrics.register(
            metrics.MetricProvider(
                code=code,
                name=name,
                unit="lượt",
                description=description,
                module="exchange",
                compute=compute,
            )
        )
