"""Writes of the DTI module: rounds, the self-assessment with evidence, measured values,
the council's reviews and quorate decisions, appeals, locking and publication, and the
audit events recorded with each change."""

from __future__ import annotations

import copy
import hashlib
import io
import zipfile
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import override_settings

from thudo.core import audit, metrics
from thudo.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from thudo.core.models import Agency, AuditEvent, Role
from thudo.core.tests.factories import agency, official
from thudo.dti import frameworks, services
from thudo.dti.contracts import CouncilRole
from thudo.dti.models import (
    Appeal,
    CouncilMember,
    Decision,
    Evidence,
    Review,
    Round,
    RoundUnit,
    Score,
)
from thudo.dti.tests.factories import (
    DOCUMENT,
    PDF,
    YEAR,
    Dti,
    build,
    close,
    decide,
    fill,
    on,
    submit,
    variant,
)

pytestmark = pytest.mark.django_db

D = Decimal
A, B = "000.01.50.H26", "000.02.50.H26"  # the two wards' committees
DECIDED_ON = date(2026, 4, 29)  # a Wednesday before the 30/4 and 1/5 holidays
APPEAL_UNTIL = date(2026, 5, 8)  # 5 working days later: 30/4, 1/5 and a weekend skipped
AFTER_APPEALS = date(2026, 5, 11)


def score(unit: RoundUnit, code: str) -> Score:
    return Score.objects.get(unit=unit, node__code=code)


def fresh(unit: RoundUnit) -> RoundUnit:
    return RoundUnit.objects.get(pk=unit.pk)


def actions() -> list[str]:
    return list(
        AuditEvent.objects.filter(action__startswith="dti.").values_list("action", flat=True)
    )


def state(unit: RoundUnit) -> tuple[Any, ...]:
    """Everything a write could change about a unit, to show that a refused one did not."""
    u = fresh(unit)
    scores = list(
        Score.objects.filter(unit=u)
        .order_by("node__position")
        .values_list(
            "node__code", "value", "self_points", "explanation", "flagged", "final_points",
            "final_reason", "measured_value", "measured_at",
        )
    )  # fmt: skip
    return (
        u.status, u.self_points, u.final_points, u.appeal_until, u.decided_at, u.locked_at,
        u.round.status, scores,
        list(Evidence.objects.filter(score__unit=u).values_list("pk", "name")),
        list(Review.objects.filter(score__unit=u).values_list("pk", "points")),
        list(Decision.objects.filter(unit=u).values_list("pk", "points")),
        list(Appeal.objects.filter(unit=u).values_list("pk", "status")),
        AuditEvent.objects.count(),
    )  # fmt: skip


def errors_of(caught: pytest.ExceptionInfo[InvalidInput]) -> list[tuple[str, str]]:
    return [(e.field, e.code) for e in caught.value.field_errors]


def appraisal(dti: Dti) -> None:
    """Both wards submitted (A: 87 points, B: 65), self-assessment closed."""
    submit(dti, dti.unit_a, dti.assessor_a, dti.leader_a)
    fill(dti, dti.unit_b, dti.assessor_b, online="60", signed="45")
    services.unit_send(actor=dti.assessor_b, unit=dti.unit_b)
    services.unit_approve(actor=dti.leader_b, unit=dti.unit_b)
    close(dti)


def review(dti: Dti, member: int, code: str, verdict: str = "confirm", points: Any = None,
           reason: str = "", unit: RoundUnit | None = None) -> Review:  # fmt: skip
    return services.review_give(
        actor=dti.council[member].user,
        unit=unit or dti.unit_a,
        code=code,
        verdict=verdict,
        points=points,
        reason=reason,
    )


def other_round(dti: Dti) -> list[CouncilMember]:
    """Another round (another framework code), with its own council of three."""
    round_ = services.round_create(
        actor=dti.standing_head,
        framework=variant("TEST-XB"),
        year=YEAR,
        name="Đợt đánh giá khác",
        standing_body=dti.standing_body,
        unit_codes=[A],
    )
    for name in ("other.chair", "other.1", "other.2"):
        official(dti.standing_body, role=Role.SPECIALIST, username=name)
    return services.council_set(
        actor=dti.standing_head,
        round_=round_,
        seats=[
            services.Seat("other.chair", CouncilRole.CHAIR),
            services.Seat("other.1"),
            services.Seat("other.2"),
        ],
    )


def decided_and_appealed(dti: Dti, codes: tuple[str, ...] = ("1.2",)) -> Appeal:
    appraisal(dti)
    with on(DECIDED_ON):
        decide(dti, dti.unit_a)
    with on(APPEAL_UNTIL):
        return services.appeal_file(
            actor=dti.leader_a, unit=dti.unit_a, codes=list(codes), reason="Đủ 15 tin bài"
        )


# --- rounds -----------------------------------------------------------------------------------


def test_a_round_covers_the_active_units_of_the_frameworks_kinds() -> None:
    dti = build(open_round=False)
    units = RoundUnit.objects.filter(round=dti.round).select_related("agency")
    assert sorted((u.agency.code, u.status, u.max_points) for u in units) == [
        (A, "draft", D(100)), (B, "draft", D(100))
    ]  # fmt: skip
    assert (dti.round.status, dti.round.year, dti.round.self_deadline) == ("draft", YEAR, None)
    assert Score.objects.filter(unit__round=dti.round).count() == 0
    event = AuditEvent.objects.get(action="dti.round_created")
    assert (event.actor, event.agency, event.object_id) == (
        dti.standing_head, dti.standing_body, str(dti.round.pk)
    )  # fmt: skip
    assert event.payload == {"year": YEAR, "units": 2}


def test_units_in_scope_by_kind_and_sub_indices_by_their_own_kinds(dti: Dti) -> None:
    agency("000.03.50.H26", "UBND Phường Cũ", unit=dti.city.ward_a, kind="commune_committee")
    Agency.objects.filter(code="000.03.50.H26").update(is_active=False)
    doc = copy.deepcopy(DOCUMENT)
    doc.update(code="TEST-MIX", applies_to=["department", "commune_committee"])
    doc["groups"][0]["indices"][0]["sub_indices"][1]["applies_to"] = ["commune_committee"]
    framework = services.framework_import(
        actor=None, parsed=frameworks.parse_document(doc)
    ).framework
    round_ = services.round_create(
        actor=dti.standing_head, framework=framework, year=YEAR, name="Đợt hỗn hợp",
        standing_body=dti.standing_body,
    )  # fmt: skip
    units = {u.agency.code: u for u in RoundUnit.objects.filter(round=round_)}
    # Departments (the justice department, the standing body) and the wards; not the city's
    # committee (another kind) nor the inactive ward.
    assert {code: u.max_points for code, u in units.items()} == {
        "000.00.16.H26": D(80), "000.00.18.H26": D(80), A: D(100), B: D(100)
    }  # fmt: skip
    services.council_set(
        actor=dti.standing_head, round_=round_, seats=[services.Seat("dti.head", "chair")]
    )
    services.round_open(actor=dti.standing_head, round_=round_)
    codes = {
        code: sorted(Score.objects.filter(unit=u).values_list("node__code", flat=True))
        for code, u in units.items()
    }
    assert codes == {
        "000.00.16.H26": ["1.1", "2.1", "2.2"],
        "000.00.18.H26": ["1.1", "2.1", "2.2"],
        A: ["1.1", "1.2", "2.1", "2.2"],
        B: ["1.1", "1.2", "2.1", "2.2"],
    }


