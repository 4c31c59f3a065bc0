"""Background work of the documents module (django-tasks): store-and-forward delivery of
edXML packages and of statuses through the exchange hub.

Tasks take ids and are idempotent. A delivery that fails for a reason that may pass (the
hub or the receiver unreachable, a 5xx) is tried again later with exponential backoff;
one the receiver refuses (4xx) is marked failed for the clerk to see and resend.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from thudo.documents import edxml
from thudo.documents.contracts import STATUS_CODES
from thudo.documents.models import Document, Recipient, TrailEvent
from thudo.exchange import facade as exchange
from thudo.signing import facade as signing

logger = logging.getLogger("thudo.documents")
PURPOSE = "Gửi, nhận văn bản điện tử giữa các cơ quan"


def _service() -> str:
    return f"{settings.DOCUMENTS_EXCHANGE_SYSTEM}/{settings.DOCUMENTS_EXCHANGE_SERVICE}"


def backoff(attempts: int) -> timedelta:
    """30 s, 1, 2, 4 … minutes, at most an hour."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


@task()
def deliver(recipient_id: int) -> str:
    recipient = Recipient.objects.select_related("document").filter(pk=recipient_id).first()
    if recipient is None or recipient.delivery == Recipient.Delivery.SENT:
        return "nothing to do"
    document = recipient.document
    try:
        answer = exchange.call(
            _service(),
            f"/packages?receiver={recipient.agency_code}",
            purpose=PURPOSE,
            method="POST",
            body=bytes(document.package_xml or b""),
            content_type="application/xml",
        )
        status, detail = answer.status, answer.body[:300].decode("utf-8", "replace")
    except exchange.ExchangeError as exc:
        status, detail = exc.status or 0, str(exc)[:300]
    with transaction.atomic():
        recipient = Recipient.objects.select_for_update().get(pk=recipient_id)
        if recipient.delivery == Recipient.Delivery.SENT:
            return "already sent"
        recipient.attempts += 1
        if status in (200, 201, 202):
            recipient.delivery = Recipient.Delivery.SENT
            recipient.last_error = ""
            recipient.next_attempt_at = None
            if not recipient.status_code:
                recipient.status_code, recipient.status_at = "01", timezone.now()
            recipient.save()
            TrailEvent.objects.create(
                document=document,
                action="delivered",
                status_code="",
                note=f"{recipient.agency_name} ({recipient.attempts})",
            )
            return "sent"
        retry = status == 0 or status >= 500 or status == 429
        recipient.last_error = f"{status}: {detail}"[:500]
        if retry and recipient.attempts < settings.DOCUMENTS_DELIVERY_ATTEMPTS:
            recipient.next_attempt_at = timezone.now() + backoff(recipient.attempts)
            recipient.save()
            run_after = recipient.next_attempt_at
            transaction.on_commit(lambda: deliver.using(run_after=run_after).enqueue(recipient_id))
            logger.info("delivery %s failed (%s); again at %s", recipient_id, status, run_after)
            return "retry"
        recipient.delivery = Recipient.Delivery.FAILED
        recipient.next_attempt_at = None
        recipient.save()
        TrailEvent.objects.create(
            document=document, action="delivery_failed", note=recipient.last_error
        )
        return "failed"


@task()
def send_status(document_id: int, code: str, note: str) -> str:
    """Tell the sender of an incoming document what happened to it (edXML status)."""
    document = Document.objects.select_related("agency").filter(pk=document_id).first()
    if document is None or not document.sender_code or code not in STATUS_CODES:
        return "nothing to do"
    message = edxml.build_status(
        edxml.StatusMessage(
            document_id=document.package_id,
            sender=edxml.Organ(document.agency.code, document.agency.name),
            receiver=edxml.Organ(document.sender_code, document.sender_name),
            status_code=code,
            description=note[:1000],
            timestamp=timezone.now(),
        )
    )
    if signing.seal_of(agency_code=document.agency.code) is None:
        # The sender accepts only sealed statuses; the clerk sees why none went.
        TrailEvent.objects.create(
            document=document, action="status_unsent", status_code=code, note="no seal"
        )
        return "no seal"
    message = signing.sign_xml(message, actor=None, agency_code=document.agency.code)
    try:
        answer = exchange.call(
            _service(),
            "/statuses",
            purpose=PURPOSE,
            method="POST",
            body=message,
            content_type="application/xml",
        )
        status = answer.status
    except exchange.ExchangeError as exc:
        status = exc.status or 0
    if status in (200, 201, 202):
        return "sent"
    if status == 0 or status >= 500 or status == 429:
        attempt = (
            TrailEvent.objects.filter(
                document=document, action="status_retry", status_code=code
            ).count()
            + 1
        )
        if attempt <= settings.DOCUMENTS_DELIVERY_ATTEMPTS:
            TrailEvent.objects.create(document=document, action="status_retry", status_code=code)
            send_status.using(run_after=timezone.now() + backoff(attempt)).enqueue(
                document_id, code, note
            )
            return "retry"
    logger.warning("status %s of document %s was refused (%s)", code, document_id, status)
    return "failed"
