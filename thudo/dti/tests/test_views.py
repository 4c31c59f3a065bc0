"""Pages of the DTI module: the rounds, a round, a unit's self-assessment saved row by row
with its evidence, the leader's approval, the council's reviews, decision (with its
quorum) and the appeal, the results with charts and downloads, the public results —
each shown to who may see it, refused without a change to anyone else."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from thudo.core.models import AuditEvent
from thudo.core.tests.factories import citizen
from thudo.dti import charts, display, scoring, services
from thudo.dti.contracts import RoundStatus, UnitStatus
from thudo.dti.models import Appeal, Decision, Evidence, Review, RoundUnit, Score
from thudo.dti.tests.factories import PDF, Dti, fill, submit
from thudo.signing import facade as signing
from thudo.signing.tests.factories import PIN, pki  # noqa: F401 - the PKI fixture

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_TYPE = "application/pdf"


def login(user: Any) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def round_url(d: Dti, suffix: str = "") -> str:
    return f"/chuyen-doi-so/{d.round.pk}/{suffix}"


def unit_url(d: Dti, suffix: str = "", *, unit: RoundUnit | None = None) -> str:
    return round_url(d, f"{(unit or d.unit_a).agency.code}/{suffix}")


def row_url(d: Dti, code: str, suffix: str = "", *, unit: RoundUnit | None = None) -> str:
    return unit_url(d, f"chi-so/{code}/{suffix}", unit=unit)


def score(d: Dti, code: str, unit: RoundUnit | None = None) -> Score:
    return Score.objects.get(unit=unit or d.unit_a, node__code=code)


def snapshot() -> tuple[Any, ...]:
    """Everything the pages could change."""
    return (
        sorted(
            Score.objects.values_list(
                "unit_id", "node__code", "value", "self_points", "explanation", "final_points"
            )
        ),
        sorted(RoundUnit.objects.values_list("pk", "status", "self_points", "final_points")),
        Evidence.objects.count(),
        Review.objects.count(),
        Decision.objects.count(),
        Appeal.objects.count(),
        AuditEvent.objects.count(),
    )


def close(d: Dti) -> None:
    services.round_close(actor=d.standing_head, round_=d.round)


def decide(d: Dti, unit: RoundUnit, n: int = 7) -> None:
    services.decision_record(
        actor=d.chair.user, unit=unit, participants=d.members(n), agreed=d.members(n)
    )


def publish(d: Dti) -> None:
    """Both wards submitted and decided, the appeal period over, the round published."""
    submit(d, d.unit_a, d.assessor_a, d.leader_a)
    fill(d, d.unit_b, d.assessor_b, online="55")
    services.unit_send(actor=d.assessor_b, unit=d.unit_b)
    services.unit_approve(actor=d.leader_b, unit=d.unit_b)
    close(d)
    decide(d, d.unit_a)
    decide(d, d.unit_b)
    RoundUnit.objects.update(appeal_until=timezone.localdate() - timedelta(days=1))
    services.round_publish(actor=d.standing_head, round_=d.round)


# --- who gets the pages ----------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in_except_on_public_pages(dti: Dti) -> None:
    d = dti
    anonymous = Client()
    for page in ("/chuyen-doi-so/", round_url(d), unit_url(d), round_url(d, "ket-qua/")):
        response = anonymous.get(page)
        assert response.status_code == 302, page
        assert response["Location"].startswith("/accounts/login/"), page
    before = snapshot()
    response = anonymous.post(row_url(d, "1.2"), {"points": "15"}, headers=HTMX)
    assert response.status_code == 302
    assert snapshot() == before
    assert anonymous.get("/chuyen-doi-so/cong-bo/").status_code == 200
    # Nothing is published yet: the year's results and the round's files are not there.
    assert anonymous.get("/chuyen-doi-so/cong-bo/2026/").status_code == 404
    assert anonymous.get(f"/chuyen-doi-so/cong-bo/dot/{d.round.pk}/ket-qua.pdf").status_code == 404
    assert anonymous.get(f"/chuyen-doi-so/cong-bo/dot/{d.round.pk}/ket-qua.xlsx").status_code == 404


def test_citizens_get_404(dti: Dti) -> None:
    d = dti
    person = login(citizen())
    for page in ("/chuyen-doi-so/", round_url(d), unit_url(d), round_url(d, "ket-qua/")):
        assert person.get(page).status_code == 404, page
    before = snapshot()
    assert person.post(row_url(d, "1.2"), {"points": "15"}, headers=HTMX).status_code == 404
    assert snapshot() == before


def test_an_official_of_ward_b_cannot_see_or_change_ward_a(dti: Dti) -> None:
    d = dti
    services.score_save(actor=d.assessor_a, unit=d.unit_a, code="1.2", points="15")
    item = services.evidence_add(
        actor=d.assessor_a, unit=d.unit_a, code="1.1", name="ke-hoach.pdf", content=PDF
    )
    before = snapshot()
    other = login(d.assessor_b)
    assert other.get(unit_url(d)).status_code == 404
    assert other.post(row_url(d, "1.2"), {"points": "1"}, headers=HTMX).status_code == 404
    assert other.post(row_url(d, "1.1", "minh-chung/"), {"url": "https://x.vn"}).status_code == 404
    assert other.post(row_url(d, "1.1", f"minh-chung/{item.pk}/go/")).status_code == 404
    assert other.post(unit_url(d, "gui/")).status_code == 404
    assert login(d.leader_b).post(unit_url(d, "phe-duyet/")).status_code == 404
    assert other.get(f"/chuyen-doi-so/minh-chung/{item.pk}/").status_code == 404
    assert snapshot() == before
    # The round is theirs too, but lists only their own ward.
    page = text(other.get(round_url(d)))
    assert d.unit_b.agency.name in page
    assert d.unit_a.agency.name not in page
    assert "Điều hành đợt đánh giá" not in page
    # Nor do they see the ranking before publication.
    assert other.get(round_url(d, "ket-qua/")).status_code == 403


def test_unknown_rounds_units_and_sub_indices_are_404(dti: Dti) -> None:
    d = dti
    client = login(d.assessor_a)
    assert client.get("/chuyen-doi-so/999999/").status_code == 404
    assert client.get(round_url(d, "000.99.99.H26/")).status_code == 404
    assert client.post(row_url(d, "9.9"), {"points": "1"}, headers=HTMX).status_code == 404
    assert client.get("/chuyen-doi-so/minh-chung/999999/").status_code == 404


# --- the rounds and a round ------------------------------------------------------------------


def test_the_index_shows_each_official_their_part(dti: Dti) -> None:
    d = dti
    assessor = text(login(d.assessor_a).get("/chuyen-doi-so/"))
    assert d.round.name in assessor
    assert f'href="{unit_url(d)}"' in assessor
    assert "Tự đánh giá: Ủy ban nhân dân Phường Ba Đình" in assessor
    assert "Đang tự đánh giá" in assessor
    assert "Hội đồng thẩm định:" not in assessor
    assert "Điều hành đợt" not in assessor
    chair = text(login(d.chair.user).get("/chuyen-doi-so/"))
    assert "Hội đồng thẩm định: Chủ tịch Hội đồng" in chair
    head = text(login(d.standing_head).get("/chuyen-doi-so/"))
    assert "Điều hành đợt (cơ quan thường trực)" in head
    assert "Hội đồng thẩm định: Ủy viên thường trực" in head
    assert f'href="{round_url(d, "ket-qua/")}"' in head
    # Any official of a ward in scope finds their ward; one outside the round, nothing.
    clerk = text(login(d.city.clerk_a).get("/chuyen-doi-so/"))
    assert f'href="{unit_url(d)}"' in clerk
    justice = text(login(_justice_official(d)).get("/chuyen-doi-so/"))
    assert "Bạn chưa tham gia đợt đánh giá nào." in justice


def _justice_official(d: Dti) -> Any:
    from thudo.core.tests.factories import official

    return official(d.city.justice, username="justice.clerk")


def test_the_round_page_shows_the_framework_units_council_and_the_standing_bodys_steps(
    dti: Dti,
) -> None:
    d = dti
    page = text(login(d.standing_head).get(round_url(d)))
    assert '<span class="tag tag-sample" id="sample-badge">Bộ chỉ số mẫu</span>' in page
    assert 'id="round-status" data-status="open">Đang tự đánh giá</strong>' in page
    assert d.round.self_deadline is not None
    deadline = d.round.self_deadline.strftime("%d/%m/%Y")
    assert f">{deadline}</time>" in page
    assert "5 ngày làm việc sau kết luận của Hội đồng" in page
    assert d.unit_a.agency.name in page and d.unit_b.agency.name in page
    assert "13 thành viên" in page
    assert "trên một nửa số thành viên (ít nhất 7/13)" in page
    assert ">Kết thúc tự đánh giá, chuyển Hội đồng thẩm định</button>" in page
    assert ">Cập nhật số liệu nền tảng đo</button>" in page
    assert "Mở đợt tự đánh giá" not in page  # already open
    assert "Công bố kết quả</button>" not in page
    assessor = text(login(d.assessor_a).get(round_url(d)))
    assert "Điều hành đợt đánh giá" not in assessor


def test_the_standing_body_closes_the_round_and_others_are_refused(dti: Dti) -> None:
    d = dti
    before = snapshot()
    assert login(d.assessor_a).post(round_url(d, "dong/")).status_code == 403
    assert login(d.chair.user).post(round_url(d, "cong-bo/")).status_code == 403
    assert snapshot() == before
    head = login(d.standing_head)
    response = head.post(round_url(d, "dong/"))
    assert response.status_code == 302
    assert response["Location"] == round_url(d)
    d.round.refresh_from_db()
    assert d.round.status == RoundStatus.APPRAISAL
    page = text(head.get(round_url(d)))
    assert "Đã kết thúc tự đánh giá: Hội đồng thẩm định bắt đầu làm việc." in page
    # Publishing with undecided units: the service's reason, nothing changed.
    before = snapshot()
    response = head.post(round_url(d, "cong-bo/"))
    assert response.status_code == 409
    assert "Còn 2 đơn vị chưa có kết luận của Hội đồng." in text(response)
    assert snapshot() == before
    d.round.refresh_from_db()
    assert d.round.status == RoundStatus.APPRAISAL


def test_measured_values_are_refreshed_by_the_standing_body(dti: Dti) -> None:
    d = dti
    Score.objects.filter(node__code="2.2").update(measured_value=None, measured_points=None)
    response = login(d.standing_head).post(round_url(d, "cap-nhat-so-lieu-do/"))
    assert response.status_code == 302
    assert score(d, "2.2").measured_value == Decimal("72.5")
    assert score(d, "2.2", d.unit_b).measured_value == Decimal("72.5")


# --- the self-assessment ---------------------------------------------------------------------


def test_the_unit_page_shows_the_tree_with_an_input_for_each_method(dti: Dti) -> None:
    d = dti
    page = text(login(d.assessor_a).get(unit_url(d)))
    assert "<h1>Ủy ban nhân dân Phường Ba Đình</h1>" in page
    assert '<span class="mono">A</span>. Nền tảng</h2>' in page
    assert '<span class="mono">1</span> Nhận thức số' in page
    assert '<span class="mono">2.1</span> Tỷ lệ hồ sơ trực tuyến toàn trình</h4>' in page
    # manual: points 0..max in steps of 0.01
    assert re.search(
        r'<input type="number" class="input-number" id="s-1-2_points" name="points" min="0" '
        r'max="20" step="0.01"',
        page,
    )
    assert '<label for="s-1-2_points">Điểm tự chấm (0 – 20)</label>' in page
    # yes/no: two radios in a fieldset
    assert "<legend>Kết quả tự đánh giá</legend>" in page
    assert 'id="s-1-1_value_yes" name="value" value="yes"' in page
    assert '<label for="s-1-1_value_no">Không</label>' in page
    # ratio and tiers: a value with its unit; the tiers listed
    assert '<label for="s-2-2_value">Giá trị kê khai (%)</label>' in page
    assert "từ 80 % trở lên: 30 điểm" in page
    assert "Chỉ tiêu 90 %: điểm = 40 × giá trị / chỉ tiêu, không quá 40." in page
    # the platform's figure beside the self-score
    assert '<strong id="sub-2-2-measured">72,5 %</strong>' in page
    assert "Tỷ lệ văn bản ký số (thử) (test.signed_share) = 72.5 %" in page
    assert 'id="sub-2-2-flag"' not in page
    # progress and what is missing
    assert '<strong id="progress-count">0 / 4 chỉ số đã chấm</strong>' in page
    assert '<a href="#sub-1-1"><span class="mono">1.1</span>' in page
    assert ">Gửi lãnh đạo phê duyệt</button>" in page
    assert "Phê duyệt và gửi Hội đồng" not in page  # not the leader


def test_a_row_saved_through_htmx_comes_back_with_its_points(dti: Dti) -> None:
    d = dti
    client = login(d.assessor_a)
    response = client.post(
        row_url(d, "1.2"), {"points": "15", "explanation": "12 tin bài"}, headers=HTMX
    )
    assert response.status_code == 200
    body = text(response)
    assert body.lstrip().startswith('<article class="dti-sub" id="sub-1-2"')
    assert '<strong id="sub-1-2-points">15</strong> / 20' in body
    assert 'value="15"' in body
    assert ">12 tin bài</textarea>" in body
    # Out of band: the unit's total, the index's, the progress, the status line.
    assert '<span id="unit-self-points" hx-swap-oob="true">15</span>' in body
    assert '<span id="idx-1-points" hx-swap-oob="true">15</span>' in body
    assert '<strong id="progress-count">1 / 4 chỉ số đã chấm</strong>' in body
    assert '<span id="dti-status" hx-swap-oob="innerHTML">Đã lưu chỉ số 1.2.</span>' in body
    assert score(d, "1.2").self_points == Decimal("15")
    assert d.unit_a.self_points == Decimal("15")
    # A value: the points follow the method, not the caller.
    body = text(client.post(row_url(d, "2.2"), {"value": "72,5", "points": "40"}, headers=HTMX))
    assert '<strong id="sub-2-2-points">32,22</strong> / 40' in body
    assert 'value="72.5"' in body
    assert score(d, "2.2").self_points == Decimal("32.22")
    body = text(client.post(row_url(d, "1.1"), {"value": "yes"}, headers=HTMX))
    assert '<strong id="sub-1-1-points">10</strong> / 10' in body
    assert 'id="s-1-1_value_yes" name="value" value="yes" checked' in body
    assert d.unit_a.self_points == Decimal("57.22")


def test_a_value_far_from_the_measured_one_is_flagged(dti: Dti) -> None:
    d = dti
    body = text(login(d.assessor_a).post(row_url(d, "2.2"), {"value": "50"}, headers=HTMX))
    assert 'class="dti-sub is-flagged" id="sub-2-2"' in body
    assert (
        '<strong class="tag tag-flag" id="sub-2-2-flag"><span aria-hidden="true">⚠</span> Lệch'
        in body
    )
    assert score(d, "2.2").flagged is True


@pytest.mark.parametrize(
    ("code", "data", "field", "message"),
    [
        ("1.2", {"points": "25"}, "s-1-2_points", "Điểm tối đa của chỉ số là 20."),
        ("1.2", {"points": "abc"}, "s-1-2_points", "Không phải là số."),
        ("1.2", {"points": "1.234"}, "s-1-2_points", "Tối đa 2 chữ số thập phân."),
        ("2.2", {"value": "abc"}, "s-2-2_value", "Không phải là số."),
        ("2.2", {"value": "120"}, "s-2-2_value", "Tỷ lệ không quá 100%."),
        ("1.1", {"value": "maybe"}, "s-1-1_value", "Chọn Có hoặc Không."),
    ],
)
def test_a_bad_value_is_shown_on_its_field_and_nothing_is_saved(
    dti: Dti, code: str, data: dict[str, str], field: str, message: str
) -> None:
    d = dti
    services.score_save(actor=d.assessor_a, unit=d.unit_a, code="1.2", points="5")
    before = snapshot()
    response = login(d.assessor_a).post(row_url(d, code), data, headers=HTMX)
    assert response.status_code == 200  # htmx swaps only 2xx
    body = text(response)
    assert (
        f'<p class="field-error" id="{field}-error"><span class="visually-hidden">Lỗi:</span> '
        f"{message}</p>" in body
    )
    assert f'aria-describedby="{field}-error' in body
    assert 'aria-invalid="true"' in body
    assert f"Chưa lưu chỉ số {code}: {message}" in body
    assert snapshot() == before
    assert score(d, "1.2").self_points == Decimal("5")


def test_without_script_a_row_is_saved_by_a_plain_post_and_the_page_comes_back(dti: Dti) -> None:
    d = dti
    client = login(d.assessor_a)
    response = client.post(row_url(d, "1.2"), {"points": "12,5"})
    assert response.status_code == 302
    assert response["Location"] == unit_url(d) + "#sub-1-2"
    page = text(client.get(unit_url(d)))
    assert "Đã lưu chỉ số 1.2." in page
    assert '<strong id="sub-1-2-points">12,5</strong>' in page
    before = snapshot()
    response = client.post(row_url(d, "1.2"), {"points": "99"})
    assert response.status_code == 422
    page = text(response)
    assert "<h1>Ủy ban nhân dân Phường Ba Đình</h1>" in page
    assert 'id="s-1-2_points-error"' in page and "Điểm tối đa của chỉ số là 20." in page
    assert 'value="99"' in page
    assert snapshot() == before


def test_evidence_is_uploaded_linked_downloaded_and_removed(dti: Dti) -> None:
    d = dti
    client = login(d.assessor_a)
    upload = SimpleUploadedFile("ke-hoach.pdf", PDF, content_type="application/pdf")
    body = text(client.post(row_url(d, "1.1", "minh-chung/"), {"file": upload}, headers=HTMX))
    item = Evidence.objects.get(score=score(d, "1.1"))
    assert item.media_type == "application/pdf"
    assert f'<a href="/chuyen-doi-so/minh-chung/{item.pk}/">ke-hoach.pdf</a>' in body
    assert "Đã thêm minh chứng “ke-hoach.pdf” cho chỉ số 1.1." in body
    body = text(
        client.post(row_url(d, "1.1", "minh-chung/"), {"url": "https://ubnd.vn/kh"}, headers=HTMX)
    )
    assert '<a href="https://ubnd.vn/kh" rel="noopener noreferrer nofollow">' in body
    response = client.get(f"/chuyen-doi-so/minh-chung/{item.pk}/")
    assert response.status_code == 200
    assert response.content == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="ke-hoach.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    # The council sees it too.
    assert login(d.chair.user).get(f"/chuyen-doi-so/minh-chung/{item.pk}/").status_code == 200
    response = client.post(row_url(d, "1.1", f"minh-chung/{item.pk}/go/"), headers=HTMX)
    assert response.status_code == 200
    assert "ke-hoach.pdf" not in text(response).split('id="dti-status"')[0]
    assert list(Evidence.objects.values_list("url", flat=True)) == ["https://ubnd.vn/kh"]


def test_an_upload_of_the_wrong_type_is_refused_and_nothing_is_kept(dti: Dti) -> None:
    d = dti
    before = snapshot()
    upload = SimpleUploadedFile("ke-hoach.pdf", b"plain text, not a PDF", content_type=PDF_TYPE)
    response = login(d.assessor_a).post(
        row_url(d, "1.1", "minh-chung/"), {"file": upload}, headers=HTMX
    )
    assert response.status_code == 200
    body = text(response)
    assert (
        '<p class="field-error" id="e-1-1_file-error"><span class="visually-hidden">Lỗi:</span> '
        "Minh chứng là tệp PDF, ảnh JPG/PNG, DOCX hoặc XLSX.</p>" in body
    )
    assert 'aria-describedby="e-1-1_file-help e-1-1_file-error" aria-invalid="true"' in body
    assert snapshot() == before
    # A sub-index that takes no evidence has no form for it.
    page = text(login(d.assessor_a).get(unit_url(d)))
    assert row_url(d, "2.2", "minh-chung/") not in page


def test_after_sending_the_assessment_is_read_only_and_a_late_save_is_refused(dti: Dti) -> None:
    d = dti
    fill(d, d.unit_a, d.assessor_a)
    client = login(d.assessor_a)
    response = client.post(unit_url(d, "gui/"))
    assert response.status_code == 302
    assert response["Location"] == unit_url(d) + "#steps"
    assert RoundUnit.objects.get(pk=d.unit_a.pk).status == UnitStatus.AWAITING_APPROVAL
    page = text(client.get(unit_url(d)))
    assert (
        'id="unit-status" data-status="awaiting_approval">Chờ lãnh đạo phê duyệt</strong>' in page
    )
    assert 'name="points"' not in page
    assert "Bạn chỉ xem được bản tự đánh giá này." in page
    before = snapshot()
    response = client.post(row_url(d, "1.2"), {"points": "1"}, headers=HTMX)
    assert response.status_code == 200
    assert "Bản tự đánh giá đã gửi: không sửa được nữa." in text(response)
    assert snapshot() == before


def test_sending_an_incomplete_assessment_names_what_is_missing(dti: Dti) -> None:
    d = dti
    services.score_save(actor=d.assessor_a, unit=d.unit_a, code="1.1", value="yes")
    before = snapshot()
    response = login(d.assessor_a).post(unit_url(d, "gui/"))
    assert response.status_code == 422
    assert (
        '<p class="notice notice-error" role="alert" id="unit-error">Còn 4 chỉ số chưa chấm điểm '
        "hoặc thiếu minh chứng bắt buộc: 1.1, 1.2, 2.1, 2.2.</p>" in text(response)
    )
    assert snapshot() == before


def test_the_leader_returns_or_approves_and_a_specialist_cannot(dti: Dti) -> None:
    d = dti
    fill(d, d.unit_a, d.assessor_a)
    services.unit_send(actor=d.assessor_a, unit=d.unit_a)
    before = snapshot()
    assert login(d.assessor_a).post(unit_url(d, "phe-duyet/")).status_code == 403
    assert snapshot() == before
    leader = login(d.leader_a)
    page = text(leader.get(unit_url(d)))
    assert ">Phê duyệt và gửi Hội đồng</button>" in page
    assert '<label for="return-reason">Lý do trả lại</label>' in page
    # Returning needs a reason.
    response = leader.post(unit_url(d, "tra-lai/"), {"reason": " "})
    assert response.status_code == 422
    assert "Cần nêu lý do trả lại." in text(response)
    assert snapshot() == before
    response = leader.post(unit_url(d, "tra-lai/"), {"reason": "Bổ sung minh chứng 1.2"})
    assert response.status_code == 302
    assert RoundUnit.objects.get(pk=d.unit_a.pk).status == UnitStatus.DRAFT
    services.unit_send(actor=d.assessor_a, unit=d.unit_a)
    response = leader.post(unit_url(d, "phe-duyet/"), {"serial": "", "pin": ""})
    assert response.status_code == 302
    unit = RoundUnit.objects.get(pk=d.unit_a.pk)
    assert unit.status == UnitStatus.SUBMITTED
    assert unit.approved_by == d.leader_a
    page = text(leader.get(unit_url(d)))
    assert "Đã phê duyệt và gửi kết quả tự đánh giá đến Hội đồng thẩm định." in page
    assert 'data-status="submitted">Đã gửi Hội đồng</strong>' in page


@pytest.mark.usefixtures("pki")
def test_the_leader_signs_the_submission_with_a_certificate_and_its_pin(dti: Dti) -> None:
    d = dti
    serial = signing.provision_official(
        username="leader.a", agency_code=d.city.commune_a.code, pin=PIN
    )
    fill(d, d.unit_a, d.assessor_a)
    services.unit_send(actor=d.assessor_a, unit=d.unit_a)
    leader = login(d.leader_a)
    page = text(leader.get(unit_url(d)))
    assert '<label for="approve-serial">Ký số bằng chứng thư</label>' in page
    assert f'<option value="{serial}">' in page
    assert '<label for="approve-pin">Mã PIN</label>' in page
    before = snapshot()
    response = leader.post(unit_url(d, "phe-duyet/"), {"serial": serial, "pin": "000000"})
    assert response.status_code == 422
    assert 'id="approve-pin-error"' in text(response)
    assert RoundUnit.objects.get(pk=d.unit_a.pk).status == UnitStatus.AWAITING_APPROVAL
    assert snapshot()[:-1] == before[:-1]  # only the wrong PIN is counted (audited)
    response = leader.post(unit_url(d, "phe-duyet/"), {"serial": serial, "pin": PIN})
    assert response.status_code == 302
    unit = RoundUnit.objects.get(pk=d.unit_a.pk)
    assert unit.status == UnitStatus.SUBMITTED
    assert unit.signed_pdf is not None
    page = text(leader.get(unit_url(d)))
    assert f'href="{unit_url(d, "ban-ky-so.pdf")}" id="signed-pdf"' in page
    response = login(d.chair.user).get(unit_url(d, "ban-ky-so.pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="tu-danh-gia-{d.city.commune_a.code}-2026.pdf"'
    )
    assert response.content == bytes(unit.signed_pdf)
    [signature] = signing.validate_pdf(response.content).signatures
    assert signature.intact and signature.valid


# --- the council -----------------------------------------------------------------------------


def test_send_approve_close_review_and_a_decision_needs_the_quorum(dti: Dti) -> None:
    d = dti
    fill(d, d.unit_a, d.assessor_a)
    assert login(d.assessor_a).post(unit_url(d, "gui/")).status_code == 302
    assert login(d.leader_a).post(unit_url(d, "phe-duyet/")).status_code == 302
    assert login(d.standing_head).post(round_url(d, "dong/")).status_code == 302

    # A member adjusts 1.2 (the row comes back with the review, the form gone).
    member = d.council[5]
    client = login(member.user)
    page = text(client.get(unit_url(d)))
    assert "Ý kiến của bạn về chỉ số 1.2" in page
    assert "trên một nửa số thành viên (ít nhất 7/13)" in page
    body = text(
        client.post(
            row_url(d, "1.2", "tham-dinh/"),
            {"verdict": "adjust", "points": "12", "reason": "Thiếu 3 kỳ giao ban"},
            headers=HTMX,
        )
    )
    assert "Bạn đã cho ý kiến: Điều chỉnh, 12 điểm." in body
    assert "<td>Thiếu 3 kỳ giao ban</td>" in body
    assert '<strong id="sub-1-2-proposal">12</strong>' in body
    assert "Ý kiến của bạn về chỉ số 1.2" not in body
    # Adjusting without a reason is refused on the field.
    body = text(
        client.post(
            row_url(d, "1.1", "tham-dinh/"), {"verdict": "adjust", "points": "5"}, headers=HTMX
        )
    )
    assert "Điều chỉnh điểm cần nêu lý do." in body
    assert Review.objects.count() == 1

    # Not a member: refused.
    assert (
        login(d.assessor_a)
        .post(row_url(d, "1.1", "tham-dinh/"), {"verdict": "confirm"}, headers=HTMX)
        .status_code
        == 403
    )

    chair = login(d.chair.user)
    page = text(chair.get(unit_url(d)))
    assert "Chỉ số có ý kiến khác nhau" in page
    assert '<ul id="disagreements"><li><a href="#sub-1-2">' in page
    assert 'name="participants"' in page and 'name="agreed"' in page
    # The decision form is prefilled with the council's proposal, else the self-score.
    node_12 = score(d, "1.2").node
    assert f'name="points_{node_12.pk}" min="0" max="20" step="0.01"' in page
    assert re.search(rf'name="points_{node_12.pk}"[^>]*value="12"', page)

    def post_decision(n: int) -> Any:
        ids = [str(pk) for pk in d.members(n)]
        return chair.post(
            unit_url(d, "ket-luan/"),
            {"participants": ids, "agreed": ids[:4], "note": "Họp ngày 10/12"},
        )

    before = snapshot()
    response = post_decision(6)
    assert response.status_code == 422
    page = text(response)
    assert (
        "Chưa đủ điều kiện: kết luận chỉ có giá trị khi trên một nửa số thành viên Hội đồng "
        "(ít nhất 7/13) tham dự hoặc nhất trí; mới có 6." in page
    )
    assert "Không đủ túc số." in page
    assert page.count('name="participants" value="') == 13
    assert len(re.findall(r'id="decision-participants_\d+"[^>]* checked>', page)) == 6
    assert snapshot() == before
    assert Decision.objects.count() == 0
    assert RoundUnit.objects.get(pk=d.unit_a.pk).status == UnitStatus.SUBMITTED

    response = post_decision(7)
    assert response.status_code == 302
    assert response["Location"] == unit_url(d) + "#council"
    decision = Decision.objects.get(unit=d.unit_a)
    assert sorted(m.pk for m in decision.participants.all()) == sorted(d.members(7))
    assert decision.members_total == 13
    assert decision.points == Decimal("84.00")
    unit = RoundUnit.objects.get(pk=d.unit_a.pk)
    assert unit.status == UnitStatus.DECIDED
    assert unit.final_points == Decimal("84.00")
    assert score(d, "1.2").final_points == Decimal("12.00")
    assert score(d, "1.2").final_reason == "Thiếu 3 kỳ giao ban"
    page = text(chair.get(unit_url(d)))
    assert "7/13 thành viên" in page
    assert "Họp ngày 10/12" in page
    assert 'name="participants"' not in page  # decided: no second decision
    assert unit.appeal_until is not None
    deadline = unit.appeal_until.strftime("%d/%m/%Y")
    assert f"Đơn vị được kiến nghị đến hết ngày {deadline}." in page


def test_the_leader_appeals_and_the_council_answers_it(dti: Dti) -> None:
    d = dti
    submit(d, d.unit_a, d.assessor_a, d.leader_a)
    close(d)
    services.review_give(
        actor=d.council[3].user, unit=d.unit_a, code="1.2", verdict="adjust", points="10",
        reason="Chưa đủ minh chứng",
    )  # fmt: skip
    decide(d, d.unit_a)
    leader = login(d.leader_a)
    page = text(leader.get(unit_url(d)))
    assert "<legend>Chỉ số đề nghị xem xét lại</legend>" in page
    assert (
        login(d.assessor_a).post(unit_url(d, "kien-nghi/"), {"codes": ["1.2"]}).status_code == 403
    )
    response = leader.post(unit_url(d, "kien-nghi/"), {"codes": ["1.2"], "reason": ""})
    assert response.status_code == 422
    assert "Cần nêu nội dung kiến nghị." in text(response)
    response = leader.post(
        unit_url(d, "kien-nghi/"), {"codes": ["1.2"], "reason": "Có thông báo giao ban quý 4"}
    )
    assert response.status_code == 302
    assert RoundUnit.objects.get(pk=d.unit_a.pk).status == UnitStatus.APPEALED

    # Stage 2: members review the appealed sub-index only.
    client = login(d.council[4].user)
    page = text(client.get(unit_url(d)))
    assert "Có thông báo giao ban quý 4" in page
    assert "Ý kiến của bạn về chỉ số 1.2" in page
    assert "Ý kiến của bạn về chỉ số 1.1" not in page
    body = text(
        client.post(
            row_url(d, "1.2", "tham-dinh/"),
            {"verdict": "adjust", "points": "14", "reason": "Đã có thông báo"},
            headers=HTMX,
        )
    )
    assert "Bạn đã cho ý kiến: Điều chỉnh, 14 điểm." in body
    chair = login(d.chair.user)
    page = text(chair.get(unit_url(d)))
    assert '<h3 id="resolve-h">Giải quyết kiến nghị</h3>' in page
    ids = [str(pk) for pk in d.members(8)]
    response = chair.post(
        unit_url(d, "giai-quyet-kien-nghi/"), {"participants": ids, "agreed": ids, "note": ""}
    )
    assert response.status_code == 422
    assert "Cần nêu kết quả xem xét kiến nghị." in text(response)
    response = chair.post(
        unit_url(d, "giai-quyet-kien-nghi/"),
        {"participants": ids, "agreed": ids, "note": "Chấp nhận một phần"},
    )
    assert response.status_code == 302
    unit = RoundUnit.objects.get(pk=d.unit_a.pk)
    assert unit.status == UnitStatus.FINAL
    assert score(d, "1.2").final_points == Decimal("14.00")
    assert unit.final_points == Decimal("86.00")
    page = text(chair.get(unit_url(d)))
    assert "Kết quả xem xét kiến nghị" in page
    assert "Chấp nhận một phần" in page


# --- results ---------------------------------------------------------------------------------


def test_the_results_page_ranks_the_units_with_charts(dti: Dti) -> None:
    d = dti
    submit(d, d.unit_a, d.assessor_a, d.leader_a)
    fill(d, d.unit_b, d.assessor_b, online="55")
    page = text(login(d.standing_head).get(round_url(d, "ket-qua/")))
    ranking = page.split('id="ranking-')[1].split("</table>")[0]
    rows = re.findall(r'<tr data-unit="([^"]+)">', ranking)
    assert rows == [d.unit_a.agency.code, d.unit_b.agency.code]
    assert re.search(
        r'<td class="num" data-rank>1</td> <th scope="row">Ủy ban nhân dân Phường Ba Đình</th> '
        r'<td class="num">87</td> <td class="num">100</td> '
        r'<td class="num"><strong data-value>0,8700</strong></td>',
        ranking,
    )
    assert "<strong data-value>0,7700</strong>" in ranking
    assert "chưa có kết quả năm trước" in ranking
    assert "Kết quả sơ bộ theo điểm tự đánh giá, chưa qua thẩm định, chưa công bố." in page
    assert (
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-bar" '
        f'id="chart-values-{d.round.pk}" role="img"' in page
    )
    assert "Ủy ban nhân dân Phường Ba Đình: 0,8700; Ủy ban nhân dân Phường Ngọc Hà: 0,7700" in page
    # Two main indices draw no radar area: one note, the figures are in the table.
    assert f'id="no-radar-{d.round.pk}"' in page
    assert 'class="chart chart-radar"' not in page
    assert f'href="{round_url(d, "ket-qua.xlsx")}"' in page
    assert f'href="{round_url(d, "ket-qua.pdf")}"' in page
    # Before publication: not for the units' own officials.
    assert login(d.leader_a).get(round_url(d, "ket-qua/")).status_code == 403


def test_results_download_as_excel_and_pdf(dti: Dti) -> None:
    pytest.importorskip("thudo.dti.excel")
    pytest.importorskip("thudo.dti.pdf")
    d = dti
    submit(d, d.unit_a, d.assessor_a, d.leader_a)
    head = login(d.standing_head)
    response = head.get(round_url(d, "ket-qua.xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"] == 'attachment; filename="ket-qua-dti-TEST-XA-2026.xlsx"'
    assert response.content[:2] == b"PK"
    response = head.get(round_url(d, "ket-qua.pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert login(d.assessor_a).get(round_url(d, "ket-qua.pdf")).status_code == 403


def test_published_results_are_public(dti: Dti) -> None:
    d = dti
    anonymous = Client()
    assert anonymous.get("/chuyen-doi-so/cong-bo/2026/").status_code == 404
    publish(d)
    index = text(anonymous.get("/chuyen-doi-so/cong-bo/"))
    assert '<a href="/chuyen-doi-so/cong-bo/2026/">Năm 2026</a>' in index
    response = anonymous.get("/chuyen-doi-so/cong-bo/2026/")
    assert response.status_code == 200
    page = text(response)
    assert "<h1>Kết quả đánh giá chuyển đổi số năm 2026</h1>" in page
    ranking = page.split('id="ranking-')[1].split("</table>")[0]
    assert re.findall(r'<tr data-unit="([^"]+)">', ranking) == [
        d.unit_a.agency.code,
        d.unit_b.agency.code,
    ]
    assert "<strong data-value>0,8700</strong>" in ranking
    assert "Kết quả sơ bộ" not in page
    assert 'class="chart chart-bar"' in page
    assert f'href="/chuyen-doi-so/cong-bo/dot/{d.round.pk}/ket-qua.pdf"' in page
    assert anonymous.get("/chuyen-doi-so/cong-bo/2025/").status_code == 404
    # Once published, a unit's own officials see the ranking too.
    assert login(d.leader_b).get(round_url(d, "ket-qua/")).status_code == 200


def test_published_results_download_without_sign_in(dti: Dti) -> None:
    pytest.importorskip("thudo.dti.excel")
    pytest.importorskip("thudo.dti.pdf")
    d = dti
    publish(d)
    anonymous = Client()
    response = anonymous.get(f"/chuyen-doi-so/cong-bo/dot/{d.round.pk}/ket-qua.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    response = anonymous.get(f"/chuyen-doi-so/cong-bo/dot/{d.round.pk}/ket-qua.pdf")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"]


# --- charts and numbers ----------------------------------------------------------------------


def test_charts_escape_names_and_need_three_axes_for_a_radar() -> None:
    svg = charts.bar_chart(
        [charts.Bar("<Phường> & co", Decimal("0.5"), "0,5000")], title="T", chart_id="c1"
    )
    assert "&lt;Phường&gt; &amp; co: 0,5000" in svg
    assert "<Phường>" not in svg
    assert 'role="img" aria-labelledby="c1-title c1-desc"' in svg
    assert '<rect x="250" y="33" width="203" height="16"' in svg  # half of 406
    two = [charts.Axis("1", "A", Decimal("0.5"), "5/10"), charts.Axis("2", "B", Decimal(1), "")]
    assert charts.radar_chart(two, title="R", chart_id="r") is None
    three = [*two, charts.Axis("3", "C", Decimal(0), "0/10")]
    radar = charts.radar_chart(three, title="R", chart_id="r")
    assert radar is not None and radar.count("<circle") == 3


def test_numbers_are_written_the_vietnamese_way() -> None:
    assert display.vn(Decimal("1234.5")) == "1.234,5"
    assert display.vn(Decimal("0.87"), 4) == "0,8700"
    assert display.vn(Decimal("15.00")) == "15"
    assert display.plain(Decimal("100.00")) == "100"
    up = display.change(Decimal("0.0123"))
    assert up is not None and (up.arrow, up.text) == ("▲", "+0,0123")
    down = display.change(Decimal("-0.01"))
    assert down is not None and (down.arrow, down.text) == ("▼", "−0,0100")
    assert scoring.quorum_needed(members_total=13, share=Decimal("0.5")) == 7
    assert scoring.quorum_needed(members_total=12, share=Decimal("0.5")) == 7


def test_the_unit_page_has_a_bounded_number_of_queries(
    dti: Dti, django_assert_max_num_queries: Any
) -> None:
    d = dti
    fill(d, d.unit_a, d.assessor_a)
    client = login(d.assessor_a)
    url = unit_url(d)
    with django_assert_max_num_queries(22):
        assert client.get(url).status_code == 200