def test_a_round_of_chosen_units(dti: Dti) -> None:
    round_ = services.round_create(
        actor=dti.standing_head, framework=variant("TEST-XB"), year=YEAR, name="Một phường",
        standing_body=dti.standing_body, unit_codes=[B],
    )  # fmt: skip
    assert list(RoundUnit.objects.filter(round=round_).values_list("agency__code", flat=True)) == [
        B
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("codes", "error"),
    [
        (["000.09.50.H26"], ("units", "unknown")),
        ([A, "000.00.00.H26"], ("units", "out_of_scope")),  # the city's committee
        ([], ("units", "empty")),
    ],
)
def test_units_outside_the_framework_are_refused(
    dti: Dti, codes: list[str], error: tuple[str, str]
) -> None:
    framework = variant("TEST-XB")
    before = Round.objects.count(), AuditEvent.objects.count()
    with pytest.raises(InvalidInput) as caught:
        services.round_create(
            actor=dti.standing_head, framework=framework, year=YEAR, name="Đợt",
            standing_body=dti.standing_body, unit_codes=codes,
        )  # fmt: skip
    assert errors_of(caught) == [error]
    assert (Round.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"name": "  "}, ("name", "required")),
        ({"self_deadline_days": 0}, ("self_deadline_days", "range")),
        ({"self_deadline_days": 121}, ("self_deadline_days", "range")),
        ({"appeal_days": 0}, ("appeal_days", "range")),
        ({"appeal_days": 31}, ("appeal_days", "range")),
    ],
)
def test_round_settings_are_checked(
    dti: Dti, changes: dict[str, Any], error: tuple[str, str]
) -> None:
    kwargs: dict[str, Any] = {"name": "Đợt", **changes}
    with pytest.raises(InvalidInput) as caught:
        services.round_create(
            actor=dti.standing_head, framework=variant("TEST-XB"), year=YEAR,
            standing_body=dti.standing_body, **kwargs,
        )  # fmt: skip
    assert errors_of(caught) == [error]
    assert Round.objects.count() == 1


def test_one_round_per_framework_code_and_year(dti: Dti) -> None:
    changed = copy.deepcopy(DOCUMENT)
    changed["name"] = "Bộ chỉ số cấp xã (sửa đổi)"
    v2 = services.framework_import(actor=None, parsed=frameworks.parse_document(changed))
    assert v2.framework.version == 2
    for framework in (dti.framework, v2.framework):
        with pytest.raises(Conflict):
            services.round_create(
                actor=dti.standing_head, framework=framework, year=YEAR, name="Lần hai",
                standing_body=dti.standing_body,
            )  # fmt: skip
    assert Round.objects.count() == 1


def test_only_the_standing_bodys_leaders_create_rounds(dti: Dti) -> None:
    framework = variant("TEST-XB")
    specialist = dti.council[3].user  # a specialist of the standing body
    for actor in (dti.assessor_a, dti.leader_a, specialist):
        with pytest.raises(PermissionDenied):
            services.round_create(
                actor=actor, framework=framework, year=YEAR, name="Đợt",
                standing_body=dti.standing_body,
            )  # fmt: skip
    assert Round.objects.count() == 1


@pytest.mark.parametrize(
    ("today", "days", "deadline"),
    [
        (date(2026, 10, 2), 20, date(2026, 10, 30)),  # a Friday: four working weeks
        (date(2026, 4, 29), 5, date(2026, 5, 8)),  # 30/4, 1/5 and a weekend skipped
        (date(2026, 8, 28), 5, date(2026, 9, 9)),  # 31/8 (substitute), 1–2/9 National Day
    ],
)
def test_the_self_assessment_deadline_counts_working_days(
    today: date, days: int, deadline: date
) -> None:
    dti = build(open_round=False)
    Round.objects.filter(pk=dti.round.pk).update(self_deadline_days=days)
    with on(today):
        opened = services.round_open(actor=dti.standing_head, round_=dti.round)
    assert (opened.status, opened.self_deadline) == ("open", deadline)
    assert Round.objects.get(pk=dti.round.pk).self_deadline == deadline
    event = AuditEvent.objects.get(action="dti.round_opened")
    assert event.payload == {"deadline": deadline.isoformat()}
    assert Score.objects.filter(unit__round=dti.round).count() == 8


def test_round_states_go_forward_only() -> None:
    dti = build(open_round=False)
    head = dti.standing_head
    with pytest.raises(Conflict):
        close(dti)  # not open yet
    with pytest.raises(Conflict):
        services.round_publish(actor=head, round_=dti.round)
    with pytest.raises(Conflict):
        services.score_save(actor=dti.assessor_a, unit=dti.unit_a, code="1.1", value="yes")
    services.round_open(actor=head, round_=dti.round)
    with pytest.raises(Conflict):
        services.round_open(actor=head, round_=dti.round)
    with pytest.raises(Conflict):
        services.round_publish(actor=head, round_=dti.round)
    closed = close(dti)
    assert (closed.status, closed.closed_at is not None) == ("appraisal", True)
    assert AuditEvent.objects.get(action="dti.round_closed").payload == {"not_submitted": 2}
    with pytest.raises(Conflict):
        close(dti)
    with pytest.raises(Conflict):
        services.round_open(actor=head, round_=dti.round)
    assert Score.objects.filter(unit__round=dti.round).count() == 8  # not created twice
    with pytest.raises(Conflict):
        services.score_save(actor=dti.assessor_a, unit=dti.unit_a, code="1.1", value="yes")
    with pytest.raises(Conflict):
        services.unit_send(actor=dti.assessor_a, unit=dti.unit_a)


def test_a_round_without_a_council_does_not_close(dti: Dti) -> None:
    CouncilMember.objects.filter(round=dti.round).delete()
    with pytest.raises(Conflict):
        close(dti)
    assert Round.objects.get(pk=dti.round.pk).status == "open"


def test_only_the_standing_body_opens_and_closes(dti: Dti) -> None:
    draft = build_second_round(dti)
    for actor in (dti.assessor_a, dti.leader_a, dti.city.city_leader):
        with pytest.raises(PermissionDenied):
            services.round_open(actor=actor, round_=draft)
        with pytest.raises(PermissionDenied):
            services.round_close(actor=actor, round_=dti.round)
        with pytest.raises(PermissionDenied):
            services.measured_refresh(actor=actor, round_=dti.round)
    assert Round.objects.get(pk=draft.pk).status == "draft"
    assert Round.objects.get(pk=dti.round.pk).status == "open"


def build_second_round(dti: Dti) -> Round:
    return services.round_create(
        actor=dti.standing_head, framework=variant("TEST-XB"), year=YEAR, name="Đợt hai",
        standing_body=dti.standing_body,
    )  # fmt: skip


def test_the_council_is_fixed_once_it_has_reviewed(dti: Dti) -> None:
    appraisal(dti)
    review(dti, 0, "1.1")
    with pytest.raises(Conflict):
        services.council_set(
            actor=dti.standing_head, round_=dti.round, seats=[services.Seat("dti.head", "chair")]
        )
    assert CouncilMember.objects.filter(round=dti.round).count() == 13


@pytest.mark.parametrize(
    ("seats", "code"),
    [
        ([], "empty"),
        ([("dti.head", "member")], "one_chair"),
        ([("dti.head", "chair"), ("city.leader", "chair")], "one_chair"),
        ([("dti.head", "chair"), ("dti.head", "member")], "duplicate"),
        ([("dti.head", "chair"), ("nobody", "member")], "unknown_official"),
        ([("dti.head", "president")], "unknown_role"),
    ],
)
def test_council_seats_are_checked(dti: Dti, seats: list[tuple[str, str]], code: str) -> None:
    before = list(CouncilMember.objects.filter(round=dti.round).values_list("pk", flat=True))
    with pytest.raises(InvalidInput) as caught:
        services.council_set(
            actor=dti.standing_head,
            round_=dti.round,
            seats=[services.Seat(name, role) for name, role in seats],
        )
    assert errors_of(caught) == [("members", code)]
    assert list(CouncilMember.objects.filter(round=dti.round).values_list("pk", flat=True)) == (
        before
    )


