"""Benchmark: the DTI module — a round's results, one score saved, a council decision.

    .venv/bin/python bench/dti.py                          # or: make bench-dti

Against a fresh PostgreSQL database of its own (migrated): a city agency with its
administrative unit, a standing body (the digital-transformation department) and 1,000
commune committees below the city (each with its commune-level administrative unit),
created in bulk; the shipped ``HN-XA`` framework (47 sub-indices in 8 main indices)
imported; last year's round of the same framework published (the units' final points
written in bulk, so that the results have a year-over-year change to compute); this year's
round over every commune with a council of 13 officials (``services.council_set``), opened
with ``services.round_open`` (timed: it bulk-creates 47,000 score rows and measures the
bound sub-indices); every unit's self-assessment loaded in bulk (seeded values per method,
points through ``scoring.node_points``, written with ``thudo.dti.bulk.update_rows``; the
units submitted); the round closed (``services.round_close``); the council's final points
written in bulk for half of the units. Beside it, a small round of the next year over a
few of the communes stays open, its units in draft, for the saves. Side by side in one run:

1. ``selectors.results`` (totals per unit and per main index, 0–1 values, ranks,
   year-over-year) against ONE hand-written ``SELECT s.unit_id, n.code, SUM(COALESCE(
   s.final_points, s.self_points)), SUM(sub.max_points) … GROUP BY 1, 2`` fetched with
   ``cursor.fetchall`` and ranked in Python; the unit totals, main-index totals and ranks
   of the two are compared exactly (Decimals). Median of ``--runs`` interleaved runs after
   one untimed pass of each.
2. ``services.score_save`` by the assessor of a unit in draft, repeated on different
   sub-indices and values; p50 and p95 against a single-row ``UPDATE dti_score SET …
   WHERE id = %s`` and its COMMIT through the same connection, interleaved.
3. ``services.decision_record`` by the council's chair for a submitted unit with the 13
   members' reviews (``services.review_give``, given beforehand) on 5 sub-indices; p50.

Seeding is timed and printed, never counted in the figures (``round_open`` and
``round_close`` are reported for information). Results go to ``bench/results/dti.json``
and the "DTI" section of docs/benchmarks.md. ``--quick`` runs tiny sizes (printed only,
nothing written); ``--from-results`` rewrites the docs section from the JSON.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
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

RESULTS = ROOT / "bench" / "results" / "dti.json"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/thudo_bench_dti"
TITLE = "DTI"
INTRO = "# Benchmarks\n"
YEAR = 2026
FRAMEWORK_FILE = "hanoi-xa-2026.yaml"
# Ours, not official (PERFORMANCE.md has no DTI row yet).
TARGETS = {
    "results_seconds": 1.0,
    "results_ratio": 3.0,
    "save_p95_ms": 100.0,
    "decision_p50_ms": 500.0,
}
ROOT_CODE = "000.00.00.H26"
STANDING_CODE = "000.00.18.H26"
PROVINCE_CODE = "99"
VALID_FROM = date(2025, 7, 1)
FOUR = Decimal("0.0001")
CENT = Decimal("0.01")

# One statement, portable (PostgreSQL and SQLite): points per unit and main index (the
# council's final points where decided, else the self-points) and the index's maximum.
BASELINE_SQL = """
SELECT s.unit_id, n.code AS index_code,
       SUM(COALESCE(s.final_points, s.self_points)) AS points,
       SUM(sub.max_points) AS max_points
