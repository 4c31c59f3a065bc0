"""The message log: every exchange through the gateway, hash-chained, written by group
commit.

The gateway hands each entry to the writer and answers the consumer only when the
entry's batch has committed, so an answered exchange is always in the log (a crash loses
only exchanges nobody got an answer for). Whatever queues while a batch commits goes into
the next batch: under load batches grow and the cost per entry falls; when idle an entry
is written at once.

Chains: each writer appends to a chain of its own (``chain`` column, one head row per
chain). On PostgreSQL a writer owns its chain through a session advisory lock, so writers
of several gateway processes never wait for each other; the lock dies with the process,
and a restarted process takes the chain over where it stopped. Every chain is verified
from its first link to its head.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import queue
import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import close_old_connections, connection, transaction

from thudo.core import hashchain
from thudo.exchange.models import MessageLogEntry, MessageLogHead

logger = logging.getLogger(__name__)

DEFAULT_CHAIN = 1
MAX_CHAINS = 64
# Advisory-lock namespace of message-log chains (first key of the two-key form).
LOCK_CLASS = 0x7D0
FIELDS = (
    "occurred_at", "request_id", "consumer", "provider", "service", "method", "path",
    "operation", "purpose", "data_subject", "status", "outcome", "latency_us",
    "request_digest", "response_digest", "gateway",
)  # fmt: skip
TABLE = "exchange_messagelogentry"
COLUMNS = ("chain", "seq", *FIELDS, "prev_hash", "hash")
_NON_TEXT = {
    "chain": "smallint",
    "seq": "bigint",
    "occurred_at": "timestamptz",
    "status": "integer",
    "latency_us": "integer",
}
COLUMN_TYPES = tuple(_NON_TEXT.get(column, "varchar") for column in COLUMNS)
INSERT = (
    f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) "  # noqa: S608 - our own column names
    f"VALUES ({', '.join(['%s'] * len(COLUMNS))})"
)
HEAD_SELECT = "SELECT seq, hash FROM exchange_messageloghead WHERE id = %s"
HEAD_UPDATE = "UPDATE exchange_messageloghead SET seq = %s, hash = %s WHERE id = %s"
HEAD_CREATE = (
    "INSERT INTO exchange_messageloghead (id, seq, hash) VALUES (%s, 0, %s) "
    "ON CONFLICT (id) DO NOTHING"
)


@dataclass(frozen=True)
class Entry:
    """One exchange, as the gateway saw it."""

    occurred_at: datetime
    request_id: str
    consumer: str
    provider: str
    service: str
    method: str
    path: str
    operation: str
    purpose: str
    data_subject: str
    status: int
    outcome: str
    latency_us: int
    request_digest: str
    response_digest: str
    gateway: str


def document(chain_id: int, seq: int, values: Mapping[str, Any]) -> dict[str, Any]:
    """What an entry's hash covers."""
    doc = {name: values[name] for name in FIELDS}
    doc["occurred_at"] = hashchain.timestamp(values["occurred_at"])
    doc["chain"] = chain_id
    doc["seq"] = seq
    return doc


def link_rows(
    entries: list[Entry], chain_id: int, seq: int, prev: str
) -> tuple[list[tuple[Any, ...]], int, str]:
    """Rows for ``entries`` linked after (seq, prev) on a chain, and the new head."""
    rows = []
    for entry in entries:
        seq += 1
        values = {name: getattr(entry, name) for name in FIELDS}
        # Stored and hashed alike: UTC, microseconds.
        values["occurred_at"] = values["occurred_at"].astimezone(UTC)
        digest = hashchain.link(prev, document(chain_id, seq, values))
        rows.append((chain_id, seq, *(values[name] for name in FIELDS), prev, digest))
        prev = digest
    return rows, seq, prev


