"""The DTI API: frameworks, rounds, results, a unit's assessment, a sub-index's score;
errors as problem+json with their stable codes; a refused call changes nothing."""

from __future__ import annotations

import copy
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from thudo.core.models import AuditEvent, User
from thudo.core.tests.factories import citizen, official
from thudo.dti import frameworks, services
from thudo.dti.models import Framework, Round, Score
from thudo.dti.tests.factories import DOCUMENT, Dti, fill

pytestmark = pytest.mark.django_db
API = "/api/v1/dti"


def login(user: User) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def anonymous() -> Client:
    return Client(raise_request_exception=False)


def _put(client: Client, url: str, payload: dict[str, Any]) -> Any:
    return client.put(url, payload, content_type="application/json")


def submitted(dti: Dti) -> None:
    """Both wards' self-assessments with the council: A 87 points, B 55."""
    for unit, assessor, leader, online, signed in (
        (dti.unit_a, dti.assessor_a, dti.leader_a, "85", "72"),
        (dti.unit_b, dti.assessor_b, dti.leader_b, "40", "45"),
    ):
        fill(dti, unit, assessor, online=online, signed=signed)
        services.unit_send(actor=assessor, unit=unit)
        services.unit_approve(actor=leader, unit=unit)


def published(dti: Dti, monkeypatch: pytest.MonkeyPatch) -> Round:
    """The council keeps A's self-score (87) and takes 1.2 of B down to 12 (52); after the
    appeal period the round is published."""
    submitted(dti)
    head = dti.standing_head
    services.round_close(actor=head, round_=dti.round)
    quorum = dti.members(7)
    services.decision_record(actor=head, unit=dti.unit_a, participants=quorum, agreed=quorum)
    services.decision_record(
        actor=head,
        unit=dti.unit_b,
        participants=quorum,
        agreed=quorum,
        points={"1.2": "12"},
        reasons={"1.2": "Chỉ có 8 tin bài có minh chứng."},
    )
    until = dti.unit_a.appeal_until
    assert until is not None
    later = until + timedelta(days=1)
    monkeypatch.setattr(services, "_today", lambda: later)
    return services.round_publish(actor=head, round_=dti.round)


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


# --- frameworks -----------------------------------------------------------------------------


def test_the_frameworks_are_listed_for_officials_only(dti: Dti) -> None:
    response = login(dti.assessor_a).get(f"{API}/frameworks")
    assert response.status_code == 200
    assert response.json() == [
        {
            "code": "TEST-XA",
            "year": 2026,
            "version": 1,
            "name": "Bộ chỉ số chuyển đổi số cấp xã (thử nghiệm)",
            "sample": True,
            "max_points": "100",
        }
    ]
    _problem(login(citizen()).get(f"{API}/frameworks"), 403, "permission_denied")
    _problem(anonymous().get(f"{API}/frameworks"), 401, "not_authenticated")


def test_a_framework_reads_as_its_document_or_as_csv(dti: Dti) -> None:
    client = login(dti.assessor_a)
    parsed = frameworks.parse_document(DOCUMENT)
    response = client.get(f"{API}/frameworks/TEST-XA/2026")
    assert response.status_code == 200
    assert response.json() == parsed.document()
    assert client.get(f"{API}/frameworks/TEST-XA/2026", {"version": 1}).json() == (
        parsed.document()
    )
    csv = client.get(f"{API}/frameworks/TEST-XA/2026", {"format": "csv"})
    assert csv.status_code == 200
    assert csv["Content-Type"] == "text/csv; charset=utf-8"
    assert csv["Content-Disposition"] == 'attachment; filename="TEST-XA-2026-v1.csv"'
    assert csv.content.decode() == frameworks.to_csv(parsed)
    assert frameworks.parse_csv(csv.content).digest() == dti.framework.digest
    _problem(client.get(f"{API}/frameworks/TEST-XA/2025"), 404, "not_found")
    _problem(client.get(f"{API}/frameworks/TEST-XA/2026", {"version": 2}), 404, "not_found")
    bad = _problem(
        client.get(f"{API}/frameworks/TEST-XA/2026", {"format": "xml"}), 422, "invalid_input"
    )
    assert [e["field"] for e in bad["errors"]] == ["format"]