# --- self-assessment --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "kwargs", "value", "points"),
    [
        ("1.1", {"value": "yes"}, D(1), D(10)),
        ("1.1", {"value": "Có"}, D(1), D(10)),
        ("1.1", {"value": "không"}, D(0), D(0)),
        ("1.1", {"value": ""}, None, None),
        ("1.2", {"points": "15"}, None, D(15)),
        ("1.2", {"points": "12,5"}, None, D("12.5")),
        ("1.2", {"points": "20"}, None, D(20)),
        ("1.2", {"points": ""}, None, None),
        ("2.1", {"value": "85"}, D(85), D(30)),
        ("2.1", {"value": "80"}, D(80), D(30)),
        ("2.1", {"value": "79,99"}, D("79.99"), D(20)),
        ("2.1", {"value": "19"}, D(19), D(0)),
        ("2.2", {"value": "72"}, D(72), D("32.00")),  # 40 × 72/90
        ("2.2", {"value": "72,5"}, D("72.5"), D("32.22")),  # 32.2222…
        ("2.2", {"value": "100"}, D(100), D(40)),  # above the target of 90: the maximum
        ("2.2", {"value": "45", "points": "40"}, D(45), D("20.00")),  # points given: ignored
    ],
)
def test_a_draft_saves_with_points_computed_by_the_method(
    dti: Dti, code: str, kwargs: dict[str, str], value: Decimal | None, points: Decimal | None
) -> None:
    saved = services.score_save(actor=dti.assessor_a, unit=dti.unit_a, code=code, **kwargs)
    stored = score(dti.unit_a, code)
    assert (saved.value, saved.self_points) == (value, points)
    assert (stored.value, stored.self_points, stored.updated_by) == (value, points, dti.assessor_a)
    assert fresh(dti.unit_a).self_points == (points or D(0))


def test_the_units_total_follows_its_scores_and_each_save_is_audited(dti: Dti) -> None:
    fill(dti, dti.unit_a, dti.assessor_a)
    scores = Score.objects.filter(unit=dti.unit_a)
    assert [(s.node.code, s.value, s.self_points) for s in scores] == [
        ("1.1", D(1), D(10)), ("1.2", None, D(15)), ("2.1", D(85), D(30)), ("2.2", D(72), D(32))
    ]  # fmt: skip
    assert fresh(dti.unit_a).self_points == D("87.00")
    assert score(dti.unit_a, "1.2").explanation == "12 tin bài"
    services.score_save(actor=dti.assessor_a, unit=dti.unit_a, code="2.1", value="55")
    assert fresh(dti.unit_a).self_points == D("77.00")
    assert fresh(dti.unit_b).self_points == D(0)
    event = AuditEvent.objects.filter(action="dti.score_saved").order_by("-seq").first()
    assert event is not None
    assert (event.actor, event.agency, event.object_type) == (
        dti.assessor_a, dti.city.commune_a, "dti.score"
    )  # fmt: skip
    assert event.payload == {"unit": A, "code": "2.1", "value": "55.0000", "points": "20.00"}
    assert AuditEvent.objects.filter(action="dti.score_saved").count() == 5


@pytest.mark.parametrize(
    ("code", "kwargs", "error"),
    [
        ("1.1", {"value": "maybe"}, ("value", "yes_no")),
        ("1.2", {"points": "20.01"}, ("points", "above_max")),
        ("1.2", {"points": "7.555"}, ("points", "precision")),
        ("1.2", {"points": "-1"}, ("points", "negative")),
        ("1.2", {"points": "abc"}, ("points", "not_a_number")),
        ("1.2", {"points": "NaN"}, ("points", "not_a_number")),
        ("2.2", {"value": "100.5"}, ("value", "above_100")),
        ("2.1", {"value": "-3"}, ("value", "negative")),
        ("2.1", {"value": "1e3x"}, ("value", "not_a_number")),
        ("1.2", {"points": "5", "explanation": "x" * 4001}, ("explanation", "too_long")),
    ],
)
def test_bad_entries_are_refused_and_change_nothing(
    dti: Dti, code: str, kwargs: dict[str, str], error: tuple[str, str]
) -> None:
    fill(dti, dti.unit_a, dti.assessor_a)
    before = state(dti.unit_a)
    with pytest.raises(InvalidInput) as caught:
        services.score_save(actor=dti.assessor_a, unit=dti.unit_a, code=code, **kwargs)
    assert errors_of(caught) == [error]
    assert state(dti.unit_a) == before


def test_a_sub_index_the_unit_does_not_score_is_not_found(dti: Dti) -> None:
    with pytest.raises(NotFound):
        services.score_save(actor=dti.assessor_a, unit=dti.unit_a, code="9.9", value="1")


def test_only_the_units_own_officials_fill_it_in(dti: Dti) -> None:
    fill(dti, dti.unit_a, dti.assessor_a)
    before = state(dti.unit_a)
    outsiders = (dti.assessor_b, dti.leader_b, dti.city.city_leader, dti.standing_head)
    for actor in outsiders:
        with pytest.raises(PermissionDenied):
            services.score_save(actor=actor, unit=dti.unit_a, code="1.2", points="1")
        with pytest.raises(PermissionDenied):
            services.evidence_add(actor=actor, unit=dti.unit_a, code="1.1", content=PDF)
        with pytest.raises(PermissionDenied):
            services.unit_send(actor=actor, unit=dti.unit_a)
    assert state(dti.unit_a) == before


# --- evidence ---------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 64


def zipped(*files: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name in files:
            z.writestr(name, '<?xml version="1.0"?><x/>')
    return out.getvalue()


def docx() -> bytes:
    return zipped("[Content_Types].xml", "word/document.xml")


@pytest.mark.parametrize(
    ("name", "content", "media_type"),
    [
        ("ke-hoach.pdf", PDF, "application/pdf"),
        ("anh.png", PNG, "image/png"),
        ("anh.jpg", JPEG, "image/jpeg"),
        ("bao-cao.docx", docx(),
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ],
)  # fmt: skip
def test_evidence_files_are_typed_by_their_bytes(
    dti: Dti, name: str, content: bytes, media_type: str
) -> None:
    item = services.evidence_add(
        actor=dti.assessor_a, unit=dti.unit_a, code="1.1", name=name, content=content
    )
    stored = Evidence.objects.get(pk=item.pk)
    assert (stored.name, stored.media_type, stored.size, stored.url) == (
        name, media_type, len(content), ""
    )  # fmt: skip
    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    assert stored.content is not None and bytes(stored.content) == content
    assert stored.score == score(dti.unit_a, "1.1")
    event = AuditEvent.objects.get(action="dti.evidence_added")
    assert event.payload == {"unit": A, "code": "1.1", "sha256": stored.sha256, "url": ""}


def test_a_link_is_evidence_too(dti: Dti) -> None:
    url = "https://thudo.gov.vn/van-ban/ke-hoach-cds-2026"
    item = services.evidence_add(actor=dti.assessor_a, unit=dti.unit_a, code="1.2", url=url)
    assert (item.name, item.url, item.media_type, item.size, item.content) == (
        url,
        url,
        "",
        0,
        None,
    )


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"name": "ke-hoach.pdf", "content": EXE}, ("file", "wrong_type")),  # the name lies
        ({"name": "ghi-chu.txt", "content": b"Ke hoach chuyen doi so"}, ("file", "wrong_type")),
        ({"name": "nen.zip", "content": zipped("a.xml")}, ("file", "wrong_type")),
        ({}, ("file", "one_of")),
        ({"content": PDF, "url": "https://thudo.gov.vn/a"}, ("file", "one_of")),
        ({"url": "ftp://thudo.gov.vn/a.pdf"}, ("url", "invalid")),
        ({"url": "javascript:alert(1)"}, ("url", "invalid")),
        ({"url": "ke hoach"}, ("url", "invalid")),
    ],
)
def test_bad_evidence_is_refused_and_changes_nothing(
    dti: Dti, kwargs: dict[str, Any], error: tuple[str, str]
) -> None:
    before = state(dti.unit_a)
    with pytest.raises(InvalidInput) as caught:
        services.evidence_add(actor=dti.assessor_a, unit=dti.unit_a, code="1.1", **kwargs)
    assert errors_of(caught) == [error]
    assert state(dti.unit_a) == before


@override_settings(DTI_MAX_EVIDENCE_BYTES=1024)
def test_evidence_files_are_size_capped(dti: Dti) -> None:
    exactly = PDF + b"0" * (1024 - len(PDF))
    services.evidence_add(actor=dti.assessor_a, unit=dti.unit_a, code="1.1", content=exactly)
    before = state(dti.unit_a)
    with pytest.raises(InvalidInput) as caught:
        services.evidence_add(
            actor=dti.assessor_a, unit=dti.unit_a, code="1.1", content=exactly + b"0"
        )
    assert errors_of(caught) == [("file", "too_large")]
    assert state(dti.unit_a) == before
    assert Evidence.objects.get().size == 1024


