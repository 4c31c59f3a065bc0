"""Reads of the DTI module: rounds a user may see, a unit's assessment as a tree, the
council's disagreements, results with rankings and year-over-year change."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet, Sum

from thudo.core import rules as core_rules
from thudo.dti import permissions, scoring
from thudo.dti.contracts import IndexTotal, Level, RoundResults, RoundStatus, UnitResult
from thudo.dti.models import (
    Appeal,
    CouncilMember,
    Decision,
    Evidence,
    Framework,
    Node,
    Review,
    Round,
    RoundUnit,
    Score,
)


def frameworks_list() -> QuerySet[Framework]:
    return Framework.objects.all()


def framework_get(*, code: str, year: int, version: int | None = None) -> Framework | None:
    found = Framework.objects.filter(code=code, year=year)
    if version is not None:
        found = found.filter(version=version)
    return found.order_by("-version").first()


def rounds_for_user(*, user: Any) -> list[Round]:
    rounds = Round.objects.select_related("framework", "standing_body").order_by("-year", "name")
    if core_rules.is_platform_admin(user):
        return list(rounds)
    if not core_rules.is_official(user):
        return []
    agencies = list(
        user.memberships.filter(revoked_at__isnull=True).values_list("agency_id", flat=True)
    )
    return list(
        rounds.filter(
            Q(standing_body_id__in=agencies)
            | Q(members__user=user)
            | Q(units__agency_id__in=agencies)
        ).distinct()
    )


def round_get_for_user(*, user: Any, pk: int) -> Round | None:
    found = Round.objects.select_related("framework", "standing_body").filter(pk=pk).first()
    if found is None or not permissions.view_round(user, found):
        return None
    return found


def round_get_for_results(*, user: Any, pk: int) -> Round | None:
    """The round when ``user`` may see its results (anyone, once published)."""
    found = Round.objects.select_related("framework", "standing_body").filter(pk=pk).first()
    if found is None or not permissions.view_results(user, found):
        return None
    return found


def scores_of(*, round_: Round) -> QuerySet[Score]:
    return Score.objects.filter(unit__round=round_).select_related("unit__agency", "node")


def published_rounds(*, year: int | None = None) -> list[Round]:
    found = Round.objects.filter(status=RoundStatus.PUBLISHED).select_related("framework")
    if year is not None:
        found = found.filter(year=year)
    return list(found.order_by("-year", "name"))


def unit_get_for_user(*, user: Any, round_: Round, code: str) -> RoundUnit | None:
    found = RoundUnit.objects.select_related("round__framework", "round__standing_body", "agency")
    unit = found.filter(round=round_, agency__code=code).first()
    if unit is None or not permissions.view_unit(user, unit):
        return None
    return unit


def units_own_for_user(*, user: Any, rounds: Sequence[Round]) -> dict[int, list[RoundUnit]]:
    """Per round id: the units whose agency the official belongs to (their own
    self-assessments), whatever else they may see."""
    if not core_rules.is_official(user) or not rounds:
        return {}
    agencies = user.memberships.filter(revoked_at__isnull=True).values_list("agency_id", flat=True)
    found: dict[int, list[RoundUnit]] = {}
    units = RoundUnit.objects.filter(
        round__in=[r.pk for r in rounds], agency_id__in=list(agencies)
    ).select_related("agency")
    for unit in units.defer("signed_pdf"):
        found.setdefault(unit.round_id, []).append(unit)
    return found


def appeal_of(*, unit: RoundUnit) -> Appeal | None:
    return (
        Appeal.objects.filter(unit=unit)
        .select_related("filed_by")
        .prefetch_related("nodes")
        .first()
    )


def published_round_get(*, pk: int) -> Round | None:
    return (
        Round.objects.filter(pk=pk, status=RoundStatus.PUBLISHED)
        .select_related("framework", "standing_body")
        .first()
    )


def units_of(*, round_: Round) -> list[RoundUnit]:
    return list(RoundUnit.objects.filter(round=round_).select_related("agency"))


def units_for_user(*, user: Any, round_: Round) -> list[RoundUnit]:
    """All units for those who run the round; a unit's officials see their own."""
    units = units_of(round_=round_)
    if permissions.standing(user, round_) or permissions.member_of(user, round_):
        return units
    return [u for u in units if core_rules.can_view_agency_records(user, u.agency)]