FROM dti_score s
JOIN dti_roundunit unit ON unit.id = s.unit_id
JOIN dti_node sub ON sub.id = s.node_id
JOIN dti_node n ON sub.parent_id = n.id
WHERE unit.round_id = %s
GROUP BY 1, 2
"""
SAVE_BASELINE_SQL = (
    "UPDATE dti_score SET value = %s, self_points = %s, explanation = %s, updated_at = %s "
    "WHERE id = %s"
)


# --- the data ---------------------------------------------------------------------------------


@dataclass
class Setup:
    year: int
    framework_id: int
    subs: int
    indices: int
    round_id: int
    previous_round_id: int
    draft_round_id: int
    head: str  # username of the standing body's head (opens, closes)
    council: list[str]  # usernames, the chair first
    unit_ids: list[int]  # RoundUnit ids of this year's round, by agency code
    code_of: dict[int, str]  # RoundUnit id → agency code
    decided_ids: list[int]
    draft_unit_ids: list[int]
    assessors: dict[int, str]  # draft RoundUnit id → the assessor's username
    scores: int = 0
    measured: int = 0
    round_open_queries: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def undecided_ids(self) -> list[int]:
        decided = set(self.decided_ids)
        return [u for u in self.unit_ids if u not in decided]


def agency_codes(units: int) -> list[str]:
    """Commune codes of Decision 20/2020's shape under the city's ``000.00.00.H26``."""
    from thudo.core.identifiers import check_agency_code

    width = max(4, len(str(units)))
    codes = [f"{n + 1:0{width}d}.50.00.H26" for n in range(units)]
    for code in (ROOT_CODE, STANDING_CODE, codes[0], codes[-1]):
        check_agency_code(code)
    return codes


def draw(rng: random.Random, node: Any) -> tuple[Decimal | None, Decimal]:
    """A seeded (value, points) for a sub-index by its method; points via the framework's
    own scoring (``scoring.node_points``), given directly for manual sub-indices."""
    from thudo.dti import scoring
    from thudo.dti.contracts import Method

    if node.method == Method.MANUAL:
        points = scoring.quantize(node.max_points * Decimal(rng.randrange(0, 21)) / 20)
        return None, min(points, node.max_points)
    if node.method == Method.YES_NO:
        value = Decimal(1 if rng.random() < 0.7 else 0)
    else:
        if node.method == Method.TIERS and node.tiers:
            top = Decimal(str(node.tiers[0][0]))
        else:
            top = node.target if node.target else Decimal(100)
        value = Decimal(rng.randrange(0, int(top * Decimal("11.5")) + 1)) / 10
        if node.value_unit == "%":
            value = min(value, Decimal(100))
    return value, scoring.node_points(node, value) or Decimal(0)


@contextmanager
def counting_queries() -> Iterator[list[int]]:
    """Counts the statements sent (``executemany`` as one), at negligible cost."""
    from django.db import connection

    counter = [0]

    def wrapper(execute: Any, sql: Any, params: Any, many: Any, context: Any) -> Any:
        counter[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield counter


def _users(usernames: list[str], label: str) -> list[Any]:
    from django.contrib.auth.hashers import make_password

    from thudo.core.models import User

    unusable = make_password(None)
    return User.objects.bulk_create(
        User(username=name, full_name=f"{label} {n + 1}", kind=User.Kind.OFFICIAL,
             password=unusable)
        for n, name in enumerate(usernames)
    )  # fmt: skip


def seed(*, units: int, council: int = 13, draft_units: int = 3, decided_share: float = 0.5,
         year: int = YEAR, seed_value: int = 2026) -> Setup:  # fmt: skip
    """Everything the measures need (see the module's docstring); timings in ``.timings``."""
    from thudo.core.models import AdministrativeUnit, Agency, Membership, Role
    from thudo.core.text import fold
    from thudo.dti import frameworks, services
    from thudo.dti.contracts import CouncilRole, Level
    from thudo.dti.models import Node, RoundUnit, Score

    if units < 1 or units > 99_999:
        raise SystemExit("--units must be 1 to 99,999 (5-digit commune codes)")
    if council < 1:
        raise SystemExit("--council must be at least 1 (the chair)")
    draft_units = max(1, min(draft_units, units))
    rng = random.Random(seed_value)
    timings: dict[str, float] = {}
    started = time.perf_counter()

    # The city, its administrative units and agencies, in bulk.
    province, _created = AdministrativeUnit.objects.get_or_create(
        code=PROVINCE_CODE, valid_from=VALID_FROM,
        defaults={"name": "Thành phố Thử Nghiệm", "kind": "central_city", "level": "province"},
    )  # fmt: skip
    names = [f"{'Phường' if n % 3 else 'Xã'} Thử Nghiệm {n + 1}" for n in range(units)]
    communes_au = AdministrativeUnit.objects.bulk_create(
        [AdministrativeUnit(code=f"{n + 1:05d}", name=name, search_name=fold(name),
                            kind="commune" if n % 3 == 0 else "ward", level="commune",
                            parent=province, valid_from=VALID_FROM)
         for n, name in enumerate(names)],
        batch_size=2000,
    )  # fmt: skip
    root = Agency.objects.create(
        code=ROOT_CODE, name="Ủy ban nhân dân Thành phố Thử Nghiệm",
        kind=Agency.Kind.PROVINCIAL_COMMITTEE, unit=province,
    )  # fmt: skip
    standing = Agency.objects.create(
        code=STANDING_CODE, name="Sở Khoa học và Công nghệ", kind=Agency.Kind.DEPARTMENT,
        unit=province, parent=root,
    )  # fmt: skip
    codes = agency_codes(units)
    titles = [f"Ủy ban nhân dân {name}" for name in names]
    Agency.objects.bulk_create(
        [Agency(code=code, name=title, search_name=fold(title), parent=root, unit=au,
                kind=Agency.Kind.COMMUNE_COMMITTEE)
         for code, title, au in zip(codes, titles, communes_au, strict=True)],
        batch_size=2000,
    )  # fmt: skip

    # The officials: the standing body's head, the council, an assessor per draft unit.
    head = _users(["bench-dti-head"], "Giám đốc Sở")[0]
    seats = [f"bench-hd-{n + 1:02d}" for n in range(council)]
    members = _users(seats, "Thành viên Hội đồng")
    Membership.objects.bulk_create(
        [Membership(user=head, agency=standing, role=Role.HEAD)]
        + [Membership(user=u, agency=root if n == 0 else standing,
                      role=Role.LEADER if n == 0 else Role.SPECIALIST)
           for n, u in enumerate(members)]
    )  # fmt: skip
    timings["agencies_and_officials_s"] = round(time.perf_counter() - started, 3)

    # The framework, last year's round published.
    began = time.perf_counter()
    parsed = frameworks.parse_yaml((frameworks.SHIPPED / FRAMEWORK_FILE).read_bytes())
    framework = services.framework_import(actor=None, parsed=parsed).framework
    previous = services.round_create(
        actor=head, framework=framework, year=year - 1, standing_body=standing,
        name=f"Đánh giá chỉ số chuyển đổi số các xã, phường năm {year - 1} (thử tải)",
    )  # fmt: skip
    _publish_history(previous, rng)
    timings["framework_and_last_year_s"] = round(time.perf_counter() - began, 3)

    # This year's round: created, its council, opened (timed: the score rows, measured).
    began = time.perf_counter()
    round_ = services.round_create(
        actor=head, framework=framework, year=year, standing_body=standing,
        name=f"Đánh giá chỉ số chuyển đổi số các xã, phường năm {year} (thử tải)",
    )  # fmt: skip
    roles = [CouncilRole.CHAIR, CouncilRole.VICE_CHAIR, CouncilRole.STANDING]
    services.council_set(
        actor=head, round_=round_,
        seats=[services.Seat(name, (roles[n] if n < len(roles) else CouncilRole.MEMBER).value)
               for n, name in enumerate(seats)],
    )  # fmt: skip
    timings["round_create_and_council_s"] = round(time.perf_counter() - began, 3)
    gc.collect()
    with counting_queries() as queries:
        began = time.perf_counter()
        round_ = services.round_open(actor=head, round_=round_)
        timings["round_open_s"] = round(time.perf_counter() - began, 3)
    round_open_queries = queries[0]

    # Every unit's self-assessment, in bulk; submitted.
    began = time.perf_counter()
    by_unit = _load_self_assessment(round_, rng)
    timings["self_assessment_load_s"] = round(time.perf_counter() - began, 3)
    began = time.perf_counter()
    services.round_close(actor=head, round_=round_)
    timings["round_close_s"] = round(time.perf_counter() - began, 3)

    # The council's final points for half of the units, in bulk.
    unit_rows = list(RoundUnit.objects.filter(round=round_).order_by("agency__code"))
    decided = unit_rows[: int(len(unit_rows) * decided_share)]
    began = time.perf_counter()
    _load_decisions(decided, by_unit, rng)
    timings["decisions_load_s"] = round(time.perf_counter() - began, 3)

    # A small round of the next year, open, its units in draft, with their assessors.
    began = time.perf_counter()
    draft = services.round_create(
        actor=head, framework=framework, year=year + 1, standing_body=standing,
        unit_codes=codes[:draft_units],
        name=f"Đánh giá chỉ số chuyển đổi số năm {year + 1} (thử tải, đang tự đánh giá)",
    )  # fmt: skip
    draft = services.round_open(actor=head, round_=draft)
    draft_rows = list(RoundUnit.objects.filter(round=draft).order_by("agency__code"))
    assessors = _users([f"bench-cb-{n + 1:02d}" for n in range(len(draft_rows))], "Chuyên viên")
    Membership.objects.bulk_create(
        Membership(user=user, agency_id=unit.agency_id, role=Role.SPECIALIST)
        for user, unit in zip(assessors, draft_rows, strict=True)
    )
    timings["draft_round_s"] = round(time.perf_counter() - began, 3)
    began = time.perf_counter()
    _analyze()
    timings["analyze_s"] = round(time.perf_counter() - began, 3)
    timings["total_s"] = round(time.perf_counter() - started, 3)

    main_scores = Score.objects.filter(unit__round=round_)
    unit_codes = dict(RoundUnit.objects.filter(round=round_).values_list("pk", "agency__code"))
    return Setup(
        year=year,
        framework_id=framework.pk,
        subs=Node.objects.filter(framework=framework, level=Level.SUB).count(),
        indices=Node.objects.filter(framework=framework, level=Level.INDEX).count(),
        round_id=round_.pk,
        previous_round_id=previous.pk,
        draft_round_id=draft.pk,
        head=head.username,
        council=seats,
        unit_ids=[u.pk for u in unit_rows],
        code_of=unit_codes,
        decided_ids=[u.pk for u in decided],
        draft_unit_ids=[u.pk for u in draft_rows],
        assessors={u.pk: a.username for u, a in zip(draft_rows, assessors, strict=True)},
        scores=main_scores.count(),
        measured=main_scores.filter(measured_value__isnull=False).count(),
        round_open_queries=round_open_queries,
        timings=timings,
    )


def _publish_history(previous: Any, rng: random.Random) -> None:
    """Last year's round as published results: every unit's final points, in bulk."""
    from django.db import transaction
    from django.utils import timezone

    from thudo.dti import bulk, scoring
    from thudo.dti.contracts import RoundStatus
    from thudo.dti.contracts import UnitStatus as U
    from thudo.dti.models import Round, RoundUnit

    decided_on = timezone.now() - timedelta(days=300)
    units = list(RoundUnit.objects.filter(round=previous))
    for unit in units:
        share = Decimal(rng.randrange(300, 950)) / 1000
        unit.final_points = unit.self_points = scoring.quantize(unit.max_points * share)
        unit.status = U.FINAL
        unit.decided_at = unit.locked_at = decided_on
    with transaction.atomic():
        bulk.update_rows(
            units, ["final_points", "self_points", "status", "decided_at", "locked_at"]
        )
        Round.objects.filter(pk=previous.pk).update(
            status=RoundStatus.PUBLISHED, opened_at=decided_on - timedelta(days=60),
            closed_at=decided_on, published_at=decided_on + timedelta(days=20),
        )  # fmt: skip


def _load_self_assessment(round_: Any, rng: random.Random) -> dict[int, list[Any]]:
    """Every score of every unit drawn by its method, the units' totals, submitted; in
    bulk (two ``executemany`` UPDATEs). Returns the scores by unit id."""
    from django.db import transaction
    from django.utils import timezone

    from thudo.dti import bulk, scoring
    from thudo.dti.contracts import UnitStatus as U
    from thudo.dti.models import RoundUnit, Score

    now = timezone.now()
    by_unit: dict[int, list[Any]] = {}
    scores = list(
        Score.objects.filter(unit__round=round_).select_related("node").order_by("unit", "node")
    )
    for score in scores:
        score.value, score.self_points = draw(rng, score.node)
        score.explanation = "Theo báo cáo tự đánh giá của đơn vị."
        score.flagged = scoring.discrepancy(score.value, score.measured_value, score.node.tolerance)
        score.updated_at = now
        by_unit.setdefault(score.unit_id, []).append(score)
    units = list(RoundUnit.objects.filter(round=round_))
    for unit in units:
        unit.self_points = sum((s.self_points for s in by_unit.get(unit.pk, [])), Decimal(0))
        unit.status = U.SUBMITTED
        unit.sent_at = unit.submitted_at = now
    with transaction.atomic():
        bulk.update_rows(scores, ["value", "self_points", "explanation", "flagged", "updated_at"])
        bulk.update_rows(units, ["self_points", "status", "sent_at", "submitted_at"])
    return by_unit


def _load_decisions(units: list[Any], by_unit: dict[int, list[Any]], rng: random.Random) -> None:
    """The council's final points of ``units`` (about one sub-index in eight cut to 80 %,
    with a reason), their totals, decided; in bulk as ``demo._load_scores`` does."""
    from django.db import transaction
    from django.utils import timezone

    from thudo.dti import bulk, scoring
    from thudo.dti.contracts import UnitStatus as U

    now = timezone.now()
    changed: list[Any] = []
    for unit in units:
        total = Decimal(0)
        for score in by_unit.get(unit.pk, []):
            points = score.self_points or Decimal(0)
            cut = points > 0 and rng.random() < 0.12
            score.final_points = scoring.quantize(points * Decimal("0.8")) if cut else points
            score.final_reason = "Minh chứng chưa đầy đủ." if cut else ""
            total += score.final_points
            changed.append(score)
        unit.final_points = total
        unit.status = U.DECIDED
        unit.decided_at = now
        unit.appeal_until = timezone.localdate() + timedelta(days=7)
    with transaction.atomic():
        bulk.update_rows(changed, ["final_points", "final_reason"])
        bulk.update_rows(units, ["final_points", "status", "decided_at", "appeal_until"])


def _analyze() -> None:
    """Fresh planner statistics (VACUUM ANALYZE; plain ANALYZE inside a transaction)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    verb = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for table in ("dti_score", "dti_roundunit", "dti_node", "core_agency"):
            cursor.execute(f"{verb} {table}")


def _timed(work: Callable[[], Any]) -> float:
    """Seconds of ``work``, its result dropped and memory collected outside the timing."""
    gc.collect()
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    del result
    gc.collect()
    return seconds


def _percentile(values: list[float], q: float) -> float:
    """Nearest rank, in milliseconds."""
    ordered = sorted(values)
    return round(1000 * ordered[max(0, math.ceil(q * len(ordered)) - 1)], 2)


# --- 1. the results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranked:
    points: Decimal
    max_points: Decimal
    value: Decimal
    rank: int
    indices: dict[str, Decimal]


def _number(value: Any) -> Decimal:
    """SQLite sums decimals as floats (cents, 2 places exact after rounding); PostgreSQL's
    numeric sums are Decimals already."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(str(round(value, 2)))
    return Decimal(0 if value is None else value)


def results_ours(round_: Any) -> Any:
    from thudo.dti import selectors

    return selectors.results(round_=round_)


def results_baseline(round_id: int) -> dict[int, Ranked]:
    """The one GROUP BY, fetched, then totals, 0–1 values and competition ranks in Python."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(BASELINE_SQL, [round_id])
        rows = cursor.fetchall()
    indices: dict[int, dict[str, Decimal]] = {}
    maxima: dict[int, Decimal] = {}
    for unit_id, index_code, points, maximum in rows:
        indices.setdefault(unit_id, {})[index_code] = _number(points)
        maxima[unit_id] = maxima.get(unit_id, Decimal(0)) + _number(maximum)
    totals = {u: sum(by_index.values(), Decimal(0)) for u, by_index in indices.items()}
    values = {
        u: (total / maxima[u]).quantize(FOUR, rounding=ROUND_HALF_UP)
        if maxima[u] > 0
        else Decimal(0)
        for u, total in totals.items()
    }
    first: dict[Decimal, int] = {}
    for position, value in enumerate(sorted(values.values(), reverse=True), start=1):
        first.setdefault(value, position)
    return {
        u: Ranked(totals[u], maxima[u], values[u], first[values[u]], indices[u]) for u in totals
    }


def compare(ours: Any, baseline: dict[int, Ranked], code_of: dict[int, str]) -> dict[str, Any]:
    """Unit by unit: the same units, the same totals, main-index totals and ranks (exact)."""
    mine = {r.unit_code: r for r in ours.units}
    theirs = {code_of[u]: ranked for u, ranked in baseline.items()}
    totals = indices = ranks = 0
    for code, expected in theirs.items():
        got = mine.get(code)
        if got is None:
            continue
        totals += got.points != expected.points
        indices += {i.code: i.points for i in got.indices} != expected.indices
        ranks += got.rank != expected.rank
    missing = len(set(theirs) - set(mine))
    extra = len(set(mine) - set(theirs))
    return {
        "units": len(theirs),
        "different_totals": totals,
        "different_index_totals": indices,
        "different_ranks": ranks,
        "missing": missing,
        "extra": extra,
        "identical": not (totals or indices or ranks or missing or extra),
    }


def results(setup: Setup, *, runs: int) -> dict[str, Any]:
    """Ours against the baseline, interleaved, after one untimed pass of each (the tables
    in the cache, the results compared, the statements counted)."""
    from thudo.dti.models import Round

    round_ = Round.objects.select_related("framework").get(pk=setup.round_id)
    with counting_queries() as queries:
        ours = results_ours(round_)
    base = results_baseline(setup.round_id)
    check = compare(ours, base, setup.code_of)
    with_previous = sum(1 for r in ours.units if r.previous_value is not None)
    del ours, base
    samples: dict[str, list[float]] = {"ours": [], "baseline": []}
    for n in range(runs):
        order = ("ours", "baseline") if n % 2 == 0 else ("baseline", "ours")
        for name in order:
            work: Callable[[], Any] = (
                (lambda: results_ours(round_))
                if name == "ours"
                else (lambda: results_baseline(setup.round_id))
            )
            samples[name].append(round(_timed(work), 4))
    ours_s = round(statistics.median(samples["ours"]), 4)
    base_s = round(statistics.median(samples["baseline"]), 4)
    return {
        "units": len(setup.unit_ids),
        "scores": setup.scores,
        "indices": setup.indices,
        "ours_s": ours_s,
        "baseline_s": base_s,
        "ratio": round(ours_s / base_s, 3) if base_s else 0.0,
        "ours_queries": queries[0],
        "baseline_queries": 1,
        "units_with_previous_year": with_previous,
        "runs": samples,
        "check": check,
    }


# --- 2. one score saved -------------------------------------------------------------------------


def _save_plan(setup: Setup, count: int, seed_value: int) -> list[dict[str, Any]]:
    """``count`` saves over the draft units × sub-indices (each pair once while they last),
    each with a seeded value, the service's arguments and the points it must compute."""
    from thudo.dti.contracts import Method
    from thudo.dti.models import Score

    rng = random.Random(seed_value)
    scores = list(
        Score.objects.filter(unit_id__in=setup.draft_unit_ids)
        .select_related("node")
        .order_by("unit_id", "node__position")
    )
    by_unit: dict[int, list[Any]] = {}
    for score in scores:
        by_unit.setdefault(score.unit_id, []).append(score)
    units = setup.draft_unit_ids
    plan = []
    for n in range(count):
        unit_id = units[n % len(units)]
        row = by_unit[unit_id]
        # A stride prime to the 47 sub-indices: every (unit, sub-index) pair differs while
        # there are pairs left, and the methods are mixed from the first save.
        score = row[(7 * n) % len(row)]
        node = score.node
        value, points = draw(rng, node)
        if node.method == Method.MANUAL:
            args: dict[str, Any] = {"points": str(points)}
        elif node.method == Method.YES_NO:
            args = {"value": "yes" if value else "no"}
        else:
            args = {"value": str(value)}
        plan.append({
            "unit_id": unit_id, "score_id": score.pk, "code": node.code, "args": args,
            "value": value, "points": points,
            "explanation": f"Tự đánh giá lần {n + 1}: số liệu của đơn vị đến hết tháng 11.",
        })  # fmt: skip
    return plan


def save_ours(actor: Any, unit: Any, step: dict[str, Any]) -> Any:
    from thudo.dti import services

    return services.score_save(actor=actor, unit=unit, code=step["code"],
                               explanation=step["explanation"], **step["args"])  # fmt: skip


def save_baseline(step: dict[str, Any]) -> None:
    """The same row written by one UPDATE and its COMMIT, through the same connection."""
    from django.db import connection, transaction
    from django.utils import timezone

    ops = connection.ops
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            SAVE_BASELINE_SQL,
            [ops.adapt_decimalfield_value(step["value"], 14, 4),
             ops.adapt_decimalfield_value(step["points"], 8, 2), step["explanation"],
             ops.adapt_datetimefield_value(timezone.now()), step["score_id"]],
        )  # fmt: skip


