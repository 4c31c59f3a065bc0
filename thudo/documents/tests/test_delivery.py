"""Store-and-forward delivery through the exchange hub (the hub faked): a package is sent
once, retried with exponential backoff while the hub or the receiver is unreachable, given
up on when the receiver refuses it or after DOCUMENTS_DELIVERY_ATTEMPTS, and sent again
when the clerk asks; statuses travel back the same way."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from thudo.core.errors import Conflict, PermissionDenied
from thudo.documents import edxml, services, tasks
from thudo.documents.models import Document, Recipient, TrailEvent
from thudo.documents.tests.core_factories import make_office, sealed_package
from thudo.exchange.contracts import ForwardedCall
from thudo.exchange.facade import ExchangeError, ExchangeResponse, forwarded_headers
from thudo.signing import facade as signing
from thudo.signing.tests.factories import pki

__all__ = ["pki"]  # fixtures

pytestmark = pytest.mark.django_db
PACKAGE = b"<?xml version='1.0' encoding='UTF-8'?><edXMLEnvelope/>"


class Hub:
    """The exchange hub as ``tasks`` sees it: answers given in turn, calls recorded."""

    def __init__(self, *answers: int | Exception, body: bytes = b'{"status": "01"}') -> None:
        self.answers = list(answers)
        self.body = body
        self.calls: list[dict[str, Any]] = []
        self.during: Any = None

    def __call__(self, service: str, path: str, **kwargs: Any) -> ExchangeResponse:
        self.calls.append({"service": service, "path": path, **kwargs})
        if self.during is not None:
            self.during()
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return ExchangeResponse(answer, {}, self.body, "req-1", "sig")


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Hub:
    fake = Hub()
    monkeypatch.setattr("thudo.documents.tasks.exchange.call", fake)
    return fake


def issued_to(city: Any, *codes: str) -> Document:
    document = Document.objects.create(
        agency=city.commune_a,
        direction="out",
        type_code="QD",
        summary="Về việc kiện toàn Tổ công tác",
        status="issued",
        number=1,
        year=2026,
        notation="01/QĐ-UBND",
        package_id="pkg-0001",
        package_xml=PACKAGE,
    )
    names = {city.commune_b.code: city.commune_b.name, city.justice.code: city.justice.name}
    for code in codes or (city.commune_b.code,):
        Recipient.objects.create(document=document, agency_code=code, agency_name=names[code])
    return document


def deliveries() -> list[tuple[list[Any], Any]]:
    return [
        (r.args_kwargs["args"], r.task_result.task.run_after)
        for r in DBTaskResult.objects.filter(task_path="thudo.documents.tasks.deliver").order_by(
            "enqueued_at"
        )
    ]


def row(recipient: Recipient) -> tuple[Any, ...]:
    recipient.refresh_from_db()
    return (recipient.delivery, recipient.attempts, recipient.last_error, recipient.status_code)


@pytest.mark.parametrize("status", [200, 201, 202])
def test_a_delivered_package_is_marked_sent(city: Any, hub: Hub, status: int) -> None:
    document = issued_to(city)
    recipient = document.recipients.get()
    hub.answers = [status]
    assert tasks.deliver.call(recipient.pk) == "sent"
    assert row(recipient) == ("sent", 1, "", "01")
    assert recipient.next_attempt_at is None
    assert recipient.status_at is not None
    assert abs(recipient.status_at - timezone.now()) < timedelta(seconds=10)
    assert hub.calls == [
        {
            "service": "VN/GOV/000.00.00.H26/QLVB/van-ban-dien-tu",
            "path": f"/packages?receiver={city.commune_b.code}",
            "purpose": tasks.PURPOSE,
            "method": "POST",
            "body": PACKAGE,
            "content_type": "application/xml",
        }
    ]
    event = TrailEvent.objects.get(document=document)
    assert (event.action, event.note) == ("delivered", f"{city.commune_b.name} (1)")
    assert deliveries() == []


def test_a_status_that_came_back_first_is_kept(city: Any, hub: Hub) -> None:
    recipient = issued_to(city).recipients.get()
    Recipient.objects.filter(pk=recipient.pk).update(status_code="03")
    hub.answers = [202]
    assert tasks.deliver.call(recipient.pk) == "sent"
    assert row(recipient) == ("sent", 1, "", "03")


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (ExchangeError("the hub cannot be reached"), "0: the hub cannot be reached"),
        (ExchangeError("upstream unavailable", status=503), "503: upstream unavailable"),
        (503, '503: {"status": "01"}'),
        (500, '500: {"status": "01"}'),
        (429, '429: {"status": "01"}'),
    ],
)
def test_a_failure_that_may_pass_is_retried_after_30_seconds(
    city: Any, hub: Hub, django_capture_on_commit_callbacks: Any, answer: Any, error: str
) -> None:
    recipient = issued_to(city).recipients.get()
    hub.answers = [answer]
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.deliver.call(recipient.pk) == "retry"
    after = timezone.now()
    assert row(recipient) == ("pending", 1, error, "")
    assert recipient.next_attempt_at is not None
    assert before + timedelta(seconds=30) <= recipient.next_attempt_at
    assert recipient.next_attempt_at <= after + timedelta(seconds=30)
    assert deliveries() == [([recipient.pk], recipient.next_attempt_at)]
    assert not TrailEvent.objects.exists()


def test_the_retry_is_queued_only_when_the_attempt_is_committed(
    city: Any, hub: Hub, django_capture_on_commit_callbacks: Any
) -> None:
    recipient = issued_to(city).recipients.get()
    hub.answers = [503]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert tasks.deliver.call(recipient.pk) == "retry"
    assert len(callbacks) == 1
    assert deliveries() == []


def test_each_retry_waits_twice_as_long(
    city: Any, hub: Hub, django_capture_on_commit_callbacks: Any
) -> None:
    recipient = issued_to(city).recipients.get()
    hub.answers = [503, 503, 503]
    waits = []
    for _attempt in range(3):
        before = timezone.now()
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.deliver.call(recipient.pk) == "retry"
        recipient.refresh_from_db()
        assert recipient.next_attempt_at is not None
        waits.append(round((recipient.next_attempt_at - before).total_seconds()))
    assert waits == [30, 60, 120]
    assert recipient.attempts == 3
    assert [run_after for _args, run_after in deliveries()][-1] == recipient.next_attempt_at
    assert len(deliveries()) == 3


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413, 422])
def test_a_refusal_by_the_receiver_is_final(
    city: Any, hub: Hub, django_capture_on_commit_callbacks: Any, status: int
) -> None:
    document = issued_to(city)
    recipient = document.recipients.get()
    hub.answers = [status]
    hub.body = b'{"code": "package_refused"}'
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.deliver.call(recipient.pk) == "failed"
    assert row(recipient) == ("failed", 1, f'{status}: {{"code": "package_refused"}}', "")
    assert recipient.next_attempt_at is None
    assert deliveries() == []
    event = TrailEvent.objects.get(document=document)
    assert (event.action, event.note) == ("delivery_failed", recipient.last_error)


def test_after_the_last_attempt_delivery_has_failed(
    city: Any, hub: Hub, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.DOCUMENTS_DELIVERY_ATTEMPTS = 3
    recipient = issued_to(city).recipients.get()
    hub.answers = [ExchangeError("down"), 503, ExchangeError("down", status=502)]
    with django_capture_on_commit_callbacks(execute=True):
        results = [tasks.deliver.call(recipient.pk) for _ in range(3)]
    assert results == ["retry", "retry", "failed"]
    assert row(recipient) == ("failed", 3, "502: down", "")
    assert recipient.next_attempt_at is None
    assert len(deliveries()) == 2


def test_the_default_is_twelve_attempts(city: Any, hub: Hub) -> None:
    assert settings.DOCUMENTS_DELIVERY_ATTEMPTS == 12
    recipient = issued_to(city).recipients.get()
    Recipient.objects.filter(pk=recipient.pk).update(attempts=10)
    hub.answers = [503, 503]
    assert tasks.deliver.call(recipient.pk) == "retry"
    assert tasks.deliver.call(recipient.pk) == "failed"
    assert row(recipient)[:2] == ("failed", 12)


def test_a_package_already_sent_is_not_sent_again(city: Any, hub: Hub) -> None:
    recipient = issued_to(city).recipients.get()
    Recipient.objects.filter(pk=recipient.pk).update(delivery="sent", attempts=1, status_code="03")
    assert tasks.deliver.call(recipient.pk) == "nothing to do"
    assert tasks.deliver.call(999_999) == "nothing to do"
    assert hub.calls == []
    assert row(recipient) == ("sent", 1, "", "03")
    assert not TrailEvent.objects.exists()


def test_a_delivery_that_crossed_another_one_changes_nothing(city: Any, hub: Hub) -> None:
    """Two workers ran the same delivery: the one that locks the row second finds it sent."""
    recipient = issued_to(city).recipients.get()
    hub.answers = [202]
    hub.during = lambda: Recipient.objects.filter(pk=recipient.pk).update(
        delivery="sent", attempts=1
    )
    assert tasks.deliver.call(recipient.pk) == "already sent"
    assert row(recipient) == ("sent", 1, "", "")
    assert not TrailEvent.objects.exists()


def test_backoff_doubles_from_30_seconds_up_to_an_hour() -> None:
    assert [tasks.backoff(n).total_seconds() for n in (0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 100)] == [
        30,
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
        3600,
    ]


def test_resend_queues_the_failed_recipients_only(
    city: Any, hub: Hub, django_capture_on_commit_callbacks: Any
) -> None:
    document = issued_to(city, city.commune_b.code, city.justice.code)
    failed, sent = document.recipients.order_by("pk")
    Recipient.objects.filter(pk=failed.pk).update(
        delivery="failed", attempts=12, last_error="503: down"
    )
    Recipient.objects.filter(pk=sent.pk).update(delivery="sent", attempts=2, status_code="06")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.document_resend(actor=city.clerk_a, document=document) == 1
    assert deliveries() == [([failed.pk], None)]
    assert row(failed) == ("pending", 0, "", "")
    assert row(sent) == ("sent", 2, "", "06")
    event = TrailEvent.objects.get(document=document)
    assert (event.action, event.note) == ("resend", "1")

    hub.answers = [202]
    assert tasks.deliver.call(failed.pk) == "sent"
    assert row(failed) == ("sent", 1, "", "01")

    with django_capture_on_commit_callbacks(execute=True):
        assert services.document_resend(actor=city.clerk_a, document=document) == 0
    assert len(deliveries()) == 1


def test_resend_is_for_the_clerk_of_an_issued_document(city: Any) -> None:
    document = issued_to(city)
    Recipient.objects.filter(document=document).update(delivery="failed")
    with pytest.raises(PermissionDenied):
        services.document_resend(actor=city.clerk_b, document=document)
    Document.objects.filter(pk=document.pk).update(status="signed")
    with pytest.raises(Conflict):
        services.document_resend(actor=city.clerk_a, document=document)
    assert list(Recipient.objects.values_list("delivery", flat=True)) == ["failed"]
    assert deliveries() == []


# --- statuses back to the sender ----------------------------------------------------------------


def incoming(city: Any, **changes: Any) -> Document:
    values: dict[str, Any] = {
        "agency": city.commune_b,
        "direction": "in",
        "type_code": "QD",
        "summary": "Về việc kiện toàn Tổ công tác",
        "status": "registered",
        "sender_code": city.commune_a.code,
        "sender_name": city.commune_a.name,
        "package_id": "pkg-0001",
    }
    values.update(changes)
    return Document.objects.create(**values)


def status_tasks() -> list[tuple[list[Any], Any]]:
    return [
        (r.args_kwargs["args"], r.task_result.task.run_after)
        for r in DBTaskResult.objects.filter(
            task_path="thudo.documents.tasks.send_status"
        ).order_by("enqueued_at")
    ]


def test_a_status_is_sent_to_the_documents_sender(city: Any, hub: Hub, pki: None) -> None:
    signing.provision_seal(agency_code=city.commune_b.code)
    document = incoming(city)
    hub.answers = [202]
    assert tasks.send_status.call(document.pk, "03", "Số đến: 1") == "sent"
    (call,) = hub.calls
    assert (call["path"], call["method"], call["content_type"]) == (
        "/statuses",
        "POST",
        "application/xml",
    )
    message = edxml.parse_status(call["body"])
    assert (message.document_id, message.status_code, message.description) == (
        "pkg-0001",
        "03",
        "Số đến: 1",
    )
    assert (message.sender.code, message.receiver.code) == (
        city.commune_b.code,
        city.commune_a.code,
    )
    assert signing.verify_xml(call["body"]).valid
    assert status_tasks() == []


def test_without_a_seal_no_status_leaves(city: Any, hub: Hub) -> None:
    # The sender accepts only sealed statuses: an agency without a seal sends none.
    document = incoming(city)
    assert tasks.send_status.call(document.pk, "03", "") == "no seal"
    assert hub.calls == []
    assert list(TrailEvent.objects.values_list("action", "status_code", "note")) == [
        ("status_unsent", "03", "no seal")
    ]


def test_a_status_is_retried_with_backoff_then_given_up(
    city: Any, hub: Hub, settings: Any, pki: None
) -> None:
    settings.DOCUMENTS_DELIVERY_ATTEMPTS = 2
    signing.provision_seal(agency_code=city.commune_b.code)
    document = incoming(city)
    hub.answers = [ExchangeError("down"), 503, 503]
    before = timezone.now()
    assert tasks.send_status.call(document.pk, "04", "") == "retry"
    assert tasks.send_status.call(document.pk, "04", "") == "retry"
    assert tasks.send_status.call(document.pk, "04", "") == "failed"
    after = timezone.now()
    queued = status_tasks()
    assert [args for args, _at in queued] == [[document.pk, "04", ""], [document.pk, "04", ""]]
    first, second = (at for _args, at in queued)
    assert before + timedelta(seconds=30) <= first <= after + timedelta(seconds=30)
    assert before + timedelta(seconds=60) <= second <= after + timedelta(seconds=60)
    assert list(TrailEvent.objects.values_list("action", "status_code")) == [
        ("status_retry", "04"),
        ("status_retry", "04"),
    ]


def test_a_refused_status_is_not_retried(city: Any, hub: Hub, pki: None) -> None:
    signing.provision_seal(agency_code=city.commune_b.code)
    document = incoming(city)
    hub.answers = [404]
    assert tasks.send_status.call(document.pk, "06", "Xong") == "failed"
    assert status_tasks() == []


def test_a_status_with_nowhere_to_go_is_not_sent(city: Any, hub: Hub) -> None:
    local = incoming(city, sender_code="", package_id="")
    assert tasks.send_status.call(local.pk, "03", "") == "nothing to do"
    assert tasks.send_status.call(incoming(city, package_id="p2").pk, "99", "") == "nothing to do"
    assert tasks.send_status.call(999_999, "03", "") == "nothing to do"
    assert hub.calls == []


def test_a_status_is_sealed_when_the_receiver_has_a_seal(city: Any, hub: Hub, pki: None) -> None:
    signing.provision_seal(agency_code=city.commune_b.code)
    document = incoming(city)
    hub.answers = [202]
    assert tasks.send_status.call(document.pk, "06", "Đã hoàn thành") == "sent"
    body = hub.calls[0]["body"]
    report = signing.verify_xml(body)
    assert (report.valid, report.trusted) == (True, True)
    assert report.organization_identifier == f"VN-{city.commune_b.code}"
    assert edxml.parse_status(body).description == "Đã hoàn thành"


# --- the receiving end: the exchange-facing endpoint ----------------------------------------------


def _hub_headers() -> dict[str, str]:
    return forwarded_headers(
        ForwardedCall(
            request_id="req-0001",
            consumer="VN/GOV/000.00.00.H26/THUDO",
            consumer_agency="000.00.00.H26",
            provider=settings.DOCUMENTS_EXCHANGE_SYSTEM,
            service=settings.DOCUMENTS_EXCHANGE_SERVICE,
            purpose=tasks.PURPOSE,
            data_subject="",
        )
    )


def test_the_inbox_takes_a_package_larger_than_a_form(city: Any, pki: None) -> None:
    """Django caps request bodies at 2.5 MB for forms; a package with its attachments is
    read up to edXML's own limit."""
    office = make_office(city)
    attachment = edxml.AttachedFile("ban-do.png", "image/png", bytes(range(256)) * 12_000)
    xml = sealed_package(office, attachments=(attachment,))
    assert len(xml) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    url = f"/documents/exchange/v1/packages?receiver={city.commune_b.code}"
    client = Client(raise_request_exception=False)
    answer = client.post(url, data=xml, content_type="application/xml", headers=_hub_headers())
    assert answer.status_code == 202, answer.content[:300]
    assert answer.json() == {"status": "01", "created": True, "receiver": city.commune_b.code}
    document = Document.objects.get(agency=city.commune_b, direction="in")
    assert list(document.attachments.values_list("name", "size")) == [("ban-do.png", 3_072_000)]

    too_big = client.post(
        url,
        data=b"<x/>",
        content_type="application/xml",
        headers=_hub_headers(),
        CONTENT_LENGTH=str(edxml.MAX_BYTES + 1),
    )
    assert (too_big.status_code, too_big.json()["code"]) == (413, "payload_too_large")
    assert Document.objects.filter(direction="in").count() == 1
