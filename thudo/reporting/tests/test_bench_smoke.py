"""The analytics benchmark still runs (tiny size, nothing timed or asserted about speed),
and its roll-up through ``analytics`` gives exactly the hand-written GROUP BY's numbers."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from bench import reporting as bench
from bench.common import write_section
from thudo.core.identifiers import check_agency_code
from thudo.reporting.models import AggregateValue, DataValue, UnitClosure

pytestmark = pytest.mark.django_db

UNITS, ELEMENTS, MONTHS, DISTRICTS = 20, 5, 3, 3


def test_benchmark_core_runs(tmp_path: Path) -> None:
    # This year: the months loaded must be open for entry for the update part.
    year = timezone.localdate().year
    setup = bench.seed(units=UNITS, elements=ELEMENTS, months=MONTHS, districts=DISTRICTS,
                       year=year)  # fmt: skip
    assert setup.values == DataValue.objects.count() == UNITS * ELEMENTS * MONTHS
    assert len(setup.district_ids) == DISTRICTS and len(setup.commune_ids) == UNITS
    assert UnitClosure.objects.filter(ancestor_id=setup.root_id).count() == 1 + DISTRICTS + UNITS
    districts, communes = bench.agency_codes(DISTRICTS, UNITS)
    assert len(set(communes)) == UNITS and all(check_agency_code(c) for c in districts)

    # Our roll-up and the baseline's, number for number: every commune × element of the
    # one quarter with data, the sum of its three months.
    ours = bench.rollup_ours(setup)
    baseline = {(e, u, q): bench._number(total) for u, e, q, total in bench.rollup_baseline(setup)}
    assert len(baseline) == UNITS * ELEMENTS
    assert {q for _e, _u, q in baseline} == {f"{year}Q1"}
    assert ours == baseline
    one = DataValue.objects.filter(element_id=setup.element_ids[0], unit_id=setup.commune_ids[0])
    assert ours[(setup.element_ids[0], setup.commune_ids[0], f"{year}Q1")] == sum(
        (v.value for v in one), Decimal(0)
    )
    rolled = bench.rollup(setup, runs=1)
    assert rolled["check"] == {"cells": UNITS * ELEMENTS, "missing": 0, "different": 0,
                               "extra": 0, "identical": True}  # fmt: skip
    assert len(rolled["runs"]["ours"]) == len(rolled["runs"]["baseline"]) == 1

    rebuilt = bench.rebuild(runs=1)
    # The city and each district, for every element and month.
    rows = (1 + DISTRICTS) * ELEMENTS * MONTHS
    assert rebuilt["check"] == {"rows": rows, "differences": 0, "identical": True}
    assert AggregateValue.objects.count() == rows
    rebuilt["breakdown"] = bench.rebuild_breakdown()
    assert rebuilt["breakdown"]["insert_select_s"] >= 0
    if connection.vendor == "postgresql":
        assert rebuilt["breakdown"]["two_step_identical"]
    assert AggregateValue.objects.count() == rows
    bench.drop_scratch()

    queried = bench.queries(setup, runs=1)
    assert queried["dashboard_cells"] == (1 + DISTRICTS) * ELEMENTS  # one quarter has data
    assert queried["full_cells"] == UNITS * ELEMENTS

    updated = bench.updates(setup, count=3)
    assert updated["count"] == 3 and updated["wrong_totals"] == 0

    breakdown = bench.rollup_breakdown(setup)
    if connection.vendor == "postgresql":
        assert breakdown["rows"] == UNITS * ELEMENTS and breakdown["ours_plan"]
        assert any("Execution Time" in line for line in breakdown["ours_plan"])
    else:
        assert breakdown == {}

    report: dict[str, Any] = {
        "date": "2026-01-01 00:00 UTC",
        "command": "bench/reporting.py",
        "machine": {"cpu": "cpu", "cores": 2, "python": "3.11", "postgresql": "15",
                    "load_average_at_start": [1.0, 1.0, 1.0],
                    "load_average_at_end": [2.0, 1.0, 1.0]},
        "options": {"units": UNITS, "districts": DISTRICTS, "elements": ELEMENTS,
                    "months": MONTHS, "year": year, "values": setup.values, "runs": 1,
                    "updates": 3},
        "generation": setup.timings,
        "rollup": rolled,
        "rollup_breakdown": breakdown,
        "queries": queried,
        "rebuild": rebuilt,
        "update": updated,
        "summary": {"rollup_met": True, "rebuild_met": False, "update_met": True,
                    "targets": bench.TARGETS},
    }  # fmt: skip
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n## Analytics\n\nstale figures\n\n## PDF signing\n\nkeep\n")
    write_section(bench.TITLE, bench.section(report), intro=bench.INTRO, path=doc)
    text = doc.read_text()
    assert "stale figures" not in text and "## PDF signing\n\nkeep" in text
    assert text.count("## Analytics") == 1
    assert "| roll-up unit × element × quarter" in text and "| **missed** |" in text
    assert "equals the baseline's cell by cell: yes" in text
