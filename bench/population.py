"""Benchmark: the population generator against a plain COPY of the same rows.

Since the registries became provider systems the same run also generates the businesses
(about one per 20 people); they are counted in the rows loaded, not in people/s.

    .venv/bin/python bench/population.py --size 1000000      # or: make bench-population

Runs against PostgreSQL (``DATABASE_URL``, default the ``thudo_bench`` database on the
local server, created and migrated when missing). In one run it measures

(a) ``population_generate`` into empty tables: generating and loading, commit included;
(b) the baseline: the very same rows written to a file first, then loaded from that file
    with ``COPY … FROM STDIN`` (as ``psql \\copy`` does) into the emptied tables;

and reports people/s for both and their ratio (PERFORMANCE.md: ratios against a baseline
measured in the same run on the same machine). Results go to
``bench/results/population.json`` and the "Population generator" section of
``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "population.json"
DOC = ROOT / "docs" / "benchmarks.md"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/thudo_bench"
TARGET_PEOPLE_PER_SECOND = 50_000
SECTION = "## Population generator"

DOC_INTRO = """# Benchmarks

How benchmarks are run: `make bench` runs them all (`make bench-<name>` one of them); each
is a plain script in `bench/`, never part of the test suite (a test only runs it at a tiny
size to prove it still works). The machines here have 2 shared, noisy cores, so every
target is a **ratio against a baseline measured in the same run** on the same machine
(PERFORMANCE.md); absolute figures are given for information. Each script writes its raw
figures to `bench/results/<name>.json` and its section of this page.
"""


# --- set-up (not used by the smoke test, which runs inside the test database) ------------


def _setup_django(database_url: str) -> None:
    # The benchmark is started from the command line: it chooses its database before
    # Django reads the settings.
    os.environ.setdefault("DATABASE_URL", database_url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _ensure_database() -> None:
    """Create the benchmark database on its server when it does not exist yet."""
    import psycopg
    from django.conf import settings
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit("bench/population.py measures PostgreSQL: set DATABASE_URL=postgres://…")
    params = {
        key: str(db[setting])
        for key, setting in (
            ("host", "HOST"),
            ("port", "PORT"),
            ("user", "USER"),
            ("password", "PASSWORD"),
        )
        if db.get(setting)
    }
    conninfo = make_conninfo(dbname="postgres", **params)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]])
        if exists.fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
            print(f"created database {db['NAME']}")


def _ensure_units(province_code: str) -> None:
    """Import the administrative units (``thudo units import``) when the province has none."""
    from django.core.management import call_command

    from thudo.registries import selectors

    if not selectors.communes_for_population(province_code=province_code):
        call_command("units", "import", verbosity=0)
        print("imported the administrative units (thudo units import)")


# --- the measurement ----------------------------------------------------------------------


def _empty_tables() -> None:
    from django.db import connection

    from thudo.registries.bulk import TABLES

    tables = ", ".join(f'"{table}"' for table in TABLES)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {tables}")
        else:
            for table in TABLES:
                cursor.execute(f'DELETE FROM "{table}"')


def _write_rows(*, size: int, seed: int, province_code: str, folder: Path) -> list[Path]:
    """The generator's rows for this seed, in COPY text format, one file per table, in
    the order of ``bulk.Statements`` (people, households, businesses)."""
    from django.db import connection
    from django.utils import timezone

    from thudo.registries import bulk, selectors
    from thudo.registries.generator import PopulationGenerator

    now = timezone.now()
    created = (
        now.isoformat()
        if connection.vendor == "postgresql"
        else str(connection.ops.adapt_datetimefield_value(now))
    )
    generator = PopulationGenerator(
        seed=seed,
        province_code=province_code,
        communes=selectors.communes_for_population(province_code=province_code),
        batch=f"{province_code}-{seed}",
        created=created,
    )
    paths = [folder / "people.tsv", folder / "households.tsv", folder / "businesses.tsv"]
    with (
        paths[0].open("w") as people,
        paths[1].open("w") as households,
        paths[2].open("w") as businesses,
    ):
        for block in generator.blocks(size):
            people.write(bulk.copy_text(block.people))
            households.write(bulk.copy_text(block.households))
            businesses.write(bulk.copy_text(block.businesses))
    return paths


def _load_file(paths: list[Path], *, recipe: bool = False) -> None:
    """The baseline: load the files as they are, in one transaction.

    With ``recipe`` (PostgreSQL only) the tables are emptied in the transaction and loaded
    through the same index and key handling as the generator (``bulk.py``).
    """
    from contextlib import nullcontext

    from django.db import connection, transaction
    from django.utils import timezone

    from thudo.registries import bulk

    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if recipe:
                cursor.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in bulk.TABLES))
            with bulk.postgresql_bulk_window(cursor) if recipe else nullcontext():
                for statement, path in zip(bulk.copy_statements(), paths, strict=True):
                    with cursor.copy(statement) as copy, path.open("rb") as source:
                        while chunk := source.read(1 << 20):
                            copy.write(chunk)
            if not recipe:
                # Run the deferred foreign-key checks now, as COMMIT would: the same work,
                # and a later TRUNCATE in the same transaction (the smoke test runs in one)
                # is refused while checks are pending.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            # SQLite has no COPY: the nearest equivalent is executemany of the file's rows.
            people_sql, households_sql, businesses_sql = bulk.insert_statements()
            now = str(connection.ops.adapt_datetimefield_value(timezone.now()))
            for statement, path, stamp in (
                (households_sql, paths[1], False),
                (people_sql, paths[0], True),
                (businesses_sql, paths[2], True),
            ):
                with path.open() as source:
                    rows = [tuple(line[:-1].split("\t")) for line in source]
                cursor.executemany(statement, bulk.stamped(rows, now) if stamp else rows)


def run(*, size: int, seed: int, province_code: str, workdir: Path | None = None) -> dict[str, Any]:
    """Measure (a) the generator and (b) the file baseline; return the figures.

    Needs Django set up and the province's communes loaded; empties the registry tables.
    """
    from django.db import connection

    from thudo.registries import facade
    from thudo.registries.services import population_generate

    _empty_tables()
    started = time.perf_counter()
    result = population_generate(size=size, seed=seed, province_code=province_code)
    generator_seconds = time.perf_counter() - started
    households = result.households
    assert facade.population_count(province_code=province_code) == size

    with tempfile.TemporaryDirectory(dir=workdir) as folder:
        paths = _write_rows(size=size, seed=seed, province_code=province_code, folder=Path(folder))
        file_bytes = sum(path.stat().st_size for path in paths)
        _empty_tables()
        started = time.perf_counter()
        _load_file(paths)
        baseline_seconds = time.perf_counter() - started
        assert facade.population_count(province_code=province_code) == size
        recipe_seconds = None
        if connection.vendor == "postgresql":
            _empty_tables()
            started = time.perf_counter()
            _load_file(paths, recipe=True)
            recipe_seconds = time.perf_counter() - started
            assert facade.population_count(province_code=province_code) == size

    generator_rate = size / generator_seconds
    baseline_rate = size / baseline_seconds
    recipe_rate = size / recipe_seconds if recipe_seconds else None
    return {
        "size": size,
        "seed": seed,
        "province_code": province_code,
        "households": households,
        "businesses": result.businesses,
        "generator_seconds": round(generator_seconds, 3),
        "generator_people_per_second": round(generator_rate),
        "baseline_seconds": round(baseline_seconds, 3),
        "baseline_rows_per_second": round(baseline_rate),
        "baseline_file_bytes": file_bytes,
        "ratio": round(generator_rate / baseline_rate, 3),
        # The same file through the same index/key handling as the generator: the fastest
        # this server loads these rows, so generator / recipe is what Python costs.
        "recipe_seconds": round(recipe_seconds, 3) if recipe_seconds else None,
        "recipe_rows_per_second": round(recipe_rate) if recipe_rate else None,
        "ratio_to_recipe": round(generator_rate / recipe_rate, 3) if recipe_rate else None,
        "target_people_per_second": TARGET_PEOPLE_PER_SECOND,
        "target_met": generator_rate >= TARGET_PEOPLE_PER_SECOND,
    }


# --- reporting ----------------------------------------------------------------------------


def _machine() -> dict[str, Any]:
    from django.db import connection

    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "postgresql": server,
        "system": f"{platform.system()} {platform.release()}",
    }


def _section(report: dict[str, Any]) -> str:
    m, f = report["machine"], report["figures"]
    verdict = "met" if f["target_met"] else "**missed**"
    lines = [
        SECTION,
        "",
        "Synthetic citizens generated and loaded into PostgreSQL (`thudo population "
        "generate`), against a `COPY … FROM STDIN` of the very same rows from a file "
        "written beforehand, both into emptied tables with their indexes and foreign keys, "
        "commit included.",
        "",
        "| machine | date | command | people/s | baseline COPY rows/s | ratio | target |",
        "|---|---|---|---|---|---|---|",
        f"| {m['cpu']}, {m['cores']} cores, PostgreSQL {m['postgresql']} | {report['date']} "
        f"| `{report['command']}` | {f['generator_people_per_second']:,} "
        f"({f['generator_seconds']:.1f} s) | {f['baseline_rows_per_second']:,} "
        f"({f['baseline_seconds']:.1f} s) | {f['ratio']:.2f} "
        f"| ≥ {f['target_people_per_second']:,} people/s: {verdict} |",
        "",
    ]
    if f.get("recipe_rows_per_second"):
        lines += [
            f"Second baseline, same run: the same file loaded through the generator's own "
            f"index and key handling (`thudo/registries/bulk.py`), "
            f"{f['recipe_rows_per_second']:,} rows/s ({f['recipe_seconds']:.1f} s); the "
            f"generator reaches {f['ratio_to_recipe']:.2f} × that floor.",
            "",
        ]
    notes = report.get("notes")
    if notes:
        lines += [notes, ""]
    return "\n".join(lines)


def write_doc(report: dict[str, Any], path: Path = DOC) -> None:
    """Write this benchmark's section of docs/benchmarks.md, keeping the others."""
    text = path.read_text() if path.exists() else DOC_INTRO
    section = _section(report)
    if SECTION in text:
        start = text.index(SECTION)
        end = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section + (text[end + 1 :] if end != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--province", default="01")
    parser.add_argument(
        "--database-url", default=DEFAULT_DATABASE_URL, help="used when DATABASE_URL is not set"
    )
    parser.add_argument("--notes", default="", help="text added under the table")
    args = parser.parse_args(argv)

    _setup_django(args.database_url)
    _ensure_database()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    _ensure_units(args.province)
    print(f"population benchmark: {args.size:,} people, seed {args.seed}, province {args.province}")
    figures = run(size=args.size, seed=args.seed, province_code=args.province)
    report = {
        "benchmark": "population",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": f".venv/bin/python bench/population.py --size {args.size}",
        "machine": _machine(),
        "figures": figures,
        "notes": args.notes,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    write_doc(report)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
