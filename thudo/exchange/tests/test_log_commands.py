"""``thudo exchange log verify|partitions``: the operator's view of the message log."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from thudo.exchange import messagelog
from thudo.exchange.models import MessageLogEntry
from thudo.exchange.partitions import TABLE, month_start, partition_name

pytestmark = pytest.mark.django_db

START = datetime(2025, 8, 1, 9, 30, tzinfo=UTC)


def entry(n: int) -> messagelog.Entry:
    """An exchange as the gateway logs it."""
    return messagelog.Entry(
        occurred_at=START + timedelta(seconds=n),
        request_id=f"req-{n:08d}",
        consumer="VN/GOV/000.01.50.H26/MOTCUA",
        provider="VN/GOV/000.00.16.H26/HOTICH",
        service="hotich",
        method="GET",
        path=f"/people/00109001234{n % 10}",
        operation="/people/{id}",
        purpose="Giải quyết hồ sơ đăng ký khai sinh",
        data_subject=f"00109001234{n % 10}",
        status=200,
        outcome="ok",
        latency_us=1200 + n,
        request_digest="0" * 64,
        response_digest="f" * 64,
        gateway="gw-test",
    )


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("exchange", "log", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def tamperable() -> Iterator[None]:
    """On PostgreSQL the log refuses UPDATE and DELETE (a trigger); switched off here, inside
    the test's transaction, which rolls the switch back with everything else."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER exchange_messagelog_append_only")
    yield


def test_verify_reports_an_intact_log() -> None:
    assert messagelog.write_batch([entry(1), entry(2)]) == [1, 2]
    assert messagelog.write_batch([entry(3)]) == [3]
    assert messagelog.write_batch([entry(4), entry(5)], chain_id=2) == [1, 2]

    assert run("verify") == ("message log intact: 5 entries in 2 chain(s)\n", "")


def test_verify_of_an_empty_log() -> None:
    assert MessageLogEntry.objects.count() == 0
    assert run("verify") == ("message log intact: 0 entries in 0 chain(s)\n", "")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL trigger")
def test_the_append_only_trigger_is_what_the_tamper_tests_switch_off() -> None:
    messagelog.write_batch([entry(1)])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        MessageLogEntry.objects.filter(seq=1).update(purpose="khác")


@pytest.mark.usefixtures("tamperable")
@pytest.mark.parametrize(
    ("tamper", "seq", "reason", "intact"),
    [
        (
            lambda: MessageLogEntry.objects.filter(seq=3).update(purpose="Mục đích khác"),
            3,
            "content does not match its hash",
            2,
        ),
        (
            lambda: MessageLogEntry.objects.filter(seq=2).update(hash="a" * 64),
            2,
            "content does not match its hash",
            1,
        ),
        (
            lambda: MessageLogEntry.objects.filter(seq=3).delete(),
            3,
            "entry 3 is missing",
            2,
        ),
        (
            lambda: MessageLogEntry.objects.filter(seq=4).delete(),
            4,
            "head records entry 4; the chain ends at 3",
            3,
        ),
    ],
    ids=["content", "hash", "missing", "truncated"],
)
def test_verify_names_the_first_broken_entry(
    tamper: object, seq: int, reason: str, intact: int
) -> None:
    messagelog.write_batch([entry(n) for n in range(1, 5)])
    assert run("verify")[0] == "message log intact: 4 entries in 1 chain(s)\n"
    assert callable(tamper)
    tamper()

    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("exchange", "log", "verify", stdout=out, stderr=err)
    assert str(raised.value) == (
        f"message log broken at entry {seq} of chain 1: {reason}; "
        f"{intact} entries before it are intact"
    )
    assert raised.value.returncode == 1
    assert (out.getvalue(), err.getvalue()) == ("", "")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite has no partitions")
def test_partitions_on_sqlite_there_are_none() -> None:
    assert run("partitions") == ("the sqlite database has no partitions: nothing to do\n", "")
    assert run("partitions", "--months-ahead", "24") == (
        "the sqlite database has no partitions: nothing to do\n",
        "",
    )


def _partitions() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [TABLE],
        )
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL partitions")
def test_partitions_on_postgresql_are_created_ahead() -> None:
    today = date.today()
    months = [partition_name(month_start(today, offset)) for offset in range(-1, 15)]
    # The migration made one month back to twelve ahead (and the DEFAULT partition).
    assert _partitions() == {f"{TABLE}_default", *months[:14]}

    assert run("partitions") == ("nothing to create\n", "")
    assert run("partitions", "--months-ahead", "14") == (
        f"created {months[14]}\ncreated {months[15]}\n",
        "",
    )
    assert _partitions() == {f"{TABLE}_default", *months}
    assert run("partitions", "--months-ahead", "14") == ("nothing to create\n", "")

    # A row of a new month lands in its own partition, not in the default one.
    first_day = datetime.combine(month_start(today, 14), datetime.min.time(), UTC)
    messagelog.write_batch([replace(entry(1), occurred_at=first_day)])
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{months[15]}"')
        assert cursor.fetchone() == (1,)


def test_partitions_refuses_a_negative_number_of_months() -> None:
    with pytest.raises(CommandError, match="a number of months, 0 or more, not '-1'"):
        run("partitions", "--months-ahead", "-1")
