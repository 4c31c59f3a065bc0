"""Benchmark: analytics of the reporting module — roll-up, full rebuild, one update.

    .venv/bin/python bench/reporting.py                    # or: make bench-reporting

Against a fresh PostgreSQL database of its own (migrated), the workload of PERFORMANCE.md:
a city agency, districts below it and communes below those (5,000 by default), 200 data
elements (aggregation type sum), one monthly form assigned to every commune, and a value
for every commune × element × month of the year (12 M values), loaded with ``COPY``. Side
by side in one run:

1. roll-up by unit × element × quarter of every commune for the year's four quarters:
   ``analytics.element_values`` (the records fetched into Python, Decimals), against ONE
   hand-written ``SELECT unit_id, element_id, <quarter>, SUM(value) … GROUP BY 1, 2, 3``
   fetched the same way (``cursor.fetchall``); the two results are compared cell by cell.
   For information, ``analytics.query`` (the API's whole path, statuses included) for a
   dashboard (the city and the units right below it, 10 elements × 4 quarters) and for
   every commune × every element × 4 quarters.
2. full rebuild of the pre-aggregated totals, ``services.aggregates_rebuild``, against the
   same GROUP BY as a plain ``CREATE TABLE … AS SELECT``.
3. one value saved by an official of its commune (``services.value_save``) and read back
   in the city total (``analytics.query``), repeated; p50 and p95.

Generating and loading the data is timed and printed, never counted in the figures.
Results go to ``bench/results/reporting.json`` and the "Analytics" section of
docs/benchmarks.md. ``--quick`` runs tiny sizes (printed only, nothing written).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import math
import os
import pstats
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    fresh_database,
    load_average,
    machine,
    migrate,
    postgres_setting,
    write_section,
)

RESULTS = ROOT / "bench" / "results" / "reporting.json"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/thudo_bench_reporting"
TITLE = "Analytics"
INTRO = "# Benchmarks\n"
YEAR = 2026
TARGETS = {
    "rollup_seconds": 3.0,
    "rollup_ratio": 1.5,
    "rebuild_seconds": 60.0,
    "rebuild_ratio": 1.5,
    "update_seconds": 1.0,
}
ROOT_CODE = "000.00.00.H26"
FORM_CODE = "BC-BENCH"
DASHBOARD_ELEMENTS = 10
SCRATCH = "bench_rebuild"
QUARTERS = ("00", "25", "50", "75")
# Values are multiples of 0.25: exact in binary floating point too, so that SQLite's
# float SUM gives the same figures as PostgreSQL's numeric one (the smoke test compares
# them exactly).
VALUE_STEPS = 4_000_000
STAMP = "2026-12-01 00:00:00+00"


# --- the data ---------------------------------------------------------------------------------


@dataclass
class Setup:
    year: int
    months: int
    root_id: int
    root_code: str
    district_ids: list[int]
    commune_ids: list[int]
    element_ids: list[int]
    element_codes: list[str]
    form_id: int
    values: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def quarters(self) -> list[str]:
        return [f"{self.year}Q{q}" for q in range(1, 5)]


def agency_codes(districts: int, units: int) -> tuple[list[str], list[str]]:
    """Codes of Decision 20/2020's shape under the city's ``000.00.00.H26``."""
    from thudo.core.identifiers import check_agency_code

    district_codes = [f"000.{d:02d}.00.H26" for d in range(1, districts + 1)]
    commune_codes = [f"{n:04d}.{n * districts // units + 1:02d}.00.H26" for n in range(units)]
    for code in [ROOT_CODE, *district_codes, *commune_codes]:
        check_agency_code(code)
    return district_codes, commune_codes


def seed(*, units: int, elements: int, months: int, districts: int = 30, year: int = YEAR,
         seed_value: int = 26, fast: bool | None = None) -> Setup:  # fmt: skip
    """The agency tree, the elements, the form and every value; timings in ``.timings``."""
    from thudo.core.models import AdministrativeUnit, Agency
    from thudo.core.text import fold
    from thudo.reporting import hierarchy
    from thudo.reporting.models import DataElement, Form, Section, SectionElement

    if not 1 <= months <= 12:
        raise SystemExit("--months must be 1 to 12")
    districts = max(1, min(districts, units))
    started = time.perf_counter()
    province, _created = AdministrativeUnit.objects.get_or_create(
        code="99", valid_from="2025-07-01",
        defaults={"name": "Thành phố Thử Nghiệm", "kind": "central_city", "level": "province"},
    )  # fmt: skip
    district_codes, commune_codes = agency_codes(districts, units)

    def agency(code: str, name: str, kind: str, parent: Agency | None) -> Agency:
        return Agency(code=code, name=name, search_name=fold(name), kind=kind, parent=parent,
                      unit=province)  # fmt: skip

    root = Agency.objects.create(
        code=ROOT_CODE, name="Ủy ban nhân dân Thành phố Thử Nghiệm",
        kind=Agency.Kind.PROVINCIAL_COMMITTEE, unit=province,
    )  # fmt: skip
    tops = Agency.objects.bulk_create(
        [agency(code, f"Ủy ban nhân dân Quận {d + 1}", Agency.Kind.DISTRICT_COMMITTEE, root)
         for d, code in enumerate(district_codes)]
    )  # fmt: skip
    communes = Agency.objects.bulk_create(
        [agency(code, f"Ủy ban nhân dân Phường {n + 1}", Agency.Kind.COMMUNE_COMMITTEE,
                tops[n * districts // units])
         for n, code in enumerate(commune_codes)],
        batch_size=2000,
    )  # fmt: skip
    hierarchy.rebuild()
    created = DataElement.objects.bulk_create(
        [DataElement(code=f"CT{n:03d}", name=f"Chỉ tiêu thống kê số {n}", value_type="number",
                     aggregation_type="sum", unit_label="đơn vị")
         for n in range(1, elements + 1)]
    )  # fmt: skip
    form = Form.objects.create(code=FORM_CODE, name="Báo cáo thống kê hằng tháng (thử tải)",
                               period_type="monthly", recipient=root)  # fmt: skip
    through = Form.units.through
    through.objects.bulk_create(
        [through(form_id=form.pk, agency_id=c.pk) for c in communes], batch_size=5000
    )
    section = Section.objects.create(form=form, name="Chỉ tiêu", sort_order=1)
    SectionElement.objects.bulk_create(
        [SectionElement(section=section, element=e, sort_order=n) for n, e in enumerate(created)]
    )
    setup = Setup(
        year=year,
        months=months,
        root_id=root.pk,
        root_code=root.code,
        district_ids=[t.pk for t in tops],
        commune_ids=[c.pk for c in communes],
        element_ids=[e.pk for e in created],
        element_codes=[e.code for e in created],
        form_id=form.pk,
    )
    setup.timings["metadata_s"] = round(time.perf_counter() - started, 3)
    load_values(setup, seed_value=seed_value, fast=fast)
    return setup


def _blocks(setup: Setup, seed_value: int) -> Iterator[tuple[int, str, list[int]]]:
    """(element id, period, one value step per commune) for every element and month."""
    rng = random.Random(seed_value)
    draw = rng.randrange
    n = len(setup.commune_ids)
    for element_id in setup.element_ids:
        for month in range(1, setup.months + 1):
            yield element_id, f"{setup.year}M{month:02d}", [draw(VALUE_STEPS) for _ in range(n)]


def load_values(setup: Setup, *, seed_value: int = 26, fast: bool | None = None) -> None:
    """Every commune × element × month: COPY on PostgreSQL (indexes and constraints
    dropped and made again afterwards when ``fast``), bulk_create elsewhere; then
    VACUUM ANALYZE (plain ANALYZE inside a transaction)."""
    from django.db import connection

    from thudo.reporting.models import DataValue

    rows = len(setup.commune_ids) * len(setup.element_ids) * setup.months
    started = time.perf_counter()
    if connection.vendor != "postgresql":
        batch: list[DataValue] = []
        for element_id, period, steps in _blocks(setup, seed_value):
            batch.extend(
                DataValue(element_id=element_id, unit_id=unit_id, period=period,
                          value=Decimal(f"{q >> 2}.{QUARTERS[q & 3]}"), source="imported")
                for unit_id, q in zip(setup.commune_ids, steps, strict=True)
            )  # fmt: skip
            if len(batch) >= 5000:
                DataValue.objects.bulk_create(batch, batch_size=1000)
                batch = []
        DataValue.objects.bulk_create(batch, batch_size=1000)
        setup.values = rows
        setup.timings["values_load_s"] = round(time.perf_counter() - started, 3)
        return
    if fast is None:
        fast = rows >= 200_000 and not connection.in_atomic_block
    with connection.cursor() as cursor:
        dropped = _drop_indexes(cursor, DataValue._meta.db_table) if fast else ([], [])
        copy_sql = (
            f"COPY {DataValue._meta.db_table} (element_id, unit_id, period, disaggregation, "
            "value, comment, source, updated_at) FROM STDIN"
        )
        with cursor.cursor.copy(copy_sql) as copy:
            ids = [str(u) for u in setup.commune_ids]
            tail = f"\t\timported\t{STAMP}\n"
            for element_id, period, steps in _blocks(setup, seed_value):
                middle = f"\t{period}\t\t"
                copy.write(
                    "".join(
                        f"{element_id}\t{u}{middle}{q >> 2}.{QUARTERS[q & 3]}{tail}"
                        for u, q in zip(ids, steps, strict=True)
                    )
                )
        setup.timings["values_copy_s"] = round(time.perf_counter() - started, 3)
        if fast:
            began = time.perf_counter()
            _restore_indexes(cursor, DataValue._meta.db_table, dropped)
            setup.timings["indexes_and_keys_s"] = round(time.perf_counter() - began, 3)
        began = time.perf_counter()
        cursor.execute(
            f"ANALYZE {DataValue._meta.db_table}"
            if connection.in_atomic_block
            else f"VACUUM (ANALYZE) {DataValue._meta.db_table}"
        )
        setup.timings["vacuum_analyze_s"] = round(time.perf_counter() - began, 3)
    setup.values = rows


def _drop_indexes(cursor: Any, table: str) -> tuple[list[tuple[str, str]], list[str]]:
    """Drop the table's unique and foreign-key constraints and secondary indexes (the
    primary key stays); returns what ``_restore_indexes`` needs to make them again."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY contype DESC",
        [table],
    )
    constraints = [(name, definition) for name, definition in cursor.fetchall()]
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
        "AND schemaname = current_schema() AND indexname NOT IN "
        "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
        [table, table],
    )
    indexes = [(name, definition) for name, definition in cursor.fetchall()]
    for name, _definition in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    return constraints, [definition for _name, definition in indexes]


