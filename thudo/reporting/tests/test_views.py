"""Pages of the reporting module: the work list, a unit's entry grid saved cell by cell,
completion and approval, Excel in and out, the recipient's overview and the analytics
pivot with its CSV — each shown to who may see it, refused without a change to anyone
else."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from thudo.core.models import AuditEvent
from thudo.core.tests.factories import citizen
from thudo.reporting import display, selectors, services
from thudo.reporting import periods as pe
from thudo.reporting.models import Approval, ApprovalEvent, Completion, DataValue
from thudo.reporting.tests.factories import PERIOD, Reporting, build

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def login(user: Any) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def text(response: Any) -> str:
    return str(response.content.decode())


def squash(html: str) -> str:
    """The markup with runs of white space made one space, for exact checks across lines."""
    return re.sub(r"\s+", " ", html)


def url(r: Reporting, suffix: str = "", *, unit: Any = None, period: str = PERIOD) -> str:
    return f"/bao-cao/{r.form.code}/{(unit or r.city.commune_a).code}/{period}/{suffix}"


def overview_url(r: Reporting, period: str = PERIOD) -> str:
    return f"/bao-cao/{r.form.code}/{period}/tong-hop/"


def save(r: Reporting, element: str, raw: str, *, unit: Any = None, user: Any = None,
         disaggregation: str = "") -> Any:  # fmt: skip
    return services.value_save(actor=user or r.clerk_a, form=r.form,
                               unit=unit or r.city.commune_a, period=PERIOD, element=element,
                               raw=raw, disaggregation=disaggregation)  # fmt: skip


def post_cell(client: Client, r: Reporting, element: str, value: str, *,
              disaggregation: str = "", unit: Any = None, htmx: bool = True) -> Any:  # fmt: skip
    return client.post(
        url(r, "o/", unit=unit),
        {"element": element, "disaggregation": disaggregation, "value": value, "col": "0"},
        headers=HTMX if htmx else {},
    )


def approve(r: Reporting, user: Any, unit: Any) -> None:
    services.approval_approve(actor=user, form=r.form, unit=unit, period=PERIOD)


def snapshot() -> tuple[Any, ...]:
    """Everything the pages could change."""
    return (
        sorted(DataValue.objects.values_list("element__code", "unit__code", "value")),
        Completion.objects.count(),
        sorted(Approval.objects.values_list("unit__code", "state")),
        ApprovalEvent.objects.count(),
        AuditEvent.objects.count(),
    )


def inputs(html: str) -> list[str]:
    return re.findall(r'<input type="text" class="cell-input"[^>]*>', html, flags=re.S)


# --- who gets the pages ----------------------------------------------------------------------


def test_citizens_get_404_and_nothing_changes(reporting: Reporting) -> None:
    r = reporting
    before = snapshot()
    person = login(citizen())
    for page in ("/bao-cao/", url(r), overview_url(r), "/bao-cao/phan-tich/"):
        assert person.get(page).status_code == 404, page
    assert post_cell(person, r, "DN_MOI", "5").status_code == 404
    assert person.post(url(r, "hoan-thanh/")).status_code == 404
    assert snapshot() == before


def test_another_communes_grid_is_not_there(reporting: Reporting) -> None:
    r = reporting
    save(r, "DN_MOI", "7")
    before = snapshot()
    other = login(r.clerk_b)
    assert other.get(url(r)).status_code == 404
    assert other.get(url(r, "excel/")).status_code == 404
    assert post_cell(other, r, "DN_MOI", "99").status_code == 404
    assert other.post(url(r, "hoan-thanh/")).status_code == 404
    assert login(r.leader_b).post(url(r, "phe-duyet/")).status_code == 404
    # The overview shows every commune: only the recipient's officials open it.
    assert other.get(overview_url(r)).status_code == 404
    assert snapshot() == before


def test_unknown_forms_units_and_periods_are_404(reporting: Reporting) -> None:
    r = reporting
    client = login(r.clerk_a)
    assert client.get(f"/bao-cao/BC99/{r.city.commune_a.code}/{PERIOD}/").status_code == 404
    assert client.get(url(r, unit=r.city.justice)).status_code == 404  # not a reporting unit
    for period in ("2026Q1", "2026M13", "abc", "2099M01"):  # wrong type, bad, not begun
        assert client.get(url(r, period=period)).status_code == 404, period


def test_a_specialist_is_not_shown_approval_and_is_refused_it(reporting: Reporting) -> None:
    r = reporting
    clerk = login(r.clerk_a)
    body = text(clerk.get(url(r)))
    assert "Hoàn thành báo cáo" in body
    assert ">Phê duyệt</button>" not in body
    before = snapshot()
    response = clerk.post(url(r, "phe-duyet/"), {"comment": "tự duyệt"})
    assert response.status_code == 403
    assert snapshot() == before
    # The department sees the communes' figures but does not type them.
    assert post_cell(login(r.head_justice), r, "DN_MOI", "5").status_code == 403
    assert snapshot() == before


def test_officials_find_reporting_in_the_navigation(reporting: Reporting) -> None:
    assert '<li><a href="/bao-cao/">Báo cáo</a></li>' in text(login(reporting.clerk_a).get("/"))


# --- the work list ---------------------------------------------------------------------------


def test_the_work_list_shows_the_period_being_reported(reporting: Reporting) -> None:
    r = reporting
    today = timezone.localdate()
    current = pe.current_open(r.form.period_kind, today, r.form.deadline_days)
    deadline = current.deadline(r.form.deadline_days).strftime("%d/%m/%Y")
    a = r.city.commune_a.code
    body = squash(text(login(r.clerk_a).get("/bao-cao/")))
    assert (
        f'<tr id="work-BC01-KT-{a}-{current.code}"> <td><span class="mono">BC01-KT</span> — '
        "Báo cáo tình hình "
        f"kinh tế - xã hội hằng tháng</td> <td>Ủy ban nhân dân Phường Ba Đình</td> "
        f'<td>{current.label} <span class="mono">({current.code})</span></td>'
    ) in body
    assert f">{deadline}</time>" in body
    assert '<span class="tag" data-state="open">Đang báo cáo</span>' in body
    assert f'<a href="/bao-cao/BC01-KT/{a}/{current.code}/">Nhập số liệu' in body
    assert "tong-hop" not in body  # the commune does not receive the form
    assert '<a class="button button-secondary" href="/bao-cao/phan-tich/"' in body

    head = squash(text(login(r.head_justice).get("/bao-cao/")))
    assert "<td>Cơ quan nhận báo cáo</td>" in head
    assert f'<a href="/bao-cao/BC01-KT/{current.code}/tong-hop/">Tổng hợp, phê duyệt' in head
    assert "Nhập số liệu" not in head


def test_earlier_periods_not_completed_stay_on_the_list_as_late(reporting: Reporting) -> None:
    r = reporting
    a = r.city.commune_a
    # On 1 April 2026 April is being reported (March was due on the 17th); January and
    # March are still open, February was completed.
    services.form_complete(actor=r.clerk_a, form=r.form, unit=a, period="2026M02")
    work = selectors.worklist_for_user(user=r.clerk_a, today=date(2026, 4, 1))
    assert [(w.period.code, w.state, w.deadline) for w in work] == [
        ("2026M01", "open", date(2026, 1, 16)),
        ("2026M03", "open", date(2026, 3, 17)),
        ("2026M04", "open", date(2026, 4, 16)),
    ]
    late = work[1]
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(selectors, "worklist_for_user", lambda **_kw: [late])
    try:
        body = squash(text(login(r.clerk_a).get("/bao-cao/")))
    finally:
        monkeypatch.undo()
    assert '<time datetime="2026-03-17" class="verdict-bad">17/03/2026</time>' in body
    assert (
        '<span class="tag" data-state="open">Đang báo cáo</span> '
        '<strong class="tag tag-overdue">Quá hạn</strong>'
    ) in body


# --- the entry grid --------------------------------------------------------------------------


def test_the_grid_shows_sections_labels_values_and_measured_lineage(
    reporting: Reporting,
) -> None:
    r = reporting
    save(r, "THU_NGAN_SACH", "234567.5")
    save(r, "LAO_DONG", "7", disaggregation="NU")
    services.measured_compute(actor=None, period=PERIOD)
    body = squash(text(login(r.clerk_a).get(url(r))))
    assert "<h1>BC01-KT — Báo cáo tình hình kinh tế - xã hội hằng tháng</h1>" in body
    assert '<p class="lead">Ủy ban nhân dân Phường Ba Đình · Tháng 3/2026</p>' in body
    assert '<time datetime="2026-03-17" class="verdict-bad">17/03/2026</time>' in body
    assert '<strong class="tag tag-overdue">Quá hạn</strong>' in body
    assert '<dd id="grid-filled">3/7 ô</dd>' in body
    assert "<caption>Doanh nghiệp</caption>" in body
    assert "<caption>Lao động, thu ngân sách</caption>" in body
    assert '<th scope="col" class="num">Nam</th><th scope="col" class="num">Nữ</th>' in body
    assert (
        '<label class="visually-hidden" for="v-LAO_DONG-NU">Số lao động được tạo việc làm – Nữ'
        "</label>"
    ) in body
    assert '<label class="visually-hidden" for="v-DN_MOI">Số doanh nghiệp thành lập mới' in body
    fields = {re.search(r'id="([^"]+)"', i)[1]: i for i in inputs(body)}  # type: ignore[index]
    assert sorted(fields) == ["v-DN_HOATDONG", "v-DN_MOI", "v-LAO_DONG-NAM", "v-LAO_DONG-NU",
                              "v-THU_NGAN_SACH", "v-TY_LE_THU"]  # fmt: skip
    assert 'value="234.567,5"' in fields["v-THU_NGAN_SACH"]
    assert 'value="7"' in fields["v-LAO_DONG-NU"]
    assert 'data-col="1"' in fields["v-LAO_DONG-NU"]
    assert "disabled" not in "".join(fields.values())
    assert '"element": "LAO_DONG", "disaggregation": "NU"' in fields["v-LAO_DONG-NU"]
    # The measured figure: read-only, marked, with where it comes from.
    assert '<span class="measured-value" id="v-HS_TIEPNHAN">0</span>' in body
    assert '<span aria-hidden="true">⚙</span> Đo tự động</span>' in body
    assert '<dt>Số liệu đo</dt><dd class="mono">procedures.received</dd>' in body
    assert '<code class="lineage-query">received = 0; procedures_dossier rows' in body
    # The script that moves down the grid is a file of ours (CSP: no inline scripts).
    assert '<script src="/static/reporting/grid.js" defer></script>' in body
    assert "<script>" not in body


def test_the_grid_reads_a_bounded_number_of_queries(
    reporting: Reporting, django_assert_max_num_queries: Any
) -> None:
    r = reporting
    for element, value in (("DN_MOI", "4"), ("DN_HOATDONG", "9"), ("TY_LE_THU", "80")):
        save(r, element, value)
    approve(r, r.leader_a, r.city.commune_a)
    client = login(r.leader_a)
    client.get(url(r))  # sessions and the unit tree, once
    # 25 today: the getters, the grid's reads, one per permission shown; none per row or
    # cell (the rows come prefetched with their disaggregations).
    with django_assert_max_num_queries(30):
        response = client.get(url(r))
    assert response.status_code == 200


def test_a_cell_is_saved_and_comes_back_with_the_rules_it_breaks(reporting: Reporting) -> None:
    r = reporting
    client = login(r.clerk_a)
    response = post_cell(client, r, "DN_MOI", "12")
    assert response.status_code == 200
    body = squash(text(response))
    assert '<div class="cell" id="cell-v-DN_MOI">' in body
    assert 'value="12"' in body
    assert '<span aria-hidden="true">✓</span> Đã lưu</span>' in body
    assert 'aria-describedby="v-DN_MOI-msg"' in body
    assert '<section id="validation" class="card validation"' in body
    assert 'hx-swap-oob="true"' in body
    assert "Không có quy tắc kiểm tra nào bị vi phạm." in body
    assert '<span id="grid-status" hx-swap-oob="innerHTML">Đã lưu ô DN_MOI.</span>' in body

    body = squash(text(post_cell(client, r, "DN_HOATDONG", "10")))
    assert "Có 1 quy tắc kiểm tra bị vi phạm" in body
    assert (
        '<tr id="violation-R1" data-importance="high"><td class="mono">R1</td>'
        '<td>Doanh nghiệp mới không vượt số đang hoạt động</td><td class="num">12</td>'
        '<td>≤</td><td class="num">10</td><td><strong class="tag tag-overdue">Cao</strong></td>'
        "</tr>"
    ) in body
    assert "Đã lưu ô DN_HOATDONG. Có 1 cảnh báo kiểm tra số liệu." in body

    # What people type, read the way the services read it, shown back the Vietnamese way.
    body = squash(text(post_cell(client, r, "THU_NGAN_SACH", "1234.5")))
    assert 'value="1.234,5"' in body
    body = squash(text(post_cell(client, r, "LAO_DONG", "1.200", disaggregation="NAM")))
    assert '<div class="cell" id="cell-v-LAO_DONG-NAM">' in body
    assert 'value="1.200"' in body
    values = dict(DataValue.objects.values_list("element__code", "value"))
    assert values == {"DN_MOI": Decimal(12), "DN_HOATDONG": Decimal(10),
                      "THU_NGAN_SACH": Decimal("1234.5"), "LAO_DONG": Decimal(1200)}  # fmt: skip
    assert AuditEvent.objects.filter(action="reporting.value.save").count() == 4

    # Emptying a cell clears it.
    body = squash(text(post_cell(client, r, "DN_MOI", "")))
    assert 'value=""' in body
    assert not DataValue.objects.filter(element__code="DN_MOI").exists()


def test_a_bad_cell_shows_its_error_beside_it_and_saves_nothing(reporting: Reporting) -> None:
    r = reporting
    save(r, "TY_LE_THU", "80")
    before = snapshot()
    client = login(r.clerk_a)
    response = post_cell(client, r, "TY_LE_THU", "150")
    assert response.status_code == 200  # htmx swaps only 2xx answers
    body = squash(text(response))
    assert '<div class="cell has-error" id="cell-v-TY_LE_THU">' in body
    assert 'value="150"' in body  # what was typed, to correct it
    assert 'aria-invalid="true" aria-describedby="v-TY_LE_THU-msg"' in body
    assert (
        '<span class="field-error cell-msg" id="v-TY_LE_THU-msg"><span class="visually-hidden">'
        "Lỗi:</span> Tỷ lệ phải từ 0 đến 100.</span>"
    ) in body
    assert 'id="validation"' not in body  # nothing changed, nothing to re-check
    assert "Chưa lưu ô TY_LE_THU: Tỷ lệ phải từ 0 đến 100." in body
    assert "Giá trị phải là một số." in text(post_cell(client, r, "DN_MOI", "mười"))
    assert "Giá trị phải là số nguyên." in text(post_cell(client, r, "DN_MOI", "1,5"))
    measured = text(post_cell(client, r, "HS_TIEPNHAN", "3"))
    assert "Chỉ tiêu HS_TIEPNHAN được đo tự động, không nhập tay." in measured
    assert post_cell(client, r, "TY_LE_THU", "150", htmx=False).status_code == 422
    assert snapshot() == before


def test_check_shows_every_broken_rule(reporting: Reporting) -> None:
    r = reporting
    save(r, "DN_MOI", "12")
    save(r, "DN_HOATDONG", "10")
    client = login(r.clerk_a)
    body = squash(text(client.get(url(r, "kiem-tra/"), headers=HTMX)))
    assert body.strip().startswith('<section id="validation" class="card validation"')
    assert '<p class="help" id="validation-checked">Đã kiểm tra toàn bộ biểu lúc' in body
    assert '<tr id="violation-R1" data-importance="high">' in body
    page = text(client.get(url(r, "kiem-tra/")))
    assert "<h1>BC01-KT — Báo cáo tình hình kinh tế - xã hội hằng tháng</h1>" in page
    assert 'id="violation-R1"' in page


def test_complete_approve_and_unapprove_from_the_grid(reporting: Reporting) -> None:
    r = reporting
    save(r, "DN_MOI", "3")
    clerk = login(r.clerk_a)
    response = clerk.post(url(r, "hoan-thanh/"))
    assert response.status_code == 302
    assert response["Location"] == url(r)
    body = squash(text(clerk.get(url(r))))
    assert "Đã hoàn thành báo cáo kỳ này; chờ lãnh đạo phê duyệt." in body
    assert (
        '<strong class="tag" id="grid-state" data-state="completed">Đã hoàn thành</strong>' in body
    )
    assert '<span class="verdict-bad">quá hạn</span>' in body  # March's deadline is long past
    assert Completion.objects.get().on_time is False
    # Completed twice: the error is on the page, nothing else happens.
    again = clerk.post(url(r, "hoan-thanh/"), headers=HTMX)
    assert "Báo cáo kỳ này đã được đánh dấu hoàn thành." in text(again)

    leader = login(r.leader_a)
    body = squash(text(leader.get(url(r))))
    assert '<label for="id_comment">Ý kiến' in body
    assert ">Phê duyệt</button>" in body
    response = leader.post(url(r, "phe-duyet/"), {"comment": "Số liệu khớp sổ sách"}, headers=HTMX)
    body = squash(text(response))
    assert body.strip().startswith('<div id="grid">')
    assert "Đã phê duyệt số liệu của Ủy ban nhân dân Phường Ba Đình; số liệu đã được khóa." in body
    assert "<strong>Phê duyệt</strong> · " + r.leader_a.full_name in body
    assert '<span class="trail-note">Số liệu khớp sổ sách</span>' in body
    assert Approval.objects.get().comment == "Số liệu khớp sổ sách"

    response = leader.post(url(r, "huy-phe-duyet/"), {"comment": "Cần sửa DN_MOI"})
    assert response.status_code == 302
    assert not Approval.objects.exists()
    body = squash(text(clerk.get(url(r))))
    assert "<strong>Hủy phê duyệt</strong>" in body
    assert "disabled" not in "".join(inputs(body))


def test_a_comment_too_long_is_shown_on_the_field(reporting: Reporting) -> None:
    r = reporting
    before = snapshot()
    response = login(r.leader_a).post(url(r, "phe-duyet/"), {"comment": "x" * 501})
    assert response.status_code == 422
    body = squash(text(response))
    assert '<div class="error-summary" role="alert" tabindex="-1">' in body
    assert '<a href="#id_comment">Ý kiến: ' in body
    assert snapshot() == before


def test_approved_data_is_locked_on_the_page(reporting: Reporting) -> None:
    r = reporting
    save(r, "DN_MOI", "3")
    approve(r, r.leader_a, r.city.commune_a)
    client = login(r.clerk_a)
    body = squash(text(client.get(url(r))))
    assert (
        '<p class="notice notice-locked" role="status" id="locked-banner"><span aria-hidden="true">'
        "🔒</span> Số liệu kỳ này đã được Ủy ban nhân dân Phường Ba Đình phê duyệt "
        f"({r.leader_a.full_name}, "
    ) in body
    assert "); các ô đã khóa, không sửa được.</p>" in body
    fields = inputs(body)
    assert len(fields) == 6
    assert all(" disabled" in f and "hx-post" not in f for f in fields)
    assert "Hoàn thành báo cáo" not in body
    assert 'action="/bao-cao/BC01-KT/000.01.50.H26/2026M03/nhap-excel/"' not in body
    before = snapshot()
    refused = text(post_cell(client, r, "DN_MOI", "4"))
    assert "đã được Ủy ban nhân dân Phường Ba Đình phê duyệt và bị khóa." in refused
    assert snapshot() == before


def test_period_navigation(reporting: Reporting) -> None:
    r = reporting
    body = text(login(r.clerk_a).get(url(r)))
    assert f'<a href="{url(r, period="2026M02")}" rel="prev">← Tháng 2/2026</a>' in body
    assert f'<a href="{url(r, period="2026M04")}" rel="next">Tháng 4/2026 →</a>' in body


# --- Excel -----------------------------------------------------------------------------------


def _addresses(content: bytes) -> dict[tuple[str, str], str]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    rows = list(book["_meta"].iter_rows(min_row=9, values_only=True))
    return {(element, disagg or ""): address for address, element, disagg in rows}


def test_the_excel_download_is_the_units_workbook(reporting: Reporting) -> None:
    r = reporting
    save(r, "DN_MOI", "12")
    response = login(r.clerk_a).get(url(r, "excel/"))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"] == (
        'attachment; filename="BC01-KT-000.01.50.H26-2026M03.xlsx"'
    )
    content = response.content
    assert content[:2] == b"PK"
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book["Biểu mẫu"]
    assert sheet[_addresses(content)[("DN_MOI", "")]].value == 12


def _upload(client: Client, r: Reporting, content: bytes) -> Any:
    file = SimpleUploadedFile("bieu.xlsx", content, content_type=XLSX)
    return client.post(url(r, "nhap-excel/"), {"file": file})


def test_an_excel_upload_with_a_bad_cell_saves_nothing(reporting: Reporting) -> None:
    r = reporting
    client = login(r.clerk_a)
    content = client.get(url(r, "excel/")).content
    cells = _addresses(content)
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book["Biểu mẫu"]
    sheet[cells[("DN_MOI", "")]] = 5
    sheet[cells[("TY_LE_THU", "")]] = 150
    sheet[cells[("LAO_DONG", "NU")]] = "nhiều"
    buffer = io.BytesIO()
    book.save(buffer)
    before = snapshot()
    response = _upload(client, r, buffer.getvalue())
    assert response.status_code == 422
    body = squash(text(response))
    assert '<a href="#id_file">Tệp Excel đã điền: Có 2 ô không hợp lệ; chưa lưu ô nào.</a>' in body
    assert "<caption>Các ô sai trong tệp (chưa lưu ô nào)</caption>" in body
    assert (
        f'<tr><td class="mono">{cells[("LAO_DONG", "NU")]}</td>'
        "<td>Giá trị phải là một số.</td></tr>"
    ) in body
    assert (
        f'<tr><td class="mono">{cells[("TY_LE_THU", "")]}</td><td>Tỷ lệ phải từ 0 đến 100.</td>'
    ) in body
    assert snapshot() == before

    # Fixed, the same file goes in whole.
    sheet[cells[("TY_LE_THU", "")]] = 95.5
    sheet[cells[("LAO_DONG", "NU")]] = 8
    buffer = io.BytesIO()
    book.save(buffer)
    response = _upload(client, r, buffer.getvalue())
    assert response.status_code == 302
    assert "Đã nhập số liệu từ tệp Excel: 3 ô thay đổi." in text(client.get(url(r)))
    values = dict(DataValue.objects.values_list("element__code", "value"))
    assert values == {"DN_MOI": 5, "TY_LE_THU": Decimal("95.5"), "LAO_DONG": 8}


def test_an_upload_that_is_no_workbook_is_a_file_error(reporting: Reporting) -> None:
    r = reporting
    before = snapshot()
    response = _upload(login(r.clerk_a), r, b"not a spreadsheet")
    assert response.status_code == 422
    assert "Tệp không phải là tệp Excel (.xlsx) hợp lệ." in text(response)
    assert 'id="excel-errors"' not in text(response)
    assert snapshot() == before


# --- the overview ----------------------------------------------------------------------------


def _unit_row(body: str, code: str) -> str:
    match = re.search(rf'<tr id="unit-{re.escape(code)}".*?</tr>', body, flags=re.S)
    assert match is not None, code
    return squash(match[0])


def test_the_overview_shows_completeness_and_approves_the_aggregate(reporting: Reporting) -> None:
    r = reporting
    city, a, b = r.city.city_pc, r.city.commune_a, r.city.commune_b
    save(r, "DN_MOI", "12")
    save(r, "DN_MOI", "3", unit=b, user=r.clerk_b)
    services.form_complete(actor=r.clerk_a, form=r.form, unit=a, period=PERIOD)
    head = login(r.head_justice)
    body = text(head.get(overview_url(r)))
    flat = squash(body)
    assert "<h1>Tổng hợp biểu BC01-KT</h1>" in flat
    assert '<span class="rate" id="completeness">50,0%</span>' in flat
    assert '<rect x="0" y="0" width="50.0" height="10" fill="#0f6b2f"/>' in flat
    assert "1/2 đơn vị đã hoàn thành" in flat
    assert '<span class="rate" id="timeliness">0,0%</span>' in flat
    # Units above first, then the reporting units.
    order = re.findall(r'<tr id="unit-([^"]+)"', body)
    assert order == [city.code, a.code, b.code]
    assert '<span class="tag" data-unit-state>Chưa phê duyệt</span>' in _unit_row(body, city.code)
    row_a = _unit_row(body, a.code)
    assert '<span class="tag" data-unit-state>Đã hoàn thành</span>' in row_a
    assert '<td class="num">1</td>' in row_a
    assert '<span class="verdict-bad">✗ quá hạn</span>' in row_a
    assert f'<a href="{url(r)}">Xem số liệu' in row_a
    assert "Phê duyệt<span" not in row_a  # the commune's own leaders approve it

    before = snapshot()
    response = head.post(
        f"/bao-cao/BC01-KT/{city.code}/{PERIOD}/phe-duyet/",
        {"back": "overview", "comment": ""},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert (
        '<p class="notice notice-error" role="alert" id="overview-error">Ủy ban nhân dân Thành '
        "phố Hà Nội: Còn 2 đơn vị cấp dưới chưa được phê duyệt.</p>"
    ) in text(response)
    assert snapshot() == before

    approve(r, r.leader_a, a)
    approve(r, r.leader_b, b)
    body = text(head.get(overview_url(r)))
    assert '<span class="rate" id="completeness">100,0%</span>' in squash(body)
    assert "Đã phê duyệt" in _unit_row(body, b.code)
    response = head.post(
        f"/bao-cao/BC01-KT/{city.code}/{PERIOD}/phe-duyet/",
        {"back": "overview", "comment": "Tổng hợp gửi UBND Thành phố"},
    )
    assert response.status_code == 302
    assert response["Location"] == overview_url(r)
    body = text(head.get(overview_url(r)))
    assert "Đã phê duyệt số liệu của Ủy ban nhân dân Thành phố Hà Nội" in body
    assert '<span class="tag" data-unit-state>Đã phê duyệt</span>' in _unit_row(body, city.code)
    assert Approval.objects.get(unit=city).comment == "Tổng hợp gửi UBND Thành phố"
    # With the aggregate approved, the communes below can no longer be taken back.
    response = head.post(
        f"/bao-cao/BC01-KT/{a.code}/{PERIOD}/huy-phe-duyet/", {"back": "overview"}, headers=HTMX
    )
    assert "Cấp trên đã phê duyệt kỳ này; cần cấp trên hủy phê duyệt trước." in text(response)


def test_the_overview_accepts_when_the_form_asks_for_it(city: Any) -> None:
    r = build(city, requires_acceptance=True)
    approve(r, r.leader_a, city.commune_a)
    head = login(r.head_justice)
    row = _unit_row(text(head.get(overview_url(r))), city.commune_a.code)
    assert ">Tiếp nhận<span" in row
    assert ">Hủy phê duyệt<span" in row
    response = head.post(
        f"/bao-cao/BC01-KT/{city.commune_a.code}/{PERIOD}/tiep-nhan/",
        {"back": "overview", "comment": "Đã nhận"},
        headers=HTMX,
    )
    body = text(response)
    assert "Đã tiếp nhận số liệu của Ủy ban nhân dân Phường Ba Đình." in body
    row = _unit_row(body, city.commune_a.code)
    assert '<span class="tag" data-unit-state>Cấp trên đã tiếp nhận</span>' in row
    assert ">Hủy tiếp nhận<span" in row
    assert Approval.objects.get(unit=city.commune_a).state == "accepted"
    head.post(f"/bao-cao/BC01-KT/{city.commune_a.code}/{PERIOD}/huy-tiep-nhan/",
              {"back": "overview"})  # fmt: skip
    assert Approval.objects.get(unit=city.commune_a).state == "approved"


# --- analytics -------------------------------------------------------------------------------


@pytest.fixture
def filled(reporting: Reporting) -> Reporting:
    r = reporting
    save(r, "DN_MOI", "1200")
    save(r, "DN_HOATDONG", "4000")
    save(r, "DN_MOI", "34", unit=r.city.commune_b, user=r.clerk_b)
    save(r, "DN_HOATDONG", "600", unit=r.city.commune_b, user=r.clerk_b)
    approve(r, r.leader_a, r.city.commune_a)
    return r


def query(r: Reporting, **changes: Any) -> dict[str, Any]:
    return {"dx": ["DN_MOI", "TL_DN_MOI"], "pe_type": "monthly", "pe_from": "2026M03",
            "pe_to": "2026M04", "pe": "", "ou": r.city.city_pc.code, "ou_children": "on",
            **changes}  # fmt: skip


def test_the_analytics_form_starts_with_the_last_four_quarters(filled: Reporting) -> None:
    today = timezone.localdate()
    quarter = pe.of_type("quarterly", today.year, today.month)
    first = quarter.previous().previous().previous()
    body = squash(text(login(filled.head_justice).get("/bao-cao/phan-tich/")))
    assert '<option value="quarterly" selected>Hằng quý</option>' in body
    assert f'name="pe_from" value="{first.code}"' in body
    assert f'name="pe_to" value="{quarter.code}"' in body
    assert '<option value="DN_MOI">DN_MOI — Số doanh nghiệp thành lập mới</option>' in body
    assert '<optgroup label="Chỉ số">' in body
    assert f'<option value="{filled.city.city_pc.code}" selected>' in body
    assert 'id="results"' not in body


def test_analytics_shows_a_table_and_a_chart_per_figure(filled: Reporting) -> None:
    r = filled
    city, a, b = r.city.city_pc, r.city.commune_a, r.city.commune_b
    response = login(r.head_justice).get("/bao-cao/phan-tich/", query(r))
    assert response.status_code == 200
    body = squash(text(response))
    table = body.split('id="pivot-DN_MOI"', 1)[1].split("</section>", 1)[0]
    assert (
        '<thead><tr><th scope="col">Đơn vị</th><th scope="col" class="num">Tháng 3/2026<br>'
        '<small class="mono">2026M03</small></th><th scope="col" class="num">Tháng 4/2026<br>'
        '<small class="mono">2026M04</small></th></tr></thead>'
    ) in table
    none = '<td class="num"><span aria-hidden="true">—</span><span class="visually-hidden">'
    assert (
        f'<tr data-ou="{city.code}"><th scope="row">Ủy ban nhân dân Thành phố Hà Nội</th> '
        '<td class="num" data-status="provisional">1.234 <small class="value-status"><span '
        f'aria-hidden="true">≈</span> tạm tính</small></td>{none}không có số liệu</span></td>'
    ) in table
    assert (
        f'<tr data-ou="{a.code}"><th scope="row">Ủy ban nhân dân Phường Ba Đình</th> '
        '<td class="num" data-status="approved">1.200 <small class="value-status"><span '
        'aria-hidden="true">✓</span> đã phê duyệt</small></td>'
    ) in table
    assert f'<tr data-ou="{b.code}"><th scope="row">Ủy ban nhân dân Phường Ngọc Hà</th> ' in table
    ratio = body.split('id="pivot-TL_DN_MOI"', 1)[1].split("</section>", 1)[0]
    assert '<td class="num" data-status="provisional">26,83 <small' in ratio  # 1234/4600
    # The chart is drawn on the server and says in words what it shows.
    assert (
        '<svg class="chart" role="img" aria-labelledby="chart-DN_MOI-title chart-DN_MOI-desc"'
        in table
    )
    assert (
        '<desc id="chart-DN_MOI-desc">Số doanh nghiệp thành lập mới. Ủy ban nhân dân Thành phố '
        "Hà Nội: Tháng 3/2026 1.234; Ủy ban nhân dân Phường Ba Đình: Tháng 3/2026 1.200; "
        "Ủy ban nhân dân Phường Ngọc Hà: Tháng 3/2026 34</desc>"
    ) in table
    assert '<a class="button button-secondary" href="/bao-cao/phan-tich/csv/?dx=DN_MOI' in body


def test_the_csv_holds_the_same_rows(filled: Reporting) -> None:
    r = filled
    city, a, b = r.city.city_pc.code, r.city.commune_a.code, r.city.commune_b.code
    response = login(r.head_justice).get("/bao-cao/phan-tich/csv/", query(r, dx=["DN_MOI"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="phan-tich-')
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert response.content.decode("utf-8-sig").splitlines() == [
        "dx,dx_name,pe,ou,ou_name,value,status",
        f"DN_MOI,Số doanh nghiệp thành lập mới,2026M03,{city},Ủy ban nhân dân Thành phố Hà Nội,"
        "1234,provisional",
        f"DN_MOI,Số doanh nghiệp thành lập mới,2026M03,{a},Ủy ban nhân dân Phường Ba Đình,"
        "1200,approved",
        f"DN_MOI,Số doanh nghiệp thành lập mới,2026M03,{b},Ủy ban nhân dân Phường Ngọc Hà,"
        "34,provisional",
    ]


def test_analytics_errors_are_shown_on_the_form(filled: Reporting) -> None:
    r = filled
    client = login(r.head_justice)
    response = client.get("/bao-cao/phan-tich/", query(r, dx=["DN_MOI", "KHONG_CO"]))
    assert response.status_code == 422
    body = squash(text(response))
    assert '<a href="#id_dx">Chỉ tiêu, chỉ số: Không có chỉ tiêu hoặc chỉ số KHONG_CO.</a>' in body
    assert 'id="results"' not in body
    body = squash(text(client.get("/bao-cao/phan-tich/", query(r, pe_from="2026X1"))))
    assert '<a href="#id_pe_from">Từ kỳ: Kỳ 2026X1 không hợp lệ.</a>' in body
    body = squash(text(client.get("/bao-cao/phan-tich/", query(r, pe="2026M03;2026Q9"))))
    assert '<a href="#id_pe">Hoặc liệt kê các kỳ: Kỳ 2026Q9 không hợp lệ.</a>' in body
    body = squash(text(client.get("/bao-cao/phan-tich/", query(r, ou="000.99.99.H26"))))
    assert '<a href="#id_ou">Đơn vị: Không có đơn vị 000.99.99.H26.</a>' in body
    csv = client.get("/bao-cao/phan-tich/csv/", query(r, dx=["KHONG_CO"]))
    assert csv.status_code == 422
    assert csv["Content-Type"].startswith("text/html")


def test_analytics_refuses_units_the_reader_may_not_see(filled: Reporting) -> None:
    r = filled
    client = login(r.clerk_a)
    b = r.city.commune_b.code
    response = client.get("/bao-cao/phan-tich/", query(r, ou=b, ou_children=""))
    assert response.status_code == 403
    assert (
        '<p class="notice notice-error" role="alert" id="analytics-error">Bạn không được xem số '
        f"liệu của đơn vị: {b}.</p>"
    ) in text(response)
    assert "1.200" not in text(response)
    assert client.get("/bao-cao/phan-tich/csv/", query(r, ou=b)).status_code == 403
    # The unit list offers only what the reader may see.
    body = text(client.get("/bao-cao/phan-tich/"))
    assert f'<option value="{r.city.commune_a.code}" selected>' in body
    assert b not in body


# --- numbers the Vietnamese way --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "places", "shown"),
    [
        (Decimal("1234.5"), None, "1.234,5"),
        (Decimal("-1234567.25"), None, "-1.234.567,25"),
        (Decimal("1000.0000"), None, "1.000"),
        (Decimal("0.5"), None, "0,5"),
        (Decimal("0"), None, "0"),
        (Decimal("999"), None, "999"),
        (66.666, 1, "66,7"),
        (100.0, 1, "100,0"),
        (None, None, ""),
    ],
)
def test_vietnamese_numbers(value: Any, places: int | None, shown: str) -> None:
    assert display.vn_number(value, places) == shown
