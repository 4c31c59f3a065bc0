"""The datastore's mechanics: typed tables per tabular resource, loading, querying.

A resource's table is named after its id (``ds_<hex>``) and holds ``_id`` (the row number
CKAN clients page by), ``_full_text`` (the row's folded words, so ``q`` is
accent-insensitive on both databases) and one typed column per field. Loads write a new
table beside the old one and swap them in one transaction, so readers never see half a
load and a failed load leaves the previous data in place. The permission-checked entry
points are in ``services``; this module only does the work.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.utils import DatabaseError
from django.utils.translation import gettext as _

from thudo.core.errors import FieldError, InvalidInput, invalid
from thudo.opendata import search, tabular
from thudo.opendata.models import Datastore, Resource

SQL_TYPES = {
    "text": "TEXT",
    "int": "BIGINT",
    "numeric": "NUMERIC",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "bool": "BOOLEAN",
}
BATCH = 2000
MAX_LIMIT = 32000
DEFAULT_LIMIT = 100
ERRORS_KEPT = 1000


def quote(name: str) -> str:
    """Field names come from users' headers: quoted, with embedded quotes doubled."""
    return '"' + name.replace('"', '""') + '"'


def table_name(resource: Resource) -> str:
    return f"ds_{resource.pk.hex}"


def field_dicts(fields: Sequence[tabular.Field]) -> list[dict[str, str]]:
    return [{"id": f.id, "type": f.type, **({"label": f.label} if f.label else {})} for f in fields]


def fields_of(store: Datastore) -> list[tabular.Field]:
    return [tabular.Field(f["id"], f["type"], f.get("label", "")) for f in store.fields]


# --- DDL and writing --------------------------------------------------------------------------


def create_table(
    name: str, fields: Sequence[tabular.Field], primary_key: Sequence[str] = ()
) -> None:
    columns = [
        '"_id" INTEGER PRIMARY KEY'
        if connection.vendor == "sqlite"
        else '"_id" BIGSERIAL PRIMARY KEY'
    ]
    columns.append('"_full_text" TEXT')
    columns += [
        f"{quote(f.id)} {SQL_TYPES[f.type]}{' NOT NULL' if f.id in primary_key else ''}"
        for f in fields
    ]
    if primary_key:
        columns.append(f"UNIQUE ({', '.join(quote(k) for k in primary_key)})")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {quote(name)}")
        cursor.execute(f"CREATE TABLE {quote(name)} ({', '.join(columns)})")


