"""The SQL that datastore_search_sql accepts: read-only SELECTs over public datastore
tables, rewritten to the real table names; and the attacks it must refuse, each with
the rule it breaks."""

from __future__ import annotations

import random
import sqlite3

import pytest
import sqlglot
from sqlglot import exp

from thudo.opendata import sqlguard
from thudo.opendata.sqlguard import CheckedSql, SqlRejected

WARDS = "5b3b6d8a-2c5e-4c7f-9d38-3f0e2a1c9b11"  # stored under another name
BUDGET = "0f1e2d3c-4b5a-4968-8776-655443322110"  # stored under its own id, as CKAN does
REAL = {WARDS: "ds_5b3b6d8a", BUDGET: BUDGET}
DIALECTS = ("postgres", "sqlite")


def known(resource_id: str) -> str | None:
    return REAL.get(resource_id)


def check(sql: str, dialect: str = "postgres", **kwargs: int) -> CheckedSql:
    return sqlguard.check(sql, known=known, dialect=dialect, **kwargs)


def rejected(sql: str, dialect: str = "postgres", **kwargs: int) -> SqlRejected:
    with pytest.raises(SqlRejected) as caught:
        check(sql, dialect, **kwargs)
    assert str(caught.value) == caught.value.message
    return caught.value


# --------------------------------------------------------------------------- accepted

W, B = f'"{WARDS}"', f'"{BUDGET}"'

REWRITTEN = [
    (
        f'SELECT * FROM {W} WHERE "Năm" > 2020',
        f'SELECT * FROM "ds_5b3b6d8a" AS {W} WHERE "Năm" > 2020',
        f'SELECT * FROM "ds_5b3b6d8a" AS {W} WHERE "Năm" > 2020',
    ),
    (
        f'SELECT "Tên phường", "Dân số" FROM {B} ORDER BY "Dân số" DESC LIMIT 10',
        f'SELECT "Tên phường", "Dân số" FROM {B} ORDER BY "Dân số" DESC LIMIT 10',
        f'SELECT "Tên phường", "Dân số" FROM {B} ORDER BY "Dân số" DESC LIMIT 10',
    ),
    (
        # The id in any case; the name as written stays as the alias for qualified columns.
        f'SELECT "{WARDS.upper()}"."Dân số" FROM "{WARDS.upper()}"',
        f'SELECT "{WARDS.upper()}"."Dân số" FROM "ds_5b3b6d8a" AS "{WARDS.upper()}"',
        f'SELECT "{WARDS.upper()}"."Dân số" FROM "ds_5b3b6d8a" AS "{WARDS.upper()}"',
    ),
    (
        f"SELECT w.ten, b.tong FROM {W} AS w JOIN {B} b ON w.ma = b.ma",
        f'SELECT "w"."ten", "b"."tong" FROM "ds_5b3b6d8a" AS "w" JOIN {B} AS "b" '
        'ON "w"."ma" = "b"."ma"',
        f'SELECT "w"."ten", "b"."tong" FROM "ds_5b3b6d8a" AS "w" JOIN {B} AS "b" '
        'ON "w"."ma" = "b"."ma"',
    ),
    (
        f"WITH t AS (SELECT * FROM {W}) SELECT count(*) FROM t",
        f'WITH "_cte1" AS (SELECT * FROM "ds_5b3b6d8a" AS {W}) SELECT COUNT(*) FROM "_cte1" AS "t"',
        f'WITH "_cte1" AS (SELECT * FROM "ds_5b3b6d8a" AS {W}) SELECT COUNT(*) FROM "_cte1" AS "t"',
    ),
    (
        # Unquoted names fold the way each database folds them: PostgreSQL only A-Z.
        f"SELECT Nam, NĂM FROM {B}",
        f'SELECT "nam", "nĂm" FROM {B}',
        f'SELECT "Nam", "NĂM" FROM {B}',
    ),
    (
        # Unquoted, these are functions in PostgreSQL; quoted they are only names.
        f"SELECT user, current_role FROM {B}",
        f'SELECT "user", "current_role" FROM {B}',
        f'SELECT "user", "current_role" FROM {B}',
    ),
    (
        f"SELECT CAST(ngay AS timestamp), a::numeric, string_agg(ten, ', ') FROM {B}",
        f'SELECT CAST("ngay" AS TIMESTAMP), CAST("a" AS DECIMAL), STRING_AGG("ten", \', \') '
        f"FROM {B}",
        f'SELECT DATETIME("ngay"), CAST("a" AS REAL), GROUP_CONCAT("ten", \', \') FROM {B}',
    ),
    (
        f"SELECT 1 /* a comment */ FROM {B} -- another\n;",
        f"SELECT 1 FROM {B}",
        f"SELECT 1 FROM {B}",
    ),
    (
        f"SELECT * FROM {B} WHERE \"Tên\" = 'it''s; DROP TABLE x; --'",
        f"SELECT * FROM {B} WHERE \"Tên\" = 'it''s; DROP TABLE x; --'",
        f"SELECT * FROM {B} WHERE \"Tên\" = 'it''s; DROP TABLE x; --'",
    ),
    (
        "SELECT 1 UNION ALL SELECT 2",
        "SELECT 1 UNION ALL SELECT 2",
        "SELECT 1 UNION ALL SELECT 2",
    ),
]


