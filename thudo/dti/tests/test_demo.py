"""The demo's DTI data on the small city: last year published, this year's departments
appraised by a council of 13 with the quorum enforced, a ward's self-assessment waiting for
its leader with the platform's measured figures beside it, and a second run that adds
nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from thudo.core.models import AuditEvent, Role
from thudo.core.tests.factories import City, agency, official
from thudo.dti import demo, selectors
from thudo.dti.models import Decision, Evidence, Framework, Review, Round, RoundUnit, Score

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 16)


def _plan(city: City) -> tuple[dict[str, str], dict[str, Any]]:
    standing = agency(
        "000.00.18.H26", "Sở Khoa học và Công nghệ", unit=city.hanoi, parent=city.city_pc
    )
    council = [("city.leader", "chair", "Phó Chủ tịch UBND Thành phố")]
    official(standing, role=Role.LEADER, username="skhcn.leader")
    council.append(("skhcn.leader", "vice_chair", "Giám đốc Sở"))
    official(standing, role=Role.HEAD, username="skhcn.head")
    council.append(("skhcn.head", "standing", "Ủy viên thường trực"))
    for n in range(10):
        official(standing, role=Role.SPECIALIST, username=f"member.{n}")
        council.append((f"member.{n}", "member", ""))
    official(city.justice, role=Role.SPECIALIST, username="stp.specialist")
    official(city.justice, role=Role.LEADER, username="stp.director")
    official(city.commune_a, role=Role.SPECIALIST, username="ward.specialist")
    official(city.commune_a, role=Role.LEADER, username="ward.chair")
    codes = {
        "08": standing.code,
        "03": city.justice.code,
        "commune:1": city.commune_a.code,
    }
    plan = {
        "standing_body": "08",
        "council": council,
        "department": ("03", "stp.specialist", "stp.director"),
        "commune": ("commune:1", "ward.specialist", "ward.chair"),
        "pending_department": "08",
    }
    return codes, plan


def test_the_demo_rounds(monkeypatch: pytest.MonkeyPatch) -> None:
    city = City()
    codes, plan = _plan(city)
    monkeypatch.setattr("thudo.dti.services._today", lambda: TODAY)
    said: list[str] = []
    info = demo.build(codes=codes, say=said.append, officials=plan, today=TODAY)

    assert set(Framework.objects.values_list("code", "year")) == {
        ("QD922-TINH", 2026),
        ("HN-SO", 2026),
        ("HN-SO", 2025),
        ("HN-XA", 2026),
        ("HN-XA", 2025),
    }
    rounds = {(r.framework.code, r.year): r for r in Round.objects.select_related("framework")}
    assert {k: r.status for k, r in rounds.items()} == {
        ("HN-SO", 2025): "published",
        ("HN-XA", 2025): "published",
        ("HN-SO", 2026): "appraisal",
        ("HN-XA", 2026): "open",
    }
    assert info["rounds"] == {
        "HN-SO": rounds[("HN-SO", 2026)].pk,
        "HN-XA": rounds[("HN-XA", 2026)].pk,
    }

    # Last year: every unit final, decided by 9 of 13, ranked.
    last = rounds[("HN-SO", 2025)]
    assert set(RoundUnit.objects.filter(round=last).values_list("status", flat=True)) == {"final"}
    decision = Decision.objects.filter(unit__round=last).first()
    assert decision is not None
    assert (decision.members_total, decision.participants.count()) == (13, 9)
    results = selectors.results(round_=last)
    assert [u.rank for u in results.units] == sorted(u.rank for u in results.units)
    assert all(Decimal(0) < u.value <= 1 for u in results.units)

    # This year's departments: the Department of Justice went through every step.
    so = rounds[("HN-SO", 2026)]
    justice = RoundUnit.objects.get(round=so, agency=city.justice)
    assert justice.status == "decided"
    assert justice.approved_by is not None
    assert justice.approved_by.username == "stp.director"
    assert justice.appeal_until is not None and justice.appeal_until > TODAY
    required = Score.objects.filter(unit=justice, node__evidence="required").count()
    assert Evidence.objects.filter(score__unit=justice).count() == required > 0
    decided = Decision.objects.get(unit=justice)
    assert (decided.participants.count(), decided.agreed.count()) == (9, 8)
    assert any("quorum enforced" in line and "7/13" in line for line in said)
    assert Review.objects.filter(score__unit=justice, verdict="adjust").exists()
    # … and one department waits for the council.
    waiting = RoundUnit.objects.get(round=so, agency__code=codes["08"])
    assert waiting.status == "submitted"
    assert not Decision.objects.filter(unit=waiting).exists()
    # Last year's value is the base of this year's change.
    this_year = {u.unit_code: u for u in selectors.results(round_=so).units}
    before = {u.unit_code: u for u in results.units}
    assert this_year[city.justice.code].previous_value == before[city.justice.code].value

    # The ward: filled in, waiting for its chairwoman; measured sub-indices carry lineage.
    xa = rounds[("HN-XA", 2026)]
    ward = RoundUnit.objects.get(round=xa, agency=city.commune_a)
    assert ward.status == "awaiting_approval"
    assert not Score.objects.filter(unit=ward, node__max_points__gt=0, self_points__isnull=True)
    measured = Score.objects.filter(unit=ward).exclude(node__measure_source="")
    assert measured.count() == 5
    assert all(s.measured_at is not None for s in measured)
    other = RoundUnit.objects.get(round=xa, agency=city.commune_b)
    assert other.status == "submitted" and other.self_points > 0

    # Idempotent: a second run writes nothing.
    events = AuditEvent.objects.count()
    scores = Score.objects.count()
    again = demo.build(codes=codes, say=said.append, officials=plan, today=TODAY)
    assert again == info
    assert (AuditEvent.objects.count(), Score.objects.count()) == (events, scores)