def saves(setup: Setup, *, count: int, seed_value: int = 9) -> dict[str, Any]:
    """``count`` saves by the unit's assessor, each interleaved with the baseline's UPDATE
    of the same row with the same values, after one untimed save of each."""
    from django.db.models import Sum

    from thudo.core.models import User
    from thudo.dti.models import RoundUnit, Score

    plan = _save_plan(setup, count + 1, seed_value)
    units = RoundUnit.objects.select_related("round", "agency").in_bulk(setup.draft_unit_ids)
    users = {u.username: u for u in User.objects.filter(username__in=setup.assessors.values())}
    actors = {unit_id: users[name] for unit_id, name in setup.assessors.items()}
    warm, plan = plan[0], plan[1:]
    with counting_queries() as queries:
        save_ours(actors[warm["unit_id"]], units[warm["unit_id"]], warm)
    save_baseline(warm)
    ours: list[float] = []
    base: list[float] = []
    wrong = 0
    for n, step in enumerate(plan):
        order = ("ours", "baseline") if n % 2 == 0 else ("baseline", "ours")
        for name in order:
            if name == "ours":
                started = time.perf_counter()
                score = save_ours(actors[step["unit_id"]], units[step["unit_id"]], step)
                ours.append(time.perf_counter() - started)
                wrong += score.self_points != step["points"] or score.value != step["value"]
            else:
                started = time.perf_counter()
                save_baseline(step)
                base.append(time.perf_counter() - started)
    # Each unit's total is still the sum of its scores (the service keeps it).
    sums = dict(
        Score.objects.filter(unit_id__in=setup.draft_unit_ids)
        .values_list("unit_id")
        .annotate(s=Sum("self_points"))
    )
    totals_right = sum(
        1 for u in RoundUnit.objects.filter(pk__in=setup.draft_unit_ids)
        if u.self_points == _number(sums.get(u.pk))
    )  # fmt: skip
    ours_p50, base_p50 = _percentile(ours, 0.5), _percentile(base, 0.5)
    return {
        "count": len(plan),
        "units": len(setup.draft_unit_ids),
        "sub_indices": len({(s["unit_id"], s["code"]) for s in plan}),
        "p50_ms": ours_p50,
        "p95_ms": _percentile(ours, 0.95),
        "max_ms": round(1000 * max(ours), 2) if ours else 0.0,
        "baseline_p50_ms": base_p50,
        "baseline_p95_ms": _percentile(base, 0.95),
        "ratio_p50": round(ours_p50 / base_p50, 2) if base_p50 else 0.0,
        "queries_per_save": queries[0],
        "wrong_points": wrong,
        "unit_totals_right": totals_right,
    }


