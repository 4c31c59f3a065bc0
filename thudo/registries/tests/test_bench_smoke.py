"""The population benchmark still runs (tiny size, nothing timed or asserted about speed)."""

from __future__ import annotations

import pytest

from bench import population as bench


@pytest.mark.django_db
def test_benchmark_core_runs(hanoi, tmp_path) -> None:
    figures = bench.run(size=500, seed=3, province_code="01", workdir=tmp_path)
    assert figures["size"] == 500
    assert figures["households"] > 100
    assert figures["businesses"] > 10
    assert figures["baseline_file_bytes"] > 0
    assert {"generator_people_per_second", "baseline_rows_per_second", "ratio"} <= set(figures)


def test_report_section_replaces_only_its_own(tmp_path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text(
        "# Benchmarks\n\nintro\n\n## Population generator\n\nold\n\n## Gateway\n\nkeep\n"
    )
    report = {
        "date": "2026-01-01 00:00 UTC",
        "command": "bench/population.py --size 500",
        "machine": {"cpu": "cpu", "cores": 2, "postgresql": "15"},
        "figures": {
            "generator_people_per_second": 1,
            "generator_seconds": 1.0,
            "baseline_rows_per_second": 1,
            "baseline_seconds": 1.0,
            "ratio": 1.0,
            "target_people_per_second": 50_000,
            "target_met": False,
        },
    }
    bench.write_doc(report, doc)
    text = doc.read_text()
    assert "old" not in text and "## Gateway\n\nkeep" in text and "intro" in text
    assert text.count("## Population generator") == 1
