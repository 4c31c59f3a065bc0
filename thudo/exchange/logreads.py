"""Reads of the message log: a citizen's data uses, and operational statistics."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from statistics import quantiles
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone

from thudo.exchange.models import MemberSystem, MessageLogEntry, Service


@dataclass(frozen=True)
class ExchangeUse:
    """One exchange whose data subject was a given citizen."""

    occurred_at: datetime
    request_id: str
    consumer: str
    consumer_name: str
    consumer_agency: str
    provider: str
    service: str
    service_name: str
    purpose: str
    status: int
    delivered: bool


def uses_of(*, personal_id: str, limit: int, offset: int = 0) -> tuple[list[ExchangeUse], int]:
    entries = MessageLogEntry.objects.filter(data_subject=personal_id).order_by("-occurred_at")
    total = entries.count()
    page = list(entries[offset : offset + limit])
    systems = {
        s.identifier: s
        for s in MemberSystem.objects.select_related("agency").filter(
            identifier__in={e.consumer for e in page}
        )
    }
    services = {
        (s.provider.identifier, s.code): s.name
        for s in Service.objects.select_related("provider").filter(
            provider__identifier__in={e.provider for e in page}
        )
    }
    uses = []
    for e in page:
        system = systems.get(e.consumer)
        uses.append(ExchangeUse(
            occurred_at=e.occurred_at, request_id=e.request_id, consumer=e.consumer,
            consumer_name=system.name if system else e.consumer,
            consumer_agency=system.agency.name if system else "",
            provider=e.provider, service=e.service,
            service_name=services.get((e.provider, e.service), e.service),
            purpose=e.purpose, status=e.status,
            delivered=e.outcome == "ok" and 200 <= e.status < 300,
        ))  # fmt: skip
    return uses, total


@dataclass(frozen=True)
class ServiceStats:
    provider: str
    service: str
    calls: int
    errors: int
    refused: int
    p50_ms: float | None
    p95_ms: float | None


def service_stats(*, start: datetime, end: datetime) -> list[ServiceStats]:
    """Calls, errors (upstream 5xx or unreachable), refusals and latency per service."""
    window = MessageLogEntry.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
    rows = (
        window.exclude(service="")
        .values("provider", "service")
        .annotate(
            calls=Count("id"),
            errors=Count("id", filter=Q(status__gte=500)),
            refused=Count("id", filter=~Q(outcome="ok") & Q(status__lt=500)),
        )
        .order_by("provider", "service")
    )
    latencies = _latencies(start, end)
    result = []
    for row in rows:
        p50, p95 = latencies.get((row["provider"], row["service"]), (None, None))
        result.append(
            ServiceStats(
                row["provider"],
                row["service"],
                row["calls"],
                row["errors"],
                row["refused"],
                p50,
                p95,
            )
        )
    return result


def _latencies(start: datetime, end: datetime) -> dict[tuple[str, str], tuple[float, float]]:
    """p50/p95 of answered exchanges, computed by the database where it can."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT provider, service,"
                " percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_us),"
                " percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_us)"
                " FROM exchange_messagelogentry"
                " WHERE occurred_at >= %s AND occurred_at < %s AND outcome = 'ok'"
                " GROUP BY provider, service",
                [start, end],
            )
            return {(p, s): (a / 1000, b / 1000) for p, s, a, b in cursor.fetchall()}
    values: dict[tuple[str, str], list[int]] = {}
    answered = MessageLogEntry.objects.filter(
        occurred_at__gte=start, occurred_at__lt=end, outcome="ok"
    )
    for provider, service, latency in answered.values_list("provider", "service", "latency_us"):
        values.setdefault((provider, service), []).append(latency)
    result = {}
    for key, series in values.items():
        if len(series) == 1:
            result[key] = (series[0] / 1000, series[0] / 1000)
        else:
            cuts = quantiles(series, n=100, method="inclusive")
            result[key] = (cuts[49] / 1000, cuts[94] / 1000)
    return result


# --- the hub's statistics page -------------------------------------------------------------

# period code → (bucket, number of buckets); the window ends with the current bucket.
PERIODS: dict[str, tuple[str, int]] = {"24h": ("hour", 24), "7d": ("day", 7), "30d": ("day", 30)}
DEFAULT_PERIOD = "24h"


def _local_zone() -> ZoneInfo:
    # Hours and days are those of Hanoi, whatever time zone a request has activated.
    return ZoneInfo(settings.TIME_ZONE)


def _bucket_starts(*, start: datetime, end: datetime, bucket: str) -> list[datetime]:
    zone = _local_zone()
    if bucket == "hour":
        first = timezone.localtime(start, zone).replace(minute=0, second=0, microsecond=0)
        step = timedelta(hours=1)
        starts = []
        while first < end:
            starts.append(first)
            first += step
        return starts
    if bucket == "day":
        day = timezone.localtime(start, zone).date()
        starts = []
        while (moment := _day_start(day)) < end:
            starts.append(moment)
            day += timedelta(days=1)
        return starts
    raise ValueError(f"unknown bucket {bucket!r}")


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=_local_zone())


def calls_by_bucket(
    *, start: datetime, end: datetime, bucket: str
) -> list[tuple[datetime, int, int]]:
    """(bucket start, exchanges, upstream errors) for every hour or day (Hanoi time) from the
    one holding ``start`` until ``end``, empty buckets included as zeros. Every logged
    exchange counts, also those refused before a service was named."""
    trunc = {"hour": TruncHour, "day": TruncDay}[bucket]
    rows = (
        MessageLogEntry.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
        .annotate(bucket=trunc("occurred_at", tzinfo=_local_zone()))
        .values("bucket")
        .annotate(calls=Count("id"), errors=Count("id", filter=Q(status__gte=500)))
        .order_by("bucket")
    )
    counted = {row["bucket"]: (row["calls"], row["errors"]) for row in rows}
    return [
        (at, *counted.get(at, (0, 0))) for at in _bucket_starts(start=start, end=end, bucket=bucket)
    ]


