"""The open-data search benchmark still runs (tiny size, in the test database, nothing
about speed asserted): the bulk catalogue is what the services would have written, and
``package_search`` counts what the bare full-text query counts."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection

from bench import opendata as bench
from bench.common import write_section
from thudo.opendata import search, selectors
from thudo.opendata.models import Dataset, FacetValue

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text search"),
]


def test_benchmark_runs_and_agrees_with_the_bare_query(tmp_path: Path) -> None:
    seeded = bench.seed(datasets=300, organizations=5)
    assert (seeded["datasets"], seeded["indexed"]) == (300, 300)
    assert seeded["facet_rows"] == FacetValue.objects.count()
    assert Dataset.objects.filter(private=True).count() == 6  # one in fifty

    # A dataset written in bulk is found as one written by the services would be.
    ds = Dataset.objects.filter(private=False).order_by("name").first()
    assert ds is not None
    found = search.run(search.Query(q=ds.title, rows=300))
    assert ds.pk in found.ids
    record = selectors.package_dicts([ds.pk])[0]
    assert {f"res_format:{r['format']}" for r in record["resources"]} == {
        f"res_format:{v}"
        for v in FacetValue.objects.filter(dataset=ds, field="res_format").values_list(
            "value", flat=True
        )
    }

    measured = bench.measure(bench.workload(6), warmup=1)
    assert measured["queries"] == 6
    assert measured["counts_equal_baseline_without_fq"] is True
    assert measured["matches_max"] > 0
    assert set(measured["http"]) == {"p50", "p95", "p99", "mean"}

    report = {
        "date": "2026-01-01 00:00 UTC", "command": "bench/opendata.py",
        "machine": {"cpu": "cpu", "cores": 2, "python": "3.11", "postgresql": "15",
                    "load_average_at_start": [1.0, 1.0, 1.0]},
        "seed": seeded, "search": measured, "target_met": False,
    }  # fmt: skip
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n## Open-data search\n\nstale\n\n## DTI\n\nkeep\n")
    write_section(bench.TITLE, bench.section(report), intro=bench.INTRO, path=doc)
    text = doc.read_text()
    assert "stale" not in text and "## DTI\n\nkeep" in text
    assert "| **missed** (" not in text
    assert "Target p95 ≤ 50 ms through HTTP: **missed**" in text