@pytest.mark.parametrize(("sql", "postgres", "sqlite"), REWRITTEN)
def test_rewritten_sql(sql: str, postgres: str, sqlite: str) -> None:
    assert check(sql, "postgres").sql == postgres
    assert check(sql, "sqlite").sql == _back_quoted(sqlite)


def _back_quoted(sql: str) -> str:
    """SQLite output quotes names with back quotes (never read as string literals)."""
    parts = sql.split("'")
    return "'".join(p.replace('"', "`") if n % 2 == 0 else p for n, p in enumerate(parts))


def test_a_misspelt_column_is_an_error_on_sqlite_too() -> None:
    db = sqlite3.connect(":memory:")
    db.execute('CREATE TABLE "ds_5b3b6d8a" ("Quận" TEXT)')
    db.execute("INSERT INTO \"ds_5b3b6d8a\" VALUES ('Ba Đình')")
    checked = check(f"SELECT count(*) FROM {W} WHERE \"Quan\" = 'Quan'", "sqlite")
    with pytest.raises(sqlite3.OperationalError, match="no such column"):
        db.execute(checked.sql)


ACCEPTED = [
    (f"SELECT count(*), sum(a), avg(a), min(a), max(a) FROM {W}", (WARDS,)),
    (f"SELECT stddev(a), variance(a), count(DISTINCT b) FROM {W}", (WARDS,)),
    (f"SELECT quan, count(*) FROM {W} GROUP BY quan HAVING count(*) > 1 ORDER BY 2", (WARDS,)),
    (f"SELECT count(*) FILTER (WHERE dan_so > 1000) FROM {W}", (WARDS,)),
    (
        f"SELECT lower(a), upper(a), length(a), substr(a, 1, 2), substring(a, 1, 2) FROM {W}",
        (WARDS,),
    ),
    (f"SELECT trim(a), ltrim(a), rtrim(a), replace(a, 'x', 'y'), concat(a, b) FROM {W}", (WARDS,)),
    (f"SELECT abs(a), round(a, 2), floor(a), ceil(a), ceiling(a) FROM {W}", (WARDS,)),
    (f"SELECT coalesce(a, 0), nullif(a, 0), greatest(a, b), least(a, b) FROM {W}", (WARDS,)),
    (f"SELECT CASE WHEN a > 1 THEN 'lớn' ELSE 'nhỏ' END FROM {W}", (WARDS,)),
    (f"SELECT a || ' ' || b FROM {W} WHERE a LIKE 'Phường%' OR b ILIKE '%xá'", (WARDS,)),
    (f"SELECT * FROM {W} WHERE a BETWEEN 1 AND 2 AND b IS NOT NULL AND c IN (1, 2)", (WARDS,)),
    (f"SELECT CAST(a AS integer), CAST(b AS varchar(20)), CAST(c AS date) FROM {W}", (WARDS,)),
    (f"SELECT a::int, b::text, c::boolean, d::bigint, e::double precision FROM {W}", (WARDS,)),
    (f"SELECT row_number() OVER (PARTITION BY quan ORDER BY dan_so DESC) FROM {W}", (WARDS,)),
    (f"SELECT rank() OVER (ORDER BY a), count(*) OVER () FROM {W}", (WARDS,)),
    (f"SELECT * FROM {W} WHERE ma IN (SELECT ma FROM {B})", (WARDS, BUDGET)),
    (f"SELECT * FROM {W} w WHERE EXISTS (SELECT 1 FROM {B} b WHERE b.ma = w.ma)", (WARDS, BUDGET)),
    (f"SELECT * FROM (SELECT ma, ten FROM {W}) AS s WHERE s.ma > 3", (WARDS,)),
    (f"SELECT * FROM {W} LEFT JOIN {B} USING (ma) CROSS JOIN {W} AS w2", (WARDS, BUDGET)),
    (f"SELECT ma FROM {B} UNION SELECT ma FROM {W} INTERSECT SELECT ma FROM {B}", (BUDGET, WARDS)),
    (f"SELECT ma FROM {W} EXCEPT SELECT ma FROM {B}", (WARDS, BUDGET)),
    (f"(SELECT ma FROM {W}) UNION (SELECT ma FROM {B}) ORDER BY 1", (WARDS, BUDGET)),
    (f"SELECT * FROM {B} WHERE x IN (SELECT y FROM {W}) UNION SELECT * FROM {B}", (BUDGET, WARDS)),
    (f"WITH a AS (SELECT * FROM {W}), b AS (SELECT * FROM a) SELECT * FROM b", (WARDS,)),
    (
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) "
        "SELECT * FROM r",
        (),
    ),
    # A CTE named like a resource id shadows the table, as in the database itself.
    (f"WITH {W} AS (SELECT 1 AS x) SELECT * FROM {W}", ()),
    (f"SELECT * FROM {W} LIMIT 10 OFFSET 20", (WARDS,)),
    (f"SELECT DISTINCT quan FROM {W} ORDER BY quan NULLS LAST", (WARDS,)),
    (f"SELECT {W}.* FROM {W}", (WARDS,)),
    ("SELECT 1", ()),
]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(("sql", "tables"), ACCEPTED)
def test_accepted(sql: str, tables: tuple[str, ...], dialect: str) -> None:
    result = check(sql, dialect)

    assert result.tables == tables
    # The rewritten query passes the same checks against the real names, unchanged.
    real = {name.lower(): name for name in REAL.values()}
    again = sqlguard.check(result.sql, known=real.get, dialect=dialect)
    assert again.sql == result.sql