def test_a_sub_index_without_evidence_takes_none_and_twenty_is_the_most(dti: Dti) -> None:
    with pytest.raises(InvalidInput) as caught:
        services.evidence_add(actor=dti.assessor_a, unit=dti.unit_a, code="2.1", content=PDF)
    assert errors_of(caught) == [("file", "not_needed")]
    for n in range(20):
        services.evidence_add(
            actor=dti.assessor_a, unit=dti.unit_a, code="1.2", url=f"https://thudo.gov.vn/{n}"
        )
    with pytest.raises(InvalidInput) as caught:
        services.evidence_add(
            actor=dti.assessor_a, unit=dti.unit_a, code="1.2", url="https://thudo.gov.vn/20"
        )
    assert errors_of(caught) == [("file", "too_many")]
    assert Evidence.objects.count() == 20


def test_evidence_is_removed_only_from_its_own_unit(dti: Dti) -> None:
    item = services.evidence_add(actor=dti.assessor_a, unit=dti.unit_a, code="1.1", content=PDF)
    with pytest.raises(NotFound):
        services.evidence_remove(actor=dti.assessor_b, unit=dti.unit_b, evidence_id=item.pk)
    with pytest.raises(PermissionDenied):
        services.evidence_remove(actor=dti.assessor_b, unit=dti.unit_a, evidence_id=item.pk)
    assert Evidence.objects.filter(pk=item.pk).exists()
    services.evidence_remove(actor=dti.assessor_a, unit=dti.unit_a, evidence_id=item.pk)
    assert not Evidence.objects.exists()
    event = AuditEvent.objects.get(action="dti.evidence_removed")
    assert event.payload == {"sha256": hashlib.sha256(PDF).hexdigest(), "url": ""}


# --- sending, approving -----------------------------------------------------------------------


def test_sending_needs_every_scored_sub_index_and_the_required_evidence(dti: Dti) -> None:
    unit = dti.unit_a
    with pytest.raises(InvalidInput) as caught:
        services.unit_send(actor=dti.assessor_a, unit=unit)
    assert caught.value.data == {"missing": ["1.1", "1.2", "2.1", "2.2"]}
    services.score_save(actor=dti.assessor_a, unit=unit, code="1.1", value="yes")
    services.score_save(actor=dti.assessor_a, unit=unit, code="1.2", points="0")  # 0 is a score
    services.score_save(actor=dti.assessor_a, unit=unit, code="2.1", value="85")
    services.score_save(actor=dti.assessor_a, unit=unit, code="2.2", value="72")
    with pytest.raises(InvalidInput) as caught:
        services.unit_send(actor=dti.assessor_a, unit=unit)
    assert caught.value.data == {"missing": ["1.1"]}  # its evidence is required
    assert fresh(unit).status == "draft"
    assert "dti.unit_sent" not in actions()

    services.evidence_add(actor=dti.assessor_a, unit=unit, code="1.1", url="https://a.vn/kh")
    sent = services.unit_send(actor=dti.assessor_a, unit=unit)
    assert (sent.status, sent.sent_by, sent.sent_at is not None) == (
        "awaiting_approval", dti.assessor_a, True
    )  # fmt: skip
    assert AuditEvent.objects.get(action="dti.unit_sent").payload == {"points": "72.00"}