# --- 3. the council's decision -------------------------------------------------------------


def _reviews(unit: Any, members: list[Any], *, reviewed: int, rng: random.Random) -> Decimal:
    """Every member's review of ``reviewed`` sub-indices of the unit (about one in four
    adjusted down, with a reason), through ``services.review_give``; returns the final
    total the decision must come to (the reviews' proposals, else the self-points)."""
    from thudo.dti import scoring, services
    from thudo.dti.contracts import ReviewVerdict
    from thudo.dti.models import Score

    scores = {s.node.code: s for s in Score.objects.filter(unit=unit).select_related("node")}
    codes = sorted(rng.sample(sorted(scores), min(reviewed, len(scores))))
    final = {code: s.self_points or Decimal(0) for code, s in scores.items()}
    for code in codes:
        base = scores[code].self_points or Decimal(0)
        proposals = []
        for member in members:
            if base > 0 and rng.random() < 0.25:
                lower = scoring.quantize(base * Decimal("0.8"))
                services.review_give(actor=member.user, unit=unit, code=code,
                                     verdict=ReviewVerdict.ADJUST.value, points=str(lower),
                                     reason="Minh chứng chưa thể hiện đủ kết quả.")  # fmt: skip
                proposals.append(lower)
            else:
                services.review_give(actor=member.user, unit=unit, code=code,
                                     verdict=ReviewVerdict.CONFIRM.value)  # fmt: skip
                proposals.append(base)
        final[code] = scoring.proposal(proposals) or Decimal(0)
    return sum(final.values(), Decimal(0))


