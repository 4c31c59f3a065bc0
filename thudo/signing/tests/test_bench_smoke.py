"""The signing benchmark still runs (tiny size, nothing timed or asserted about speed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench import signing as bench
from bench.common import write_section

VARIANTS = [
    "raw ECDSA P-256",
    "B-B visible",
    "B-B invisible",
    "B-T visible",
    "B-T invisible",
    "B-LT visible",
    "B-LT invisible",
    "pyHanko default B-B invisible",
    "pyHanko default B-B visible",
]


def test_benchmark_core_runs(pki: None, tmp_path: Path) -> None:
    figures = bench.run(seconds=0.01, rounds=1, minimum=1, profile_count=2)

    assert [f["variant"] for f in figures["figures"]] == VARIANTS
    for figure in figures["figures"]:
        assert figure["signatures_per_second"] > 0
        assert len(figure["rounds"]) == 1
    assert figures["figures"][0]["ratio_to_raw_ecdsa"] == 1.0
    assert set(figures["met"]) == {"B-B", "B-T", "B-LT"}
    assert set(figures["profile_b_t_visible_percent"]) == set(bench.PROFILE_PARTS)
    assert figures["pdf_bytes"] > 10_000

    report: dict[str, Any] = {
        "date": "2026-01-01 00:00 UTC",
        "command": "bench/signing.py",
        "machine": {"cpu": "cpu", "cores": 2, "python": "3.11"},
        "figures": figures,
    }
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n## PDF signing\n\nold\n\n## Exchange gateway\n\nkeep\n")
    write_section(bench.TITLE, bench.section(report), intro=bench.INTRO, path=doc)
    text = doc.read_text()
    assert "old" not in text and "## Exchange gateway\n\nkeep" in text
    assert text.count("## PDF signing") == 1
    assert "| B-LT visible |" in text and "Target ≥ 75 signatures/s" in text