def test_a_sub_index_without_points_is_not_needed_to_send(dti: Dti) -> None:
    document = copy.deepcopy(DOCUMENT)
    document["code"] = "TEST-SMART"
    document["groups"][0]["indices"].append(
        {"code": "3", "name": "Đô thị thông minh", "max_points": 0, "sub_indices": [
            {"code": "3.1", "name": "Đề án đô thị thông minh", "max_points": 0,
             "evidence": "required"}]}
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
    unit = round_.units.get()
    assert score(unit, "3.1").self_points is None
    fill(dti, unit, dti.assessor_a)
    assert services.unit_send(actor=dti.assessor_a, unit=unit).status == "awaiting_approval"
    assert fresh(unit).max_points == D(100)


def test_after_sending_the_draft_does_not_change(dti: Dti) -> None:
    fill(dti, dti.unit_a, dti.assessor_a)
    item = Evidence.objects.get()
    services.unit_send(actor=dti.assessor_a, unit=dti.unit_a)
    before = state(dti.unit_a)
    attempts = [
        lambda: services.score_save(actor=dti.assessor_a, unit=dti.unit_a, code="1.2", points="20"),
        lambda: services.evidence_add(actor=dti.assessor_a, unit=dti.unit_a, code="1.1",
                                      content=PDF),
        lambda: services.evidence_remove(actor=dti.assessor_a, unit=dti.unit_a,
                                         evidence_id=item.pk),
        lambda: services.unit_send(actor=dti.assessor_a, unit=dti.unit_a),
    ]  # fmt: skip
    for attempt in attempts:
        with pytest.raises(Conflict):
            attempt()
    assert state(dti.unit_a) == before
    approved = services.unit_approve(actor=dti.leader_a, unit=dti.unit_a)
    assert approved.status == "submitted"
    for attempt in attempts:
        with pytest.raises(Conflict):
            attempt()
    after = state(dti.unit_a)
    assert after[1:-1] == before[1:-1]  # only the status changed, by the approval
    assert after[-1] == before[-1] + 1  # and its audit event


def test_the_leader_approves_or_returns(dti: Dti) -> None:
    fill(dti, dti.unit_a, dti.assessor_a)
    with pytest.raises(Conflict):
        services.unit_approve(actor=dti.leader_a, unit=dti.unit_a)  # not sent yet
    services.unit_send(actor=dti.assessor_a, unit=dti.unit_a)
    with pytest.raises(InvalidInput) as caught:
        services.unit_return(actor=dti.leader_a, unit=dti.unit_a, reason=" ")
    assert errors_of(caught) == [("reason", "required")]
    returned = services.unit_return(actor=dti.leader_a, unit=dti.unit_a, reason="Bổ sung 1.2")
    assert returned.status == "draft"
    assert AuditEvent.objects.get(action="dti.unit_returned").payload == {"reason": "Bổ sung 1.2"}
    services.score_save(actor=dti.assessor_a, unit=dti.unit_a, code="1.2", points="18")
    services.unit_send(actor=dti.assessor_a, unit=dti.unit_a)

    approved = services.unit_approve(actor=dti.leader_a, unit=dti.unit_a)
    stored = fresh(dti.unit_a)
    assert (approved.status, stored.status, stored.approved_by, stored.self_points) == (
        "submitted", "submitted", dti.leader_a, D("90.00")
    )  # fmt: skip
    assert stored.submitted_at is not None and stored.signed_pdf is None
    assert AuditEvent.objects.get(action="dti.unit_submitted").payload == {
        "points": "90.00", "signed": False, "sha256": ""
    }  # fmt: skip
    with pytest.raises(Conflict):
        services.unit_approve(actor=dti.leader_a, unit=dti.unit_a)
    with pytest.raises(Conflict):
        services.unit_return(actor=dti.leader_a, unit=dti.unit_a, reason="Muộn")


def test_only_the_units_leader_approves_or_returns(dti: Dti) -> None:
    fill(dti, dti.unit_a, dti.assessor_a)
    services.unit_send(actor=dti.assessor_a, unit=dti.unit_a)
    before = state(dti.unit_a)
    for actor in (dti.assessor_a, dti.leader_b, dti.city.city_leader, dti.standing_head):
        with pytest.raises(PermissionDenied):
            services.unit_approve(actor=actor, unit=dti.unit_a)
        with pytest.raises(PermissionDenied):
            services.unit_return(actor=actor, unit=dti.unit_a, reason="Không")
    assert state(dti.unit_a) == before


# --- measured sub-indices ---------------------------------------------------------------------


def provider(code: str, value: str, lineage: str, unit: str = "%") -> metrics.MetricProvider:
    def compute(period: metrics.Period, org_unit: str | None) -> tuple[Decimal, str]:
        return D(value), lineage

    return metrics.MetricProvider(code, f"Chỉ số {code}", unit, "", "tests", compute)


def test_measured_values_and_their_lineage_are_filled_when_the_round_opens(dti: Dti) -> None:
    for unit, code in ((dti.unit_a, A), (dti.unit_b, B)):
        signed = score(unit, "2.2")
        assert (signed.measured_value, signed.measured_points, signed.flagged) == (
            D("72.5"), D("32.22"), False
        )  # fmt: skip
        assert signed.measured_lineage == (
            f"Tỷ lệ văn bản ký số (thử) (test.signed_share) = 72.5 %: test: {code} 2026"
        )
        assert signed.measured_at is not None
        online = score(unit, "2.1")  # no dossier received: no figure, not zero
        assert (online.measured_value, online.measured_points, online.measured_lineage) == (
            None, None, ""
        )  # fmt: skip
        assert score(unit, "1.2").measured_at is None  # not measured at all
    assert AuditEvent.objects.get(action="dti.measured_refreshed").payload == {"values": 2}


@pytest.mark.parametrize(
    ("value", "flagged"),
    [("72.5", False), ("77.5", False), ("77.51", True), ("67.5", False), ("67.4", True),
     ("80", True), ("", False)],
)  # fmt: skip
def test_a_self_value_beyond_the_tolerance_is_flagged(dti: Dti, value: str, flagged: bool) -> None:
    saved = services.score_save(actor=dti.assessor_a, unit=dti.unit_a, code="2.2", value=value)
    assert saved.flagged is flagged
    assert score(dti.unit_a, "2.2").flagged is flagged


def test_a_refresh_takes_the_new_figure_and_flags_again(
    dti: Dti, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.score_save(actor=dti.assessor_a, unit=dti.unit_a, code="2.2", value="72")
    assert score(dti.unit_a, "2.2").flagged is False
    monkeypatch.setitem(
        metrics._registry, "test.signed_share", provider("test.signed_share", "80", "đếm lại")
    )
    assert (
        services.measured_refresh(actor=dti.standing_head, round_=dti.round, unit=dti.unit_b) == 1
    )
    assert score(dti.unit_a, "2.2").measured_value == D("72.5")  # only the unit asked for
    assert score(dti.unit_b, "2.2").measured_value == D(80)

    assert services.measured_refresh(actor=dti.standing_head, round_=dti.round) == 2
    signed = score(dti.unit_a, "2.2")
    assert (signed.measured_value, signed.measured_points, signed.flagged) == (
        D(80), D("35.56"), True  # 40 × 80/90; 72 is 8 from 80
    )  # fmt: skip
    assert signed.measured_lineage == "Chỉ số test.signed_share (test.signed_share) = 80 %: đếm lại"
    assert signed.self_points == D("32.00")  # the unit's own score is its own
    assert [e.payload for e in AuditEvent.objects.filter(action="dti.measured_refreshed")] == [
        {"values": 2}, {"values": 1}, {"values": 2}
    ]  # fmt: skip


def test_a_ratio_source_is_a_hundred_times_one_metric_over_another(
    dti: Dti, monkeypatch: pytest.MonkeyPatch
) -> None:
    top = provider("procedures.fully_online", "45", "45 hồ sơ", "dossiers")
    bottom = provider("procedures.received", "60", "60 hồ sơ", "dossiers")
    monkeypatch.setitem(metrics._registry, "procedures.fully_online", top)
    monkeypatch.setitem(metrics._registry, "procedures.received", bottom)
    services.score_save(actor=dti.assessor_a, unit=dti.unit_a, code="2.1", value="85")
    services.measured_refresh(actor=dti.standing_head, round_=dti.round)
    online = score(dti.unit_a, "2.1")
    assert (online.measured_value, online.measured_points, online.flagged) == (
        D(75), D(20), True  # the 50 % tier; 85 is 10 from 75
    )  # fmt: skip
    assert online.measured_lineage == (
        "100 × Chỉ số procedures.fully_online (procedures.fully_online) = 45 dossiers: 45 hồ sơ"
        " / Chỉ số procedures.received (procedures.received) = 60 dossiers: 60 hồ sơ"
        " = 75.0000 %"
    )
    monkeypatch.setitem(
        metrics._registry, "procedures.received", provider("procedures.received", "0", "0 hồ sơ")
    )
    services.measured_refresh(actor=dti.standing_head, round_=dti.round)
    online = score(dti.unit_a, "2.1")
    assert (online.measured_value, online.measured_lineage, online.flagged) == (None, "", False)


def test_an_indicator_source_is_the_reporting_systems_year_value(dti: Dti) -> None:
    from thudo.reporting import services as reporting
    from thudo.reporting.tests.factories import PERIOD
    from thudo.reporting.tests.factories import build as reporting_build

    r = reporting_build(dti.city)
    for element, raw in (("DN_MOI", "12"), ("DN_HOATDONG", "48")):
        reporting.value_save(
            actor=r.clerk_a, form=r.form, unit=dti.city.commune_a, period=PERIOD,
            element=element, raw=raw,
        )  # fmt: skip
    dti.framework.nodes.filter(code="2.2").update(measure_source="indicator:TL_DN_MOI")
    assert services.measured_refresh(actor=dti.standing_head, round_=dti.round) == 1
    signed = score(dti.unit_a, "2.2")
    assert (signed.measured_value, signed.measured_points) == (D(25), D("11.11"))  # 100×12/48
    assert signed.measured_lineage == (
        "Hệ thống báo cáo: chỉ tiêu TL_DN_MOI (Tỷ lệ doanh nghiệp mới trên doanh nghiệp hoạt "
        "động), kỳ 2026, đơn vị Ủy ban nhân dân Phường Ba Đình; số liệu provisional = 25.0000"
    )
    assert score(dti.unit_b, "2.2").measured_value is None  # ward B reported nothing


def test_an_unknown_metric_measures_nothing(dti: Dti) -> None:
    dti.framework.nodes.filter(code="2.2").update(measure_source="metric:test.nothing")
    assert services.measured_refresh(actor=dti.standing_head, round_=dti.round) == 0
    assert score(dti.unit_a, "2.2").measured_value is None


# --- the council: reviews ---------------------------------------------------------------------


def test_a_member_confirms_or_adjusts_once_per_stage(dti: Dti) -> None:
    appraisal(dti)
    confirmed = review(dti, 0, "1.2")
    adjusted = review(dti, 1, "1.2", "adjust", "12", "Chỉ 8 tin bài đạt yêu cầu")
    assert [(r.member, r.stage, r.verdict, r.points, r.reason) for r in (confirmed, adjusted)] == [
        (dti.council[0], 1, "confirm", D(15), ""),
        (dti.council[1], 1, "adjust", D(12), "Chỉ 8 tin bài đạt yêu cầu"),
    ]  # fmt: skip
    event = AuditEvent.objects.filter(action="dti.review_given").order_by("seq").last()
    assert event is not None and event.actor == dti.council[1].user
    assert event.payload == {
        "unit": A, "code": "1.2", "verdict": "adjust", "points": "12", "stage": 1
    }  # fmt: skip

    before = state(dti.unit_a)
    for verdict in ("confirm", "adjust"):
        with pytest.raises(Conflict):
            review(dti, 0, "1.2", verdict, "10", "Xem lại")
    assert state(dti.unit_a) == before
    assert Review.objects.filter(member=dti.council[0]).count() == 1


@pytest.mark.parametrize(
    ("verdict", "points", "reason", "error"),
    [
        ("adjust", "12", "", ("reason", "required")),
        ("adjust", None, "Thiếu minh chứng", ("points", "required")),
        ("adjust", "20.5", "Thừa", ("points", "above_max")),
        ("adjust", "12.345", "Lẻ", ("points", "precision")),
        ("adjust", "-1", "Âm", ("points", "negative")),
        ("veto", None, "", ("verdict", "invalid")),
        ("confirm", None, "x" * 4001, ("reason", "too_long")),
    ],
)
def test_a_review_is_checked(
    dti: Dti, verdict: str, points: str | None, reason: str, error: tuple[str, str]
) -> None:
    appraisal(dti)
    before = state(dti.unit_a)
    with pytest.raises(InvalidInput) as caught:
        review(dti, 2, "1.2", verdict, points, reason)
    assert errors_of(caught) == [error]
    assert state(dti.unit_a) == before


def test_only_members_of_this_rounds_council_review(dti: Dti) -> None:
    others = other_round(dti)
    appraisal(dti)
    before = state(dti.unit_a)
    for actor in (dti.assessor_a, dti.leader_a, others[1].user, None):
        with pytest.raises(PermissionDenied):
            services.review_give(actor=actor, unit=dti.unit_a, code="1.2", verdict="confirm")
    assert state(dti.unit_a) == before


def test_no_review_while_units_self_assess(dti: Dti) -> None:
    submit(dti, dti.unit_a, dti.assessor_a, dti.leader_a)
    with pytest.raises(Conflict):
        review(dti, 0, "1.2")
    assert not Review.objects.exists()


# --- the council: decisions and quorum --------------------------------------------------------


def test_six_of_thirteen_is_no_quorum_and_nothing_changes(dti: Dti) -> None:
    appraisal(dti)
    review(dti, 0, "1.2", "adjust", "12", "Chỉ 8 tin bài")
    before = state(dti.unit_a)
    with pytest.raises(InvalidInput) as caught:
        decide(dti, dti.unit_a, members=6)
    assert errors_of(caught) == [("participants", "no_quorum")]
    assert "ít nhất 7/13" in str(caught.value.message)
    assert "mới có 6" in str(caught.value.message)
    assert state(dti.unit_a) == before
    unit = fresh(dti.unit_a)
    assert (unit.status, unit.final_points) == ("submitted", None)
    assert not Decision.objects.exists()
    assert set(Score.objects.values_list("final_points", flat=True)) == {None}
    assert "dti.decision_recorded" not in actions()


def test_seven_of_thirteen_decides(dti: Dti) -> None:
    appraisal(dti)
    with on(DECIDED_ON):
        decision = decide(dti, dti.unit_a, members=7)
    unit = fresh(dti.unit_a)
    assert (unit.status, unit.final_points, unit.appeal_until) == (
        "decided", D("87.00"), APPEAL_UNTIL
    )  # fmt: skip
    assert unit.decided_at is not None and unit.locked_at is None
    assert (decision.stage, decision.members_total, decision.points, decision.recorded_by) == (
        1, 13, D("87.00"), dti.chair.user
    )  # fmt: skip
    assert sorted(m.pk for m in decision.participants.all()) == sorted(dti.members(7))
    assert list(decision.agreed.all()) == []
    event = AuditEvent.objects.get(action="dti.decision_recorded")
    assert (event.actor, event.agency, event.object_type) == (
        dti.chair.user, dti.city.commune_a, "dti.decision"
    )  # fmt: skip
    assert event.payload == {
        "unit": A, "points": "87.00", "participants": sorted(dti.members(7)), "agreed": [],
        "members_total": 13,
    }  # fmt: skip
    assert fresh(dti.unit_b).status == "submitted"  # one unit at a time


@pytest.mark.parametrize(
    ("took_part", "agreed", "valid"),
    [
        (range(0, 4), range(4, 7), True),  # 4 took part, 3 others agreed: 7
        (range(0, 4), range(0, 6), False),  # the same four counted once: 6
        (range(0, 7), range(0, 7), True),
        ((), range(0, 7), True),  # agreement alone counts
        ((), range(0, 6), False),
        (range(0, 3), range(6, 9), False),
    ],
)
def test_those_who_took_part_or_agreed_count_once(
    dti: Dti, took_part: range, agreed: range, valid: bool
) -> None:
    appraisal(dti)
    ids = [m.pk for m in dti.council]
    before = state(dti.unit_a)

    def record() -> Decision:
        return services.decision_record(
            actor=dti.chair.user,
            unit=dti.unit_a,
            participants=[ids[n] for n in took_part],
            agreed=[ids[n] for n in agreed],
        )

    if valid:
        decision = record()
        assert sorted(m.pk for m in decision.agreed.all()) == sorted(ids[n] for n in agreed)
        assert fresh(dti.unit_a).status == "decided"
    else:
        with pytest.raises(InvalidInput) as caught:
            record()
        assert errors_of(caught) == [("participants", "no_quorum")]
        assert state(dti.unit_a) == before


@pytest.mark.parametrize("where", ["participants", "agreed"])
def test_members_of_another_rounds_council_are_refused(dti: Dti, where: str) -> None:
    others = other_round(dti)
    appraisal(dti)
    before = state(dti.unit_a)
    lists: dict[str, list[int]] = {"participants": dti.members(7), "agreed": []}
    lists[where] = lists[where] + [others[0].pk]
    with pytest.raises(InvalidInput) as caught:
        services.decision_record(
            actor=dti.chair.user,
            unit=dti.unit_a,
            participants=lists["participants"],
            agreed=lists["agreed"],
        )
    assert errors_of(caught) == [(where, "not_a_member")]
    assert state(dti.unit_a) == before


@override_settings(DTI_QUORUM="0.6")
def test_the_quorum_share_is_configurable(dti: Dti) -> None:
    appraisal(dti)
    before = state(dti.unit_a)
    with pytest.raises(InvalidInput) as caught:
        decide(dti, dti.unit_a, members=7)
    assert "ít nhất 8/13" in str(caught.value.message)
    assert state(dti.unit_a) == before
    decision = decide(dti, dti.unit_a, members=8)
    assert (decision.members_total, decision.participants.count()) == (13, 8)
    assert fresh(dti.unit_a).status == "decided"


def test_final_points_are_given_else_the_reviews_proposal_else_the_self_score(dti: Dti) -> None:
    appraisal(dti)
    review(dti, 0, "1.2", "adjust", "12", "Chỉ 8 tin bài đạt yêu cầu")
    review(dti, 1, "1.2", "adjust", "12", "Thiếu minh chứng tháng 7")
    review(dti, 2, "1.2")  # confirms 15: outvoted
    review(dti, 3, "2.2", "adjust", "28", "Số liệu ký số thấp hơn")
    review(dti, 4, "2.2", "adjust", "30", "Một phần văn bản")  # a tie: the median, 29
    review(dti, 5, "1.1")  # confirms 10
    decision = services.decision_record(
        actor=dti.standing_head,
        unit=dti.unit_a,
        participants=dti.members(9),
        agreed=[],
        points={"2.1": "25"},
        reasons={"2.1": "Hệ thống ghi nhận 75 %"},
        note="Họp ngày 29/4",
    )
    finals = {
        s.node.code: (s.final_points, s.final_reason) for s in Score.objects.filter(unit=dti.unit_a)
    }
    assert finals == {
        "1.1": (D(10), ""),  # confirmed
        "1.2": (D(12), "Chỉ 8 tin bài đạt yêu cầu; Thiếu minh chứng tháng 7"),
        "2.1": (D(25), "Hệ thống ghi nhận 75 %"),  # given by the council
        "2.2": (D(29), "Số liệu ký số thấp hơn; Một phần văn bản"),
    }
    assert (decision.points, decision.note) == (D("76.00"), "Họp ngày 29/4")
    assert fresh(dti.unit_a).final_points == D("76.00")
    assert fresh(dti.unit_a).self_points == D("87.00")  # the self-score stays as it was


def test_without_reviews_the_self_score_is_final(dti: Dti) -> None:
    appraisal(dti)
    decide(dti, dti.unit_b)
    assert [(s.node.code, s.final_points) for s in Score.objects.filter(unit=dti.unit_b)] == [
        ("1.1", D(10)), ("1.2", D(15)), ("2.1", D(20)), ("2.2", D(20))
    ]  # fmt: skip
    assert fresh(dti.unit_b).final_points == D("65.00")


@pytest.mark.parametrize(
    ("points", "error"),
    [({"1.2": "21"}, ("points.1.2", "above_max")), ({"9.9": "1"}, ("points", "unknown")),
     ({"1.2": "x"}, ("points.1.2", "not_a_number"))],
)  # fmt: skip
def test_given_final_points_are_checked(
    dti: Dti, points: dict[str, str], error: tuple[str, str]
) -> None:
    appraisal(dti)
    before = state(dti.unit_a)
    with pytest.raises(InvalidInput) as caught:
        decide(dti, dti.unit_a, points=points)
    assert errors_of(caught) == [error]
    assert state(dti.unit_a) == before


def test_the_chair_the_standing_members_and_the_standing_body_record_decisions(dti: Dti) -> None:
    appraisal(dti)
    before = state(dti.unit_a)
    member = dti.council[5]
    assert member.role == "member"
    for actor in (member.user, dti.assessor_a, dti.leader_a):
        with pytest.raises(PermissionDenied):
            services.decision_record(actor=actor, unit=dti.unit_a, participants=dti.members(7),
                                     agreed=[])  # fmt: skip
    assert state(dti.unit_a) == before
    vice = dti.council[1]
    assert vice.role == "vice_chair"
    services.decision_record(actor=vice.user, unit=dti.unit_a, participants=dti.members(7),
                             agreed=[])  # fmt: skip
    assert Decision.objects.get().recorded_by == vice.user


def test_a_unit_is_decided_once(dti: Dti) -> None:
    appraisal(dti)
    decide(dti, dti.unit_a)
    before = state(dti.unit_a)
    with pytest.raises(Conflict):
        decide(dti, dti.unit_a, members=13)
    with pytest.raises(Conflict):
        review(dti, 8, "1.2")
    assert state(dti.unit_a) == before


def test_no_decision_while_units_self_assess(dti: Dti) -> None:
    submit(dti, dti.unit_a, dti.assessor_a, dti.leader_a)
    with pytest.raises(Conflict):
        decide(dti, dti.unit_a, members=13)
    assert not Decision.objects.exists()


# --- appeals ----------------------------------------------------------------------------------


def test_the_leader_appeals_within_the_appeal_period(dti: Dti) -> None:
    appraisal(dti)
    with on(DECIDED_ON):
        decide(dti, dti.unit_a)
    assert fresh(dti.unit_a).appeal_until == APPEAL_UNTIL
    with on(APPEAL_UNTIL):  # the last day still counts
        appeal = services.appeal_file(
            actor=dti.leader_a, unit=dti.unit_a, codes=["1.2", "2.2"], reason=" Đủ 15 tin bài "
        )
    assert (appeal.reason, appeal.status, appeal.filed_by) == (
        "Đủ 15 tin bài",
        "open",
        dti.leader_a,
    )
    assert sorted(n.code for n in appeal.nodes.all()) == ["1.2", "2.2"]
    assert fresh(dti.unit_a).status == "appealed"
    event = AuditEvent.objects.get(action="dti.appeal_filed")
    assert (event.actor, event.payload) == (dti.leader_a, {"unit": A, "codes": ["1.2", "2.2"]})


def test_after_the_appeal_period_an_appeal_is_a_conflict(dti: Dti) -> None:
    appraisal(dti)
    with on(DECIDED_ON):
        decide(dti, dti.unit_a)
    before = state(dti.unit_a)
    with on(AFTER_APPEALS), pytest.raises(Conflict) as caught:
        services.appeal_file(actor=dti.leader_a, unit=dti.unit_a, codes=["1.2"], reason="Muộn")
    assert "08/05/2026" in str(caught.value.message)
    assert state(dti.unit_a) == before


def test_an_appeal_is_filed_once(dti: Dti) -> None:
    decided_and_appealed(dti)
    before = state(dti.unit_a)
    with on(APPEAL_UNTIL), pytest.raises(Conflict):
        services.appeal_file(actor=dti.leader_a, unit=dti.unit_a, codes=["2.2"], reason="Lần 2")
    assert state(dti.unit_a) == before
    assert Appeal.objects.count() == 1


def test_an_appeal_comes_after_the_decision(dti: Dti) -> None:
    appraisal(dti)
    with pytest.raises(Conflict):
        services.appeal_file(actor=dti.leader_a, unit=dti.unit_a, codes=["1.2"], reason="Sớm")
    assert not Appeal.objects.exists()


def test_only_the_units_leader_appeals(dti: Dti) -> None:
    appraisal(dti)
    with on(DECIDED_ON):
        decide(dti, dti.unit_a)
    before = state(dti.unit_a)
    for actor in (dti.assessor_a, dti.leader_b, dti.city.city_leader, dti.standing_head):
        with on(DECIDED_ON), pytest.raises(PermissionDenied):
            services.appeal_file(actor=actor, unit=dti.unit_a, codes=["1.2"], reason="Xem lại")
    assert state(dti.unit_a) == before


@pytest.mark.parametrize(
    ("codes", "reason", "error"),
    [(["1.2"], " ", ("reason", "required")), ([], "Xem lại", ("codes", "required")),
     (["1.2", "9.9"], "Xem lại", ("codes", "unknown"))],
)  # fmt: skip
def test_an_appeal_is_checked(
    dti: Dti, codes: list[str], reason: str, error: tuple[str, str]
) -> None:
    appraisal(dti)
    with on(DECIDED_ON):
        decide(dti, dti.unit_a)
    before = state(dti.unit_a)
    with on(DECIDED_ON), pytest.raises(InvalidInput) as caught:
        services.appeal_file(actor=dti.leader_a, unit=dti.unit_a, codes=codes, reason=reason)
    assert errors_of(caught) == [error]
    assert state(dti.unit_a) == before


def test_stage_two_reviews_only_the_appealed_sub_indices(dti: Dti) -> None:
    decided_and_appealed(dti)
    with pytest.raises(Conflict):
        decide(dti, dti.unit_a, members=13)  # the appeal is answered by appeal_resolve
    with pytest.raises(Conflict):
        review(dti, 0, "2.2")  # not appealed
    first = review(dti, 0, "1.2")  # confirms the decided 15
    again = review(dti, 1, "1.2", "adjust", "18", "Bổ sung đủ minh chứng")
    assert [(r.stage, r.points) for r in (first, again)] == [(2, D(15)), (2, D(18))]
    with pytest.raises(Conflict):
        review(dti, 0, "1.2", "adjust", "20", "Đổi ý")
    assert Review.objects.filter(stage=2).count() == 2


def test_the_appeal_is_resolved_with_a_quorum_and_the_unit_is_then_final(dti: Dti) -> None:
    decided_and_appealed(dti)
    review(dti, 0, "1.2", "adjust", "18", "Bổ sung đủ minh chứng")
    review(dti, 1, "1.2", "adjust", "18", "Đồng ý bổ sung")
    before = state(dti.unit_a)

    def resolve(members: int, **kwargs: Any) -> Decision:
        return services.appeal_resolve(
            actor=dti.chair.user,
            unit=dti.unit_a,
            participants=dti.members(members),
            agreed=[],
            **{"resolution": "Chấp nhận một phần", **kwargs},
        )

    with pytest.raises(InvalidInput) as caught:
        resolve(6)
    assert errors_of(caught) == [("participants", "no_quorum")]
    with pytest.raises(InvalidInput) as caught:
        resolve(7, resolution=" ")
    assert errors_of(caught) == [("resolution", "required")]
    with pytest.raises(InvalidInput) as caught:
        resolve(7, points={"2.2": "40"})
    assert errors_of(caught) == [("points", "not_appealed")]
    assert state(dti.unit_a) == before
    with pytest.raises(PermissionDenied):
        services.appeal_resolve(
            actor=dti.council[6].user, unit=dti.unit_a, participants=dti.members(7), agreed=[],
            resolution="Không",
        )  # fmt: skip

    decision = resolve(7)
    unit = fresh(dti.unit_a)
    assert (decision.stage, decision.points, decision.note) == (2, D("90.00"), "Chấp nhận một phần")
    assert (unit.status, unit.final_points, unit.locked_at is not None) == (
        "final", D("90.00"), True
    )  # fmt: skip
    finals = {
        s.node.code: (s.final_points, s.final_reason) for s in Score.objects.filter(unit=unit)
    }
    assert finals == {
        "1.1": (D(10), ""),
        "1.2": (D(18), "Bổ sung đủ minh chứng; Đồng ý bổ sung"),  # stage 2's proposal
        "2.1": (D(30), ""),
        "2.2": (D(32), ""),  # not appealed: as decided
    }
    appeal = Appeal.objects.get()
    assert (appeal.status, appeal.resolution, appeal.resolved_at is not None) == (
        "resolved", "Chấp nhận một phần", True
    )  # fmt: skip
    event = AuditEvent.objects.get(action="dti.appeal_resolved")
    assert event.payload["points"] == "90.00" and event.payload["members_total"] == 13
    assert Decision.objects.filter(unit=unit).count() == 2


# --- locking ----------------------------------------------------------------------------------


def every_write(dti: Dti, unit: RoundUnit, assessor: Any, leader: Any) -> list[Any]:
    item = Evidence.objects.filter(score__unit=unit).first()
    assert item is not None
    return [
        lambda: services.score_save(actor=assessor, unit=unit, code="1.2", points="20"),
        lambda: services.evidence_add(actor=assessor, unit=unit, code="1.1", content=PDF),
        lambda: services.evidence_remove(actor=assessor, unit=unit, evidence_id=item.pk),
        lambda: services.unit_send(actor=assessor, unit=unit),
        lambda: services.unit_approve(actor=leader, unit=unit),
        lambda: services.review_give(actor=dti.council[9].user, unit=unit, code="1.2",
                                     verdict="adjust", points="1", reason="Sau khi khóa"),
        lambda: decide(dti, unit, members=13, points={"1.2": "1"}),
        lambda: services.appeal_resolve(actor=dti.chair.user, unit=unit,
                                        participants=dti.members(13), agreed=[],
                                        points={"1.2": "1"}, resolution="Sau khi khóa"),
        lambda: services.appeal_file(actor=leader, unit=unit, codes=["1.2"], reason="Lần nữa"),
    ]  # fmt: skip


def test_a_final_unit_takes_no_more_writes(dti: Dti) -> None:
    decided_and_appealed(dti)
    services.appeal_resolve(actor=dti.chair.user, unit=dti.unit_a, participants=dti.members(7),
                            agreed=[], resolution="Giữ nguyên")  # fmt: skip
    assert fresh(dti.unit_a).status == "final"
    before = state(dti.unit_a)
    with on(DECIDED_ON):  # even within the appeal period
        for write in every_write(dti, dti.unit_a, dti.assessor_a, dti.leader_a):
            with pytest.raises(Conflict):
                write()
    # Only ward B, still with the council, is measured again.
    assert services.measured_refresh(actor=dti.standing_head, round_=dti.round) == 1
    after = state(dti.unit_a)
    assert after[:-1] == before[:-1]  # the refresh's own audit event aside
    assert AuditEvent.objects.count() == before[-1] + 1


def test_after_publication_nothing_changes(dti: Dti) -> None:
    appraisal(dti)
    with on(DECIDED_ON):
        decide(dti, dti.unit_a)
        decide(dti, dti.unit_b)
    with on(AFTER_APPEALS):
        services.round_publish(actor=dti.standing_head, round_=dti.round)
    before = {u.pk: state(u) for u in (dti.unit_a, dti.unit_b)}
    with on(AFTER_APPEALS):
        for unit, assessor, leader in ((dti.unit_a, dti.assessor_a, dti.leader_a),
                                       (dti.unit_b, dti.assessor_b, dti.leader_b)):  # fmt: skip
            for write in every_write(dti, unit, assessor, leader):
                with pytest.raises(Conflict):
                    write()
        for write in (
            lambda: services.round_publish(actor=dti.standing_head, round_=dti.round),
            lambda: close(dti),
            lambda: services.round_open(actor=dti.standing_head, round_=dti.round),
            lambda: services.council_set(actor=dti.standing_head, round_=dti.round,
                                         seats=[services.Seat("dti.head", "chair")]),
        ):  # fmt: skip
            with pytest.raises(Conflict):
                write()
    assert {u.pk: state(u) for u in (dti.unit_a, dti.unit_b)} == before


# --- publication ------------------------------------------------------------------------------


def test_publication_waits_for_every_decision_and_the_appeal_periods(dti: Dti) -> None:
    appraisal(dti)
    publish = services.round_publish
    with on(DECIDED_ON):
        decide(dti, dti.unit_a)
    with on(AFTER_APPEALS), pytest.raises(Conflict) as caught:
        publish(actor=dti.standing_head, round_=dti.round)
    assert "Còn 1 đơn vị chưa có kết luận" in str(caught.value.message)
    with on(date(2026, 5, 4)):
        decide(dti, dti.unit_b)  # appeals until 11/5
    for day in (APPEAL_UNTIL, date(2026, 5, 11)):
        with on(day), pytest.raises(Conflict) as caught:
            publish(actor=dti.standing_head, round_=dti.round)
        assert "trong thời hạn kiến nghị" in str(caught.value.message)
    assert Round.objects.get(pk=dti.round.pk).status == "appraisal"
    assert {fresh(u).status for u in (dti.unit_a, dti.unit_b)} == {"decided"}
    assert "dti.round_published" not in actions()
    for actor in (dti.council[5].user, dti.chair.user, dti.leader_a):
        with on(date(2026, 5, 12)), pytest.raises(PermissionDenied):
            publish(actor=actor, round_=dti.round)

    with on(date(2026, 5, 12)):
        published = publish(actor=dti.standing_head, round_=dti.round)
    assert (published.status, published.published_at is not None) == ("published", True)
    for unit in (dti.unit_a, dti.unit_b):
        stored = fresh(unit)
        assert (stored.status, stored.locked_at is not None) == ("final", True)
    assert AuditEvent.objects.get(action="dti.round_published").payload == {"units": 2}


def test_an_open_appeal_stops_publication(dti: Dti) -> None:
    decided_and_appealed(dti)
    with on(DECIDED_ON):
        decide(dti, dti.unit_b)
    with on(AFTER_APPEALS), pytest.raises(Conflict):
        services.round_publish(actor=dti.standing_head, round_=dti.round)
    services.appeal_resolve(actor=dti.chair.user, unit=dti.unit_a, participants=dti.members(7),
                            agreed=[], resolution="Giữ nguyên")  # fmt: skip
    with on(AFTER_APPEALS):
        assert services.round_publish(actor=dti.standing_head, round_=dti.round).status == (
            "published"
        )


# --- audit in the same transaction ------------------------------------------------------------


def test_a_change_and_its_audit_event_commit_together(
    dti: Dti, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**_kwargs: Any) -> None:
        raise RuntimeError("the audit chain is unavailable")

    monkeypatch.setattr(audit, "record", broken)
    before = state(dti.unit_b)
    with pytest.raises(RuntimeError):
        services.score_save(actor=dti.assessor_b, unit=dti.unit_b, code="1.2", points="15")
    assert state(dti.unit_b) == before

    monkeypatch.undo()
    submit(dti, dti.unit_a, dti.assessor_a, dti.leader_a)
    close(dti)
    monkeypatch.setattr(audit, "record", broken)
    before = state(dti.unit_a)
    with pytest.raises(RuntimeError):
        review(dti, 0, "1.2", "adjust", "12", "Chỉ 8 tin bài")
    with pytest.raises(RuntimeError):
        decide(dti, dti.unit_a)
    assert state(dti.unit_a) == before
    assert not Decision.objects.exists() and not Review.objects.exists()


def test_a_decided_score_with_more_than_two_decimals_is_refused_and_nothing_changes(
    dti: Dti,
) -> None:
    unit = submit(dti, dti.unit_a, dti.assessor_a, dti.leader_a)
    services.round_close(actor=dti.standing_head, round_=dti.round)
    with pytest.raises(InvalidInput) as refused:
        services.decision_record(
            actor=dti.chair.user,
            unit=unit,
            participants=dti.members(7),
            agreed=dti.members(7),
            points={"1.2": "7.555"},
        )
    assert [(e.field, e.code) for e in refused.value.field_errors] == [("points.1.2", "precision")]
    unit.refresh_from_db()
    assert (unit.status, unit.final_points) == ("submitted", None)
    assert not Decision.objects.filter(unit=unit).exists()