@pytest.mark.parametrize(
    ("sql", "dialect"),
    [
        (f"SELECT EXTRACT(year FROM ngay), date_trunc('month', ngay) FROM {W}", "postgres"),
        (f"SELECT DISTINCT ON (quan) quan, ten FROM {W}", "postgres"),
        (f"SELECT array_agg(ten), string_agg(ten, ',' ORDER BY ten) FROM {W}", "postgres"),
        (f"SELECT ngay + INTERVAL '1 day' FROM {W}", "postgres"),
        (f"SELECT strftime('%Y', ngay), date(ngay), group_concat(ten) FROM {W}", "sqlite"),
    ],
)
def test_dialect_specific_functions(sql: str, dialect: str) -> None:
    assert check(sql, dialect).tables == (WARDS,)


def test_tables_are_lower_case_ids_in_order_of_first_appearance() -> None:
    calls: list[str] = []

    def counting(resource_id: str) -> str | None:
        calls.append(resource_id)
        return REAL.get(resource_id)

    result = sqlguard.check(
        f'SELECT * FROM "{BUDGET.upper()}" JOIN {W} ON 1 = 1 WHERE x IN (SELECT y FROM {B})',
        known=counting,
        dialect="postgres",
    )

    assert result.tables == (BUDGET, WARDS)
    assert sorted(calls) == sorted({BUDGET, WARDS})  # each id looked up once, lower-case