def drop_table(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {quote(name)}")


def rename_table(old: str, new: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {quote(new)}")
        cursor.execute(f"ALTER TABLE {quote(old)} RENAME TO {quote(new)}")


def _db_value(value: Any) -> Any:
    if connection.vendor != "sqlite":
        return value
    # SQLite stores what it is given: ISO text sorts and compares like the dates it is.
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _full_text(values: Iterable[Any]) -> str:
    return search.words(" ".join(str(v) for v in values if v is not None and v != ""))


def insert_rows(name: str, fields: Sequence[tabular.Field], rows: Sequence[Sequence[Any]]) -> None:
    if not rows:
        return
    cols = ", ".join(['"_full_text"', *(quote(f.id) for f in fields)])
    marks = ", ".join(["%s"] * (len(fields) + 1))
    sql = f"INSERT INTO {quote(name)} ({cols}) VALUES ({marks})"  # noqa: S608 - quoted names
    with connection.cursor() as cursor:
        cursor.executemany(sql, [[_full_text(r), *(_db_value(v) for v in r)] for r in rows])


def update_row(
    name: str, fields: Sequence[tabular.Field], key: Sequence[str], row: Mapping[str, Any]
) -> int:
    sets = [f for f in fields if f.id in row and f.id not in key]
    where = " AND ".join(f"{quote(k)} = %s" for k in key)
    assignments = ", ".join([*(f"{quote(f.id)} = %s" for f in sets), '"_full_text" = %s'])
    sql = f"UPDATE {quote(name)} SET {assignments} WHERE {where}"  # noqa: S608 - quoted names
    params = [_db_value(row[f.id]) for f in sets]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT * FROM {quote(name)} WHERE {where}",  # noqa: S608 - quoted names
            [_db_value(row[k]) for k in key],
        )
        current = cursor.fetchone()
        if current is None:
            return 0
        names = [c[0] for c in cursor.description]
        merged = dict(zip(names, current, strict=True))
        merged.update({f.id: row[f.id] for f in sets})
        params.append(_full_text(merged.get(f.id) for f in fields))
        cursor.execute(sql, [*params, *(_db_value(row[k]) for k in key)])
        return cursor.rowcount


def coerce_records(
    fields: Sequence[tabular.Field], records: Any, *, partial: bool = False
) -> list[dict[str, Any]]:
    """JSON records of the API, all checked before any is written (all or nothing)."""
    if not isinstance(records, list):
        raise invalid("records", "invalid", _("records phải là một danh sách đối tượng."))
    by_id = {f.id: f for f in fields}
    errors: list[FieldError] = []
    clean: list[dict[str, Any]] = []
    for n, record in enumerate(records):
        if not isinstance(record, Mapping):
            errors.append(
                FieldError(
                    "records", "invalid", _("Bản ghi %(n)s không phải đối tượng.") % {"n": n}
                )
            )
            continue
        unknown = [k for k in record if k not in by_id]
        if unknown:
            errors.append(
                FieldError(
                    "records",
                    "unknown_field",
                    _("Bản ghi %(n)s: không có trường %(fields)s.")
                    % {"n": n, "fields": ", ".join(unknown)},
                )
            )
            continue
        row: dict[str, Any] = {}
        for field in fields:
            if field.id not in record:
                if not partial:
                    row[field.id] = None
                continue
            value = record[field.id]
            try:
                row[field.id] = json_value(value, field.type)
            except ValueError as exc:
                errors.append(
                    FieldError(
                        "records",
                        "invalid",
                        _("Bản ghi %(n)s, trường %(field)s: %(error)s")
                        % {"n": n, "field": field.id, "error": exc},
                    )
                )
        clean.append(row)
    if errors:
        raise InvalidInput(
            message=_("Có bản ghi không hợp lệ; không bản ghi nào được ghi."),
            field_errors=errors[:100],
        )
    return clean


def json_value(value: Any, type_: str) -> Any:
    """A JSON value for a typed column. JSON numbers are taken as numbers: read as text
    they would go through the Vietnamese reading of "1.234" (one thousand two hundred…)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return tabular.coerce("true" if value else "false", type_)
    if isinstance(value, int | float | Decimal) and type_ in {"int", "numeric"}:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if not number.is_finite():
            raise ValueError(_("'%(value)s' không phải số.") % {"value": value})
        if type_ == "int":
            if number != number.to_integral_value():
                raise ValueError(_("'%(value)s' không phải số nguyên") % {"value": value})
            return tabular.coerce(str(int(number)), "int")
        return number
    return tabular.coerce(str(value), type_)


# --- loading a file ---------------------------------------------------------------------------


def read(
    resource: Resource, *, overrides: Mapping[str, str] | None = None
) -> tuple[tabular.Table, list[tabular.Field]]:
    """The resource's table and its fields (inferred, then the overrides applied)."""
    with resource.file.open("rb") as handle:
        data = handle.read()
    table = tabular.read_table(data, format=resource.format, max_rows=settings.OPENDATA_MAX_ROWS)
    try:
        fields = tabular.infer_types(table, overrides=overrides)
    except ValueError as exc:
        raise tabular.TableError(str(exc), code="header") from None
    return table, fields


def load_rows(
    name: str,
    fields: Sequence[tabular.Field],
    rows: Sequence[tuple[int, list[Any]]],
    *,
    progress: Callable[[int], None] = lambda _n: None,
) -> None:
    """Writes the rows in batches into a new table ``name``, telling ``progress`` after
    each batch (committed, so the page shows how far it got)."""
    create_table(name, fields)
    for start in range(0, len(rows), BATCH):
        with transaction.atomic():
            insert_rows(name, fields, [r for _line, r in rows[start : start + BATCH]])
        progress(min(start + BATCH, len(rows)))


def error_dicts(errors: Sequence[tabular.RowError]) -> list[dict[str, Any]]:
    return [
        {"line": e.line, "column": e.column, "value": e.value[:200], "message": e.message}
        for e in errors[:ERRORS_KEPT]
    ]


# --- reading ------------------------------------------------------------------------------------


def _out(value: Any, type_: str) -> Any:
    if value is None:
        return None
    if type_ == "numeric":
        number = Decimal(str(value))
        return int(number) if number == number.to_integral_value() else float(number)
    if type_ == "int":
        return int(value)
    if type_ == "bool":
        return bool(value)
    if type_ in {"date", "timestamp"} and not isinstance(value, str):
        return value.isoformat()
    return value


def _split_list(value: Any, field: str) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise invalid(field, "invalid", _("%(field)s phải là danh sách tên trường.") % {"field": field})


def search_table(
    store: Datastore,
    *,
    filters: Any = None,
    q: Any = "",
    limit: Any = DEFAULT_LIMIT,
    offset: Any = 0,
    sort: Any = "",
    fields: Any = None,
    include_total: bool = True,
) -> dict[str, Any]:
    """CKAN's ``datastore_search`` over one table."""
    all_fields = fields_of(store)
    by_id = {f.id: f for f in all_fields}
    types = {"_id": "int", **{f.id: f.type for f in all_fields}}
    try:
        limit, offset = int(limit), int(offset)
    except (TypeError, ValueError):
        raise invalid("limit", "invalid", _("limit và offset phải là số nguyên.")) from None
    if not 0 <= limit <= MAX_LIMIT or offset < 0:
        raise invalid(
            "limit",
            "invalid",
            _("limit phải từ 0 đến %(max)s, offset không âm.") % {"max": MAX_LIMIT},
        )
    chosen = _split_list(fields, "fields") or ["_id", *by_id]
    unknown = [f for f in chosen if f not in types]
    if unknown:
        raise invalid(
            "fields", "invalid", _("Không có trường %(fields)s.") % {"fields": ", ".join(unknown)}
        )
    where: list[str] = []
    params: list[Any] = []
    if filters not in (None, "", {}):
        if not isinstance(filters, Mapping):
            raise invalid(
                "filters", "invalid", _("filters phải là một đối tượng {trường: giá trị}.")
            )
        for key, wanted in filters.items():
            if key not in types:
                raise invalid(
                    "filters", "invalid", _("Không có trường “%(field)s”.") % {"field": key}
                )
            values = wanted if isinstance(wanted, list) else [wanted]
            try:
                typed = [
                    _db_value(
                        tabular.coerce(
                            str(v).lower() if isinstance(v, bool) else str(v), types[key]
                        )
                    )
                    for v in values
                ]
            except ValueError as exc:
                raise invalid("filters", "invalid", f"{key}: {exc}") from None
            where.append(f"{quote(key)} IN ({', '.join(['%s'] * len(typed))})")
            params += typed
    if isinstance(q, Mapping):
        raise invalid("q", "invalid", _("q theo từng trường chưa được hỗ trợ; dùng filters."))
    for token in search.words(str(q or "")).split():
        where.append('"_full_text" LIKE %s')
        params.append(f"% {token} %")
    order: list[str] = []
    for part in (p.strip() for p in str(sort or "").split(",")):
        if not part:
            continue
        bits = part.rsplit(" ", 1)
        name = bits[0].strip().strip('"')
        direction = bits[1].lower() if len(bits) == 2 else "asc"
        if direction not in {"asc", "desc"}:
            name, direction = part.strip().strip('"'), "asc"
        if name not in types:
            raise invalid(
                "sort", "invalid", _("Không sắp xếp được theo “%(field)s”.") % {"field": name}
            )
        order.append(f"{quote(name)} {direction.upper()}")
    order.append('"_id" ASC')
    table = quote(store.table_name)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    cols = ", ".join(quote(c) for c in chosen)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {cols} FROM {table}{clause} ORDER BY {', '.join(order)} LIMIT %s OFFSET %s",  # noqa: S608
            [*params, limit, offset],
        )
        records = [
            {c: _out(v, types[c]) for c, v in zip(chosen, row, strict=True)}
            for row in cursor.fetchall()
        ]
        total = None
        if include_total:
            cursor.execute(f"SELECT count(*) FROM {table}{clause}", params)  # noqa: S608
            total = cursor.fetchone()[0]
    return {
        "resource_id": str(store.resource_id),
        "fields": [{"id": c, "type": types[c]} for c in chosen],
        "records": records,
        "total": total,
        "total_was_estimated": False,
        "limit": limit,
        "offset": offset,
        "include_total": include_total,
        "records_format": "objects",
        **({"filters": dict(filters)} if isinstance(filters, Mapping) and filters else {}),
        **({"q": q} if q else {}),
        **({"sort": sort} if sort else {}),
    }


