"""Benchmark: open-data search — CKAN's ``package_search`` over 100,000 datasets.

    .venv/bin/python bench/opendata.py                     # or: make bench-opendata

Against a fresh PostgreSQL database of its own (migrated): 40 publishing agencies, 15
themes, 500 tags and ``--datasets`` datasets with Vietnamese titles and descriptions drawn
from seeded word lists (some words rare, some in one dataset of ten), 1–3 resources each,
2–6 tags, 1–2 themes, mixed licences — written in bulk exactly as the services write one
dataset: the folded search text, the facet rows, the many-to-many rows; PostgreSQL's
trigger builds every ``search_vector``. Indexing is timed (the bulk load, then a full
re-index: every row's text rewritten so the trigger runs again, and ANALYZE).

Then a seeded mix of ``--queries`` keyword searches (one or two words, half written without
accents, half with an ``fq`` on a publisher or a tag), each with the five facets and 10
rows, measured interleaved, one after the other for every query:

1. ``package_search`` through HTTP: Django's test client calling the Action API view
   (parameters, search, facets, the 10 full records, JSON);
2. the same search in-process: ``search.run`` + ``selectors.package_dicts``;
3. the baseline: the bare PostgreSQL full-text query of the same words — matching,
   ``ts_rank_cd`` order, LIMIT 10 — and its ``count(*)``, through one cursor.

p50/p95/p99 of each; the target (PERFORMANCE.md) is the HTTP p95 ≤ 50 ms. Results go to
``bench/results/opendata.json`` and the "Open-data search" section of docs/benchmarks.md;
``--quick`` runs a tiny size and writes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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

RESULTS = ROOT / "bench" / "results" / "opendata.json"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/thudo_bench_opendata"
TITLE = "Open-data search"
INTRO = "# Benchmarks\n"
TARGET_P95_MS = 50.0
FACETS = ["organization", "groups", "tags", "res_format", "license_id"]

SUBJECTS = [
    "Dân số", "Giao thông", "Trường học", "Bệnh viện", "Ngân sách", "Doanh nghiệp",
    "Môi trường", "Đất đai", "Chợ", "Nước sạch", "Chiếu sáng", "Cây xanh", "Xe buýt",
    "Bãi đỗ xe", "Du lịch", "Di tích", "Hộ tịch", "Lao động", "Việc làm", "Nhà ở",
    "Điện", "Rác thải", "Không khí", "Tiếng ồn", "Khám chữa bệnh", "Tiêm chủng",
    "Thư viện", "Thể thao", "Công viên", "Cấp phép xây dựng",
]  # fmt: skip
QUALIFIERS = [
    "theo phường", "theo xã", "năm 2024", "năm 2025", "theo tháng", "theo quý", "công lập",
    "tư thục", "nội thành", "ngoại thành", "trên địa bàn", "đã cấp", "đang hoạt động",
]  # fmt: skip
PLACES = [
    "Hà Nội", "Ba Đình", "Hoàn Kiếm", "Cầu Giấy", "Đống Đa", "Hà Đông", "Long Biên",
    "Tây Hồ", "Sóc Sơn", "Gia Lâm", "Đông Anh", "Thanh Trì", "Ba Vì", "Mê Linh",
]  # fmt: skip
WORDS = [
    "số",
    "liệu",
    "thống",
    "kê",
    "danh",
    "sách",
    "địa",
    "chỉ",
    "tọa",
    "độ",
    "diện",
    "tích",
    "quy",
    "mô",
    "công",
    "suất",
    "chỉ",
    "tiêu",
    "kế",
    "hoạch",
    "thực",
    "hiện",
    "báo",
    "cáo",
    "tổng",
    "hợp",
    "cơ",
    "sở",
    "đơn",
    "vị",
    "hộ",
    "gia",
    "đình",
    "người",
    "dân",
    "cán",
    "bộ",
    "dịch",
    "vụ",
    "công",
    "trực",
    "tuyến",
    "hồ",
    "sơ",
    "thủ",
    "tục",
    "hành",
    "chính",
    "chuyển",
    "đổi",
    "số",
    "dữ",
    "liệu",
    "mở",
]
FORMATS = ["CSV", "XLSX", "JSON", "PDF"]
LICENSES = ["cc-by-4.0", "cc-by-4.0", "cc-zero", "odc-by", "cc-by-sa-4.0"]
KEYWORDS = [
    "dân số", "dan so", "giao thông", "giao thong", "trường học", "truong hoc", "bệnh viện",
    "ha noi", "Hà Nội", "xe buyt", "chợ", "nuoc sach", "tiêm chủng", "di tich", "ba dinh",
    "cau giay", "ngân sách", "doanh nghiep", "rác thải", "thư viện", "cong vien", "hộ tịch",
]  # fmt: skip


def _setup(url: str) -> None:
    env = {**os.environ, "DATABASE_URL": url, "THUDO_LOG_FORMAT": "text", "LOG_LEVEL": "WARNING"}
    fresh_database(url)
    migrate(env)
    os.environ.update({"DATABASE_URL": url, "LOG_LEVEL": "WARNING", "THUDO_LOG_FORMAT": "text"})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def seed(*, datasets: int, organizations: int = 40, seed_value: int = 47) -> dict[str, Any]:
    """The catalogue, written in bulk as the services write each dataset."""
    from django.db import connection

    from thudo.core.models import AdministrativeUnit, Agency
    from thudo.opendata import search
    from thudo.opendata.models import Dataset, FacetValue, Group, Organization, Resource, Tag

    rng = random.Random(seed_value)
    start = time.perf_counter()
    units = AdministrativeUnit.objects
    city = units.filter(code="01").first() or units.create(
        code="01", name="Thành phố Hà Nội", kind="central_city", level="province",
        valid_from=datetime(2025, 7, 1).date(),
    )  # fmt: skip
    agencies = [
        Agency.objects.create(
            # Departments are named by their field ("Sở Tư pháp"), not by the city.
            code=f"000.00.{n:02d}.H26",
            name=f"Sở {SUBJECTS[n % len(SUBJECTS)]} {n}",
            kind="department",
            unit=city,
        )
        for n in range(1, organizations + 1)
    ]
    orgs = Organization.objects.bulk_create(
        [Organization(agency=a, name=f"so-{n}") for n, a in enumerate(agencies, start=1)]
    )
    groups = Group.objects.bulk_create(
        [Group(name=f"chu-de-{n}", title=f"Chủ đề {SUBJECTS[n]}") for n in range(15)]
    )
    tags = Tag.objects.bulk_create(
        [Tag(name=f"{rng.choice(SUBJECTS).lower()} {n}") for n in range(500)]
    )
    now = datetime.now(UTC)
    batch = 5000
    made = 0
    through_tags = Dataset.tags.through
    through_groups = Dataset.groups.through
    while made < datasets:
        rows, facets, tag_rows, group_rows, resources = [], [], [], [], []
        for _ in range(min(batch, datasets - made)):
            made += 1
            subject = rng.choice(SUBJECTS)
            title = f"{subject} {rng.choice(QUALIFIERS)} {rng.choice(PLACES)}"
            notes = " ".join(rng.choices(WORDS, k=25)) + f" {rng.choice(PLACES)}"
            org = rng.choice(orgs)
            lic = rng.choice(LICENSES)
            ds_tags = rng.sample(tags, rng.randint(2, 6))
            ds_groups = rng.sample(groups, rng.randint(1, 2))
            formats = sorted(set(rng.choices(FORMATS, k=rng.randint(1, 3))))
            pk = uuid.UUID(int=rng.getrandbits(128))
            agency = agencies[orgs.index(org)]
            rows.append(Dataset(
                id=pk, name=f"bo-du-lieu-{made}", title=title, notes=notes, organization=org,
                license_id=lic, state="active", private=made % 50 == 0,
                search_title=search.words(title)[:300],
                search_body=search.words(" ".join(
                    [f"bo du lieu {made}", notes, *(t.name for t in ds_tags),
                     *(g.title for g in ds_groups), agency.name, agency.short_name]
                )),
                created_at=now - timedelta(minutes=made), modified_at=now - timedelta(minutes=made),
            ))  # fmt: skip
            facets += [FacetValue(dataset_id=pk, field="organization", value=org.name),
                       FacetValue(dataset_id=pk, field="license_id", value=lic)]  # fmt: skip
            facets += [FacetValue(dataset_id=pk, field="groups", value=g.name) for g in ds_groups]
            facets += [FacetValue(dataset_id=pk, field="tags", value=t.name) for t in ds_tags]
            facets += [FacetValue(dataset_id=pk, field="res_format", value=f) for f in formats]
            tag_rows += [through_tags(dataset_id=pk, tag_id=t.pk) for t in ds_tags]
            group_rows += [through_groups(dataset_id=pk, group_id=g.pk) for g in ds_groups]
            resources += [
                Resource(dataset_id=pk, name=f"{title} ({f})", format=f, position=i,
                         url=f"https://data.hanoi.example/{made}/{i}.{f.lower()}",
                         created_at=now, last_modified=now)
                for i, f in enumerate(formats)
            ]  # fmt: skip
        Dataset.objects.bulk_create(rows)
        FacetValue.objects.bulk_create(facets)
        through_tags.objects.bulk_create(tag_rows)
        through_groups.objects.bulk_create(group_rows)
        Resource.objects.bulk_create(resources)
    loaded = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        begin = time.perf_counter()
        cursor.execute("UPDATE opendata_dataset SET search_title = search_title || ''")
        cursor.execute("ANALYZE opendata_dataset")
        reindex = time.perf_counter() - begin
        cursor.execute("SELECT count(*) FROM opendata_dataset WHERE search_vector IS NOT NULL")
        indexed = cursor.fetchone()[0]
    return {
        "datasets": datasets,
        "indexed": indexed,
        "facet_rows": FacetValue.objects.count(),
        "load_seconds": round(loaded, 2),
        "load_per_second": round(datasets / loaded),
        "reindex_seconds": round(reindex, 2),
        "reindex_per_second": round(datasets / reindex),
    }


def workload(count: int, seed_value: int = 7) -> list[dict[str, str]]:
    from thudo.opendata.models import Organization, Tag

    rng = random.Random(seed_value)
    orgs = list(Organization.objects.values_list("name", flat=True))
    tags = list(Tag.objects.values_list("name", flat=True))
    found = []
    for n in range(count):
        words = rng.choice(KEYWORDS)
        if rng.random() < 0.3:
            words = f"{words} {rng.choice(KEYWORDS).split()[0]}"
        params = {"q": words, "rows": "10", "facet.field": json.dumps(FACETS)}
        if n % 2:
            params["fq"] = (
                f'organization:"{rng.choice(orgs)}"' if n % 4 == 1 else f'tags:"{rng.choice(tags)}"'
            )
        found.append(params)
    return found


def _baseline(cursor: Any, words: str) -> tuple[int, list[Any]]:
    from thudo.opendata import search

    folded = " ".join(search.words(words).split())
    cursor.execute(
        "SELECT id FROM opendata_dataset WHERE search_vector @@ plainto_tsquery('simple', %s) "
        "AND state = 'active' AND NOT private "
        "ORDER BY ts_rank_cd(search_vector, plainto_tsquery('simple', %s)) DESC LIMIT 10",
        [folded, folded],
    )
    ids = [r[0] for r in cursor.fetchall()]
    cursor.execute(
        "SELECT count(*) FROM opendata_dataset WHERE search_vector @@ "
        "plainto_tsquery('simple', %s) AND state = 'active' AND NOT private",
        [folded],
    )
    return cursor.fetchone()[0], ids


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 2)

    return {
        "p50": at(0.5),
        "p95": at(0.95),
        "p99": at(0.99),
        "mean": round(statistics.fmean(ordered) * 1000, 2),
    }


def measure(queries: list[dict[str, str]], *, warmup: int = 20) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client

    from thudo.opendata import search, selectors

    client = Client()
    url = "/opendata/api/3/action/package_search"
    timings: dict[str, list[float]] = {"http": [], "search": [], "baseline": []}
    counts = []
    for n, params in enumerate([*queries[:warmup], *queries]):
        timed = n >= warmup
        begin = time.perf_counter()
        response = client.get(url, params)
        http = time.perf_counter() - begin
        body = response.json()
        if not body["success"]:
            raise SystemExit(f"package_search failed: {body['error']}")
        begin = time.perf_counter()
        result = search.run(
            search.Query(
                q=params["q"], fq=params.get("fq", ""), rows=10, facet_fields=tuple(FACETS)
            )
        )
        selectors.package_dicts(result.ids)
        in_process = time.perf_counter() - begin
        with connection.cursor() as cursor:
            begin = time.perf_counter()
            total, _ids = _baseline(cursor, params["q"])
            bare = time.perf_counter() - begin
        if timed:
            timings["http"].append(http)
            timings["search"].append(in_process)
            timings["baseline"].append(bare)
            counts.append((body["result"]["count"], total, "fq" in params))
    stats = {k: _percentiles(v) for k, v in timings.items()}
    plain = [c for c in counts if not c[2]]
    return {
        "queries": len(queries),
        **stats,
        "ratio_p95_http_to_baseline": round(stats["http"]["p95"] / stats["baseline"]["p95"], 1),
        "matches_median": statistics.median(c[0] for c in counts),
        "matches_max": max(c[0] for c in counts),
        "counts_equal_baseline_without_fq": all(a == b for a, b, _ in plain),
    }


def section(report: dict[str, Any]) -> str:
    s, m, q = report["seed"], report["machine"], report["search"]
    met = "met" if report["target_met"] else "**missed**"
    return f"""## {TITLE}