def test_rewritten_sql_runs_on_sqlite() -> None:
    db = sqlite3.connect(":memory:")
    db.execute('CREATE TABLE "ds_5b3b6d8a" ("ma" INTEGER, "Tên phường" TEXT, "Dân số" INTEGER)')
    db.execute(f'CREATE TABLE "{BUDGET}" ("ma" INTEGER, "Năm" INTEGER, "Tổng" REAL)')
    db.executemany(
        'INSERT INTO "ds_5b3b6d8a" VALUES (?, ?, ?)',
        [(1, "Phúc Xá", 21700), (2, "Trúc Bạch", 9876), (3, "Liễu Giai", 20001)],
    )
    db.executemany(
        f'INSERT INTO "{BUDGET}" VALUES (?, ?, ?)', [(1, 2024, 1.5), (1, 2025, 2.5), (3, 2025, 4)]
    )

    def run(sql: str) -> list[tuple[object, ...]]:
        return db.execute(check(sql, "sqlite").sql).fetchall()

    upper = WARDS.upper()
    assert run(f'SELECT "{upper}"."Tên phường" FROM "{upper}" WHERE "Dân số" > 20000') == [
        ("Phúc Xá",),
        ("Liễu Giai",),
    ]
    assert run(
        f'SELECT w."Tên phường", sum(b."Tổng") FROM {W} w JOIN {B} b ON w.ma = b.ma '
        "GROUP BY 1 ORDER BY 1"
    ) == [("Liễu Giai", 4.0), ("Phúc Xá", 4.0)]
    assert run(f"WITH t AS (SELECT ma FROM {W} WHERE ma > 1) SELECT count(*) FROM t") == [(2,)]
    assert run(
        f'SELECT "Tên phường", rank() OVER (ORDER BY "Dân số" DESC) FROM {W} ORDER BY 2'
    ) == [("Phúc Xá", 1), ("Liễu Giai", 2), ("Trúc Bạch", 3)]
    assert run(f"SELECT group_concat(\"Năm\", ';') FROM {B} WHERE ma = 1") == [("2024;2025",)]
    assert run(f"SELECT ma FROM {W} EXCEPT SELECT ma FROM {B}") == [(2,)]
    assert run(
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) "
        "SELECT sum(n) FROM r"
    ) == [(6,)]


# --------------------------------------------------------------------------- rejected

