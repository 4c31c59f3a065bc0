from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from thudo.core import audit
from thudo.core.models import AuditChainHead, AuditEvent


def _record(n: int, **extra: Any) -> list[AuditEvent]:
    events = []
    for i in range(n):
        with transaction.atomic():
            events.append(
                audit.record(
                    action="test.event",
                    object_type="test",
                    object_id=i,
                    payload={"i": i, "text": "Đường Hà Nội"},
                    **extra,
                )
            )
    return events


@pytest.mark.django_db
def test_events_are_chained_in_order() -> None:
    events = _record(3)
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == audit.GENESIS
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash
    head = AuditChainHead.objects.get(pk=audit.HEAD_ID)
    assert (head.seq, head.hash) == (3, events[2].hash)
    result = audit.verify()
    assert result.ok and result.checked == 3 and result.last_seq == 3


@pytest.mark.django_db
def test_stored_event_hash_recomputes_from_database_values() -> None:
    (event,) = _record(1, purpose="kiểm tra", data_subject="001090012345")
    stored = AuditEvent.objects.get(pk=event.pk)
    assert audit.compute_hash(audit.GENESIS, stored) == event.hash


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_is_refused() -> None:
    with pytest.raises(RuntimeError):
        audit.record(action="test.event")
    assert AuditEvent.objects.count() == 0


def _tamper(sql: str, params: list[Any]) -> None:
    """Change the table behind the platform's back (what an attacker with SQL would do)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Only a superuser can switch triggers off like this; the platform's role cannot.
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")


@pytest.mark.django_db
def test_changed_payload_is_named_as_first_broken_event() -> None:
    events = _record(4)
    _tamper("UPDATE core_auditevent SET object_id = %s WHERE seq = %s", ["99", 2])
    result = audit.verify()
    assert not result.ok
    assert result.broken is not None
    assert (result.broken.seq, result.broken.event_id) == (2, events[1].pk)
    assert result.broken.reason == "content does not match its hash"
    assert result.checked == 1


@pytest.mark.django_db
def test_deleted_event_in_the_middle_is_detected() -> None:
    _record(4)
    _tamper("DELETE FROM core_auditevent WHERE seq = %s", [3])
    result = audit.verify()
    assert result.broken is not None
    assert result.broken.seq == 3
    assert result.broken.reason == "event 3 is missing"


@pytest.mark.django_db
def test_deleted_last_event_is_detected_through_the_head() -> None:
    _record(3)
    _tamper("DELETE FROM core_auditevent WHERE seq = %s", [3])
    result = audit.verify()
    assert result.broken is not None and result.broken.seq == 3
    assert "chain head records event 3" in result.broken.reason


@pytest.mark.django_db
def test_verify_command_exit_status_and_message(capsys: pytest.CaptureFixture[str]) -> None:
    _record(2)
    call_command("audit", "verify")
    assert "2 events" in capsys.readouterr().out
    _tamper("UPDATE core_auditevent SET action = %s WHERE seq = %s", ["forged", 1])
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit", "verify")
    assert exit_info.value.code == 1
    assert "event 1" in capsys.readouterr().err


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL trigger")
def test_postgres_rejects_update_and_delete_of_audit_rows() -> None:
    (event,) = _record(1)
    for statement in (
        "UPDATE core_auditevent SET action = 'x' WHERE id = %s",
        "DELETE FROM core_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"