def council_of(*, round_: Round) -> list[CouncilMember]:
    return list(CouncilMember.objects.filter(round=round_).select_related("user"))


# --- one unit's assessment ------------------------------------------------------------------


@dataclass
class Line:
    score: Score
    node: Node
    reviews: list[Review] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    proposal: Decimal | None = None

    @property
    def disagreement(self) -> bool:
        """The reviews differ from each other or from the self-score."""
        points = {r.points for r in self.reviews}
        base = self.score.self_points
        return len(points) > 1 or (bool(points) and base is not None and points != {base})


@dataclass
class IndexBlock:
    node: Node
    lines: list[Line] = field(default_factory=list)

    @property
    def self_points(self) -> Decimal:
        return sum((ln.score.self_points or Decimal(0) for ln in self.lines), Decimal(0))

    @property
    def final_points(self) -> Decimal | None:
        if any(ln.score.final_points is None for ln in self.lines if ln.node.scored):
            return None
        return sum((ln.score.final_points or Decimal(0) for ln in self.lines), Decimal(0))

    @property
    def max_points(self) -> Decimal:
        return sum((ln.node.max_points for ln in self.lines), Decimal(0))


@dataclass
class GroupBlock:
    node: Node
    indices: list[IndexBlock] = field(default_factory=list)


@dataclass
class Assessment:
    unit: RoundUnit
    groups: list[GroupBlock]
    decisions: list[Decision]

    def lines(self) -> list[Line]:
        return [ln for g in self.groups for i in g.indices for ln in i.lines]

    @property
    def flagged(self) -> list[Line]:
        return [ln for ln in self.lines() if ln.score.flagged]

    @property
    def disagreements(self) -> list[Line]:
        return [ln for ln in self.lines() if ln.disagreement]

    @property
    def missing(self) -> list[Line]:
        return [
            ln
            for ln in self.lines()
            if ln.node.scored
            and (
                ln.score.self_points is None or (ln.node.evidence == "required" and not ln.evidence)
            )
        ]

    @property
    def indices(self) -> list[IndexBlock]:
        return [i for g in self.groups for i in g.indices]


def assessment(*, unit: RoundUnit) -> Assessment:
    """The unit's scores as the framework's tree, with evidence, reviews and decisions."""
    nodes = list(Node.objects.filter(framework_id=unit.round.framework_id).order_by("position"))
    scores = {
        s.node_id: s
        for s in Score.objects.filter(unit=unit).prefetch_related(
            Prefetch("evidence", queryset=Evidence.objects.defer("content")),
            Prefetch("reviews", queryset=Review.objects.select_related("member__user")),
        )
    }
    stage = 2 if unit.status == "appealed" else 1
    groups: list[GroupBlock] = []
    blocks: dict[int, IndexBlock] = {}
    for node in nodes:
        if node.level == Level.GROUP:
            groups.append(GroupBlock(node))
        elif node.level == Level.INDEX and groups:
            block = IndexBlock(node)
            blocks[node.pk] = block
            groups[-1].indices.append(block)
        elif node.level == Level.SUB and node.pk in scores and node.parent_id in blocks:
            score = scores[node.pk]
            reviews = [r for r in score.reviews.all() if r.stage == stage]
            proposal = scoring.proposal([r.points for r in reviews])
            blocks[node.parent_id].lines.append(
                Line(score, node, reviews, list(score.evidence.all()), proposal)
            )
    for group in groups:
        group.indices = [i for i in group.indices if i.lines]
    groups = [g for g in groups if g.indices]
    decisions = list(Decision.objects.filter(unit=unit).prefetch_related("participants", "agreed"))
    return Assessment(unit, groups, decisions)