ATTACKS = [
    # Statements other than SELECT.
    ("DROP TABLE core_user", "not_select"),
    (f"DELETE FROM {W}", "not_select"),
    (f"INSERT INTO {W} VALUES (1)", "not_select"),
    (f"UPDATE {W} SET a = 1", "not_select"),
    ("CREATE TABLE x (a int)", "not_select"),
    ("ALTER TABLE core_user ADD COLUMN x int", "not_select"),
    ("TRUNCATE core_user", "not_select"),
    (f"COPY {W} TO '/tmp/x'", "not_select"),
    ("COPY (SELECT 1) TO PROGRAM 'id'", "not_select"),
    ("GRANT ALL ON core_user TO public", "not_select"),
    ("SET statement_timeout = 0", "not_select"),
    ("SET TRANSACTION READ WRITE", "not_select"),
    ("PRAGMA table_info(core_user)", "not_select"),
    ("ATTACH DATABASE '/tmp/x.db' AS x", "not_select"),
    ("VACUUM", "not_select"),
    ("CALL do_something()", "not_select"),
    ("DO $$ BEGIN END $$", "not_select"),
    ("EXPLAIN ANALYZE SELECT 1", "not_select"),
    ("SHOW search_path", "not_select"),
    ("BEGIN", "not_select"),
    ("VALUES (1)", "not_select"),
    ("TABLE core_user", "not_select"),
    (f"WITH x AS (SELECT 1) DELETE FROM {W}", "not_select"),
    (f"SELECT * INTO stolen FROM {W}", "not_select"),
    (f"SELECT * FROM {W} FOR UPDATE", "not_select"),
    (f"SELECT * FROM {W} FOR SHARE", "not_select"),
    (f"WITH x AS (DELETE FROM {W} RETURNING *) SELECT * FROM x", "not_select"),
    (f"WITH x AS (INSERT INTO {W} VALUES (1) RETURNING *) SELECT * FROM x", "not_select"),
    (f"WITH x AS (UPDATE {W} SET a = 1 RETURNING *) SELECT * FROM x", "not_select"),
    # More than one statement, however the second is hidden.
    (f"SELECT * FROM {W}; DELETE FROM {W}", "multiple"),
    ("SELECT 1; -- x\nDROP TABLE y", "multiple"),
    ("SELECT 1; /* x */ DROP TABLE y", "multiple"),
    ("SELECT 1;SELECT 2", "multiple"),
    # Tables that are not public datastore tables.
    ("SELECT * FROM core_user", "table"),
    ('SELECT * FROM "core_user"', "table"),
    ("SELECT * FROM pg_catalog.pg_tables", "table"),
    ("SELECT * FROM pg_tables", "table"),
    ("SELECT * FROM pg_user", "table"),
    ("SELECT * FROM information_schema.tables", "table"),
    ("SELECT * FROM sqlite_master", "table"),
    ("SELECT * FROM main.sqlite_master", "table"),
    (f"SELECT * FROM public.{W}", "table"),
    ('SELECT * FROM "00000000-0000-0000-0000-000000000000"', "table"),
    (f"SELECT * FROM {W} UNION SELECT * FROM core_user", "table"),
    (f"SELECT * FROM {W} WHERE a = (SELECT password FROM core_user LIMIT 1)", "table"),
    ("SELECT 1 WHERE EXISTS (SELECT * FROM core_user)", "table"),
    ("WITH c AS (SELECT * FROM core_user) SELECT * FROM c", "table"),
    (f"SELECT pg_catalog.pg_tables.schemaname FROM {W}", "table"),
    # CTE scope: a CTE is visible only where the database would see it.
    ("SELECT * FROM (WITH core_user AS (SELECT 1) SELECT * FROM core_user) s, core_user", "table"),
    ("WITH a AS (SELECT * FROM core_user), core_user AS (SELECT 1) SELECT * FROM a", "table"),
    ("WITH core_user AS (SELECT * FROM core_user) SELECT * FROM core_user", "table"),
    # Functions not on the list, and functions used as tables.
    ("SELECT pg_sleep(10)", "function"),
    (f"SELECT * FROM {W} WHERE pg_sleep(10) IS NULL", "function"),
    ("SELECT pg_read_file('/etc/passwd')", "function"),
    ("SELECT lo_import('/etc/passwd')", "function"),
    ("SELECT current_setting('x')", "function"),
    ("SELECT set_config('statement_timeout', '0', false)", "function"),
    ("SELECT nextval('core_user_id_seq')", "function"),
    ("SELECT pg_terminate_backend(1)", "function"),
    ("SELECT query_to_xml('select * from core_user', true, true, '')", "function"),
    ("SELECT now()", "function"),
    ("SELECT current_user", "function"),
    ("SELECT version()", "function"),
    ("SELECT load_extension('/tmp/evil.so')", "function"),
    ("SELECT randomblob(1000000000)", "function"),
    ("SELECT writefile('/tmp/x', 'y')", "function"),
    (f"SELECT pg_catalog.lower(ten) FROM {W}", "function"),
    ("SELECT * FROM generate_series(1, 1e9)", "function"),
    ("SELECT * FROM dblink('host=x', 'select 1') AS t(a int)", "function"),
    ("SELECT * FROM pg_ls_dir('/')", "function"),
    ("SELECT * FROM read_csv('/etc/passwd')", "function"),
    ("SELECT * FROM pragma_table_info('core_user')", "function"),
    (f"SELECT 'core_user'::regclass FROM {W}", "function"),
    (f"SELECT CAST(ma AS oid) FROM {W}", "function"),
    # Malformed input sqlglot still parses, with a column where a table goes.
    ("SELECT * FROM SELECT public.core_user", "syntax"),
    # Constructs outside the allowed kinds.
    (f"SELECT * FROM {W} WHERE a = ?", "syntax"),
    (f"SELECT * FROM {W} TABLESAMPLE SYSTEM (10)", "syntax"),
    (f"SELECT * FROM {W} x, LATERAL (SELECT 1) y", "syntax"),
    # Not SQL at all.
    ("", "syntax"),
    ("   \n ", "syntax"),
    ("-- only a comment", "syntax"),
    ("SELECT", "syntax"),
    ("SELECT * FROM", "syntax"),
    (f"SELECT * FROM {W} WHERE", "syntax"),
    ("SELECT 1 \x00", "syntax"),
    ("SELECT " + "(" * 300 + "1" + ")" * 300, "syntax"),
]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(("sql", "code"), ATTACKS)
def test_rejected(sql: str, code: str, dialect: str) -> None:
    assert rejected(sql, dialect).code == code


