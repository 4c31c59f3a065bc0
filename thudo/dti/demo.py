"""Demo data of the DTI module: the shipped frameworks, last year's rounds published, this
year's rounds under way.

- Last year (departments on ``HN-SO``, wards and communes on ``HN-XA``): every unit's
  scores, the council's decisions and the publication, written in bulk as historic
  results (one audit event per round), so this year's results have a change to show.
- This year, departments: the demo department's specialist fills the self-assessment
  through the services (values, evidence files), its director approves it; the other
  departments' submissions are loaded; the round is closed and the council of 13 appraises
  the demo department (reviews, a disagreement, a decision refused for want of quorum,
  then taken by 9 of 13); one department waits for the council's decision.
- This year, wards and communes: the round is open; the demo ward's specialist has filled
  it in and sent it to the chairwoman, whose approval is the next step; the other units'
  submissions are loaded so the preliminary ranking has figures.

Values are drawn from seeded generators: the same city gets the same scores everywhere.
Running it again changes nothing.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from thudo.core import audit
from thudo.core.errors import InvalidInput
from thudo.core.models import Agency, User
from thudo.dti import bulk, frameworks, scoring, services
from thudo.dti.contracts import Method, RoundStatus
from thudo.dti.contracts import UnitStatus as U
from thudo.dti.models import (
    CouncilMember,
    Decision,
    Evidence,
    Framework,
    Round,
    RoundUnit,
    Score,
)

Say = Callable[[str], None]
SEED = 922
HANOI = ("HN-SO", "HN-XA")
NAMES = {
    "HN-SO": "Đánh giá chỉ số chuyển đổi số các sở, ban, ngành năm {year}",
    "HN-XA": "Đánh giá chỉ số chuyển đổi số các xã, phường năm {year}",
}


def _frameworks(year: int, say: Say) -> dict[tuple[str, int], Framework]:
    """The shipped files, and last year's copy of Hanoi's (the demo's history)."""
    found: dict[tuple[str, int], Framework] = {}
    for path in frameworks.shipped():
        parsed = frameworks.parse_yaml(path.read_bytes())
        imported = services.framework_import(actor=None, parsed=parsed)
        found[(parsed.code, parsed.year)] = imported.framework
        if imported.created:
            subs = sum(1 for _ in parsed.subs())
            say(f"    framework {parsed.code} {parsed.year}: {subs} sub-indices")
        if parsed.code in HANOI:
            parsed.year = year - 1
            earlier = services.framework_import(actor=None, parsed=parsed)
            found[(parsed.code, year - 1)] = earlier.framework
    return found


def _seats(council: Sequence[tuple[str, str, str]]) -> list[services.Seat]:
    return [services.Seat(username, role, title) for username, role, title in council]


def _round(
    framework: Framework, year: int, standing: Agency, council: Sequence[tuple[str, str, str]]
) -> tuple[Round, bool]:
    existing = Round.objects.filter(framework__code=framework.code, year=year).first()
    if existing is not None:
        return existing, False
    round_ = services.round_create(
        actor=None,
        framework=framework,
        year=year,
        name=NAMES[framework.code].format(year=year),
        standing_body=standing,
    )
    services.council_set(actor=None, round_=round_, seats=_seats(council))
    return services.round_open(actor=None, round_=round_), True


def _rng(*parts: str) -> random.Random:
    return random.Random(":".join([str(SEED), *parts]))  # noqa: S311 - reproducible, not secret


def _draw(rng: random.Random, score: Score, strength: float) -> tuple[Decimal | None, Decimal]:
    """A plausible (value, points) for a sub-index; ``strength`` 0–1 is the unit's level."""
    node = score.node
    if node.method == Method.YES_NO:
        value = Decimal(1 if rng.random() < 0.55 + 0.4 * strength else 0)
        return value, scoring.node_points(node, value) or Decimal(0)
    if node.method == Method.MANUAL:
        share = min(1.0, max(0.2, rng.gauss(0.45 + 0.5 * strength, 0.12)))
        points = scoring.quantize(node.max_points * Decimal(str(round(share * 2, 1))) / 2)
        return None, min(points, node.max_points)
    if score.measured_value is not None:
        # A unit mostly reports what the platform measured, now and then rounded up.
        value = score.measured_value + Decimal(rng.choice([0, 0, 0, 2, 8]))
    else:
        top = Decimal(str(node.tiers[0][0])) if node.tiers else (node.target or Decimal(100))
        value = Decimal(
            str(round(min(1.15, max(0.1, rng.gauss(0.5 + 0.45 * strength, 0.15))) * float(top), 1))
        )
    if node.value_unit == "%":
        value = min(value, Decimal(100))
    value = value.quantize(Decimal("0.1"))
    return value, scoring.node_points(node, value) or Decimal(0)


def _load_scores(units: Sequence[RoundUnit], *, seed: str, decided: bool) -> None:
    """Historic (or already submitted) self-assessments, in bulk; with the council's
    final points when ``decided`` (a few sub-indices adjusted down, with a reason)."""
    now = timezone.now()
    changed: list[Score] = []
    for unit in units:
        rng = _rng(seed, unit.agency.code)
        strength = rng.random()
        total = final_total = Decimal(0)
        for score in Score.objects.filter(unit=unit).select_related("node"):
            if not score.node.scored:
                continue
            score.unit = unit
            score.value, score.self_points = _draw(rng, score, strength)
            score.explanation = "Theo báo cáo tự đánh giá của đơn vị."
            score.flagged = scoring.discrepancy(
                score.value, score.measured_value, score.node.tolerance
            )
            score.updated_at = now
            total += score.self_points
            if decided:
                cut = rng.random() < 0.12 and score.self_points > 0
                score.final_points = (
                    scoring.quantize(score.self_points * Decimal("0.8"))
                    if cut
                    else score.self_points
                )
                score.final_reason = "Minh chứng chưa đầy đủ." if cut else ""
                final_total += score.final_points
            changed.append(score)
        unit.self_points = total
        unit.status = U.SUBMITTED
        unit.sent_at = unit.submitted_at = now
        if decided:
            unit.final_points = final_total
    bulk.update_rows(
        changed,
        [
            "value",
            "self_points",
            "explanation",
            "flagged",
            "updated_at",
            "final_points",
            "final_reason",
        ],
    )
    bulk.update_rows(units, ["self_points", "status", "sent_at", "submitted_at", "final_points"])
    # Their evidence, as links (the reserved .example domain: these are samples).
    Evidence.objects.bulk_create(
        (
            Evidence(
                score=score,
                name=f"Minh chứng {score.node.code}",
                url=f"https://minhchung.example/{seed}/{score.unit.agency.code}/{score.node.code}",
            )
            for score in changed
            if score.node.evidence == "required"
        ),
        batch_size=2000,
    )


def _history(round_: Round, today: date, say: Say) -> None:
    """Last year's round, decided by 9 of the 13 members and published."""
    units = list(RoundUnit.objects.filter(round=round_).select_related("agency"))
    members = list(CouncilMember.objects.filter(round=round_))
    decided_on = timezone.now() - timedelta(days=300)
    with transaction.atomic():
        _load_scores(units, seed=str(round_.year), decided=True)
        for unit in units:
            decision = Decision.objects.create(
                unit=unit,
                stage=1,
                members_total=len(members),
                points=unit.final_points or Decimal(0),
                note="Kết luận của Hội đồng thẩm định (dữ liệu lịch sử).",
            )
            decision.participants.set(members[:9])
            decision.agreed.set(members[:9])
            unit.status = U.FINAL
            unit.decided_at = unit.locked_at = decided_on
            unit.appeal_until = today - timedelta(days=280)
        bulk.update_rows(units, ["status", "decided_at", "locked_at", "appeal_until"])
        Round.objects.filter(pk=round_.pk).update(
            status=RoundStatus.PUBLISHED,
            closed_at=decided_on,
            published_at=decided_on + timedelta(days=20),
        )
        audit.record(
            action="dti.demo_history_loaded",
            agency=round_.standing_body,
            object_type="dti.round",
            object_id=round_.pk,
            payload={"year": round_.year, "units": len(units)},
        )
    say(f"    {round_.name}: {len(units)} units, published")


def _evidence_pdf(title: str) -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    from thudo.core import fonts

    fonts.register()
    out = io.BytesIO()
    canvas = Canvas(out, invariant=True)
    canvas.setFont(fonts.REGULAR, 12)
    canvas.drawString(72, 760, title)
    canvas.save()
    return out.getvalue()


def _self_assess(unit: RoundUnit, assessor: User, seed: str) -> None:
    """The unit's specialist fills every sub-index through the services, attaching a
    file where evidence is required."""
    rng = _rng(seed, unit.agency.code)
    evidence = _evidence_pdf(f"Minh chứng tự đánh giá chuyển đổi số — {unit.agency.name}")
    for score in Score.objects.filter(unit=unit).select_related("node"):
        node = score.node
        if not node.scored:
            continue
        value, points = _draw(rng, score, 0.8)
        if node.method == Method.MANUAL:
            services.score_save(
                actor=assessor,
                unit=unit,
                code=node.code,
                points=points,
                explanation="Đã thực hiện theo kế hoạch năm; chi tiết tại minh chứng.",
            )
        else:
            services.score_save(
                actor=assessor,
                unit=unit,
                code=node.code,
                value=value,
                explanation="Số liệu của đơn vị đến hết tháng 11.",
            )
        if node.evidence == "required":
            services.evidence_add(
                actor=assessor,
                unit=unit,
                code=node.code,
                name=f"minh-chung-{node.code}.pdf",
                content=evidence,
            )


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _appraise(round_: Round, unit: RoundUnit, say: Say) -> None:
    """Reviews by three members (one adjusts, one disagrees), a decision refused for want
    of quorum (6 of 13), then taken by 9 of 13."""
    members = list(CouncilMember.objects.filter(round=round_).select_related("user"))
    by_role = {m.user.username: m for m in members}
    scores = list(Score.objects.filter(unit=unit).select_related("node").order_by("node__position"))
    manual = [s for s in scores if s.node.method == Method.MANUAL and s.self_points]
    flagged = [s for s in scores if s.flagged]
    standing = next(m for m in members if m.role == "standing")
    secretary = members[-1]
    for score in scores:
        services.review_give(
            actor=secretary.user, unit=unit, code=score.node.code, verdict="confirm"
        )
    for score in manual[:1] + flagged[:2]:
        lower = scoring.quantize((score.self_points or Decimal(0)) * Decimal("0.7"))
        services.review_give(
            actor=standing.user,
            unit=unit,
            code=score.node.code,
            verdict="adjust",
            points=lower,
            reason="Minh chứng chưa thể hiện đủ kết quả; số liệu nền tảng thấp hơn số tự chấm."
            if score.flagged
            else "Minh chứng chưa thể hiện đủ kết quả.",
        )
    vice = next(m for m in members if m.role == "vice_chair")
    if manual:
        services.review_give(
            actor=vice.user, unit=unit, code=manual[0].node.code, verdict="confirm"
        )
    chair = next(m for m in members if m.role == "chair")
    try:
        services.decision_record(
            actor=chair.user, unit=unit, participants=[m.pk for m in members[:6]], agreed=[]
        )
    except InvalidInput as refused:
        say(f"    quorum enforced: {refused.message}")
    services.decision_record(
        actor=chair.user,
        unit=unit,
        participants=[m.pk for m in members[:9]],
        agreed=[m.pk for m in members[:8]],
        note="Hội đồng họp ngày làm việc thứ nhất sau khi đóng đợt tự đánh giá.",
    )
    del by_role


def _this_year(
    rounds: Mapping[str, Round],
    created: Mapping[str, bool],
    codes: Mapping[str, str],
    plan: Mapping[str, Any],
    say: Say,
) -> None:
    department_key, dept_assessor, dept_leader = plan["department"]
    commune_key, commune_assessor, _commune_leader = plan["commune"]
    pending = codes[plan["pending_department"]]
    so, xa = rounds["HN-SO"], rounds["HN-XA"]
    if created["HN-SO"]:
        demo_unit = RoundUnit.objects.get(round=so, agency__code=codes[department_key])
        _self_assess(demo_unit, _user(dept_assessor), str(so.year))
        services.unit_send(actor=_user(dept_assessor), unit=demo_unit)
        services.unit_approve(actor=_user(dept_leader), unit=demo_unit)
        others = list(
            RoundUnit.objects.filter(round=so).exclude(pk=demo_unit.pk).select_related("agency")
        )
        with transaction.atomic():
            _load_scores(others, seed=str(so.year), decided=False)
        services.round_close(actor=None, round_=so)
        _appraise(so, demo_unit, say)
        chair = CouncilMember.objects.filter(round=so, role="chair").select_related("user").get()
        members = [m.pk for m in CouncilMember.objects.filter(round=so)[:10]]
        for unit in others:
            if unit.agency.code == pending:
                continue
            services.decision_record(
                actor=chair.user, unit=unit, participants=members, agreed=members
            )
        say(f"    {so.name}: {len(others) + 1} departments appraised, 1 waiting for the council")
    if created["HN-XA"]:
        demo_unit = RoundUnit.objects.get(round=xa, agency__code=codes[commune_key])
        _self_assess(demo_unit, _user(commune_assessor), str(xa.year))
        services.unit_send(actor=_user(commune_assessor), unit=demo_unit)
        others = list(
            RoundUnit.objects.filter(round=xa).exclude(pk=demo_unit.pk).select_related("agency")
        )
        with transaction.atomic():
            _load_scores(others, seed=str(xa.year), decided=False)
        say(f"    {xa.name}: open; {len(others)} submitted, the demo ward waits for approval")


def build(
    *,
    codes: Mapping[str, str],
    say: Say = lambda _line: None,
    officials: Mapping[str, Any] | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """The DTI part of the demo city (see the module's docstring). ``officials`` is the
    demo's plan (city.DTI): the standing body, the council, who self-assesses."""
    if not officials:
        raise ValueError("the DTI demo needs its plan (standing body, council, units)")
    today = today or timezone.localdate()
    year = today.year
    found = _frameworks(year, say)
    standing = Agency.objects.get(code=codes[officials["standing_body"]])
    council = officials["council"]
    for code in HANOI:
        earlier, created = _round(found[(code, year - 1)], year - 1, standing, council)
        if created:
            _history(earlier, today, say)
    rounds: dict[str, Round] = {}
    created_now: dict[str, bool] = {}
    for code in HANOI:
        rounds[code], created_now[code] = _round(found[(code, year)], year, standing, council)
    _this_year(rounds, created_now, codes, officials, say)
    return {
        "index": "/chuyen-doi-so/",
        "public": "/chuyen-doi-so/cong-bo/",
        "rounds": {code: r.pk for code, r in rounds.items()},
        "standing_body": standing.code,
        "council_chair": council[0][0],
    }
