"""Operational statistics of the hub: the page (per-service table, calls per hour or day)
and the metric providers, from message-log rows with known statuses and latencies."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from thudo.core import metrics
from thudo.core.tests.factories import agency, citizen
from thudo.exchange import logreads
from thudo.exchange.messagelog import Entry, write_batch
from thudo.exchange.models import MessageLogEntry
from thudo.exchange.tests.factories import login, service, system

pytestmark = pytest.mark.django_db

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 3, 10, 9, 20, tzinfo=HANOI)
PROVIDER = "VN/GOV/000.02.50.H26/DANCU"
LOOKUP = "tra-cuu-dan-cu"
STREETS = "duong-pho"
WARD_A = "VN/GOV/000.01.50.H26/MOTCUA"
WARD_A_COMPANY = "VN/COM/000.01.50.H26/DOANHNGHIEP"
JUSTICE = "VN/GOV/000.00.16.H26/HOTICH"
# A subordinate unit whose agency code ends with ward A's: not ward A's exchange.
SUBORDINATE = "VN/GOV/001.000.01.50.H26/KHAC"
SUBJECT = "001090012345"


def _at(
    month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(2026, month, day, hour, minute, second, us, tzinfo=HANOI)


def _entry(
    at: datetime,
    *,
    consumer: str = WARD_A,
    service: str = LOOKUP,
    status: int = 200,
    outcome: str = "ok",
    latency_ms: float = 1,
    subject: str = "",
) -> Entry:
    return Entry(
        occurred_at=at,
        request_id=uuid.uuid4().hex,
        consumer=consumer,
        provider=PROVIDER if service else "",
        service=service,
        method="GET",
        path=f"/people/{SUBJECT}" if subject else "/echo",
        operation="/people/{personal_id}" if subject else "/echo",
        purpose="Giải quyết thủ tục hành chính" if subject else "",
        data_subject=subject,
        status=status,
        outcome=outcome,
        latency_us=int(latency_ms * 1000),
        request_digest="0" * 64,
        response_digest="0" * 64,
        gateway="test",
    )


# The 24 hours before NOW are [09/03 10:00, 10/03 10:00); the 7 days [04/03, 11/03).
ROWS = [
    # in the last 24 hours
    _entry(_at(3, 10, 9, 5), latency_ms=10, subject=SUBJECT),
    _entry(_at(3, 10, 9, 10), latency_ms=20, subject=SUBJECT),
    _entry(_at(3, 10, 9, 15), consumer="", service="", status=400, outcome="invalid_path"),
    _entry(_at(3, 10, 8, 30), status=502, outcome="upstream_error", latency_ms=5000),
    _entry(_at(3, 10, 8, 40), consumer=JUSTICE, latency_ms=30, subject=SUBJECT),
    _entry(_at(3, 10, 8, 45), status=500, latency_ms=40, subject=SUBJECT),  # answered 500
    _entry(_at(3, 10, 7, 0), status=403, outcome="no_grant", subject=SUBJECT),
    _entry(_at(3, 9, 10, 0), consumer=JUSTICE, service=STREETS, latency_ms=8),  # first instant
    # earlier in the last 7 days
    _entry(_at(3, 9, 9, 59, 59, 999999), latency_ms=50, subject=SUBJECT),  # 24 h minus 1 µs
    _entry(_at(3, 8, 12, 0), consumer=SUBORDINATE, service=STREETS),
    _entry(_at(3, 5, 10, 0), consumer=WARD_A_COMPANY, service=STREETS),
    _entry(_at(3, 4, 0, 0), service=STREETS, latency_ms=4),  # first instant of the 7 days
    # earlier in March
    _entry(_at(3, 3, 23, 59, 59), status=504, outcome="upstream_timeout"),
    _entry(_at(3, 1, 0, 0), consumer=JUSTICE, subject=SUBJECT),
    # outside March
    _entry(_at(2, 28, 23, 59, 59, 999999), subject=SUBJECT),
    _entry(_at(4, 1, 0, 0), subject=SUBJECT),
]


@pytest.fixture
def hub(city: Any) -> dict[str, Any]:
    provider = system(city.commune_b, "DANCU", name="Cổng dữ liệu Ngọc Hà")[0]
    system(city.commune_a, "MOTCUA", name="Một cửa Ba Đình")
    system(city.justice, "HOTICH", name="Hộ tịch")
    service(provider, LOOKUP, name="Tra cứu thông tin dân cư")
    service(provider, STREETS, name="Danh mục đường phố", classification="public")
    write_batch(ROWS)
    assert MessageLogEntry.objects.count() == len(ROWS)
    return {"provider": provider}


@pytest.fixture
def frozen(monkeypatch: Any) -> None:
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _table(body: str, table_id: str) -> list[list[str]]:
    match = re.search(rf'<table[^>]*id="{table_id}".*?</table>', body, re.S)
    assert match is not None, table_id
    tbody = re.search(r"<tbody>(.*?)</tbody>", match.group(0), re.S)
    assert tbody is not None
    return [
        [_text(cell) for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", tbody.group(1), re.S)
    ]


def _hours(nonzero: dict[datetime, tuple[int, int]]) -> list[tuple[datetime, int, int]]:
    first = _at(3, 9, 10)
    return [
        (first + timedelta(hours=i), *nonzero.get(first + timedelta(hours=i), (0, 0)))
        for i in range(24)
    ]


HOURS_24 = _hours(
    {_at(3, 9, 10): (1, 0), _at(3, 10, 7): (1, 0), _at(3, 10, 8): (3, 2), _at(3, 10, 9): (3, 0)}
)
DAYS_7 = [
    (_at(3, 4), 1, 0),
    (_at(3, 5), 1, 0),
    (_at(3, 6), 0, 0),
    (_at(3, 7), 0, 0),
    (_at(3, 8), 1, 0),
    (_at(3, 9), 2, 0),
    (_at(3, 10), 7, 2),
]


# --- readers ---------------------------------------------------------------------------------


def test_calls_by_bucket_counts_local_hours_and_days_with_empty_ones_as_zero(
    hub: dict[str, Any],
) -> None:
    hours = logreads.calls_by_bucket(start=_at(3, 9, 10), end=_at(3, 10, 10), bucket="hour")
    assert hours == HOURS_24
    assert all(at.tzinfo is not None for at, _, _ in hours)
    days = logreads.calls_by_bucket(start=_at(3, 4), end=_at(3, 11), bucket="day")
    assert days == DAYS_7
    assert logreads.stats_window(period="7d", now=NOW) == (_at(3, 4), _at(3, 11), "day")
    assert logreads.stats_window(period="24h", now=NOW) == (_at(3, 9, 10), _at(3, 10, 10), "hour")
    assert logreads.stats_window(period="30d", now=NOW) == (_at(2, 9), _at(3, 11), "day")


def test_hub_report_for_the_last_24_hours(hub: dict[str, Any]) -> None:
    report = logreads.hub_report(period="24h", now=NOW)
    assert (report.calls, report.errors, report.peak) == (8, 2, (_at(3, 10, 8), 3))
    assert [
        (r.provider_name, r.service, r.calls, r.errors, r.refused, r.p50_ms, r.p95_ms)
        for r in report.services
    ] == [
        ("Cổng dữ liệu Ngọc Hà", STREETS, 1, 0, 0, 8.0, 8.0),
        ("Cổng dữ liệu Ngọc Hà", LOOKUP, 6, 2, 1, 25.0, 38.5),
    ]
    assert report.services[1].error_rate == pytest.approx(100 / 3)


# --- the page --------------------------------------------------------------------------------


def test_stats_page_shows_exact_figures_per_service_and_per_hour(
    city: Any, hub: dict[str, Any], frozen: None, django_assert_max_num_queries: Any
) -> None:
    client = login(city.clerk_a)
    with django_assert_max_num_queries(7):
        page = client.get("/exchange/stats/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "<h1>Thống kê vận hành nền tảng chia sẻ dữ liệu</h1>" in body
    assert '<a href="/exchange/stats/" aria-current="page">Thống kê</a>' in body
    assert '<option value="24h" selected>' in body
    assert _table(body, "service-stats") == [
        [f"Cổng dữ liệu Ngọc Hà {PROVIDER}", STREETS, "1", "0", "0", "0,0", "8,0", "8,0"],
        [f"Cổng dữ liệu Ngọc Hà {PROVIDER}", LOOKUP, "6", "2", "1", "33,3", "25,0", "38,5"],
    ]
    assert f'<a href="/exchange/catalog/{PROVIDER}/{LOOKUP}/">{LOOKUP}</a>' in body
    summary = re.search(r'<p id="hub-summary">.*?</p>', body, re.S)
    assert summary is not None
    assert _text(summary.group(0)).startswith(
        "Từ 10:00 09/03/2026 đến 10:00 10/03/2026: 8 lượt trao đổi, "
        "2 lượt lỗi từ hệ thống cung cấp."
    )
    # The chart: one bar per hour, its numbers in a table only screen readers see.
    assert '<svg role="img" aria-labelledby="hub-chart-title"' in body
    assert (
        '<title id="hub-chart-title">Biểu đồ cột số lượt trao đổi theo giờ: 24 cột, tổng 8 lượt, '
        "trong đó 2 lượt lỗi từ hệ thống cung cấp; cao nhất 3 lượt trong giờ bắt đầu lúc "
        "08:00 10/03/2026. Số liệu chi tiết ở bảng ngay sau biểu đồ.</title>"
    ) in body
    bars = re.findall(
        r'<rect x="(\d+)" y="0" width="24" height="(\d+)" fill="#([0-9a-f]+)"/>', body
    )
    calls = [(int(x), int(h)) for x, h, fill in bars if fill == "0b4f9c"]
    errors = [(int(x), int(h)) for x, h, fill in bars if fill == "a50e0e"]
    assert calls == [(30 * i, {0: 50, 21: 50, 22: 150, 23: 150}.get(i, 0)) for i in range(24)]
    assert errors == [(22 * 30, 100)]
    assert _table(body, "hub-buckets") == [
        [f"{at:%H:%M %d/%m/%Y}", str(n), str(e)] for at, n, e in HOURS_24
    ]
    assert 'class="visually-hidden" id="hub-buckets"' in body
    assert "cdn" not in body.lower()


def test_stats_page_by_day(city: Any, hub: dict[str, Any], frozen: None) -> None:
    client = login(city.admin_b)
    body = client.get("/exchange/stats/", {"period": "7d"}).content.decode()
    assert _table(body, "hub-buckets") == [
        [f"{at:%d/%m/%Y}", str(n), str(e)] for at, n, e in DAYS_7
    ]
    assert _table(body, "service-stats") == [
        [f"Cổng dữ liệu Ngọc Hà {PROVIDER}", STREETS, "4", "0", "0", "0,0", "2,5", "7,4"],
        [f"Cổng dữ liệu Ngọc Hà {PROVIDER}", LOOKUP, "7", "2", "1", "28,6", "30,0", "48,0"],
    ]
    assert "Từ ngày 04/03/2026 đến hết ngày 10/03/2026: 12 lượt trao đổi" in body
    month = client.get("/exchange/stats/", {"period": "30d"}).content.decode()
    rows = _table(month, "hub-buckets")
    assert len(rows) == 30
    assert rows[0] == ["09/02/2026", "0", "0"] and rows[-1] == ["10/03/2026", "7", "2"]
    assert sum(int(r[1]) for r in rows) == 15  # every row of the 30 days, refused ones too


def test_stats_page_with_nothing_logged(city: Any, frozen: None) -> None:
    body = login(city.clerk_a).get("/exchange/stats/").content.decode()
    assert _table(body, "service-stats") == [
        ["Không có trao đổi nào qua dịch vụ trong khoảng thời gian này."]
    ]
    assert [r[1:] for r in _table(body, "hub-buckets")] == [["0", "0"]] * 24
    assert "cao nhất: 0 lượt" in body


@pytest.mark.parametrize("period", ["1y", "", "24H", "7d "])
def test_an_unknown_period_is_a_field_error_not_a_failure(
    city: Any, hub: dict[str, Any], frozen: None, period: str
) -> None:
    before = MessageLogEntry.objects.count()
    page = login(city.clerk_a).get("/exchange/stats/", {"period": period})
    assert page.status_code == 400
    body = page.content.decode()
    error = "Chọn một khoảng thời gian trong danh sách: 24 giờ, 7 ngày hoặc 30 ngày qua."
    assert f'<a href="#stats-period">Khoảng thời gian: {error}</a>' in body
    assert (
        '<p class="field-error" id="stats-period-error"><span class="visually-hidden">Lỗi:'
        f"</span> {error}</p>"
    ) in body
    assert 'aria-invalid="true" aria-describedby="stats-period-error"' in body
    assert " selected" not in body
    assert 'id="service-stats"' not in body and "<svg" not in body
    assert MessageLogEntry.objects.count() == before


def test_citizens_and_anonymous_visitors_get_no_stats(hub: dict[str, Any]) -> None:
    person = Client()
    person.force_login(citizen())
    denied = person.get("/exchange/stats/")
    assert denied.status_code == 404
    assert "Cổng dữ liệu Ngọc Hà" not in denied.content.decode()
    anonymous = Client().get("/exchange/stats/")
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")


# --- metric providers -----------------------------------------------------------------------

MARCH = metrics.Period(date(2026, 3, 1), date(2026, 3, 31), "2026M03")


@pytest.mark.parametrize(
    ("code", "province", "ward_a", "justice"),
    [
        ("exchange.calls", 14, 9, 3),
        ("exchange.upstream_errors", 3, 3, 0),
        ("exchange.personal_data_reads", 5, 3, 2),
    ],
)
def test_metrics_for_the_province_and_one_agency(
    hub: dict[str, Any], code: str, province: int, ward_a: int, justice: int
) -> None:
    provider = metrics.get(code)
    assert provider is not None
    assert (provider.module, provider.unit) == ("exchange", "lượt")
    whole = provider.value(MARCH)
    assert (whole.value, whole.org_unit) == (Decimal(province), None)
    assert whole.lineage.startswith("SELECT COUNT(*) FROM (SELECT")
    assert "exchange_messagelogentry" in whole.lineage
    assert provider.value(MARCH, "000.01.50.H26").value == Decimal(ward_a)
    assert provider.value(MARCH, "000.00.16.H26").value == Decimal(justice)
    # The provider's own agency consumed nothing; nor did the People's Committee.
    assert provider.value(MARCH, "000.02.50.H26").value == Decimal(0)
    assert provider.value(MARCH, "000.00.00.H26").value == Decimal(0)


def test_agency_metric_matches_the_whole_agency_segment(city: Any, hub: dict[str, Any]) -> None:
    agency("001.000.01.50.H26", "Bộ phận một cửa", unit=city.ward_a, parent=city.commune_a)
    provider = metrics.get("exchange.calls")
    assert provider is not None
    ward_a = provider.value(MARCH, "000.01.50.H26")
    assert ward_a.value == Decimal(9)  # not the subordinate unit's exchange
    assert "000\\.01\\.50\\.H26" in ward_a.lineage  # its dots are not wildcards
    assert provider.value(MARCH, "001.000.01.50.H26").value == Decimal(1)
    day = metrics.Period(date(2026, 3, 10), date(2026, 3, 10))
    assert provider.value(day).value == Decimal(7)
    assert provider.value(day, "000.01.50.H26").value == Decimal(5)
    april = metrics.Period(date(2026, 4, 1), date(2026, 4, 30))
    assert provider.value(april, "000.01.50.H26").value == Decimal(1)


@pytest.mark.parametrize("code", ["999.99.99.H26", "01.50.H26", "000%", "000_01_50_H26"])
def test_agency_metric_of_no_agency_is_not_applicable(hub: dict[str, Any], code: str) -> None:
    for metric in ("exchange.calls", "exchange.upstream_errors", "exchange.personal_data_reads"):
        provider = metrics.get(metric)
        assert provider is not None
        with pytest.raises(metrics.MetricNotApplicable):
            provider.value(MARCH, code)