def _restore_indexes(cursor: Any, table: str,
                     dropped: tuple[list[tuple[str, str]], list[str]]) -> None:  # fmt: skip
    constraints, indexes = dropped
    cursor.execute("SET maintenance_work_mem = '512MB'")
    for definition in indexes:
        cursor.execute(definition)
    # Unique constraints first (their index), then the foreign keys, checked once each.
    for name, definition in sorted(constraints, key=lambda c: not c[1].startswith("UNIQUE")):
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    cursor.execute("RESET maintenance_work_mem")


# --- 1. the roll-up ---------------------------------------------------------------------------


def _quarter_sql(column: str = "period") -> str:
    """``2026M05`` → ``2026Q2`` in SQL that SQLite and PostgreSQL both run."""
    return (
        f"substr({column}, 1, 4) || 'Q' || "
        f"CAST((CAST(substr({column}, 6, 2) AS INTEGER) + 2) / 3 AS TEXT)"
    )


def baseline_sql() -> str:
    return (
        f"SELECT unit_id, element_id, {_quarter_sql()}, SUM(value) "
        "FROM reporting_datavalue WHERE period LIKE %s GROUP BY 1, 2, 3"
    )


def rollup_baseline(setup: Setup) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(baseline_sql(), [f"{setup.year}M%"])
        return cursor.fetchall()