def test_a_changed_document_becomes_a_new_version_the_same_one_changes_nothing(
    dti: Dti,
) -> None:
    client = login(dti.city.platform_admin)
    document = copy.deepcopy(DOCUMENT)
    document["name"] = "Bộ chỉ số chuyển đổi số cấp xã (thử nghiệm, sửa đổi)"
    created = client.post(f"{API}/frameworks", document, content_type="application/json")
    assert created.status_code == 201
    digest = frameworks.parse_document(document).digest()
    assert created.json() == {
        "code": "TEST-XA",
        "year": 2026,
        "version": 2,
        "name": "Bộ chỉ số chuyển đổi số cấp xã (thử nghiệm, sửa đổi)",
        "sample": True,
        "max_points": "100",
        "digest": digest,
        "created": True,
    }
    again = client.post(f"{API}/frameworks", document, content_type="application/json")
    assert again.status_code == 200
    assert again.json() == {**created.json(), "created": False}
    assert list(Framework.objects.values_list("version", "digest")) == [
        (2, digest),
        (1, dti.framework.digest),
    ]


def test_a_bad_document_is_422_with_every_field_error_and_nothing_written(dti: Dti) -> None:
    client = login(dti.city.platform_admin)
    document = copy.deepcopy(DOCUMENT)
    document["year"] = 2027
    document["groups"][0]["indices"][0]["max_points"] = 35
    document["groups"][1]["indices"][0]["sub_indices"][0]["method"] = "guess"
    before = (Framework.objects.count(), AuditEvent.objects.count())
    response = client.post(f"{API}/frameworks", document, content_type="application/json")
    body = _problem(response, 422, "invalid_input")
    assert body["detail"] == "Bộ chỉ số có 2 lỗi; chưa có gì được ghi."
    assert body["errors"] == [
        {
            "field": "groups[0].indices[0].max_points",
            "code": "sum_mismatch",
            "message": "Tổng điểm các chỉ số thành phần (30) khác điểm của chỉ số (35).",
        },
        {
            "field": "groups[1].indices[0].sub_indices[0].method",
            "code": "unknown_method",
            "message": "Phương pháp chấm không có: guess (có: manual, yes_no, ratio, tiers).",
        },
    ]
    not_an_object = client.post(f"{API}/frameworks", [1, 2], content_type="application/json")
    _problem(not_an_object, 422, "invalid_input")
    assert (Framework.objects.count(), AuditEvent.objects.count()) == before


def test_only_platform_administrators_import_frameworks(dti: Dti) -> None:
    document = {**copy.deepcopy(DOCUMENT), "year": 2027}
    before = (Framework.objects.count(), AuditEvent.objects.count())
    for user in (dti.standing_head, citizen()):
        response = login(user).post(f"{API}/frameworks", document, content_type="application/json")
        _problem(response, 403, "permission_denied")
    assert (Framework.objects.count(), AuditEvent.objects.count()) == before


# --- rounds and results ---------------------------------------------------------------------


def test_rounds_are_those_the_caller_takes_part_in(dti: Dti) -> None:
    expected = {
        "id": dti.round.pk,
        "name": "Đánh giá chuyển đổi số cấp xã năm 2026",
        "year": 2026,
        "status": "open",
        "framework": "TEST-XA",
        "framework_version": 1,
        "framework_name": "Bộ chỉ số chuyển đổi số cấp xã (thử nghiệm)",
        "standing_body": "000.00.18.H26",
        "self_deadline": str(dti.round.self_deadline),
        "published_at": None,
    }
    for user in (dti.assessor_a, dti.standing_head, dti.council[5].user):
        response = login(user).get(f"{API}/rounds")
        assert response.status_code == 200
        assert response.json() == [expected]
    outsider = official(dti.city.justice, username="tuphap.cv")
    assert login(outsider).get(f"{API}/rounds").json() == []
    assert login(citizen()).get(f"{API}/rounds").json() == []


def _unit_result(
    rank: int, code: str, name: str, points: str, value: str, index_points: tuple[str, str]
) -> dict[str, Any]:
    return {
        "rank": rank,
        "unit_code": code,
        "unit_name": name,
        "points": points,
        "max_points": "100",
        "value": value,
        "previous_value": None,
        "change": None,
        "indices": [
            {"code": "1", "name": "Nhận thức số", "points": index_points[0], "max_points": "30"},
            {"code": "2", "name": "Chính quyền số", "points": index_points[1], "max_points": "70"},
        ],
    }


A = ("000.01.50.H26", "Ủy ban nhân dân Phường Ba Đình")
B = ("000.02.50.H26", "Ủy ban nhân dân Phường Ngọc Hà")


