"""Results of a round: totals per unit and per main index, the published 0–1 value,
competition ranks, and the change against last year's published round of the same
framework."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import pytest

from thudo.core.models import Role
from thudo.core.tests.factories import official
from thudo.dti import frameworks, selectors, services
from thudo.dti.contracts import IndexTotal, RoundResults, UnitResult
from thudo.dti.models import Framework, Round, RoundUnit
from thudo.dti.tests.factories import (
    DOCUMENT,
    YEAR,
    Dti,
    close,
    decide,
    fill,
    on,
    submit,
)

pytestmark = pytest.mark.django_db

D = Decimal
A, B = "000.01.50.H26", "000.02.50.H26"
A_NAME, B_NAME = "Ủy ban nhân dân Phường Ba Đình", "Ủy ban nhân dân Phường Ngọc Hà"
JUSTICE, STANDING = "000.00.16.H26", "000.00.18.H26"
AWARENESS, GOVERNMENT = "Nhận thức số", "Chính quyền số"


def by_code(results: RoundResults) -> dict[str, UnitResult]:
    return {u.unit_code: u for u in results.units}


def current(dti: Dti) -> Round:
    """The fixture's round as stored now (services return new objects as it moves on)."""
    return Round.objects.select_related("framework").get(pk=dti.round.pk)


def indices(*totals: tuple[str, str, str, str]) -> tuple[IndexTotal, ...]:
    return tuple(IndexTotal(code, name, D(points), D(most)) for code, name, points, most in totals)


def import_framework(code: str, year: int, **changes: object) -> Framework:
    document = copy.deepcopy(DOCUMENT)
    document.update(code=code, year=year, **changes)
    return services.framework_import(
        actor=None, parsed=frameworks.parse_document(document)
    ).framework


def submit_b(dti: Dti, unit: RoundUnit | None = None) -> None:
    """Ward B's self-assessment: 10 + 15 + 20 (60 %) + 20 (40 × 45/90) = 65, submitted."""
    unit = unit or dti.unit_b
    fill(dti, unit, dti.assessor_b, online="60", signed="45")
    services.unit_send(actor=dti.assessor_b, unit=unit)
    services.unit_approve(actor=dti.leader_b, unit=unit)


def past_round(dti: Dti, code: str, year: int, *, a_points: dict[str, str],
               publish: bool = True) -> Round:  # fmt: skip
    """A whole round of ``code`` for ``year`` run through the services: ward A decided with
    ``a_points`` over its self-assessment (87), ward B on its self-assessment (65)."""
    framework = import_framework(code, year)
    round_ = services.round_create(
        actor=dti.standing_head, framework=framework, year=year, name=f"Đánh giá năm {year}",
        standing_body=dti.standing_body,
    )  # fmt: skip
    services.council_set(
        actor=dti.standing_head, round_=round_, seats=[services.Seat("dti.head", "chair")]
    )
    services.round_open(actor=dti.standing_head, round_=round_)
    unit_a = round_.units.get(agency__code=A)
    unit_b = round_.units.get(agency__code=B)
    submit(dti, unit_a, dti.assessor_a, dti.leader_a)
    submit_b(dti, unit_b)
    round_ = services.round_close(actor=dti.standing_head, round_=round_)
    member = round_.members.get().pk
    with on(date(2026, 1, 5)):
        for unit, points in ((unit_a, a_points), (unit_b, {})):
            services.decision_record(
                actor=dti.standing_head, unit=unit, participants=[member], agreed=[],
                points=points,
            )  # fmt: skip
    if publish:
        with on(date(2026, 2, 2)):
            round_ = services.round_publish(actor=dti.standing_head, round_=round_)
    return round_


# --- while units self-assess ------------------------------------------------------------------