def rollup_inputs(setup: Setup) -> tuple[list[Any], list[Any], list[Any]]:
    """What ``element_values`` is called with: elements, the four quarters, the communes."""
    from thudo.core.models import Agency
    from thudo.reporting import periods as pe
    from thudo.reporting.models import DataElement

    elements = list(DataElement.objects.filter(pk__in=setup.element_ids).order_by("pk"))
    units = list(Agency.objects.filter(pk__in=setup.commune_ids).order_by("pk"))
    return elements, [pe.parse(q) for q in setup.quarters], units


def rollup_ours(setup: Setup, inputs: tuple[list[Any], list[Any], list[Any]] | None = None,
                ) -> dict[tuple[int, int, str], Decimal]:  # fmt: skip
    from thudo.reporting import analytics

    elements, targets, units = inputs or rollup_inputs(setup)
    return analytics.element_values(elements, targets, units)


def _number(value: Any) -> Decimal:
    # SQLite sums decimals as floats: converted as analytics converts them.
    return value if isinstance(value, Decimal) else Decimal(str(value))


def compare(ours: dict[tuple[int, int, str], Decimal],
            baseline: list[tuple[Any, ...]]) -> dict[str, Any]:  # fmt: skip
    """Cell by cell: same cells, same numbers."""
    different = 0
    missing = 0
    for unit_id, element_id, quarter, total in baseline:
        mine = ours.get((element_id, unit_id, quarter))
        if mine is None:
            missing += 1
        elif mine != _number(total):
            different += 1
    extra = len(ours) - (len(baseline) - missing)
    return {
        "cells": len(baseline),
        "missing": missing,
        "different": different,
        "extra": extra,
        "identical": not (missing or different or extra),
    }


def _timed(work: Callable[[], Any]) -> float:
    """Seconds of ``work``, its result dropped and memory collected outside the timing."""
    gc.collect()
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    del result
    gc.collect()
    return seconds


def rollup(setup: Setup, *, runs: int) -> dict[str, Any]:
    """Ours against the baseline, interleaved, after one untimed pass of each (the table
    in the page cache, the results compared)."""
    inputs = rollup_inputs(setup)
    ours = rollup_ours(setup, inputs)
    base = rollup_baseline(setup)
    check = compare(ours, base)
    del ours, base
    samples: dict[str, list[float]] = {"ours": [], "baseline": []}
    for n in range(runs):
        order = ("ours", "baseline") if n % 2 == 0 else ("baseline", "ours")
        for name in order:
            work: Callable[[], Any] = (
                (lambda: rollup_ours(setup, inputs))
                if name == "ours"
                else (lambda: rollup_baseline(setup))
            )
            samples[name].append(round(_timed(work), 3))
    ours_s, base_s = statistics.median(samples["ours"]), statistics.median(samples["baseline"])
    return {
        "units": len(inputs[2]),
        "elements": len(inputs[0]),
        "quarters": len(inputs[1]),
        "ours_s": ours_s,
        "baseline_s": base_s,
        "ratio": round(ours_s / base_s, 3) if base_s else 0.0,
        "runs": samples,
        "check": check,
    }