def test_results_before_publication_are_for_those_who_run_the_round(dti: Dti) -> None:
    submitted(dti)
    url = f"{API}/rounds/{dti.round.pk}/results"
    response = login(dti.standing_head).get(url)
    assert response.status_code == 200
    assert response.json() == {
        "round_id": dti.round.pk,
        "year": 2026,
        "framework": "TEST-XA",
        "name": "Đánh giá chuyển đổi số cấp xã năm 2026",
        "peer_group": "Xã, phường",
        "published": False,
        "units": [
            _unit_result(1, *A, "87", "0.8700", ("25", "62")),
            _unit_result(2, *B, "55", "0.5500", ("25", "30")),
        ],
    }
    assert login(dti.council[9].user).get(url).status_code == 200
    # A unit's own officials, citizens and anonymous callers: as if there were no round.
    _problem(login(dti.assessor_a).get(url), 404, "not_found")
    _problem(login(citizen()).get(url), 404, "not_found")
    _problem(anonymous().get(url), 404, "not_found")
    _problem(anonymous().get(f"{API}/rounds/{dti.round.pk + 99}/results"), 404, "not_found")


def test_published_results_are_public(dti: Dti, monkeypatch: pytest.MonkeyPatch) -> None:
    published(dti, monkeypatch)
    url = f"{API}/rounds/{dti.round.pk}/results"
    expected = {
        "round_id": dti.round.pk,
        "year": 2026,
        "framework": "TEST-XA",
        "name": "Đánh giá chuyển đổi số cấp xã năm 2026",
        "peer_group": "Xã, phường",
        "published": True,
        "units": [
            _unit_result(1, *A, "87", "0.8700", ("25", "62")),
            _unit_result(2, *B, "52", "0.5200", ("22", "30")),
        ],
    }
    for client in (anonymous(), login(citizen()), login(dti.assessor_b)):
        response = client.get(url)
        assert response.status_code == 200
        assert response.json() == expected
    listed = login(dti.assessor_a).get(f"{API}/rounds").json()
    assert listed[0]["status"] == "published"
    assert listed[0]["published_at"] is not None
    # Only this endpoint is open to anonymous callers.
    _problem(anonymous().get(f"{API}/rounds"), 401, "not_authenticated")
    url_a = f"{API}/rounds/{dti.round.pk}/units/{A[0]}"
    _problem(anonymous().get(url_a), 401, "not_authenticated")


# --- a unit's assessment and its scores -----------------------------------------------------


def _score(code: str, name: str, method: str, max_points: str, **changes: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "method": method,
        "max_points": max_points,
        "value": None,
        "self_points": None,
        "explanation": "",
        "measured_value": None,
        "measured_points": None,
        "measured_lineage": "",
        "flagged": False,
        "final_points": None,
        "final_reason": "",
        **changes,
    }


LINEAGE_A = "Tỷ lệ văn bản ký số (thử) (test.signed_share) = 72.5 %: test: 000.01.50.H26 2026"


def test_a_units_assessment_is_for_its_officials_the_standing_body_and_the_council(
    dti: Dti,
) -> None:
    fill(dti, dti.unit_a, dti.assessor_a, signed="60")
    url = f"{API}/rounds/{dti.round.pk}/units/{A[0]}"
    expected = {
        "round_id": dti.round.pk,
        "unit_code": A[0],
        "unit_name": A[1],
        "status": "draft",
        "self_points": "81.67",
        "final_points": None,
        "max_points": "100",
        "scores": [
            _score("1.1", "Ban hành kế hoạch chuyển đổi số năm", "yes_no", "10",
                   value="1", self_points="10"),
            _score("1.2", "Tuyên truyền về chuyển đổi số", "manual", "20",
                   self_points="15", explanation="12 tin bài"),
            _score("2.1", "Tỷ lệ hồ sơ trực tuyến toàn trình", "tiers", "30",
                   value="85", self_points="30"),
            _score("2.2", "Tỷ lệ văn bản đi được ký số", "ratio", "40", value="60",
                   self_points="26.67", measured_value="72.5", measured_points="32.22",
                   measured_lineage=LINEAGE_A, flagged=True),
        ],
    }  # fmt: skip
    for user in (dti.assessor_a, dti.leader_a, dti.standing_head, dti.council[4].user):
        response = login(user).get(url)
        assert response.status_code == 200, user
        assert response.json() == expected
    # Ward B's officials may not see ward A: 404, as for a unit that is not in the round.
    _problem(login(dti.assessor_b).get(url), 404, "not_found")
    _problem(login(citizen()).get(url), 404, "not_found")
    missing = f"{API}/rounds/{dti.round.pk}/units/000.99.50.H26"
    _problem(login(dti.standing_head).get(missing), 404, "not_found")
    elsewhere = f"{API}/rounds/{dti.round.pk + 99}/units/{A[0]}"
    _problem(login(dti.assessor_a).get(elsewhere), 404, "not_found")