def decide_ours(chair: Any, unit: Any, participants: list[int], agreed: list[int]) -> Any:
    from thudo.dti import services

    return services.decision_record(actor=chair, unit=unit, participants=participants,
                                    agreed=agreed, note="Hội đồng họp thẩm định.")  # fmt: skip


def decisions(setup: Setup, *, count: int, reviewed: int = 5,
              seed_value: int = 13) -> dict[str, Any]:  # fmt: skip
    """``count`` decisions (after one untimed), each on a submitted unit every member has
    reviewed on ``reviewed`` sub-indices; every member takes part, all but a third agree."""
    from thudo.dti.contracts import CouncilRole
    from thudo.dti.contracts import UnitStatus as U
    from thudo.dti.models import CouncilMember, RoundUnit

    candidates = setup.undecided_ids
    if len(candidates) < count + 1:
        raise SystemExit(
            f"{count} decisions need {count + 1} undecided units; the round has "
            f"{len(candidates)} (raise --units or lower --decided-share)"
        )
    rng = random.Random(seed_value)
    chosen = candidates[-(count + 1) :]
    units = RoundUnit.objects.select_related("round", "agency").in_bulk(chosen)
    members = list(CouncilMember.objects.filter(round_id=setup.round_id).select_related("user"))
    chair = next(m for m in members if m.role == CouncilRole.CHAIR).user
    participants = [m.pk for m in members]
    agreed = participants[: max(1, len(participants) - len(participants) // 3)]
    began = time.perf_counter()
    expected = {pk: _reviews(units[pk], members, reviewed=reviewed, rng=rng) for pk in chosen}
    reviews_s = round(time.perf_counter() - began, 3)
    warm, timed = chosen[0], chosen[1:]
    with counting_queries() as queries:
        decide_ours(chair, units[warm], participants, agreed)
    latencies: list[float] = []
    for pk in timed:
        gc.collect()
        started = time.perf_counter()
        decide_ours(chair, units[pk], participants, agreed)
        latencies.append(time.perf_counter() - started)
    right = sum(
        1 for u in RoundUnit.objects.filter(pk__in=chosen)
        if u.status == U.DECIDED and u.final_points == expected[u.pk]
    )  # fmt: skip
    return {
        "count": len(timed),
        "members": len(members),
        "participants": len(participants),
        "agreed": len(agreed),
        "reviewed_sub_indices": reviewed,
        "reviews": len(chosen) * len(members) * reviewed,
        "reviews_s": reviews_s,
        "p50_ms": _percentile(latencies, 0.5),
        "p95_ms": _percentile(latencies, 0.95),
        "max_ms": round(1000 * max(latencies), 2) if latencies else 0.0,
        "queries_per_decision": queries[0],
        "right": right,
        "checked": len(chosen),
    }


# --- the run ----------------------------------------------------------------------------------


@dataclass
class Options:
    units: int = 1000
    runs: int = 5
    saves: int = 50
    decisions: int = 10
    council: int = 13
    reviewed: int = 5
    draft_units: int = 3
    decided_share: float = 0.5
    year: int = YEAR
    seed: int = 2026
    db: str = DEFAULT_DATABASE_URL


QUICK = {"units": 30, "runs": 2, "saves": 5, "decisions": 2}


def summarize(rs: dict[str, Any], sv: dict[str, Any], dc: dict[str, Any]) -> dict[str, Any]:
    t = TARGETS
    return {
        "results_met": rs["ours_s"] <= t["results_seconds"]
        and rs["ratio"] <= t["results_ratio"]
        and rs["check"]["identical"],
        "save_met": sv["p95_ms"] <= t["save_p95_ms"] and sv["wrong_points"] == 0,
        "decision_met": dc["p50_ms"] <= t["decision_p50_ms"] and dc["right"] == dc["checked"],
        "targets": TARGETS,
    }


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
    print(f"seeding {options.units:,} communes, a council of {options.council}, "
          f"{options.draft_units} units in draft", flush=True)  # fmt: skip
    setup = seed(units=options.units, council=options.council, draft_units=options.draft_units,
                 decided_share=options.decided_share, year=options.year,
                 seed_value=options.seed)  # fmt: skip
    print(f"{setup.scores:,} score rows, {setup.measured:,} measured: {setup.timings}", flush=True)
    print("results", flush=True)
    rs = results(setup, runs=options.runs)
    print(json.dumps({k: v for k, v in rs.items() if k != "runs"}), flush=True)
    print("score saves", flush=True)
    sv = saves(setup, count=options.saves, seed_value=options.seed + 1)
    print(json.dumps(sv), flush=True)
    print("decisions", flush=True)
    dc = decisions(setup, count=options.decisions, reviewed=options.reviewed,
                   seed_value=options.seed + 2)  # fmt: skip
    print(json.dumps(dc), flush=True)
    return {
        "benchmark": "dti",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {
            **machine(),
            "postgresql": postgres_setting("server_version"),
            "work_mem": postgres_setting("work_mem"),
            "shared_buffers": postgres_setting("shared_buffers"),
            "load_average_at_start": load,
            "load_average_at_end": load_average(),
        },
        "options": {**asdict(options), "subs": setup.subs, "scores": setup.scores},
        "generation": setup.timings,
        "round_open": {
            "seconds": setup.timings["round_open_s"],
            "score_rows": setup.scores,
            "measured": setup.measured,
            "queries": setup.round_open_queries,
        },
        "results": rs,
        "save": sv,
        "decision": dc,
        "summary": summarize(rs, sv, dc),
    }


# --- reporting ----------------------------------------------------------------------------


def _s(seconds: float) -> str:
    return f"{seconds:,.3f} s" if seconds < 10 else f"{seconds:,.1f} s"


def _verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def table(report: dict[str, Any]) -> list[str]:
    o, ro, g = report["options"], report["round_open"], report["generation"]
    r, sv, dc = report["results"], report["save"], report["decision"]
    su, t = report["summary"], TARGETS
    return [
        "| workload | ours | baseline | ratio | target | met? |",
        "|---|---|---|---|---|---|",
        f"| results of the round: {r['units']:,} units × {o['subs']} sub-indices "
        f"({r['scores']:,} scores, {r['indices']} main indices), totals, ranks, "
        f"year-over-year, `selectors.results` vs one SQL GROUP BY + ranking in Python "
        f"| {_s(r['ours_s'])} | {_s(r['baseline_s'])} | {r['ratio']:.2f} × "
        f"| ≤ {t['results_seconds']:g} s, ≤ {t['results_ratio']:g} × "
        f"| {_verdict(su['results_met'])} |",
        f"| one sub-index saved in a draft by its assessor (`services.score_save`), "
        f"p50 / p95 of {sv['count']} vs single-row UPDATE + COMMIT "
        f"| {sv['p50_ms']:,} / {sv['p95_ms']:,} ms | {sv['baseline_p50_ms']:,} / "
        f"{sv['baseline_p95_ms']:,} ms | {sv['ratio_p50']:.1f} × (p50) "
        f"| p95 ≤ {t['save_p95_ms']:g} ms | {_verdict(su['save_met'])} |",
        f"| the council's decision on a unit (`services.decision_record`), {dc['members']} "
        f"members' reviews on {dc['reviewed_sub_indices']} sub-indices, p50 / p95 of "
        f"{dc['count']} | {dc['p50_ms']:,} / {dc['p95_ms']:,} ms | — | — "
        f"| p50 ≤ {t['decision_p50_ms']:g} ms | {_verdict(su['decision_met'])} |",
        f"| `services.round_open`: {ro['score_rows']:,} score rows created, {ro['measured']:,} "
        f"measured values ({ro['queries']:,} statements), once | {_s(ro['seconds'])} | — | — "
        f"| — | for information |",
        f"| `services.round_close`, once | {_s(g['round_close_s'])} | — | — | — "
        f"| for information |",
    ]


def section(report: dict[str, Any]) -> str:
    m, o, g = report["machine"], report["options"], report["generation"]
    r, sv, dc = report["results"], report["save"], report["decision"]
    c = r["check"]
    start, end = m.get("load_average_at_start"), m.get("load_average_at_end")
    lines = [
        f"## {TITLE}",
        "",
        f"The DTI module on one round of the shipped `HN-XA` framework ({o['subs']} "
        f"sub-indices in {r['indices']} main indices) over {o['units']:,} commune committees "
        f"under one city agency (each with its commune-level administrative unit, created in "
        f"bulk), in a fresh PostgreSQL database: last year's round of the same framework "
        f"published (final points in bulk, for the year-over-year change); this year's round "
        f"with a council of {o['council']} (`services.council_set`), opened with "
        f"`services.round_open` (the score rows and the bound sub-indices measured), every "
        f"unit's self-assessment loaded in bulk (seeded values per method, points by "
        f"`scoring.node_points`, written with `bulk.update_rows`, units submitted), closed "
        f"(`services.round_close`), the council's final points written in bulk for "
        f"{o['decided_share']:.0%} of the units; beside it, a round of the next year over "
        f"{o['draft_units']} of the communes left open, its units in draft. Measured side by "
        "side in the same run: `selectors.results` (totals per unit and per main index, the "
        "0–1 values, ranks, change against last year) against ONE hand-written "
        "`SELECT s.unit_id, n.code, SUM(COALESCE(s.final_points, s.self_points)), "
        "SUM(sub.max_points) FROM dti_score s JOIN dti_roundunit unit … JOIN dti_node sub … "
        "JOIN dti_node n ON sub.parent_id = n.id WHERE unit.round_id = %s GROUP BY 1, 2` "
        "fetched with `cursor.fetchall`, the totals, values and competition ranks then made "
        "in Python (the baseline does not read last year's values); `services.score_save` "
        "by the assessor of a draft unit on different sub-indices and values (permission, "
        "row lock, points by the method, the unit's total, audit event) against a "
        "single-row `UPDATE dti_score SET … WHERE id = %s` and its COMMIT through the same "
        "connection, interleaved; `services.decision_record` by the council's chair for a "
        f"submitted unit all {dc['members']} members reviewed (`services.review_give`, "
        f"beforehand) on {dc['reviewed_sub_indices']} sub-indices, {dc['participants']} "
        f"taking part and {dc['agreed']} agreeing. Targets are ours, not official.",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores (shared and noisy), PostgreSQL "
        f"{m.get('postgresql', '')} (work_mem {m.get('work_mem', '?')}, shared_buffers "
        f"{m.get('shared_buffers', '?')}), Python {m['python']}; {report['date']}; "
        f"`{report['command']}`; results: median of {o['runs']} interleaved runs after a "
        "warm-up"
        + (f"; load average {start[0]} at start, {end[0]} at end." if start and end else "."),
        "",
        *table(report),
        "",
        f"Checked: the results equal the baseline's unit by unit: "
        f"{'yes' if c['identical'] else '**NO**'} ({c['units']:,} units: "
        f"{c['different_totals']} different totals, {c['different_index_totals']} different "
        f"main-index totals, {c['different_ranks']} different ranks, {c['missing']} missing, "
        f"{c['extra']} extra; {r['units_with_previous_year']:,} with last year's value); "
        f"`selectors.results` sends {r['ours_queries']} statements, the baseline 1. Saves with "
        f"the expected points: {sv['count'] - sv['wrong_points']} of {sv['count']} "
        f"({sv['sub_indices']} unit × sub-index pairs; {sv['queries_per_save']} statements per "
        f"save; unit totals equal to the sum of their scores afterwards: "
        f"{sv['unit_totals_right']} of {sv['units']}); decisions with the expected final "
        f"points: {dc['right']} of {dc['checked']} ({dc['queries_per_decision']} statements per "
        f"decision). Runs (s): results ours {', '.join(str(x) for x in r['runs']['ours'])}, "
        f"baseline {', '.join(str(x) for x in r['runs']['baseline'])}.",
        "",
        "Seeding (not counted): "
        + ", ".join(f"{k.removesuffix('_s').replace('_', ' ')} {v:,.2f} s" for k, v in g.items())
        + f"; the {dc['reviews']:,} reviews given through `services.review_give` "
        f"{dc['reviews_s']:,.1f} s.",
        "",
    ]
    notes = report.get("notes") or []
    return "\n".join([*lines, *notes, ""] if notes else lines)


def main(argv: list[str] | None = None) -> None:
    defaults = Options()
    parser = argparse.ArgumentParser(description="DTI benchmark (results, saves, decisions)")
    parser.add_argument("--units", type=int, default=None, help=f"communes ({defaults.units})")
    parser.add_argument("--runs", type=int, default=None,
                        help=f"results: median of ({defaults.runs})")  # fmt: skip
    parser.add_argument("--saves", type=int, default=None, help=f"({defaults.saves})")
    parser.add_argument("--decisions", type=int, default=None, help=f"({defaults.decisions})")
    parser.add_argument("--council", type=int, default=None, help=f"members ({defaults.council})")
    parser.add_argument(
        "--reviewed", type=int, default=None,
        help=f"sub-indices every member reviews per decided unit ({defaults.reviewed})",
    )  # fmt: skip
    parser.add_argument(
        "--draft-units", type=int, default=None,
        help=f"units of the open round the saves go to ({defaults.draft_units})",
    )  # fmt: skip
    parser.add_argument(
        "--decided-share", type=float, default=None,
        help=f"share of the units given final points in bulk ({defaults.decided_share})",
    )  # fmt: skip
    parser.add_argument("--year", type=int, default=None, help=f"({defaults.year})")
    parser.add_argument("--seed", type=int, default=None, help=f"({defaults.seed})")
    parser.add_argument("--db", default=DEFAULT_DATABASE_URL, help="dropped and made again")
    parser.add_argument("--json", type=Path, default=None, help=f"results ({RESULTS})")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, nothing written")
    parser.add_argument("--from-results", action="store_true",
                        help="only rewrite the docs section from the JSON")  # fmt: skip
    args = parser.parse_args(argv)
    if args.from_results:
        saved = json.loads((args.json or RESULTS).read_text())
        write_section(TITLE, section(saved), intro=INTRO)
        return
    sizes: dict[str, Any] = {**(QUICK if args.quick else {})}
    for name in ("units", "runs", "saves", "decisions", "council", "reviewed", "draft_units",
                 "decided_share", "year", "seed"):  # fmt: skip
        if getattr(args, name) is not None:
            sizes[name] = getattr(args, name)
    if sizes.get("runs", 1) < 1 or sizes.get("saves", 1) < 1 or sizes.get("decisions", 1) < 1:
        raise SystemExit("--runs, --saves and --decisions must be at least 1")
    options = Options(**sizes, db=args.db)
    report = run(options)
    given = argv if argv is not None else sys.argv[1:]
    report["command"] = " ".join([".venv/bin/python bench/dti.py", *given])
    print()
    print("\n".join(table(report)))
    su = report["summary"]
    print()
    print("targets (ours): " + ", ".join(
        f"{name.removesuffix('_met')} {'met' if su[name] else 'MISSED'}"
        for name in ("results_met", "save_met", "decision_met")
    ))  # fmt: skip
    out = args.json or (None if args.quick else RESULTS)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
    if not args.quick:
        write_section(TITLE, section(report), intro=INTRO)
    checks = (
        report["results"]["check"]["identical"],
        report["save"]["wrong_points"] == 0,
        report["save"]["unit_totals_right"] == report["save"]["units"],
        report["decision"]["right"] == report["decision"]["checked"],
    )
    if not all(checks):
        raise SystemExit("the results differ from what was expected: see the output")


if __name__ == "__main__":
    main()
