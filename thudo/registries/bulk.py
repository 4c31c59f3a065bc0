"""Statements and text formats for loading generated rows in bulk.

Shared by ``services`` and the benchmark (``bench/population.py``), which must load the
very same rows the same way to compare with a plain COPY.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from psycopg import sql

from thudo.registries.generator import BUSINESS_COLUMNS, HOUSEHOLD_COLUMNS, PERSON_COLUMNS
from thudo.registries.models import Business, Household, Person

PEOPLE_TABLE = Person._meta.db_table
HOUSEHOLDS_TABLE = Household._meta.db_table
BUSINESSES_TABLE = Business._meta.db_table
TABLES = (PEOPLE_TABLE, HOUSEHOLDS_TABLE, BUSINESSES_TABLE)


class Statements(NamedTuple):
    """One statement per table, in the generator's column order."""

    people: str
    households: str
    businesses: str


def _columns(names: tuple[str, ...]) -> str:
    return ", ".join(f'"{name}"' for name in names)


def _copy(table: str, columns: tuple[str, ...]) -> str:
    return f'COPY "{table}" ({_columns(columns)}) FROM STDIN'


def copy_statements() -> Statements:
    """``COPY … FROM STDIN`` for each table."""
    return Statements(
        _copy(PEOPLE_TABLE, PERSON_COLUMNS),
        _copy(HOUSEHOLDS_TABLE, HOUSEHOLD_COLUMNS),
        _copy(BUSINESSES_TABLE, BUSINESS_COLUMNS),
    )


def _insert(table: str, columns: tuple[str, ...]) -> str:
    placeholders = ", ".join(["%s"] * len(columns))
    # Names come from the models and the generator, values are parameters.
    return f'INSERT INTO "{table}" ({_columns(columns)}) VALUES ({placeholders})'  # noqa: S608


def insert_statements() -> Statements:
    """Parametrised INSERTs for each table, for ``executemany``.

    People and businesses take one more parameter after the generator's columns,
    ``updated_at``: SQLite would stamp its own default in a text format other than
    Django's, and timestamps are compared as text there (use ``stamped``).
    """
    return Statements(
        _insert(PEOPLE_TABLE, (*PERSON_COLUMNS, "updated_at")),
        _insert(HOUSEHOLDS_TABLE, HOUSEHOLD_COLUMNS),
        _insert(BUSINESSES_TABLE, (*BUSINESS_COLUMNS, "updated_at")),
    )


def stamped(rows: list[tuple[str, ...]], updated_at: str) -> list[tuple[str, ...]]:
    """Rows with ``updated_at`` added, for the INSERTs of ``insert_statements``."""
    return [(*row, updated_at) for row in rows]


def copy_text(rows: list[tuple[str, ...]]) -> str:
    """Rows in COPY text format.

    No escaping: generated values never hold a tab, newline or backslash (names.py,
    business_data.py, and a test checks the tables).
    """
    return "\n".join(map("\t".join, rows)) + "\n" if rows else ""


@contextmanager
def postgresql_bulk_window(cursor: Any) -> Iterator[None]:
    """Load emptied tables the way PostgreSQL's manual advises ("Populating a Database").

    Inside the window the tables have no indexes, no primary keys and no foreign key
    between them; on leaving it the keys and indexes are built in one sorted pass each
    and the foreign key is added back, which checks every row in one join. Foreign keys
    to kernel tables stay, checked immediately: dropping them would lock the kernel table
    (AccessExclusive) until commit, and pending deferred checks would forbid building the
    indexes. Only for tables emptied in the same transaction, which already holds them
    exclusively; if anything fails, the rollback restores all.
    """
    tables = list(TABLES)
    cursor.execute(
        """
        SELECT c.relname, pg_get_indexdef(i.indexrelid)
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary AND NOT i.indisunique
        ORDER BY c.relname
        """,
        [tables],
    )
    indexes = cursor.fetchall()
    cursor.execute(
        """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype,
               confrelid = ANY(%s::regclass[])
        FROM pg_constraint
        WHERE contype IN ('p', 'f') AND conrelid = ANY(%s::regclass[])
        ORDER BY conname
        """,
        [tables, tables],
    )
    constraints = cursor.fetchall()
    # Primary keys are referenced only by the foreign key between people and households,
    # so they can go once it has gone; they come back first.
    keys = [(table, name, sql_) for table, name, sql_, kind, _own in constraints if kind == "p"]
    internal = [
        (table, name, sql_) for table, name, sql_, kind, own in constraints if kind == "f" and own
    ]
    external = [name for _t, name, _s, kind, own in constraints if kind == "f" and not own]
    if external:
        cursor.execute(
            sql.SQL("SET CONSTRAINTS {} IMMEDIATE").format(
                sql.SQL(", ").join(map(sql.Identifier, external))
            )
        )
    for table, name, _definition in [*internal, *keys]:
        cursor.execute(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                sql.Identifier(table), sql.Identifier(name)
            )
        )
    for name, _definition in indexes:
        cursor.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
    yield
    # Sorting for the index builds in memory rather than on disk, for this transaction.
    cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for table, name, definition in [*keys, *internal]:
        cursor.execute(
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(
                sql.Identifier(table), sql.Identifier(name)
            )
            + sql.SQL(definition)
        )
    for _name, definition in indexes:
        cursor.execute(definition)
    if external:
        cursor.execute(
            sql.SQL("SET CONSTRAINTS {} DEFERRED").format(
                sql.SQL(", ").join(map(sql.Identifier, external))
            )
        )