def evidence_get_for_user(*, user: Any, pk: int) -> Evidence | None:
    found = (
        Evidence.objects.select_related("score__unit__round", "score__unit__agency")
        .filter(pk=pk)
        .first()
    )
    if found is None or not permissions.view_unit(user, found.score.unit):
        return None
    return found


# --- results --------------------------------------------------------------------------------


def _index_totals(round_: Round) -> dict[int, dict[str, tuple[Decimal, Decimal, Decimal]]]:
    """Per unit id and main index code: (self points, final points, maximum), summed by
    the database in one GROUP BY."""
    rows = (
        Score.objects.filter(unit__round=round_)
        .values_list("unit_id", "node__parent__code")
        .annotate(
            own=Sum("self_points", default=Decimal(0)),
            final=Sum("final_points", default=Decimal(0)),
            top=Sum("node__max_points", default=Decimal(0)),
        )
        .order_by()
    )
    totals: dict[int, dict[str, tuple[Decimal, Decimal, Decimal]]] = defaultdict(dict)
    for unit_id, index_code, own, final, top in rows:
        totals[unit_id][index_code] = (Decimal(own), Decimal(final), Decimal(top))
    return totals


def _previous(round_: Round) -> dict[int, Decimal]:
    """Last year's published values of the same framework, per agency id."""
    earlier = (
        Round.objects.filter(
            framework__code=round_.framework.code,
            year=round_.year - 1,
            status=RoundStatus.PUBLISHED,
        )
        .order_by("-published_at")
        .first()
    )
    if earlier is None:
        return {}
    return {
        u.agency_id: scoring.index_value(u.final_points or Decimal(0), u.max_points)
        for u in RoundUnit.objects.filter(round=earlier)
    }


def results(*, round_: Round) -> RoundResults:
    """Totals per unit and per main index, the 0–1 value, ranks within the round's peer
    group, change against last year. Final points once decided; before, self-points."""
    final = round_.status in (RoundStatus.APPRAISAL, RoundStatus.PUBLISHED)
    units = list(RoundUnit.objects.filter(round=round_).select_related("agency"))
    indices = list(
        Node.objects.filter(framework_id=round_.framework_id, level=Level.INDEX).order_by(
            "position"
        )
    )
    totals = _index_totals(round_)
    none = (Decimal(0), Decimal(0), Decimal(0))
    previous = _previous(round_)

    def points_of(u: RoundUnit) -> Decimal:
        if final and u.final_points is not None:
            return u.final_points
        return u.self_points

    values = [scoring.index_value(points_of(u), u.max_points) for u in units]
    ranks = scoring.ranks(values)
    rows = []
    for unit, value, rank in zip(units, values, ranks, strict=True):
        before = previous.get(unit.agency_id)
        decided = final and unit.final_points is not None
        mine = totals.get(unit.pk, {})
        rows.append(
            UnitResult(
                unit_code=unit.agency.code,
                unit_name=unit.agency.name,
                points=points_of(unit),
                max_points=unit.max_points,
                value=value,
                rank=rank,
                previous_value=before,
                change=(value - before) if before is not None else None,
                indices=tuple(
                    IndexTotal(
                        i.code,
                        i.name,
                        mine.get(i.code, none)[1 if decided else 0],
                        mine.get(i.code, none)[2],
                    )
                    for i in indices
                    if mine.get(i.code, none)[2] > 0
                ),
            )
        )
    rows.sort(key=lambda r: (r.rank, r.unit_name))
    return RoundResults(
        round_id=round_.pk,
        year=round_.year,
        framework=round_.framework.code,
        name=round_.name,
        peer_group=round_.framework.peer_group,
        published=round_.status == RoundStatus.PUBLISHED,
        units=tuple(rows),
    )
