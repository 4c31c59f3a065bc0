"""The documents module's measured figures: documents issued, the share signed, the share
of recipients reached electronically, and the share of incoming documents handled on
time — per commune and for the whole province, over a period counted in Hanoi days."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from thudo.core import metrics
from thudo.core.models import Agency, User
from thudo.documents.models import Assignment, Document, Recipient, TrailEvent

pytestmark = pytest.mark.django_db
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
MARCH = metrics.Period(date(2026, 3, 1), date(2026, 3, 31), "2026M03")
CODES = [
    "documents.electronic_share",
    "documents.incoming_on_time",
    "documents.issued",
    "documents.signed_share",
]


def outgoing(
    agency: Agency,
    issued_on: date | None,
    *,
    status: str = "issued",
    pdf: bytes | None = b"%PDF-1.7 signed",
    sign_steps: int = 1,
    deliveries: tuple[str, ...] = (),
    confidential: bool = False,
) -> Document:
    document = Document.objects.create(
        agency=agency,
        direction="out",
        type_code="QD",
        summary="Về việc thử nghiệm",
        status=status,
        issued_on=issued_on,
        pdf=pdf,
        confidential=confidential,
    )
    for _ in range(sign_steps):
        TrailEvent.objects.create(document=document, action="sign")
    TrailEvent.objects.create(document=document, action="issue")
    for n, delivery in enumerate(deliveries):
        Recipient.objects.create(
            document=document, agency_code=f"R{n}", agency_name=f"Nơi nhận {n}", delivery=delivery
        )
    return document


def incoming(agency: Agency) -> Document:
    return Document.objects.create(
        agency=agency,
        direction="in",
        type_code="TB",
        summary="Thông báo",
        status="assigned",
        issued_on=date(2026, 3, 3),  # the sender's date: not an issue of this agency
        sender_code="000.00.16.H26",
        pdf=b"%PDF-1.7",
    )


def assigned(
    document: Document, who: User, due_on: date, done_at: datetime | None = None
) -> Assignment:
    return Assignment.objects.create(
        document=document,
        assignee=who,
        working_days=5,
        due_on=due_on,
        status="done" if done_at else "open",
        done_at=done_at,
    )


@pytest.fixture
def records(city: Any) -> Any:
    a, b = city.commune_a, city.commune_b
    TrailEvent.objects.create(
        document=outgoing(a, date(2026, 3, 1), sign_steps=2, deliveries=("sent", "sent")),
        action="status",
    )  # first day; two signing steps count once
    outgoing(a, date(2026, 3, 31), deliveries=("failed",))  # last day
    outgoing(a, date(2026, 3, 15), sign_steps=0, deliveries=("pending", "sent"))  # not signed
    outgoing(a, date(2026, 3, 10), pdf=b"")  # a signing step but no PDF: not signed
    outgoing(a, date(2026, 3, 20), confidential=True, deliveries=("sent",))
    outgoing(a, date(2026, 2, 28), deliveries=("sent",))  # before the period
    outgoing(a, date(2026, 4, 1), deliveries=("sent",))  # after the period
    outgoing(a, None, status="signed", deliveries=("pending",))  # signed, not yet issued
    outgoing(b, date(2026, 3, 5), deliveries=("sent",))
    outgoing(b, date(2026, 3, 6), pdf=None, sign_steps=0)  # an old paper document

    at_b, at_a = incoming(b), incoming(a)
    # Done late in the evening of the due day (16:30 UTC): on time.
    assigned(at_b, city.clerk_b, date(2026, 3, 10), datetime(2026, 3, 10, 23, 30, tzinfo=HANOI))
    # Half an hour after midnight in Hanoi, still the due day in UTC: late.
    assigned(at_b, city.clerk_b, date(2026, 3, 10), datetime(2026, 3, 11, 0, 30, tzinfo=HANOI))
    assigned(at_b, city.clerk_b, date(2026, 3, 20))  # still open
    assigned(at_b, city.clerk_b, date(2026, 3, 31), datetime(2026, 3, 5, 9, 0, tzinfo=HANOI))
    assigned(at_b, city.clerk_b, date(2026, 4, 1), datetime(2026, 3, 5, tzinfo=HANOI))  # after
    assigned(at_b, city.clerk_b, date(2026, 2, 28))  # before, open
    assigned(at_a, city.clerk_a, date(2026, 3, 12), datetime(2026, 3, 12, 8, 0, tzinfo=HANOI))
    return city


def value(code: str, org_unit: str | None, period: metrics.Period = MARCH) -> metrics.MetricValue:
    provider = metrics.get(code)
    assert provider is not None
    return provider.value(period, org_unit)


def test_the_four_metrics_are_registered() -> None:
    registered = {p.code: p for p in metrics.providers() if p.module == "documents"}
    assert sorted(registered) == CODES
    assert [(registered[c].name, registered[c].unit) for c in CODES] == [
        ("Tỷ lệ văn bản đi gửi nhận dưới dạng điện tử", "%"),
        ("Tỷ lệ văn bản đến được xử lý đúng hạn", "%"),
        ("Số văn bản đi đã phát hành", "văn bản"),
        ("Tỷ lệ văn bản đi được ký số", "%"),
    ]


def test_issued_documents_are_counted_in_the_period(records: Any) -> None:
    a, b = records.commune_a.code, records.commune_b.code
    assert [value("documents.issued", unit).value for unit in (a, b, None)] == [5, 2, 7]
    whole = value("documents.issued", None)
    assert (whole.unit, whole.org_unit, whole.period) == ("văn bản", None, MARCH)
    assert whole.lineage.startswith("SELECT COUNT(*) FROM (SELECT")
    assert "documents_document" in whole.lineage and "issued" in whole.lineage
    assert (
        value("documents.issued", a, metrics.Period(date(2026, 3, 1), date(2026, 3, 1))).value == 1
    )
    assert (
        value("documents.issued", a, metrics.Period(date(2026, 4, 1), date(2026, 4, 30))).value == 1
    )


def test_the_signed_share_counts_a_pdf_with_a_signing_step(records: Any) -> None:
    a, b = records.commune_a.code, records.commune_b.code
    shares = [value("documents.signed_share", unit) for unit in (a, b, None)]
    # A: 3 of 5 (not the unsigned one, not the one without a PDF); B: 1 of 2; all: 4 of 7.
    assert [str(s.value) for s in shares] == ["60.00", "50.00", "57.14"]
    assert shares[0].lineage.startswith("100 * 3 / 5; numerator: SELECT COUNT(*) FROM (")
    assert "documents_trailevent" in shares[0].lineage
    assert "; denominator: SELECT COUNT(*) FROM (" in shares[0].lineage


def test_the_electronic_share_counts_recipients_reached_through_the_exchange(
    records: Any,
) -> None:
    a, b = records.commune_a.code, records.commune_b.code
    shares = [value("documents.electronic_share", unit) for unit in (a, b, None)]
    # A: 4 of its 6 recipients sent (one failed, one pending); B: 1 of 1; all: 5 of 7.
    assert [str(s.value) for s in shares] == ["66.67", "100.00", "71.43"]
    assert shares[0].lineage.startswith("100 * 4 / 6; numerator: ")
    assert "documents_recipient" in shares[0].lineage


def test_incoming_on_time_counts_assignments_due_in_the_period(records: Any) -> None:
    a, b = records.commune_a.code, records.commune_b.code
    shares = [value("documents.incoming_on_time", unit) for unit in (a, b, None)]
    # B: 2 of 4 due in March (one half an hour late, one still open); A: 1 of 1; all 3 of 5.
    assert [str(s.value) for s in shares] == ["100.00", "50.00", "60.00"]
    assert shares[1].lineage.startswith("100 * 2 / 4; numerator: ")
    assert "documents_assignment" in shares[1].lineage


def test_nothing_to_count_is_zero_and_the_lineage_says_why(records: Any) -> None:
    empty = metrics.Period(date(2025, 1, 1), date(2025, 12, 31), "2025")
    assert value("documents.issued", None, empty).value == 0
    for code in ("documents.signed_share", "documents.electronic_share"):
        share = value(code, records.commune_a.code, empty)
        assert (share.value, share.unit) == (Decimal(0), "%")
        assert share.lineage.startswith("no denominator (0 rows), the share is 0 by convention: ")
        assert "SELECT COUNT(*) FROM (" in share.lineage
    on_time = value("documents.incoming_on_time", records.justice.code)
    assert on_time.value == 0
    assert on_time.lineage.startswith("no denominator (0 rows)")


def test_an_unknown_agency_is_not_applicable(city: Any) -> None:
    for code in CODES:
        provider = metrics.get(code)
        assert provider is not None
        with pytest.raises(metrics.MetricNotApplicable):
            provider.value(MARCH, "999.99.99.H26")