def test_before_the_council_results_are_the_self_scores(dti: Dti) -> None:
    fill(dti, dti.unit_a, dti.assessor_a)
    fill(dti, dti.unit_b, dti.assessor_b, online="60", signed="45")
    results = selectors.results(round_=current(dti))
    assert (results.round_id, results.year, results.framework, results.peer_group) == (
        dti.round.pk, YEAR, "TEST-XA", "Xã, phường"
    )  # fmt: skip
    assert (results.name, results.published) == ("Đánh giá chuyển đổi số cấp xã năm 2026", False)
    assert results.units == (
        UnitResult(
            unit_code=A, unit_name=A_NAME, points=D(87), max_points=D(100), value=D("0.8700"),
            rank=1, previous_value=None, change=None,
            indices=indices(("1", AWARENESS, "25", "30"), ("2", GOVERNMENT, "62", "70")),
        ),
        UnitResult(
            unit_code=B, unit_name=B_NAME, points=D(65), max_points=D(100), value=D("0.6500"),
            rank=2, previous_value=None, change=None,
            indices=indices(("1", AWARENESS, "25", "30"), ("2", GOVERNMENT, "40", "70")),
        ),
    )  # fmt: skip


def test_equal_values_share_a_rank_and_the_next_rank_is_skipped(dti: Dti) -> None:
    """Four units of a framework for departments and wards: the wards tie at 0.87, the
    justice department has 62.22 of its 80 points (0.77775, half up), the standing body
    nothing."""
    document = copy.deepcopy(DOCUMENT)
    document.update(code="TEST-MIX", applies_to=["department", "commune_committee"])
    document["groups"][0]["indices"][0]["sub_indices"][1]["applies_to"] = ["commune_committee"]
    framework = services.framework_import(
        actor=None, parsed=frameworks.parse_document(document)
    ).framework
    round_ = services.round_create(
        actor=dti.standing_head, framework=framework, year=YEAR, name="Đợt hỗn hợp",
        standing_body=dti.standing_body,
    )  # fmt: skip
    services.council_set(
        actor=dti.standing_head, round_=round_, seats=[services.Seat("dti.head", "chair")]
    )
    services.round_open(actor=dti.standing_head, round_=round_)
    units = {u.agency.code: u for u in round_.units.select_related("agency")}
    fill(dti, units[A], dti.assessor_a)
    fill(dti, units[B], dti.assessor_b)
    clerk = official(dti.city.justice, role=Role.SPECIALIST, username="justice.dti")
    services.score_save(actor=clerk, unit=units[JUSTICE], code="1.1", value="yes")
    services.score_save(actor=clerk, unit=units[JUSTICE], code="2.1", value="85")
    services.score_save(actor=clerk, unit=units[JUSTICE], code="2.2", value="50")  # 22.22

    results = selectors.results(round_=round_)
    assert [(u.unit_code, u.points, u.max_points, u.value, u.rank) for u in results.units] == [
        (A, D(87), D(100), D("0.8700"), 1),
        (B, D(87), D(100), D("0.8700"), 1),
        (JUSTICE, D("62.22"), D(80), D("0.7778"), 3),
        (STANDING, D(0), D(80), D("0.0000"), 4),
    ]
    found = by_code(results)
    assert found[JUSTICE].indices == indices(
        ("1", AWARENESS, "10", "10"), ("2", GOVERNMENT, "52.22", "70")
    )
    assert found[STANDING].indices == indices(
        ("1", AWARENESS, "0", "10"), ("2", GOVERNMENT, "0", "70")
    )


def test_a_main_index_without_points_is_not_listed(dti: Dti) -> None:
    document = copy.deepcopy(DOCUMENT)
    document["code"] = "TEST-SMART"
    document["groups"][0]["indices"].append(
        {"code": "3", "name": "Đô thị thông minh", "max_points": 0, "sub_indices": [
            {"code": "3.1", "name": "Đề án đô thị thông minh", "max_points": 0}]}
    )  # fmt: skip
    framework = services.framework_import(
        actor=None, parsed=frameworks.parse_document(document)
    ).framework
    round_ = services.round_create(
        actor=dti.standing_head, framework=framework, year=YEAR, name="Đợt có chỉ số 0 điểm",
        standing_body=dti.standing_body, unit_codes=[A],
    )  # fmt: skip
    services.council_set(
        actor=dti.standing_head, round_=round_, seats=[services.Seat("dti.head", "chair")]
    )
    services.round_open(actor=dti.standing_head, round_=round_)
    [unit] = selectors.results(round_=round_).units
    assert [i.code for i in unit.indices] == ["1", "2"]
    assert unit.max_points == D(100)


# --- after the council ------------------------------------------------------------------------