{report["date"]} · `{report["command"]}` · {m["cpu"]}, {m["cores"]} cores, Python {m["python"]}, PostgreSQL {m["postgresql"]} · load average at start {m["load_average_at_start"]}

{s["datasets"]:,} datasets (40 publishers, 15 themes, 500 tags, {s["facet_rows"]:,} facet rows). `package_search` with 1–2 keywords (half without accents), the five facets and 10 rows, half with an `fq` on a publisher or a tag; {q["queries"]} queries measured interleaved after 20 warm-up ones. Median matches per query {q["matches_median"]:,}, most {q["matches_max"]:,}.

| what | p50 ms | p95 ms | p99 ms |
|---|---|---|---|
| `package_search` through HTTP (Action API view, JSON) | {q["http"]["p50"]} | {q["http"]["p95"]} | {q["http"]["p99"]} |
| the same in-process (`search.run` + `package_dicts`) | {q["search"]["p50"]} | {q["search"]["p95"]} | {q["search"]["p99"]} |
| baseline: bare full-text query + count | {q["baseline"]["p50"]} | {q["baseline"]["p95"]} | {q["baseline"]["p99"]} |

Target p95 ≤ {TARGET_P95_MS:.0f} ms through HTTP: {met} ({q["ratio_p95_http_to_baseline"]}× the bare query's p95; counts equal the bare query's on the queries without `fq`: {"yes" if q["counts_equal_baseline_without_fq"] else "no"}).