def _ours_sql(setup: Setup, inputs: tuple[list[Any], list[Any], list[Any]]) -> str | None:
    """The statement ``element_values`` sent for the communes, as sent (PostgreSQL)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        result = rollup_ours(setup, inputs)
    del result
    sqls = [q["sql"] for q in captured.captured_queries if "reporting_datavalue" in q["sql"]]
    return max(sqls, key=len) if sqls else None


def rollup_breakdown(setup: Setup, *, profile: bool = False) -> dict[str, Any]:
    """Where the roll-up's time goes (PostgreSQL): the statement alone in the server
    (EXPLAIN ANALYZE's execution time, nothing sent), fetched into Python as Django
    fetches it (text results, psycopg making Decimals), with numerics left as text, with
    binary results, and ``element_values`` fed the fetched rows (its Python alone)."""
    from django.db import connection

    from thudo.reporting import analytics

    if connection.vendor != "postgresql":
        return {}
    inputs = rollup_inputs(setup)
    sql = _ours_sql(setup, inputs)
    if sql is None:
        return {}
    out: dict[str, Any] = {"rows": 0}
    for name, statement, params in (
        ("ours", sql, []),
        ("baseline", baseline_sql(), [f"{setup.year}M%"]),
    ):
        # Not ``count(*)`` over the statement: the planner drops the unused aggregates.
        plan = [row[0] for row in _run(f"EXPLAIN (ANALYZE, TIMING OFF, BUFFERS) {statement}",
                                       params, fetch=True)]  # fmt: skip
        out[f"{name}_plan"] = plan
        out[f"{name}_server_s"] = _execution_time(plan)
        out[f"{name}_fetch_s"] = _timed_run(statement, params)
        out[f"{name}_fetch_numeric_as_text_s"] = _timed_run(statement, params, text=True)
        out[f"{name}_fetch_binary_s"] = _timed_run(statement, params, binary=True)
    rows = _run(sql, [], fetch=True)
    out["rows"] = len(rows)
    with mock.patch.object(analytics, "_fetch", lambda _sql, _params: rows):
        out["ours_python_s"] = round(_timed(lambda: rollup_ours(setup, inputs)), 3)
        if profile:
            out["ours_python_profile"] = _profile(lambda: rollup_ours(setup, inputs))
    sums = [row[3] for row in rows]
    places = Decimal("0.0001")
    out["quantize_s"] = round(_timed(lambda: [s.quantize(places, ROUND_HALF_UP) for s in sums]), 3)
    keys = [(row[0], row[1], row[2]) for row in rows]
    out["dict_build_s"] = round(_timed(lambda: dict(zip(keys, sums, strict=True))), 3)
    return out


def _execution_time(plan: list[str]) -> float:
    for line in plan:
        if line.strip().startswith("Execution Time:"):
            return round(float(line.split(":")[1].split()[0]) / 1000, 3)
    return 0.0


def _timed_run(sql: str, params: Sequence[Any], *, text: bool = False,
               binary: bool = False) -> float:  # fmt: skip
    return round(_timed(lambda: _run(sql, params, fetch=True, text=text, binary=binary)), 3)


def _run(sql: str, params: Sequence[Any], *, fetch: bool = False, text: bool = False,
         binary: bool = False) -> Any:  # fmt: skip
    """Execute on a cursor of its own; ``text``: numerics loaded as str, not Decimal;
    ``binary``: results in PostgreSQL's binary format (a plain psycopg cursor: Django's
    binds on the client, which only reads text)."""
    import psycopg
    from django.db import connection
    from psycopg.types.string import TextLoader

    connection.ensure_connection()
    raw = connection.connection
    with connection.cursor() as wrapper:
        cursor = psycopg.Cursor(raw) if binary else wrapper.cursor
        if text:
            cursor.adapters.register_loader("numeric", TextLoader)
        # As captured from the driver, ``sql`` has its values inline already (no
        # parameters: a literal % must not be taken for a placeholder).
        cursor.execute(sql, list(params) or None, binary=binary)
        result = cursor.fetchall() if fetch else cursor.fetchone()
        if binary:
            cursor.close()
        return result


def _profile(work: Callable[[], Any], *, top: int = 12) -> list[dict[str, Any]]:
    profiler = cProfile.Profile()
    profiler.enable()
    result = work()
    profiler.disable()
    del result
    stats = pstats.Stats(profiler, stream=io.StringIO()).stats  # type: ignore[attr-defined]
    ordered = sorted(stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    return [
        {
            "function": f"{file.split('site-packages/')[-1].replace(str(ROOT) + '/', '')}"
            f":{line}({name})",
            "calls": entry[1],
            "own_s": round(entry[2], 3),
            "cumulative_s": round(entry[3], 3),
        }
        for (file, line, name), entry in ordered
    ]


# --- analytics.query: a dashboard, and everything ------------------------------------------


def dashboard(setup: Setup) -> Any:
    from thudo.reporting import analytics

    return analytics.query(
        dx=setup.element_codes[:DASHBOARD_ELEMENTS],
        pe_codes=setup.quarters,
        ou=[setup.root_code, f"{setup.root_code}:children"],
    )


def everything(setup: Setup) -> Any:
    from thudo.reporting import analytics

    return analytics.query(
        dx=setup.element_codes, pe_codes=setup.quarters, ou=[f"{setup.root_code}:level-2"]
    )


def queries(setup: Setup, *, runs: int, full: bool = True) -> dict[str, Any]:
    """The API's whole path: the dashboard (median of ``5 × runs``) and, once, every
    commune × element × quarter."""
    first = dashboard(setup)
    samples = [round(_timed(lambda: dashboard(setup)), 4) for _ in range(5 * max(runs, 1))]
    out: dict[str, Any] = {
        "dashboard_cells": len(first.rows),
        "dashboard_units": 1 + len(setup.district_ids),
        "dashboard_elements": min(DASHBOARD_ELEMENTS, len(setup.element_ids)),
        "dashboard_s": statistics.median(samples),
        "dashboard_runs": samples,
    }
    if full:
        gc.collect()
        started = time.perf_counter()
        result = everything(setup)
        out["full_s"] = round(time.perf_counter() - started, 3)
        out["full_cells"] = len(result.rows)
        del result
        gc.collect()
    return out


# --- 2. the full rebuild ------------------------------------------------------------------------


REBUILD_BASELINE_SQL = f"""
CREATE TABLE {SCRATCH} AS
SELECT v.element_id, c.ancestor_id AS unit_id, v.period, SUM(v.value) AS total,
       COUNT(*) AS count, MIN(v.value) AS minimum, MAX(v.value) AS maximum
FROM reporting_datavalue v
JOIN reporting_unitclosure c ON c.descendant_id = v.unit_id
WHERE c.ancestor_id IN (SELECT ancestor_id FROM reporting_unitclosure WHERE depth > 0)
GROUP BY v.element_id, c.ancestor_id, v.period
"""


def rebuild_ours() -> int:
    from thudo.reporting import services

    return services.aggregates_rebuild(actor=None)


def rebuild_baseline() -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
        cursor.execute(REBUILD_BASELINE_SQL)


def rebuild_check() -> dict[str, Any]:
    """The totals rebuilt equal the scratch table's, row for row."""
    from django.db import connection

    columns = "element_id, unit_id, period, total, count, minimum, maximum"
    with connection.cursor() as cursor:
        differences = 0
        for left, right in ((SCRATCH, "reporting_aggregatevalue"),
                            ("reporting_aggregatevalue", SCRATCH)):  # fmt: skip
            cursor.execute(
                f"SELECT COUNT(*) FROM (SELECT {columns} FROM {left} "
                f"EXCEPT SELECT {columns} FROM {right}) d"
            )
            row = cursor.fetchone()
            differences += int(row[0]) if row else 0
        cursor.execute("SELECT COUNT(*) FROM reporting_aggregatevalue")
        row = cursor.fetchone()
    return {"rows": int(row[0]) if row else 0, "differences": differences,
            "identical": differences == 0}  # fmt: skip


