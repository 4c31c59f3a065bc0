"""A decision travels between two agencies through the exchange hub, end to end: drafted,
reviewed, signed by the leader (PAdES), numbered and sealed by the clerk, delivered as a
signed edXML package through the real gateway by the task worker, registered and handled
by the receiver, whose statuses travel back; delivered twice, it is registered once."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command

from thudo.core.models import Role
from thudo.core.tests.factories import official
from thudo.documents import services as documents
from thudo.documents.facade import exchange_provision
from thudo.documents.models import Document, InboundPackage, Recipient
from thudo.exchange import client
from thudo.exchange import facade as exchange
from thudo.exchange.tests.harness import platform_server
from thudo.signing import runtime
from thudo.signing import services as signing
from thudo.signing.facade import validate_pdf

PIN = "246813"


def work() -> None:
    """Run every task that is due (what `manage.py db_worker` does in the demo)."""
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO(), stderr=StringIO())


@pytest.fixture
def hub(live_city: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    settings.EXCHANGE_CONFIG_POLL_SECONDS = 0.05
    settings.EXCHANGE_RATE_PER_SECOND = 1000.0
    settings.EXCHANGE_RATE_BURST = 1000
    settings.REDIS_URL = ""
    cache.clear()
    monkeypatch.setattr(client, "_client", None)
    runtime.reset()
    signing.pki_bootstrap(actor=None)
    runtime.reset()
    city = live_city
    platform = exchange.system_provision(
        agency_code=city.city_pc.code, code="THUDO", name="Nền tảng Thủ Đô Số"
    )
    with platform_server() as (url, _gateway):
        settings.EXCHANGE_GATEWAY_URL = url
        settings.EXCHANGE_PLATFORM_SYSTEM = platform.system
        settings.EXCHANGE_PLATFORM_SECRET = platform.secret
        exchange_provision(base_url=url, agency_code=city.city_pc.code)
        yield {"url": url, "city": city}
    runtime.reset()
    cache.clear()


def _people(city: Any) -> dict[str, Any]:
    people = {
        "drafter": official(city.commune_a, role=Role.SPECIALIST, username="cv.a"),
        "leader": official(
            city.commune_a, role=Role.LEADER, username="ct.a", full_name="Đặng Thị Hương"
        ),
        "clerk": city.clerk_a,
        "clerk_b": city.clerk_b,
        "leader_b": official(city.commune_b, role=Role.LEADER, username="ct.b"),
        "handler_b": official(city.commune_b, role=Role.SPECIALIST, username="cv.b"),
    }
    city.commune_a.short_name = "UBND"
    city.commune_a.save()
    for agency in (city.commune_a, city.commune_b):
        signing.certificate_issue_seal(actor=None, agency=agency)
    people["certificate"] = signing.certificate_issue_official(
        actor=None, agency=city.commune_a, official=people["leader"], pin=PIN, title="Chủ tịch"
    )
    return people


@pytest.mark.django_db(transaction=True)
def test_a_decision_is_signed_sent_received_and_handled(hub: dict[str, Any], tmp_path: Any) -> None:
    city = hub["city"]
    p = _people(city)
    draft = documents.document_draft(
        actor=p["drafter"],
        agency=city.commune_a,
        data=documents.DraftInput(
            type_code="QD",
            summary="Về việc kiện toàn Tổ công tác chuyển đổi số cộng đồng",
            body="Căn cứ Luật Tổ chức chính quyền địa phương;\n\nĐiều 1. Kiện toàn Tổ công tác.",
            recipients=[city.commune_b.code],
            signer_authority="TM. Ủy ban nhân dân",
            signer_position="Chủ tịch",
            signer_id=p["leader"].pk,
        ),
    )
    documents.document_submit(actor=p["drafter"], document=draft)
    documents.document_review(actor=p["leader"], document=draft, approve=True)
    documents.document_sign(
        actor=p["leader"], document=draft, serial=p["certificate"].serial, pin=PIN
    )
    issued = documents.document_issue(actor=p["clerk"], document=draft)
    assert issued.status == "issued"
    assert (issued.number, issued.notation) == (1, "01/QĐ-UBND")

    # The issued PDF: the leader's signature and the agency's seal, both valid, the
    # number and date filled in between them — our validator and poppler's agree.
    pdf = bytes(issued.pdf or b"")
    report = validate_pdf(pdf)
    assert report.ok, report
    assert [s.signer for s in report.signatures] == ["Đặng Thị Hương", city.commune_a.name]
    path = tmp_path / "issued.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert "QUYẾT ĐỊNH" in text and "/QĐ-UBND" in text and "01" in text
    signatures = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert signatures.count("Signature is Valid.") == 2

    work()  # delivery through the gateway, then the receiver's 01 back to the sender
    work()
    recipient = Recipient.objects.get(document=issued)
    assert (recipient.delivery, recipient.attempts) == ("sent", 1)
    incoming = Document.objects.get(agency=city.commune_b, direction="in")
    assert (incoming.status, incoming.notation, incoming.sender_code) == (
        "received",
        "01/QĐ-UBND",
        city.commune_a.code,
    )
    assert incoming.pdf_sha256 == issued.pdf_sha256
    assert validate_pdf(bytes(incoming.pdf or b"")).ok
    assert [e.status_code for e in incoming.trail.exclude(status_code="")] == ["01"]

    # Delivered again (a retry after a lost answer): no second registration.
    Recipient.objects.filter(pk=recipient.pk).update(delivery="pending")
    from thudo.documents.tasks import deliver

    deliver.enqueue(recipient.pk)
    work()
    assert Document.objects.filter(agency=city.commune_b, direction="in").count() == 1
    assert InboundPackage.objects.filter(receiver_code=city.commune_b.code).count() == 1

    accepted = documents.incoming_accept(actor=p["clerk_b"], document=incoming)
    assert accepted.arrival_number == 1
    assignment = documents.incoming_assign(
        actor=p["leader_b"], document=incoming, assignee=p["handler_b"], working_days=5
    )
    documents.assignment_complete(
        actor=p["handler_b"], assignment=assignment, result="Đã kiện toàn tổ công tác."
    )
    work()
    recipient.refresh_from_db()
    assert recipient.status_code == "06"
    codes = [e.status_code for e in issued.trail.exclude(status_code="")]
    assert codes == ["01", "03", "04", "06"]