def stats_window(*, period: str, now: datetime) -> tuple[datetime, datetime, str]:
    """[start, end) of a period code and its bucket: whole hours or days, ending with the
    one that holds ``now``, so the table and the chart count the same exchanges."""
    bucket, count = PERIODS[period]
    local = timezone.localtime(now, _local_zone())
    if bucket == "hour":
        end = local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        return end - timedelta(hours=count), end, bucket
    today = local.date()
    return (
        _day_start(today - timedelta(days=count - 1)),
        _day_start(today + timedelta(days=1)),
        bucket,
    )


@dataclass(frozen=True)
class ServiceRow:
    """A service's figures with the names the page shows."""

    provider: str
    provider_name: str
    service: str
    service_name: str
    in_catalogue: bool
    calls: int
    errors: int
    refused: int
    p50_ms: float | None
    p95_ms: float | None

    @property
    def error_rate(self) -> float:
        """Upstream errors as a percentage of calls."""
        return 100 * self.errors / self.calls if self.calls else 0.0


@dataclass(frozen=True)
class HubReport:
    period: str
    start: datetime
    end: datetime
    bucket: str
    services: list[ServiceRow]
    buckets: list[tuple[datetime, int, int]]

    @property
    def calls(self) -> int:
        return sum(calls for _, calls, _ in self.buckets)

    @property
    def errors(self) -> int:
        return sum(errors for _, _, errors in self.buckets)

    @property
    def peak(self) -> tuple[datetime, int] | None:
        """The busiest bucket (the first of equals), or None when nothing was exchanged."""
        busiest = max(self.buckets, key=lambda b: b[1], default=None)
        return (busiest[0], busiest[1]) if busiest and busiest[1] else None


def hub_report(*, period: str, now: datetime | None = None) -> HubReport:
    """Thống kê vận hành: per-service figures and the hub's calls per hour or day."""
    start, end, bucket = stats_window(period=period, now=now or timezone.now())
    stats = service_stats(start=start, end=end)
    systems = dict(
        MemberSystem.objects.filter(identifier__in={s.provider for s in stats}).values_list(
            "identifier", "name"
        )
    )
    names = {
        (provider, code): name
        for provider, code, name in Service.objects.filter(
            provider__identifier__in={s.provider for s in stats}
        ).values_list("provider__identifier", "code", "name")
    }
    rows = [
        ServiceRow(
            provider=s.provider,
            provider_name=systems.get(s.provider, ""),
            service=s.service,
            service_name=names.get((s.provider, s.service), ""),
            in_catalogue=(s.provider, s.service) in names,
            calls=s.calls,
            errors=s.errors,
            refused=s.refused,
            p50_ms=s.p50_ms,
            p95_ms=s.p95_ms,
        )
        for s in stats
    ]
    buckets = calls_by_bucket(start=start, end=end, bucket=bucket)
    return HubReport(period, start, end, bucket, rows, buckets)


# --- counts behind the metric providers -------------------------------------------------------


def _consumed_by(
    entries: QuerySet[MessageLogEntry], agency_code: str | None
) -> QuerySet[MessageLogEntry]:
    if agency_code is None:
        return entries
    # The agency is the third segment of VN/<class>/<agency code>/<system code>, matched
    # whole between its slashes and escaped: neither a subordinate unit whose code ends
    # with this one (001.000.01.50.H26 for 000.01.50.H26) nor the dots read as wildcards.
    return entries.filter(consumer__regex=rf"^VN/[^/]+/{re.escape(agency_code)}/[^/]+$")


def _count(entries: QuerySet[MessageLogEntry], name: str) -> tuple[int, str]:
    entries = entries.order_by()
    # Shown to whoever reads the figure, never executed.
    lineage = f"SELECT COUNT(*) FROM ({entries.values('pk').query}) AS {name}"  # noqa: S608
    return entries.count(), lineage


def _window(start: datetime, end: datetime, agency_code: str | None) -> QuerySet[MessageLogEntry]:
    entries = MessageLogEntry.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
    return _consumed_by(entries, agency_code)


def call_count(
    *, start: datetime, end: datetime, agency_code: str | None = None
) -> tuple[int, str]:
    """Exchanges logged in [start, end), allowed or refused; of one agency's consumer
    systems if ``agency_code`` is given. With the SQL that counted them."""
    return _count(_window(start, end, agency_code), "calls")


def upstream_error_count(
    *, start: datetime, end: datetime, agency_code: str | None = None
) -> tuple[int, str]:
    """Exchanges that failed at or behind the provider (status ≥ 500: an upstream error,
    timeout or open circuit)."""
    return _count(_window(start, end, agency_code).filter(status__gte=500), "upstream_errors")


def personal_data_read_count(
    *, start: datetime, end: datetime, agency_code: str | None = None
) -> tuple[int, str]:
    """Exchanges about a named citizen (X-Data-Subject) whose data was delivered: answered
    by the provider with 2xx, as the citizen's own "who used my data" page counts them."""
    entries = (
        _window(start, end, agency_code)
        .filter(outcome="ok", status__gte=200, status__lt=300)
        .exclude(data_subject="")
    )
    return _count(entries, "personal_data_reads")