@contextmanager
def _read_only(timeout_ms: int) -> Iterator[Any]:
    """One read-only query with a deadline: PostgreSQL's statement timeout in a READ ONLY
    transaction; SQLite's query_only pragma and a progress handler that interrupts."""
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION READ ONLY")
            cursor.execute(f"SET LOCAL statement_timeout = {int(timeout_ms)}")
            yield cursor
        return
    connection.ensure_connection()
    raw = connection.connection
    deadline = time.monotonic() + timeout_ms / 1000
    raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA query_only = ON")
        try:
            yield cursor
        finally:
            cursor.execute("PRAGMA query_only = OFF")
            raw.set_progress_handler(None, 0)


def search_sql(
    sql: Any, *, known: Callable[[str], str | None], limit: int = MAX_LIMIT
) -> dict[str, Any]:
    """CKAN's ``datastore_search_sql``: one checked SELECT over datastore tables."""
    from thudo.opendata import sqlguard

    if not isinstance(sql, str):
        raise invalid("sql", "invalid", _("Cần câu lệnh SQL."))
    try:
        checked = sqlguard.check(
            sql, known=known, dialect="postgres" if connection.vendor == "postgresql" else "sqlite"
        )
    except sqlguard.SqlRejected as exc:
        raise invalid("sql", "invalid", exc.message) from None
    try:
        with _read_only(settings.OPENDATA_SQL_TIMEOUT_MS) as cursor:
            cursor.execute(f"SELECT * FROM ({checked.sql}) AS q LIMIT {int(limit) + 1}")  # noqa: S608
            names = [c[0] for c in cursor.description]
            rows = cursor.fetchall()
    except OperationalError as exc:
        text = str(exc).lower()
        if "interrupt" in text or "timeout" in text or "cancel" in text:
            raise invalid(
                "sql",
                "invalid",
                _("Câu truy vấn chạy quá %(ms)s ms và đã bị dừng.")
                % {"ms": settings.OPENDATA_SQL_TIMEOUT_MS},
            ) from None
        raise invalid(
            "sql", "invalid", _("Câu truy vấn lỗi: %(error)s") % {"error": str(exc).splitlines()[0]}
        ) from None
    except DatabaseError as exc:
        raise invalid(
            "sql", "invalid", _("Câu truy vấn lỗi: %(error)s") % {"error": str(exc).splitlines()[0]}
        ) from None
    if len(rows) > limit:
        raise invalid("sql", "invalid", _("Kết quả quá %(max)s dòng; thêm LIMIT.") % {"max": limit})
    records = [{n: _json(v) for n, v in zip(names, row, strict=True)} for row in rows]
    return {
        "sql": sql,
        "records": records,
        "fields": [{"id": n, "type": _type_of(rows, i)} for i, n in enumerate(names)],
        "records_truncated": False,
    }


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _type_of(rows: Sequence[Sequence[Any]], index: int) -> str:
    for row in rows:
        value = row[index]
        if value is None:
            continue
        if isinstance(value, bool):
            return "bool"
        if isinstance(value, int):
            return "int"
        if isinstance(value, float | Decimal):
            return "numeric"
        if isinstance(value, dt.datetime):
            return "timestamp"
        if isinstance(value, dt.date):
            return "date"
        return "text"
    return "text"


def dump_csv(store: Datastore) -> Iterator[str]:
    """The table as CSV (UTF-8 with BOM, so Excel shows Vietnamese), streamed."""
    fields = fields_of(store)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff"
    writer.writerow(["_id", *(f.id for f in fields)])
    cols = ", ".join(['"_id"', *(quote(f.id) for f in fields)])
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT {cols} FROM {quote(store.table_name)} ORDER BY "_id"')  # noqa: S608
        while True:
            batch = cursor.fetchmany(BATCH)
            if not batch:
                break
            for row in batch:
                writer.writerow(
                    [
                        _out(v, t)
                        for v, t in zip(row, ["int", *(f.type for f in fields)], strict=True)
                    ]
                )
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
