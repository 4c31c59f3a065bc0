"""Audit log: append-only and hash-chained.

Every event's hash is SHA-256 over the previous event's hash and the event's canonical
JSON (sorted keys, no spaces, UTF-8), so changing, removing or reordering any event breaks
every later link. Writers lock the chain head (one row) so the chain stays linear under
concurrency; on PostgreSQL a trigger also rejects UPDATE and DELETE on the table.

Services call :func:`record` inside their own transaction, so an audit event exists
exactly when the change it describes was committed.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.db import transaction
from django.utils import timezone

from thudo.core import hashchain
from thudo.core.models import Agency, AuditChainHead, AuditEvent, User

GENESIS = hashchain.GENESIS
HEAD_ID = 1


@dataclass(frozen=True)
class RequestContext:
    ip: str | None = None
    request_id: str = ""


_request_context: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "thudo_audit_request",
    default=RequestContext(),  # noqa: B039 - immutable default
)


def set_request_context(ctx: RequestContext) -> contextvars.Token[RequestContext]:
    return _request_context.set(ctx)


def reset_request_context(token: contextvars.Token[RequestContext]) -> None:
    _request_context.reset(token)


def event_document(event: AuditEvent) -> dict[str, Any]:
    """The fields an event's hash covers."""
    return {
        "seq": event.seq,
        "occurred_at": hashchain.timestamp(event.occurred_at),
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "agency": event.agency_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "data_subject": event.data_subject,
        "purpose": event.purpose,
        "ip": event.ip,
        "request_id": event.request_id,
        "payload": event.payload,
    }


def compute_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashchain.link(prev_hash, event_document(event))


def record(
    *,
    action: str,
    actor: User | None = None,
    agency: Agency | None = None,
    object_type: str = "",
    object_id: object = "",
    data_subject: str = "",
    purpose: str = "",
    payload: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. Must run inside the transaction of the change it describes."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record must run inside the transaction of the change")
    ctx = _request_context.get()
    # Round-trip the payload through JSON so what is hashed is exactly what is stored.
    clean_payload = json.loads(hashchain.canonical(dict(payload or {})))
    head = AuditChainHead.objects.select_for_update().filter(pk=HEAD_ID).first()
    if head is None:
        # Seeded by migration; only an emptied database (test flushes) lacks it.
        head, _created = AuditChainHead.objects.get_or_create(
            pk=HEAD_ID, defaults={"seq": 0, "hash": GENESIS}
        )
    # Actors and agencies that exist only in memory (not saved) are not referenced.
    actor_saved = actor if actor is not None and actor.pk else None
    event = AuditEvent(
        seq=head.seq + 1,
        # Truncated to microseconds in UTC: what both databases store exactly.
        occurred_at=timezone.now().astimezone(UTC),
        actor=actor_saved,
        actor_label=actor.get_username() if actor is not None else "",
        agency=agency,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id != "" else "",
        data_subject=data_subject,
        purpose=purpose,
        ip=ctx.ip,
        request_id=ctx.request_id,
        payload=clean_payload,
        prev_hash=head.hash,
    )
    event.hash = compute_hash(head.hash, event)
    event.save(force_insert=True)
    AuditChainHead.objects.filter(pk=HEAD_ID).update(seq=event.seq, hash=event.hash)
    return event


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    event_id: int | None
    reason: str


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    last_seq: int
    broken: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def _walk(batch: int) -> Iterator[AuditEvent]:
    last = 0
    while True:
        chunk = list(AuditEvent.objects.filter(seq__gt=last).order_by("seq")[:batch])
        if not chunk:
            return
        yield from chunk
        last = chunk[-1].seq


def verify(*, batch: int = 5000) -> VerifyResult:
    """Walk the whole chain; report the first event whose link or content is wrong."""
    prev_hash = GENESIS
    expected_seq = 1
    checked = 0
    for event in _walk(batch):
        if event.seq != expected_seq:
            return VerifyResult(
                checked,
                expected_seq - 1,
                ChainBreak(expected_seq, None, f"event {expected_seq} is missing"),
            )
        if event.prev_hash != prev_hash:
            return VerifyResult(
                checked,
                event.seq - 1,
                ChainBreak(event.seq, event.pk, "link to the previous event does not match"),
            )
        if compute_hash(prev_hash, event) != event.hash:
            return VerifyResult(
                checked,
                event.seq - 1,
                ChainBreak(event.seq, event.pk, "content does not match its hash"),
            )
        prev_hash = event.hash
        expected_seq += 1
        checked += 1
    head = AuditChainHead.objects.filter(pk=HEAD_ID).first() or AuditChainHead(seq=0, hash=GENESIS)
    if head.seq != expected_seq - 1 or head.hash != prev_hash:
        return VerifyResult(
            checked,
            expected_seq - 1,
            ChainBreak(
                expected_seq,
                None,
                f"chain head records event {head.seq}; events after {expected_seq - 1} are missing",
            ),
        )
    return VerifyResult(checked, expected_seq - 1, None)