Indexing: the bulk load of {s["datasets"]:,} datasets with their facets, tags, themes and resources (the trigger building every tsvector) took {s["load_seconds"]} s ({s["load_per_second"]:,} datasets/s); a full re-index (every row's search text rewritten, the trigger run again, ANALYZE) {s["reindex_seconds"]} s ({s["reindex_per_second"]:,} datasets/s).
"""  # noqa: E501 - one table row or paragraph per line, as Markdown wants


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Open-data search benchmark")
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, nothing written")
    args = parser.parse_args(argv)
    if args.quick:
        args.datasets, args.queries = 2000, 30
    _setup(args.database_url)
    started = load_average()
    seeded = seed(datasets=args.datasets)
    print(json.dumps(seeded, indent=2))
    measured = measure(workload(args.queries))
    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "bench/opendata.py" + (" --quick" if args.quick else ""),
        "machine": {**machine(), "postgresql": postgres_setting("server_version"),
                    "load_average_at_start": started, "load_average_at_end": load_average()},
        "seed": seeded,
        "search": measured,
        "target_met": measured["http"]["p95"] <= TARGET_P95_MS,
    }  # fmt: skip
    print(json.dumps(measured, indent=2))
    if not args.quick:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        write_section(TITLE, section(report), intro=INTRO)


if __name__ == "__main__":
    main()