@pytest.mark.parametrize(
    ("sql", "dialect", "code"),
    [
        (f"SELECT '1' = E'\\\\' FROM {W}", "postgres", "syntax"),
        (f"SELECT a[1] FROM {W}", "postgres", "syntax"),
        (f"SELECT (a).b FROM {W}", "postgres", "syntax"),
        (f"SELECT * FROM {W} WHERE a = $1", "postgres", "syntax"),
        ("SELECT * FROM unnest(ARRAY[1, 2])", "postgres", "function"),
        ("SELECT session_user", "postgres", "function"),
        ("SELECT * FROM (TABLE core_user) t", "postgres", "table"),
        (f"SELECT * FROM {W} WHERE ma IN (TABLE core_user)", "postgres", "table"),
        ("SELECT * FROM ROWS FROM (generate_series(1, 3))", "postgres", "syntax"),
        (f"SELECT ma FROM {W} AS x(ma, ten)", "sqlite", "syntax"),  # SQLite has no column list
        ("SELECT sqlite_version()", "sqlite", "function"),
        (f"SELECT * FROM {W} INDEXED BY idx", "sqlite", "table"),
        ("DETACH DATABASE x", "sqlite", "not_select"),
        # Dollar quotes hide the semicolon from PostgreSQL, not from SQLite.
        ("DO $$ BEGIN PERFORM pg_sleep(10); END $$", "postgres", "not_select"),
        ("DO $$ BEGIN PERFORM pg_sleep(10); END $$", "sqlite", "multiple"),
    ],
)
def test_rejected_in_one_dialect(sql: str, dialect: str, code: str) -> None:
    assert rejected(sql, dialect).code == code


def test_messages_name_what_was_refused() -> None:
    assert "pg_sleep" in rejected("SELECT pg_sleep(10)").message
    assert "'core_user'" in rejected("SELECT * FROM core_user").message
    assert "pg_catalog.pg_tables" in rejected("SELECT * FROM pg_catalog.pg_tables").message
    assert "GENERATE_SERIES" in rejected("SELECT * FROM generate_series(1, 2)").message
    assert "DELETE" in rejected(f"WITH x AS (DELETE FROM {W} RETURNING *) SELECT 1").message
    assert "2 câu lệnh" in rejected("SELECT 1; SELECT 2").message
    assert "INTO" in rejected(f"SELECT * INTO x FROM {W}").message
    assert "FOR UPDATE" in rejected(f"SELECT * FROM {W} FOR UPDATE").message
    assert "REGCLASS" in rejected(f"SELECT 'x'::regclass FROM {W}").message
    assert "dòng 1, cột 13" in rejected("SELECT * FROM").message


def test_random_token_soup_never_reaches_another_table() -> None:
    """Whatever the text, the query is refused or reads only the resolved tables."""
    pieces = [
        "SELECT", "*", "FROM", W, B, "core_user", "pg_tables", "WHERE", "a", "=", "1", "(",
        ")", ",", ";", "--", "/*", "*/", "'", '"', "UNION", "WITH", "RECURSIVE", "x", "AS",
        "JOIN", "ON", "pg_sleep(1)", "count(*)", "::", "regclass", "INTO", "FOR", "UPDATE",
        "DELETE", "RETURNING", "\n", "$$", "E'", "\\", "LIMIT", "lower(a)", "EXISTS",
        "IN", "NOT", "NULL", "||", "LATERAL", "t.a", "public.", "sqlite_master", "[", "]",
        "?", "$1", "`", "COPY", "SET", "TABLE", "VALUES", "(SELECT", "x AS (SELECT",
    ]  # fmt: skip
    rnd = random.Random(2025)
    real_names = {*REAL.values()}
    accepted = 0
    for _ in range(1500):
        words = [rnd.choice(pieces) for _ in range(rnd.randint(1, 10))]
        start = rnd.choice(["", "SELECT * FROM", f"SELECT a FROM {W}", f"SELECT * FROM {B} t"])
        sql = " ".join([start, *words])
        for dialect in DIALECTS:
            try:
                result = check(sql, dialect)
            except SqlRejected:
                continue
            accepted += 1
            assert set(result.tables) <= set(REAL)
            for statement in sqlglot.parse(result.sql, read=dialect):
                assert statement is not None
                for table in statement.find_all(exp.Table):
                    assert table.name in real_names or table.name.startswith("_cte"), sql
    assert accepted > 20


def test_length_limit() -> None:
    sql = f"SELECT * FROM {W} WHERE ten = '{'x' * 50}'"

    assert check(sql, max_length=len(sql)).tables == (WARDS,)
    error = rejected(sql, max_length=len(sql) - 1)
    assert error.code == "too_long"
    assert str(len(sql)) in error.message
    assert rejected("SELECT " + "1 + " * 3000 + "1").code == "too_long"


def test_unknown_dialect_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        sqlguard.check("SELECT 1", known=known, dialect="mysql")
