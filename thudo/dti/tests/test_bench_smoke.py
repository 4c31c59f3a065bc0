"""The DTI benchmark still runs (tiny size, in the test database, nothing about speed
asserted), and ``selectors.results`` gives exactly the hand-written GROUP BY's totals."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bench import dti as bench
from bench.common import write_section
from thudo.core.models import AdministrativeUnit, Agency
from thudo.dti.contracts import RoundStatus
from thudo.dti.contracts import UnitStatus as U
from thudo.dti.models import CouncilMember, Decision, Review, Round, RoundUnit, Score

pytestmark = pytest.mark.django_db

UNITS, COUNCIL, DRAFT, SUBS, INDICES = 6, 7, 2, 47, 8
SAVES, DECISIONS, REVIEWED = 4, 2, 2


def test_benchmark_core_runs(tmp_path: Path) -> None:
    setup = bench.seed(units=UNITS, council=COUNCIL, draft_units=DRAFT, decided_share=0.5)

    # What was created: the city's agencies and units, the three rounds, the score rows.
    assert Agency.objects.filter(kind="commune_committee").count() == UNITS
    assert AdministrativeUnit.objects.filter(level="commune").count() == UNITS
    assert (setup.subs, setup.indices) == (SUBS, INDICES)
    assert setup.scores == Score.objects.filter(unit__round_id=setup.round_id).count()
    assert setup.scores == UNITS * SUBS
    assert Score.objects.count() == (UNITS + DRAFT) * SUBS  # last year's: no scores
    assert CouncilMember.objects.filter(round_id=setup.round_id).count() == COUNCIL
    assert Round.objects.get(pk=setup.round_id).status == RoundStatus.APPRAISAL
    assert Round.objects.get(pk=setup.previous_round_id).status == RoundStatus.PUBLISHED
    assert Round.objects.get(pk=setup.draft_round_id).status == RoundStatus.OPEN
    assert len(setup.decided_ids) == UNITS // 2 and len(setup.undecided_ids) == UNITS // 2
    statuses = dict(RoundUnit.objects.filter(round_id=setup.round_id).values_list("pk", "status"))
    assert {statuses[u] for u in setup.decided_ids} == {U.DECIDED}
    assert {statuses[u] for u in setup.undecided_ids} == {U.SUBMITTED}
    assert set(
        RoundUnit.objects.filter(round_id=setup.draft_round_id).values_list("status", flat=True)
    ) == {U.DRAFT}
    assert not Score.objects.filter(unit__round_id=setup.round_id, self_points=None).exists()
    assert Score.objects.filter(unit_id__in=setup.decided_ids, final_points=None).count() == 0
    assert (
        not Score.objects.filter(unit_id__in=setup.undecided_ids)
        .exclude(final_points=None)
        .exists()
    )
    for unit in RoundUnit.objects.filter(round_id=setup.round_id):
        points = [s.self_points or Decimal(0) for s in Score.objects.filter(unit=unit)]
        assert unit.self_points == sum(points, Decimal(0))
    assert setup.timings["round_open_s"] >= 0 and setup.round_open_queries > 0

    # Ours and the baseline, unit for unit and index for index, exactly.
    round_ = Round.objects.select_related("framework").get(pk=setup.round_id)
    ours = bench.results_ours(round_)
    baseline = bench.results_baseline(setup.round_id)
    assert len(ours.units) == len(baseline) == UNITS
    mine = {r.unit_code: r for r in ours.units}
    for unit_id, expected in baseline.items():
        got = mine[setup.code_of[unit_id]]
        assert got.points == expected.points
        assert got.max_points == expected.max_points
        assert got.rank == expected.rank and got.value == expected.value
        assert {i.code: i.points for i in got.indices} == expected.indices
        assert len(expected.indices) == INDICES
        assert got.previous_value is not None  # last year's round is published
    decided = RoundUnit.objects.get(pk=setup.decided_ids[0])
    assert baseline[decided.pk].points == decided.final_points
    undecided = RoundUnit.objects.get(pk=setup.undecided_ids[0])
    assert baseline[undecided.pk].points == undecided.self_points
    check = bench.compare(ours, baseline, setup.code_of)
    assert check == {"units": UNITS, "different_totals": 0, "different_index_totals": 0,
                     "different_ranks": 0, "missing": 0, "extra": 0,
                     "identical": True}  # fmt: skip
    measured = bench.results(setup, runs=1)
    assert measured["check"]["identical"] is True
    assert measured["units_with_previous_year"] == UNITS
    assert len(measured["runs"]["ours"]) == len(measured["runs"]["baseline"]) == 1
    assert measured["ours_queries"] > 0 and measured["baseline_queries"] == 1

    # Saves by the draft units' assessors, the baseline's UPDATEs beside them.
    saved = bench.saves(setup, count=SAVES)
    assert saved["count"] == SAVES and saved["sub_indices"] == SAVES
    assert saved["wrong_points"] == 0 and saved["unit_totals_right"] == DRAFT
    assert saved["queries_per_save"] > 0

    # Decisions on reviewed units (one untimed first): every member reviewed.
    reviews_before = Review.objects.count()
    decided_before = Decision.objects.count()
    taken = bench.decisions(setup, count=DECISIONS, reviewed=REVIEWED)
    assert taken["count"] == DECISIONS and taken["checked"] == DECISIONS + 1
    assert taken["right"] == DECISIONS + 1
    assert taken["reviews"] == (DECISIONS + 1) * COUNCIL * REVIEWED
    assert Review.objects.count() - reviews_before == taken["reviews"]
    assert Decision.objects.count() - decided_before == DECISIONS + 1
    with pytest.raises(SystemExit):
        bench.decisions(setup, count=UNITS, reviewed=1)  # not enough undecided units left

    # The docs section, written over a stale one, the other sections kept.
    report: dict[str, Any] = {
        "date": "2026-01-01 00:00 UTC",
        "command": "bench/dti.py",
        "machine": {"cpu": "cpu", "cores": 2, "python": "3.11", "postgresql": "15",
                    "load_average_at_start": [1.0, 1.0, 1.0],
                    "load_average_at_end": [2.0, 1.0, 1.0]},
        "options": {**asdict(bench.Options(units=UNITS, council=COUNCIL, runs=1,
                                                 draft_units=DRAFT)),
                    "subs": setup.subs, "scores": setup.scores},
        "generation": setup.timings,
        "round_open": {"seconds": setup.timings["round_open_s"], "score_rows": setup.scores,
                       "measured": setup.measured, "queries": setup.round_open_queries},
        "results": measured,
        "save": saved,
        "decision": taken,
        "summary": {"results_met": True, "save_met": False, "decision_met": True,
                    "targets": bench.TARGETS},
    }  # fmt: skip
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n## DTI\n\nstale figures\n\n## Analytics\n\nkeep\n")
    write_section(bench.TITLE, bench.section(report), intro=bench.INTRO, path=doc)
    text = doc.read_text()
    assert "stale figures" not in text and "## Analytics\n\nkeep" in text
    assert text.count("## DTI") == 1
    assert "| results of the round: 6 units × 47 sub-indices" in text
    assert "| **missed** |" in text
    assert "equal the baseline's unit by unit: yes" in text