def test_decided_units_count_their_final_points(dti: Dti) -> None:
    submit(dti, dti.unit_a, dti.assessor_a, dti.leader_a)
    submit_b(dti)
    close(dti)
    decide(dti, dti.unit_a, points={"1.2": "5", "2.2": "20"})  # 10 + 5 + 30 + 20 = 65
    results = selectors.results(round_=current(dti))
    found = by_code(results)
    assert (found[A].points, found[A].value, found[A].rank) == (D(65), D("0.6500"), 1)
    assert found[A].indices == indices(("1", AWARENESS, "15", "30"), ("2", GOVERNMENT, "50", "70"))
    # Ward B is not decided yet: its self-assessment, equal to A's decided 65.
    assert (found[B].points, found[B].value, found[B].rank) == (D(65), D("0.6500"), 1)
    assert found[B].indices == indices(("1", AWARENESS, "25", "30"), ("2", GOVERNMENT, "40", "70"))
    assert [u.unit_code for u in results.units] == [A, B]  # by name within a rank

    decide(dti, dti.unit_b, points={"2.1": "30"})  # 10 + 15 + 30 + 20 = 75
    found = by_code(selectors.results(round_=current(dti)))
    assert [(c, found[c].points, found[c].value, found[c].rank) for c in (A, B)] == [
        (A, D(65), D("0.6500"), 2), (B, D(75), D("0.7500"), 1)
    ]  # fmt: skip
    assert [u.unit_code for u in selectors.results(round_=current(dti)).units] == [B, A]


def test_published_results(dti: Dti) -> None:
    submit(dti, dti.unit_a, dti.assessor_a, dti.leader_a)
    submit_b(dti)
    close(dti)
    with on(date(2026, 12, 1)):
        decide(dti, dti.unit_a, points={"2.2": "31.45"})  # 86.45
        decide(dti, dti.unit_b)
    with on(date(2026, 12, 9)):
        services.round_publish(actor=dti.standing_head, round_=dti.round)
    results = selectors.results(round_=current(dti))
    assert results.published is True
    assert [(u.unit_code, u.points, u.value, u.rank) for u in results.units] == [
        (A, D("86.45"), D("0.8645"), 1), (B, D(65), D("0.6500"), 2)
    ]  # fmt: skip


# --- year over year ---------------------------------------------------------------------------


def test_the_change_is_against_last_years_published_round_of_the_same_framework(
    dti: Dti,
) -> None:
    past_round(dti, "TEST-XA", YEAR - 1, a_points={"2.1": "23"})  # A 80 in 2025, B 65
    past_round(dti, "TEST-XB", YEAR - 1, a_points={"2.1": "0"})  # another framework: ignored
    fill(dti, dti.unit_a, dti.assessor_a)  # 87 in 2026
    fill(dti, dti.unit_b, dti.assessor_b, online="80", signed="45")  # 10 + 15 + 30 + 20 = 75
    found = by_code(selectors.results(round_=current(dti)))
    assert [(c, found[c].value, found[c].previous_value, found[c].change) for c in (A, B)] == [
        (A, D("0.8700"), D("0.8000"), D("0.0700")),
        (B, D("0.7500"), D("0.6500"), D("0.1000")),
    ]


def test_a_fall_is_a_negative_change(dti: Dti) -> None:
    past_round(dti, "TEST-XA", YEAR - 1, a_points={})  # A 87 in 2025
    fill(dti, dti.unit_a, dti.assessor_a, online="10", signed="9")  # 10 + 15 + 0 + 4 = 29
    found = by_code(selectors.results(round_=current(dti)))
    assert (found[A].value, found[A].previous_value, found[A].change) == (
        D("0.2900"), D("0.8700"), D("-0.5800")
    )  # fmt: skip


def test_an_unpublished_or_older_round_gives_no_change(dti: Dti) -> None:
    past_round(dti, "TEST-XA", YEAR - 1, a_points={}, publish=False)
    past_round(dti, "TEST-XA", YEAR - 2, a_points={})  # published, but two years back
    fill(dti, dti.unit_a, dti.assessor_a)
    found = by_code(selectors.results(round_=current(dti)))
    assert [(found[c].previous_value, found[c].change) for c in (A, B)] == [
        (None, None), (None, None)
    ]  # fmt: skip
