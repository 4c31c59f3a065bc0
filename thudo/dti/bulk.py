"""Writing many rows of one table at once.

Django's ``bulk_update`` builds one ``CASE WHEN pk = … THEN …`` per field and row, whose
compilation costs more than the database's work at thousands of rows (a round of 126
wards has 5,922 scores). One parameterised ``UPDATE … WHERE pk = %s`` run with
``executemany`` does the same writes, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models


def update_rows(objs: Sequence[models.Model], fields: Sequence[str]) -> None:
    if not objs:
        return
    meta = objs[0]._meta
    columns: list[Any] = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(c.column)} = %s" for c in columns)
    key = quote(str(meta.pk.column if meta.pk is not None else "id"))
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {key} = %s"  # noqa: S608 - names from the model
    rows = [
        [c.get_db_prep_save(getattr(o, c.attname), connection) for c in columns] + [o.pk]
        for o in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