def rebuild(*, runs: int) -> dict[str, Any]:
    samples: dict[str, list[float]] = {"ours": [], "baseline": []}
    for n in range(runs):
        order = ("ours", "baseline") if n % 2 == 0 else ("baseline", "ours")
        for name in order:
            work = rebuild_ours if name == "ours" else rebuild_baseline
            samples[name].append(round(_timed(work), 3))
    check = rebuild_check()
    ours_s, base_s = statistics.median(samples["ours"]), statistics.median(samples["baseline"])
    return {
        "ours_s": ours_s,
        "baseline_s": base_s,
        "ratio": round(ours_s / base_s, 3) if base_s else 0.0,
        "runs": samples,
        "check": check,
    }


def drop_scratch() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SCRATCH}")


def rebuild_breakdown() -> dict[str, Any]:
    """The steps of ``aggregates_rebuild`` timed one by one (one pass, committed as the
    service commits it), and its INSERT … SELECT's plan against the CREATE TABLE AS one
    (PostgreSQL runs the SELECT of an INSERT without parallel workers)."""
    from django.db import connection, transaction

    from thudo.reporting import hierarchy, services
    from thudo.reporting.models import AggregateValue

    insert = getattr(services, "_REBUILD_SQL", None)
    if insert is None:
        return {}
    out: dict[str, Any] = {}
    postgres = connection.vendor == "postgresql"
    with transaction.atomic(), connection.cursor() as cursor:
        out["hierarchy_rebuild_s"] = round(_timed(hierarchy.rebuild), 3)
        out["delete_s"] = round(_timed(lambda: AggregateValue.objects.all().delete()), 3)
        out["insert_select_s"] = round(_timed(lambda: cursor.execute(insert)), 3)
        out["count_s"] = round(_timed(AggregateValue.objects.count), 3)
        if postgres:
            # The deferred foreign-key checks of the rows inserted, otherwise at COMMIT.
            out["foreign_key_checks_s"] = round(
                _timed(lambda: cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")), 3
            )
    if postgres:
        out["two_step_s"] = round(_timed(lambda: _rebuild_two_step(insert)), 3)
        out["two_step_identical"] = rebuild_check()["identical"]
        out["insert_plan"] = _plan(insert, delete_first=True)
        out["baseline_plan"] = _plan(REBUILD_BASELINE_SQL.replace(SCRATCH, f"{SCRATCH}_plan"))
    return out


def _rebuild_two_step(insert: str) -> None:
    """The same rebuild with its SELECT as CREATE TEMP TABLE AS (which PostgreSQL may run
    in parallel), then the rows copied into the totals: one way to a faster rebuild."""
    from django.db import connection, transaction

    from thudo.reporting.models import AggregateValue

    head, select = insert.split("SELECT", 1)
    with transaction.atomic(), connection.cursor() as cursor:
        AggregateValue.objects.all().delete()
        cursor.execute(f"CREATE TEMP TABLE {SCRATCH}_step ON COMMIT DROP AS SELECT {select}")
        cursor.execute(f"{head.strip()} SELECT * FROM {SCRATCH}_step")


def _plan(sql: str, *, delete_first: bool = False) -> list[str]:
    """The statement's EXPLAIN ANALYZE (no per-node timing), its effects rolled back."""
    from django.db import connection, transaction

    from thudo.reporting.models import AggregateValue

    plan: list[str] = []
    with connection.cursor() as cursor:
        try:
            with transaction.atomic():
                if delete_first:
                    AggregateValue.objects.all().delete()
                cursor.execute(f"EXPLAIN (ANALYZE, TIMING OFF, BUFFERS) {sql}")
                plan = [row[0] for row in cursor.fetchall()]
                raise _Rollback
        except _Rollback:
            pass
    return plan


class _Rollback(Exception):
    pass


# --- 3. one value, seen in the city total --------------------------------------------------


def _city_total(setup: Setup, code: str, quarter: str) -> Decimal:
    from thudo.reporting import analytics

    rows = analytics.query(dx=[code], pe_codes=[quarter], ou=[setup.root_code]).rows
    return rows[0].value if rows else Decimal(0)


def updates(setup: Setup, *, count: int, seed_value: int = 9) -> dict[str, Any]:
    """``count`` saves of one cell, each in a random commune by an official of that
    commune, each followed by the city total of the element's quarter; the total must be
    the old one plus the change."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from thudo.core.models import Agency, Membership, Role, User
    from thudo.reporting import periods as pe
    from thudo.reporting import services
    from thudo.reporting.models import DataValue, Form

    rng = random.Random(seed_value)
    today = timezone.localdate()
    months = [
        f"{setup.year}M{m:02d}"
        for m in range(1, setup.months + 1)
        if pe.parse(f"{setup.year}M{m:02d}").window_start <= today
    ]
    if not months:
        raise SystemExit(f"no month of {setup.year} is open for entry on {today}")
    chosen = rng.sample(setup.commune_ids, min(count, len(setup.commune_ids)))
    unusable = make_password(None)
    officials: dict[int, User] = {}
    for n, unit_id in enumerate(chosen):
        user = User.objects.create(username=f"bench-tk-{n:03d}", full_name=f"Thống kê viên {n}",
                                   kind=User.Kind.OFFICIAL, password=unusable)  # fmt: skip
        Membership.objects.create(user=user, agency_id=unit_id, role=Role.SPECIALIST)
        officials[unit_id] = user
    form = Form.objects.get(pk=setup.form_id)
    agencies = Agency.objects.in_bulk(chosen)
    latencies: list[float] = []
    save_only: list[float] = []
    wrong = 0
    for n in range(count):
        unit_id = chosen[n % len(chosen)]
        index = rng.randrange(len(setup.element_ids))
        element_id, code = setup.element_ids[index], setup.element_codes[index]
        period = rng.choice(months)
        quarter = pe.of_type(pe.PeriodType.QUARTERLY, setup.year, int(period[-2:])).code
        cell = DataValue.objects.filter(element_id=element_id, unit_id=unit_id, period=period,
                                        disaggregation="").first()  # fmt: skip
        old = cell.value if cell is not None else Decimal(0)
        before = _city_total(setup, code, quarter)
        step = rng.randrange(VALUE_STEPS)
        new = Decimal(f"{step >> 2}.{QUARTERS[step & 3]}")
        if new == old:
            new += 1
        raw = format(new, "f").replace(".", ",")
        started = time.perf_counter()
        services.value_save(actor=officials[unit_id], form=form, unit=agencies[unit_id],
                            period=period, element=code, raw=raw)  # fmt: skip
        saved = time.perf_counter()
        after = _city_total(setup, code, quarter)
        ended = time.perf_counter()
        latencies.append(ended - started)
        save_only.append(saved - started)
        if after != before - old + new:
            wrong += 1
    return {
        "count": count,
        "p50_ms": _percentile(latencies, 0.50),
        "p95_ms": _percentile(latencies, 0.95),
        "max_ms": round(1000 * max(latencies), 2),
        "save_p50_ms": _percentile(save_only, 0.50),
        "query_p50_ms": _percentile(
            [total - save for total, save in zip(latencies, save_only, strict=True)], 0.50
        ),
        "wrong_totals": wrong,
    }


def _percentile(values: list[float], q: float) -> float:
    """Nearest rank, in milliseconds."""
    ordered = sorted(values)
    return round(1000 * ordered[max(0, math.ceil(q * len(ordered)) - 1)], 2)


# --- the run ----------------------------------------------------------------------------------


@dataclass
class Options:
    units: int = 5000
    elements: int = 200
    months: int = 12
    districts: int = 30
    runs: int = 3
    updates: int = 20
    year: int = YEAR
    full_query: bool = True
    profile: bool = False
    db: str = DEFAULT_DATABASE_URL


QUICK = {"units": 200, "elements": 10, "months": 12, "districts": 5, "runs": 1, "updates": 5}


def run(options: Options) -> dict[str, Any]:
    load = load_average()
    url = options.db
    env = {**os.environ, "DATABASE_URL": url, "THUDO_LOG_FORMAT": "text", "LOG_LEVEL": "WARNING"}
    print(f"load average {load}; fresh database {url.rsplit('/', 1)[1]}, migrating", flush=True)
    fresh_database(url)
    migrate(env)
    os.environ.update({"DATABASE_URL": url, "LOG_LEVEL": "WARNING", "THUDO_LOG_FORMAT": "text"})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    print(f"seeding {options.units:,} communes × {options.elements} elements × "
          f"{options.months} months", flush=True)  # fmt: skip
    setup = seed(units=options.units, elements=options.elements, months=options.months,
                 districts=options.districts, year=options.year)  # fmt: skip
    print(f"{setup.values:,} values loaded: {setup.timings}", flush=True)
    print("rebuild", flush=True)
    rebuilt = rebuild(runs=options.runs)
    print(json.dumps(rebuilt), flush=True)
    rebuilt["breakdown"] = rebuild_breakdown()
    drop_scratch()
    print(json.dumps({k: v for k, v in rebuilt["breakdown"].items() if "plan" not in k}),
          flush=True)  # fmt: skip
    print("roll-up", flush=True)
    rolled = rollup(setup, runs=options.runs)
    print(json.dumps(rolled), flush=True)
    print("breakdown of the roll-up", flush=True)
    breakdown = rollup_breakdown(setup, profile=options.profile)
    print(json.dumps({k: v for k, v in breakdown.items() if not k.endswith("_plan")}), flush=True)
    print("analytics.query", flush=True)
    queried = queries(setup, runs=options.runs, full=options.full_query)
    print(json.dumps({k: v for k, v in queried.items() if k != "dashboard_runs"}), flush=True)
    print("updates", flush=True)
    updated = updates(setup, count=options.updates)
    print(json.dumps(updated), flush=True)
    t = TARGETS
    summary = {
        "rollup_met": rolled["ours_s"] <= t["rollup_seconds"]
        and rolled["ratio"] <= t["rollup_ratio"]
        and rolled["check"]["identical"],
        "rebuild_met": rebuilt["ours_s"] <= t["rebuild_seconds"]
        and rebuilt["ratio"] <= t["rebuild_ratio"]
        and rebuilt["check"]["identical"],
        "update_met": updated["p95_ms"] < 1000 * t["update_seconds"]
        and updated["wrong_totals"] == 0,
        "targets": TARGETS,
    }
    return {
        "benchmark": "reporting",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {
            **machine(),
            "postgresql": postgres_setting("server_version"),
            "work_mem": postgres_setting("work_mem"),
            "shared_buffers": postgres_setting("shared_buffers"),
            "load_average_at_start": load,
            "load_average_at_end": load_average(),
        },
        "options": {
            "units": len(setup.commune_ids),
            "districts": len(setup.district_ids),
            "elements": len(setup.element_ids),
            "months": setup.months,
            "year": setup.year,
            "values": setup.values,
            "runs": options.runs,
            "updates": options.updates,
        },
        "generation": setup.timings,
        "rollup": rolled,
        "rollup_breakdown": breakdown,
        "queries": queried,
        "rebuild": rebuilt,
        "update": updated,
        "summary": summary,
    }


# --- reporting ----------------------------------------------------------------------------


def _s(seconds: float) -> str:
    return f"{seconds:,.3f} s" if seconds < 10 else f"{seconds:,.1f} s"


def _verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def table(report: dict[str, Any]) -> list[str]:
    o, r, b, q, u = (report[k] for k in ("options", "rollup", "rebuild", "queries", "update"))
    su, t = report["summary"], TARGETS
    cells = r["units"] * r["elements"] * r["quarters"]
    rows = [
        "| workload | ours | baseline | ratio | target | met? |",
        "|---|---|---|---|---|---|",
        f"| roll-up unit × element × quarter: {r['units']:,} × {r['elements']} × "
        f"{r['quarters']} ({r['check']['cells']:,} cells of {cells:,}) into Python, "
        f"`analytics.element_values` vs one SQL GROUP BY | {_s(r['ours_s'])} "
        f"| {_s(r['baseline_s'])} | {r['ratio']:.2f} × | ≤ {t['rollup_seconds']:g} s, "
        f"≤ {t['rollup_ratio']} × | {_verdict(su['rollup_met'])} |",
        f"| full rebuild of the pre-aggregated totals ({b['check']['rows']:,} rows from "
        f"{o['values']:,} values), `services.aggregates_rebuild` vs CREATE TABLE AS "
        f"| {_s(b['ours_s'])} | {_s(b['baseline_s'])} | {b['ratio']:.2f} × "
        f"| ≤ {t['rebuild_seconds']:g} s, ≤ {t['rebuild_ratio']} × "
        f"| {_verdict(su['rebuild_met'])} |",
        f"| one value saved (`services.value_save`) and seen in the city total "
        f"(`analytics.query`), p50 / p95 of {u['count']} | {u['p50_ms']:,} / "
        f"{u['p95_ms']:,} ms | — | — | < {t['update_seconds']:g} s "
        f"| {_verdict(su['update_met'])} |",
        f"| `analytics.query`, dashboard: the city and its {q['dashboard_units'] - 1} units "
        f"× {q['dashboard_elements']} elements × 4 quarters ({q['dashboard_cells']:,} cells) "
        f"| {1000 * q['dashboard_s']:,.1f} ms | — | — | — | for information |",
    ]
    if "full_s" in q:
        rows.append(
            f"| `analytics.query`, every commune × element × quarter with statuses "
            f"({q['full_cells']:,} cells) | {_s(q['full_s'])} | — | — | — | for information |"
        )
    return rows


def _breakdown_text(report: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    k = report["rebuild"].get("breakdown") or {}
    if k:
        fk = f", the deferred foreign-key checks {_s(k['foreign_key_checks_s'])}" if (
            "foreign_key_checks_s" in k) else ""  # fmt: skip
        two = (
            f" The same rebuild with its SELECT as `CREATE TEMP TABLE … AS` (which may run "
            f"in parallel) and the rows then copied in: {_s(k['two_step_s'])}, same totals: "
            f"{'yes' if k.get('two_step_identical') else '**NO**'}."
            if "two_step_s" in k
            else ""
        )
        lines += [
            f"The rebuild's steps, timed one by one in one pass: the closure table rewritten "
            f"{_s(k['hierarchy_rebuild_s'])}, the old totals deleted {_s(k['delete_s'])}, "
            f"the INSERT … SELECT {_s(k['insert_select_s'])}, the rows counted "
            f"{_s(k['count_s'])}{fk}.{_workers(k)}{two}",
            "",
        ]
    d = report.get("rollup_breakdown") or {}
    if not d:
        return lines
    r = report["rollup"]
    decimals = max(0.0, d["ours_fetch_s"] - d["ours_fetch_numeric_as_text_s"])
    return [
        *lines,
        f"Where the roll-up's time goes (one pass each, {d['rows']:,} rows): the statement "
        f"executed in PostgreSQL (EXPLAIN ANALYZE, nothing sent) {_s(d['ours_server_s'])} "
        f"(the baseline's {_s(d['baseline_server_s'])}); executed and fetched into Python "
        f"as Django fetches {_s(d['ours_fetch_s'])} (baseline {_s(d['baseline_fetch_s'])}), "
        f"so ≈ {_s(max(0.0, d['ours_fetch_s'] - d['ours_server_s']))} sending and making "
        f"the rows, of which psycopg making Decimals ≈ {_s(decimals)} (numerics left as "
        f"text: {_s(d['ours_fetch_numeric_as_text_s'])}; binary results: "
        f"{_s(d['ours_fetch_binary_s'])}, baseline {_s(d['baseline_fetch_binary_s'])}); "
        f"`element_values` fed the fetched rows, its Python alone: {_s(d['ours_python_s'])} "
        f"(quantizing the sums {_s(d['quantize_s'])}, building the dict "
        f"{_s(d['dict_build_s'])}); the whole call {_s(r['ours_s'])} (median).",
        "",
    ]


def _workers(k: dict[str, Any]) -> str:
    def parallel(plan: list[str]) -> bool:
        return any("Workers Launched" in line for line in plan)

    if "insert_plan" not in k:
        return ""
    ours, base = parallel(k["insert_plan"]), parallel(k.get("baseline_plan", []))
    if ours == base:
        return f" Both plans {'with' if ours else 'without'} parallel workers."
    why = " (PostgreSQL plans no parallel workers for the SELECT of an INSERT)" if base else ""
    return (
        f" The INSERT … SELECT ran {'with' if ours else 'without'} parallel workers, the "
        f"CREATE TABLE AS {'with' if base else 'without'}{why}."
    )


def section(report: dict[str, Any]) -> str:
    m, o, g = report["machine"], report["options"], report["generation"]
    r, b, u = report["rollup"], report["rebuild"], report["update"]
    start, end = m.get("load_average_at_start"), m.get("load_average_at_end")
    lines = [
        f"## {TITLE}",
        "",
        f"The reporting module's analytics on {o['values']:,} values: {o['units']:,} "
        f"commune agencies under {o['districts']} district agencies under one city agency, "
        f"{o['elements']} data elements (aggregation type sum), {o['months']} months of "
        f"{o['year']}, one monthly form assigned to every commune; loaded with `COPY` into "
        "a fresh PostgreSQL database, then VACUUM ANALYZE. Baselines beside each, in the same "
        "run: for the roll-up, one hand-written `SELECT unit_id, element_id, <quarter>, "
        "SUM(value) FROM reporting_datavalue WHERE period LIKE '…M%' GROUP BY 1, 2, 3` "
        "fetched the same way (`cursor.fetchall`, Decimals); for the rebuild, the same "
        "GROUP BY over the closure table as a plain `CREATE TABLE … AS SELECT`. The update "
        "is one cell saved by an official of its commune on the form, then the city total "
        "of that element's quarter read through `analytics.query` (it must be the old total "
        "plus the change).",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores (shared and noisy), PostgreSQL "
        f"{m.get('postgresql', '')} (work_mem {m.get('work_mem', '?')}, shared_buffers "
        f"{m.get('shared_buffers', '?')}), Python {m['python']}; {report['date']}; "
        f"`{report['command']}`; median of {o['runs']} interleaved runs"
        + (f"; load average {start[0]} at start, {end[0]} at end." if start and end else "."),
        "",
        *table(report),
        "",
        f"Checked: the roll-up equals the baseline's cell by cell: "
        f"{'yes' if r['check']['identical'] else '**NO**'} ({r['check']['cells']:,} cells, "
        f"{r['check']['different']} different, {r['check']['missing']} missing, "
        f"{r['check']['extra']} extra); the rebuilt totals equal the scratch table's: "
        f"{'yes' if b['check']['identical'] else '**NO**'}; city totals right after each "
        f"save: {u['count'] - u['wrong_totals']} of {u['count']} (save p50 "
        f"{u['save_p50_ms']} ms, query p50 {u['query_p50_ms']} ms). Runs (s): roll-up ours "
        f"{', '.join(str(x) for x in r['runs']['ours'])}, baseline "
        f"{', '.join(str(x) for x in r['runs']['baseline'])}; rebuild ours "
        f"{', '.join(str(x) for x in b['runs']['ours'])}, baseline "
        f"{', '.join(str(x) for x in b['runs']['baseline'])}.",
        "",
        "Generating and loading the data (not counted): "
        + ", ".join(f"{k.removesuffix('_s').replace('_', ' ')} {v:,.1f} s" for k, v in g.items())
        + ".",
        "",
        *_breakdown_text(report),
    ]
    notes = report.get("notes") or []
    return "\n".join([*lines, *notes, ""] if notes else lines)


def main(argv: list[str] | None = None) -> None:
    defaults = Options()
    parser = argparse.ArgumentParser(description="Analytics benchmark (reporting)")
    parser.add_argument("--units", type=int, default=None, help=f"communes ({defaults.units})")
    parser.add_argument("--elements", type=int, default=None, help=f"({defaults.elements})")
    parser.add_argument("--months", type=int, default=None, help=f"({defaults.months})")
    parser.add_argument("--districts", type=int, default=None, help=f"({defaults.districts})")
    parser.add_argument("--runs", type=int, default=None, help=f"median of ({defaults.runs})")
    parser.add_argument("--updates", type=int, default=None, help=f"({defaults.updates})")
    parser.add_argument("--year", type=int, default=YEAR)
    parser.add_argument("--db", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--json", type=Path, default=None, help=f"results ({RESULTS})")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, nothing written")
    parser.add_argument("--no-full-query", action="store_true",
                        help="skip analytics.query of every commune × element")  # fmt: skip
    parser.add_argument("--profile", action="store_true", help="cProfile the roll-up's Python")
    parser.add_argument("--from-results", action="store_true",
                        help="only rewrite the docs section from the JSON")  # fmt: skip
    args = parser.parse_args(argv)
    if args.from_results:
        saved = json.loads((args.json or RESULTS).read_text())
        write_section(TITLE, section(saved), intro=INTRO)
        return
    sizes = {**(QUICK if args.quick else {})}
    for name in ("units", "elements", "months", "districts", "runs", "updates"):
        if getattr(args, name) is not None:
            sizes[name] = getattr(args, name)
    options = Options(**sizes, year=args.year, db=args.db, full_query=not args.no_full_query,
                      profile=args.profile)  # fmt: skip
    report = run(options)
    given = argv if argv is not None else sys.argv[1:]
    report["command"] = " ".join([".venv/bin/python bench/reporting.py", *given])
    print()
    print("\n".join(table(report)))
    print()
    print("\n".join(_breakdown_text(report)))
    out = args.json or (None if args.quick else RESULTS)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    if not args.quick:
        write_section(TITLE, section(report), intro=INTRO)
    checks = (report["rollup"]["check"]["identical"], report["rebuild"]["check"]["identical"],
              report["update"]["wrong_totals"] == 0)  # fmt: skip
    if not all(checks):
        raise SystemExit("the results differ from the baselines': see the JSON")


if __name__ == "__main__":
    main()