def write_batch(entries: list[Entry], *, chain_id: int = DEFAULT_CHAIN) -> list[int]:
    """Append entries to a chain in one transaction through Django's connection (every
    database; the head row is locked for the transaction). Returns their sequence numbers."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(HEAD_SELECT + lock, [chain_id])
        head = cursor.fetchone()
        if head is None:
            MessageLogHead.objects.create(pk=chain_id, seq=0, hash=hashchain.GENESIS)
            head = (0, hashchain.GENESIS)
        rows, seq, prev = link_rows(entries, chain_id, head[0], head[1])
        cursor.executemany(INSERT, rows)
        cursor.execute(HEAD_UPDATE, [seq, prev, chain_id])
    return list(range(head[0] + 1, seq + 1))


class LogWriter:
    """Writes through Django in a thread of its own: works on every database."""

    def __init__(self, *, max_batch: int = 1000, chain_id: int = DEFAULT_CHAIN) -> None:
        self.max_batch = max_batch
        self.chain_id = chain_id
        self.batches = 0
        self.written = 0
        self._queue: queue.SimpleQueue[tuple[Entry, Future[int]] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    async def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="message-log", daemon=True)
            self._thread.start()

    async def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            thread, self._thread = self._thread, None
            await asyncio.get_running_loop().run_in_executor(None, thread.join, 10.0)

    async def append(self, entry: Entry) -> int:
        """Queue an entry; returns its sequence number once its batch has committed."""
        future: Future[int] = Future()
        self._queue.put((entry, future))
        return await asyncio.wrap_future(future)

    def _drain(self, first: tuple[Entry, Future[int]]) -> Iterator[tuple[Entry, Future[int]]]:
        yield first
        for _ in range(self.max_batch - 1):
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is None:
                self._queue.put(None)
                return
            yield item

    def _run(self) -> None:
        try:
            while True:
                first = self._queue.get()
                if first is None:
                    return
                batch = list(self._drain(first))
                try:
                    close_old_connections()
                    seqs = write_batch([entry for entry, _ in batch], chain_id=self.chain_id)
                except Exception as exc:  # the database refused: nobody gets an answer
                    logger.exception("message log batch of %d failed", len(batch))
                    for _, future in batch:
                        future.set_exception(exc)
                    continue
                self.batches += 1
                self.written += len(batch)
                for (_, future), seq in zip(batch, seqs, strict=True):
                    future.set_result(seq)
        finally:
            connection.close()


class ChainBusy(Exception):
    """Every chain is owned by a live writer."""


def _batch_statement() -> str:
    # The batch travels as one JSON array of rows (positional): json.dumps is C code,
    # while binding one array per column goes through psycopg's Python dumpers.
    columns = ", ".join(f"(r.value->>{i})::{t}" for i, t in enumerate(COLUMN_TYPES))
    return (
        "WITH moved AS (UPDATE exchange_messageloghead SET seq = %s, hash = %s "  # noqa: S608
        "WHERE id = %s AND seq = %s AND hash = %s RETURNING id) "
        f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) SELECT {columns} "
        "FROM json_array_elements(%s::json) AS r WHERE EXISTS (SELECT 1 FROM moved)"
    )


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


# Our own table and column names only; the values travel as parameters.
_BATCH_STATEMENT = _batch_statement()


class AsyncPostgresLogWriter:
    """PostgreSQL: writes from the event loop with psycopg's async connection — no
    thread, and a whole batch (one JSON array of rows) in one autocommitted statement,
    i.e. one round trip, on a chain this writer owns."""

    STATEMENT = _BATCH_STATEMENT

    def __init__(self, *, max_batch: int = 2000) -> None:
        self.max_batch = max_batch
        self.batches = 0
        self.written = 0
        self.chain_id = 0
        self._queue: asyncio.Queue[tuple[Entry, asyncio.Future[int]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._conn: Any = None
        self._head: tuple[int, str] = (0, hashchain.GENESIS)

    async def _connect(self) -> None:
        """Connect, take a free chain and read its head."""
        import psycopg

        params = dict(connection.get_connection_params())
        params.pop("cursor_factory", None)
        params.pop("context", None)
        # Each statement commits by itself: durable on return.
        conn = await psycopg.AsyncConnection.connect(**params, autocommit=True)
        for chain_id in range(1, MAX_CHAINS + 1):
            row = await (
                await conn.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_CLASS, chain_id])
            ).fetchone()
            if row and row[0]:
                break
        else:
            await conn.close()
            raise ChainBusy()
        await conn.execute(HEAD_CREATE, [chain_id, hashchain.GENESIS])
        head = await (await conn.execute(HEAD_SELECT, [chain_id])).fetchone()
        assert head is not None  # created just above
        self._conn, self.chain_id, self._head = conn, chain_id, (int(head[0]), str(head[1]))

    async def start(self) -> None:
        if self._task is None:
            await self._connect()
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            while not self._queue.empty():
                await asyncio.sleep(0.01)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def append(self, entry: Entry) -> int:
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        await self._queue.put((entry, future))
        return await future

    async def _write(self, entries: list[Entry]) -> list[int]:
        if self._conn is None or self._conn.closed:
            await self._connect()
        seq0, hash0 = self._head
        rows, seq, prev = link_rows(entries, self.chain_id, seq0, hash0)
        batch = json.dumps(rows, default=_json_value, ensure_ascii=False)
        params = [seq, prev, self.chain_id, seq0, hash0, batch]
        cursor = await self._conn.execute(self.STATEMENT, params, prepare=True)
        if cursor.rowcount != len(rows):
            # Only possible if someone wrote our chain behind the lock's back.
            await self._conn.close()
            raise RuntimeError(f"message-log chain {self.chain_id} moved under its owner")
        self._head = (seq, prev)
        return list(range(seq0 + 1, seq + 1))

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                seqs = await self._write([entry for entry, _ in batch])
            except Exception as exc:  # the database refused: nobody gets an answer
                logger.exception("message log batch of %d failed", len(batch))
                if self._conn is not None:
                    with contextlib.suppress(Exception):
                        await self._conn.close()
                    self._conn = None
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            self.batches += 1
            self.written += len(batch)
            for (_, future), seq in zip(batch, seqs, strict=True):
                if not future.done():
                    future.set_result(seq)


def new_writer() -> LogWriter | AsyncPostgresLogWriter:
    """The fastest writer the database allows."""
    if connection.vendor == "postgresql":
        return AsyncPostgresLogWriter()
    return LogWriter()


@dataclass(frozen=True)
class LogBreak:
    chain: int
    seq: int
    reason: str


@dataclass(frozen=True)
class LogVerifyResult:
    checked: int
    chains: int
    broken: LogBreak | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def _verify_chain(
    chain_id: int, head: tuple[int, str] | None, batch: int
) -> tuple[int, LogBreak | None]:
    prev, expected, checked, last = hashchain.GENESIS, 1, 0, 0
    entries = MessageLogEntry.objects.filter(chain=chain_id).order_by("seq")
    while True:
        chunk = list(entries.filter(seq__gt=last).values()[:batch])
        if not chunk:
            break
        for row in chunk:
            if row["seq"] != expected:
                return checked, LogBreak(chain_id, expected, f"entry {expected} is missing")
            if row["prev_hash"] != prev:
                return checked, LogBreak(chain_id, row["seq"], "link to the previous entry broken")
            if hashchain.link(prev, document(chain_id, row["seq"], row)) != row["hash"]:
                return checked, LogBreak(chain_id, row["seq"], "content does not match its hash")
            prev, expected, checked = row["hash"], expected + 1, checked + 1
        last = chunk[-1]["seq"]
    if head is None or head != (expected - 1, prev):
        recorded = head[0] if head else "nothing"
        return checked, LogBreak(
            chain_id, expected, f"head records entry {recorded}; the chain ends at {expected - 1}"
        )
    return checked, None


def verify(*, batch: int = 10000) -> LogVerifyResult:
    """Walk every chain from its first link to its head; report the first break."""
    heads = {h.pk: (h.seq, h.hash) for h in MessageLogHead.objects.all()}
    used = set(MessageLogEntry.objects.values_list("chain", flat=True).distinct())
    checked = 0
    for chain_id in sorted(used | {c for c, (seq, _) in heads.items() if seq > 0}):
        count, broken = _verify_chain(chain_id, heads.get(chain_id), batch)
        checked += count
        if broken is not None:
            return LogVerifyResult(checked, len(used), broken)
    return LogVerifyResult(checked, len(used), None)
