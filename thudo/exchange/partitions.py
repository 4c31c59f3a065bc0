"""Monthly partitions of the message log on PostgreSQL.

The table is declared ``PARTITION BY RANGE (occurred_at)`` with a DEFAULT partition, so
a row is never refused for want of a partition; monthly partitions are created ahead so
the default stays empty and old months can be detached or archived whole.
"""

from __future__ import annotations

from datetime import date
from typing import Any

TABLE = "exchange_messagelogentry"


def month_start(day: date, offset: int = 0) -> date:
    index = day.year * 12 + (day.month - 1) + offset
    return date(index // 12, index % 12 + 1, 1)


def partition_name(first_day: date) -> str:
    return f"{TABLE}_{first_day:%Y%m}"


def ensure_partitions(cursor: Any, *, around: date, before: int = 1, after: int = 12) -> list[str]:
    """Create the monthly partitions from ``before`` months before ``around`` to ``after``
    months after it (existing ones are left alone). Returns the names created."""
    created = []
    for offset in range(-before, after + 1):
        first = month_start(around, offset)
        name = partition_name(first)
        cursor.execute("SELECT to_regclass(%s)", [name])
        if cursor.fetchone()[0] is not None:
            continue
        cursor.execute(
            f'CREATE TABLE "{name}" PARTITION OF "{TABLE}" FOR VALUES FROM (%s) TO (%s)',
            [first.isoformat(), month_start(first, 1).isoformat()],
        )
        created.append(name)
    return created