def test_a_score_is_saved_and_answered(dti: Dti) -> None:
    client = login(dti.assessor_a)
    base = f"{API}/rounds/{dti.round.pk}/units/{A[0]}/scores"
    manual = _put(client, f"{base}/1.2", {"points": "17.5", "explanation": "14 tin bài"})
    assert manual.status_code == 200
    assert manual.json() == _score(
        "1.2", "Tuyên truyền về chuyển đổi số", "manual", "20",
        self_points="17.5", explanation="14 tin bài",
    )  # fmt: skip
    yes = _put(client, f"{base}/1.1", {"value": True})
    assert yes.json() == _score(
        "1.1", "Ban hành kế hoạch chuyển đổi số năm", "yes_no", "10", value="1", self_points="10"
    )
    ratio = _put(client, f"{base}/2.2", {"value": 72})
    assert ratio.json() == _score(
        "2.2", "Tỷ lệ văn bản đi được ký số", "ratio", "40", value="72", self_points="32",
        measured_value="72.5", measured_points="32.22", measured_lineage=LINEAGE_A,
    )  # fmt: skip
    dti.unit_a.refresh_from_db()
    assert dti.unit_a.self_points == Decimal("59.5")


def _scores(dti: Dti) -> list[tuple[Any, ...]]:
    return list(
        Score.objects.filter(unit__round=dti.round)
        .order_by("pk")
        .values_list("value", "self_points", "explanation")
    )


def test_points_above_the_maximum_are_422_and_change_nothing(dti: Dti) -> None:
    client = login(dti.assessor_a)
    base = f"{API}/rounds/{dti.round.pk}/units/{A[0]}/scores"
    before = (_scores(dti), AuditEvent.objects.count())
    body = _problem(_put(client, f"{base}/1.2", {"points": 25}), 422, "invalid_input")
    assert body["errors"] == [
        {"field": "points", "code": "above_max", "message": "Điểm tối đa của chỉ số là 20."}
    ]
    body = _problem(_put(client, f"{base}/2.1", {"value": "120"}), 422, "invalid_input")
    assert body["errors"] == [
        {"field": "value", "code": "above_100", "message": "Tỷ lệ không quá 100%."}
    ]
    body = _problem(_put(client, f"{base}/1.2", {"points": [1]}), 422, "invalid_input")
    assert next(e["field"] for e in body["errors"]).startswith("points")
    body = _problem(_put(client, f"{base}/1.2", {"explanation": "x" * 4001}), 422, "invalid_input")
    assert [e["field"] for e in body["errors"]] == ["explanation"]
    _problem(_put(client, f"{base}/9.9", {"points": 1}), 404, "not_found")
    assert (_scores(dti), AuditEvent.objects.count()) == before


def test_only_the_units_officials_self_assess(dti: Dti) -> None:
    base = f"{API}/rounds/{dti.round.pk}/units/{A[0]}/scores/1.2"
    before = (_scores(dti), AuditEvent.objects.count())
    # The council sees the unit but does not fill it in; ward B does not even see it.
    _problem(_put(login(dti.council[4].user), base, {"points": 5}), 403, "permission_denied")
    _problem(_put(login(dti.assessor_b), base, {"points": 5}), 404, "not_found")
    _problem(_put(login(citizen()), base, {"points": 5}), 404, "not_found")
    _problem(_put(anonymous(), base, {"points": 5}), 401, "not_authenticated")
    assert (_scores(dti), AuditEvent.objects.count()) == before


def test_a_sent_self_assessment_is_locked(dti: Dti) -> None:
    submitted(dti)
    base = f"{API}/rounds/{dti.round.pk}/units/{A[0]}/scores/1.2"
    before = _scores(dti)
    _problem(_put(login(dti.assessor_a), base, {"points": 5}), 409, "conflict")
    assert _scores(dti) == before
