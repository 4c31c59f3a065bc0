"""The citizens' public-services pages: the catalogue and its accent-free search, one
procedure's requirements, a dossier from draft (the declaration generated from the
procedure's JSON Schema, uploads, wallet) through "check your answers" to submission,
its status page (supplement, withdrawal, rating, result), my dossiers and my wallet."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from thudo.core.tests.factories import citizen
from thudo.identity import facade as identity
from thudo.procedures import services
from thudo.procedures.models import Dossier, DossierEvent, DossierFile, Notice
from thudo.procedures.tests.factories import GROOM, Desk, login, procedure
from thudo.signing.tests.factories import sample_pdf

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64
FORM = {
    "ho_ten_ben_kia": "Đặng Văn Minh",
    "so_dinh_danh_ben_kia": GROOM,
    "ngay_sinh_ben_kia": "1989-11-02",
    "noi_cu_tru_ben_kia": "Số 12 phố Kim Mã, Phường Ba Đình",
    "tinh_trang_hon_nhan": "chua_ket_hon",
    "tinh_trang_hon_nhan_ben_kia": "chua_ket_hon",
    "tu_nguyen": "on",
}
SAVED = {**FORM, "tu_nguyen": True}

pytestmark = pytest.mark.django_db


def pdf_upload(name: str = "to-khai.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, sample_pdf("Tờ khai đăng ký kết hôn"), "application/pdf")


def draft_of(desk: Desk) -> Dossier:
    return services.dossier_start(
        actor=desk.bride, procedure=procedure("ket-hon"), agency_code=desk.commune.code
    )


def filled(desk: Desk) -> Dossier:
    dossier = draft_of(desk)
    services.dossier_update_form(actor=desk.bride, dossier=dossier, data=SAVED)
    services.dossier_attach(
        actor=desk.bride, dossier=dossier, component="to-khai", name="to-khai.pdf",
        content=sample_pdf("Tờ khai"),
    )  # fmt: skip
    return dossier


def submitted(desk: Desk) -> Dossier:
    return services.dossier_submit(actor=desk.bride, dossier=filled(desk))


def url(name: str, *args: Any) -> str:
    return reverse(f"procedures:{name}", args=args)


# --- the catalogue -----------------------------------------------------------------------------


def test_search_without_accents_finds_marriage_registration(desk: Desk) -> None:
    response = Client().get(url("portal"), {"q": "dang ky ket hon"})
    assert response.status_code == 200
    assert [r.procedure.name for r in response.context["rows"]] == ["Đăng ký kết hôn"]
    row = response.context["rows"][0]
    assert (row.procedure.code, row.deadline, row.fee) == (
        "1.000894",
        "Trong ngày; sau 15:00 trả vào ngày làm việc tiếp theo",
        0,
    )
    body = response.content.decode()
    assert "Một phần" in body and "Không thu" in body
    assert 'href="/dich-vu-cong/thu-tuc/ket-hon/"' in body


def test_live_search_answers_only_the_results(desk: Desk) -> None:
    response = Client().get(url("portal"), {"q": "khai sinh"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="procedures-results"')
    assert "Đăng ký khai sinh" in body and "<html" not in body


def test_filter_by_sector(desk: Desk) -> None:
    response = Client().get(url("portal"), {"sector": "Hộ tịch"})
    assert sorted(r.procedure.name for r in response.context["rows"]) == [
        "Cấp bản sao trích lục hộ tịch",
        "Đăng ký khai sinh",
        "Đăng ký khai tử",
        "Đăng ký kết hôn",
    ]


def test_the_procedure_page_lists_its_requirements_and_asks_anonymous_to_sign_in(
    desk: Desk,
) -> None:
    response = Client().get(url("procedure", "ket-hon"))
    assert response.status_code == 200
    assert [c["code"] for c in response.context["components"]] == [
        "to-khai", "xac-nhan-hon-nhan", "ban-an-ly-hon", "cccd-ben-kia",
    ]  # fmt: skip
    body = response.content.decode()
    for text in (
        "Tờ khai đăng ký kết hôn",
        "Lấy từ CSDL dân cư, bạn không cần nộp",
        "Có thể dùng kết quả trong kho dữ liệu",
        "Trong ngày; sau 15:00 trả vào ngày làm việc tiếp theo",
        "Không thu phí, lệ phí",
        "Luật Hộ tịch số 60/2014/QH13",
        "Giấy chứng nhận kết hôn",
    ):
        assert text in body, text
    login_path = identity.eid_login_path(next_url="/dich-vu-cong/thu-tuc/ket-hon/")
    assert f'href="{login_path.replace("&", "&amp;")}"' in body
    assert (
        Client().post(url("procedure", "ket-hon"), {"agency": desk.commune.code})["Location"]
        == login_path
    )
    assert Dossier.objects.count() == 0


def test_an_unknown_procedure_is_404(desk: Desk) -> None:
    assert Client().get(url("procedure", "khong-co")).status_code == 404


# --- starting and the draft ---------------------------------------------------------------------


def test_start_makes_a_draft_with_the_applicant_prefilled(desk: Desk) -> None:
    client = login(desk.bride)
    page = client.get(url("procedure", "ket-hon"))
    assert (desk.commune.code, "Ủy ban nhân dân Phường Ba Đình") in [
        (c[0], c[1].split(" — ")[0]) for c in page.context["form"].fields["agency"].choices
    ]
    response = client.post(url("procedure", "ket-hon"), {"agency": desk.commune.code})
    dossier = Dossier.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("draft", dossier.pk)
    assert (dossier.applicant, dossier.agency, dossier.status) == (
        desk.bride,
        desk.commune,
        "draft",
    )
    draft = client.get(url("draft", dossier.pk))
    body = draft.content.decode()
    assert "Nguyễn Thị Ánh Tuyết" in body
    assert "001190012345" in body and "12/05/1990" in body
    assert "Thông tin lấy từ Cơ sở dữ liệu quốc gia về dân cư." in body
    assert "Chưa kết nối được" not in body


def test_start_needs_a_competent_agency(desk: Desk) -> None:
    client = login(desk.bride)
    response = client.post(url("procedure", "ket-hon"), {"agency": ""})
    assert response.status_code == 422
    assert response.context["form"].errors == {"agency": ["Hãy chọn cơ quan giải quyết."]}
    response = client.post(url("procedure", "ket-hon"), {"agency": desk.city.city_pc.code})
    assert response.status_code == 422
    assert Dossier.objects.count() == 0


def test_a_registry_outage_is_told_and_the_draft_still_goes_on(desk: Desk) -> None:
    desk.registry.down = True
    client = login(desk.bride)
    client.post(url("procedure", "ket-hon"), {"agency": desk.commune.code})
    dossier = Dossier.objects.get()
    assert dossier.prefill == "pending"
    body = client.get(url("draft", dossier.pk)).content.decode()
    assert "Chưa kết nối được Cơ sở dữ liệu quốc gia về dân cư" in body
    assert "bạn vẫn có thể nộp hồ sơ" in body


def test_the_generated_form_follows_the_schema(desk: Desk) -> None:
    dossier = draft_of(desk)
    form = login(desk.bride).get(url("draft", dossier.pk)).context["form"]
    schema = dossier.version.form_schema
    assert form.property_names == list(schema["properties"])
    fields = {name: form.fields[name] for name in form.property_names}
    assert {n: (str(f.label), f.required) for n, f in fields.items()} == {
        "ho_ten_ben_kia": ("Họ, chữ đệm và tên của bên kia", True),
        "so_dinh_danh_ben_kia": ("Số định danh cá nhân của bên kia", True),
        "ngay_sinh_ben_kia": ("Ngày sinh của bên kia", True),
        "noi_cu_tru_ben_kia": ("Nơi cư trú của bên kia", True),
        "tinh_trang_hon_nhan": ("Tình trạng hôn nhân của người nộp", True),
        "tinh_trang_hon_nhan_ben_kia": ("Tình trạng hôn nhân của bên kia", True),
        "ngay_hen_trao": ("Ngày mong muốn nhận Giấy chứng nhận kết hôn", False),
        "tu_nguyen": ("Hai bên tự nguyện kết hôn và cam đoan đủ điều kiện kết hôn", True),
    }
    assert {n: f.widget.input_type for n, f in fields.items()} == {
        "ho_ten_ben_kia": "text",
        "so_dinh_danh_ben_kia": "text",
        "ngay_sinh_ben_kia": "date",
        "noi_cu_tru_ben_kia": "text",
        "tinh_trang_hon_nhan": "radio",
        "tinh_trang_hon_nhan_ben_kia": "radio",
        "ngay_hen_trao": "date",
        "tu_nguyen": "checkbox",
    }
    assert fields["ho_ten_ben_kia"].max_length == 100
    assert fields["so_dinh_danh_ben_kia"].help_text == "12 chữ số trên thẻ căn cước"
    assert list(fields["tinh_trang_hon_nhan"].choices) == [
        ("chua_ket_hon", "Chưa đăng ký kết hôn lần nào"),
        ("da_ly_hon", "Đã ly hôn"),
        ("vo_chong_da_mat", "Vợ/chồng đã chết"),
    ]
    # One upload per component the citizen provides; the wallet where the procedure allows.
    assert [n for n in form.fields if n not in fields] == [
        "file_to-khai", "file_xac-nhan-hon-nhan", "wallet_xac-nhan-hon-nhan", "file_ban-an-ly-hon",
    ]  # fmt: skip
    assert form.fields["file_xac-nhan-hon-nhan"].widget.attrs["accept"] == ".pdf"


def test_saving_a_draft_keeps_what_is_typed(desk: Desk) -> None:
    dossier = draft_of(desk)
    response = login(desk.bride).post(
        url("draft", dossier.pk),
        {"action": "save", "ho_ten_ben_kia": "Đặng Văn Minh", "ngay_hen_trao": "2026-12-20"},
    )
    assert response.status_code == 302
    assert response["Location"] == url("draft", dossier.pk)
    dossier.refresh_from_db()
    assert dossier.form_data == {
        "ho_ten_ben_kia": "Đặng Văn Minh",
        "ngay_hen_trao": "2026-12-20",
        "tu_nguyen": False,
    }


def test_invalid_form_data_is_422_with_an_error_summary_and_nothing_saved(desk: Desk) -> None:
    dossier = draft_of(desk)
    response = login(desk.bride).post(
        url("draft", dossier.pk),
        {
            **FORM,
            "action": "continue",
            "ho_ten_ben_kia": "",
            "so_dinh_danh_ben_kia": "12345",
            "ngay_sinh_ben_kia": "không phải ngày",
            "tinh_trang_hon_nhan": "co_vo",
            "tu_nguyen": "",
            "file_to-khai": pdf_upload(),
        },
    )
    assert response.status_code == 422
    assert response.context["form"].errors == {
        "ho_ten_ben_kia": ["Hãy nhập Họ, chữ đệm và tên của bên kia."],
        "so_dinh_danh_ben_kia": ["Số định danh cá nhân của bên kia không đúng định dạng."],
        "ngay_sinh_ben_kia": ["Ngày sinh của bên kia không đúng: hãy nhập ngày, tháng, năm."],
        "tinh_trang_hon_nhan": ["Hãy chọn Tình trạng hôn nhân của người nộp trong danh sách."],
        "tu_nguyen": [
            "Hãy đánh dấu xác nhận: Hai bên tự nguyện kết hôn và cam đoan đủ điều kiện kết hôn."
        ],
    }
    body = response.content.decode()
    assert '<div class="error-summary" role="alert" tabindex="-1" autofocus' in body
    assert '<a href="#id_ho_ten_ben_kia">Hãy nhập Họ, chữ đệm và tên của bên kia.</a>' in body
    assert '<a href="#id_tinh_trang_hon_nhan_0">' in body
    assert "<title>Lỗi:" in body
    dossier.refresh_from_db()
    assert dossier.form_data == {}
    assert DossierFile.objects.count() == 0


def test_a_png_named_pdf_for_a_pdf_only_component_is_refused(desk: Desk) -> None:
    dossier = draft_of(desk)
    response = login(desk.bride).post(
        url("draft", dossier.pk),
        {
            **FORM,
            "action": "save",
            "file_xac-nhan-hon-nhan": SimpleUploadedFile("xac-nhan.pdf", PNG, "application/pdf"),
        },
    )
    assert response.status_code == 422
    assert response.context["form"].errors == {
        "file_xac-nhan-hon-nhan": ["Tệp không đúng định dạng cho phép (pdf)."]
    }
    dossier.refresh_from_db()
    assert dossier.form_data == {}  # the declaration with it: all or nothing
    assert DossierFile.objects.count() == 0


def test_a_program_is_refused(desk: Desk) -> None:
    dossier = draft_of(desk)
    response = login(desk.bride).post(
        url("draft", dossier.pk),
        {"action": "save", "file_to-khai": SimpleUploadedFile("to-khai.exe", EXE)},
    )
    assert response.status_code == 422
    assert response.context["form"].errors == {
        "file_to-khai": ["Tệp không đúng định dạng cho phép (pdf, jpg, png)."]
    }
    assert DossierFile.objects.count() == 0


def test_a_too_large_file_is_refused_before_it_is_read(desk: Desk, settings: Any) -> None:
    settings.PROCEDURES_MAX_FILE_BYTES = 2**20
    dossier = draft_of(desk)
    big = SimpleUploadedFile("to-khai.pdf", b"%PDF-1.7\n" + b"0" * 2**20, "application/pdf")
    response = login(desk.bride).post(
        url("draft", dossier.pk), {"action": "save", "file_to-khai": big}
    )
    assert response.status_code == 422
    assert response.context["form"].errors == {"file_to-khai": ["Tệp lớn hơn 1 MB."]}
    assert DossierFile.objects.count() == 0


# --- check your answers and submit ----------------------------------------------------------------


def test_continue_then_the_check_page_summarises_everything(desk: Desk) -> None:
    dossier = draft_of(desk)
    client = login(desk.bride)
    response = client.post(
        url("draft", dossier.pk), {**FORM, "action": "continue", "file_to-khai": pdf_upload()}
    )
    assert response.status_code == 302
    assert response["Location"] == url("check", dossier.pk)
    dossier.refresh_from_db()
    assert dossier.form_data == SAVED
    assert list(dossier.files.values_list("component", "name")) == [("to-khai", "to-khai.pdf")]

    page = client.get(url("check", dossier.pk))
    assert page.status_code == 200
    answers = {a.label: a.value for a in page.context["answers"]}
    assert answers == {
        "Họ, chữ đệm và tên của bên kia": "Đặng Văn Minh",
        "Số định danh cá nhân của bên kia": GROOM,
        "Ngày sinh của bên kia": "02/11/1989",
        "Nơi cư trú của bên kia": "Số 12 phố Kim Mã, Phường Ba Đình",
        "Tình trạng hôn nhân của người nộp": "Chưa đăng ký kết hôn lần nào",
        "Tình trạng hôn nhân của bên kia": "Chưa đăng ký kết hôn lần nào",
        "Ngày mong muốn nhận Giấy chứng nhận kết hôn": "",
        "Hai bên tự nguyện kết hôn và cam đoan đủ điều kiện kết hôn": "Có",
    }
    body = page.content.decode()
    assert "Kiểm tra thông tin trước khi nộp" in body
    assert f'href="{url("draft", dossier.pk)}#id_ho_ten_ben_kia"' in body
    assert f'href="{url("draft", dossier.pk)}#id_tinh_trang_hon_nhan_0"' in body
    assert "to-khai.pdf" in body and "Nguyễn Thị Ánh Tuyết" in body
    assert dossier.status == "draft"


def test_submit_gives_the_code_and_tells_the_citizen(desk: Desk) -> None:
    dossier = filled(desk)
    client = login(desk.bride)
    response = client.post(url("check", dossier.pk), follow=True)
    dossier.refresh_from_db()
    assert re.fullmatch(r"000\.01\.50\.H26-\d{6}-0001", dossier.code or "")
    assert dossier.status == "submitted"
    assert response.redirect_chain == [(url("track", dossier.pk), 302)]
    assert [str(m) for m in response.context["messages"]] == [
        f"Đã nộp hồ sơ. Mã hồ sơ của bạn: {dossier.code}. Hãy ghi lại mã này để tra cứu."
    ]
    assert [s.label for s in response.context["steps"]] == [
        "Tạo hồ sơ",
        "Lấy thông tin từ CSDL quốc gia về dân cư",
        "Nộp hồ sơ",
    ]
    assert response.context["status_label"] == "Đã nộp, chờ tiếp nhận"
    assert Notice.objects.filter(user=desk.bride, dossier=dossier).count() == 1
    # Submitted: the draft and check pages lead to the dossier's page.
    assert client.get(url("draft", dossier.pk))["Location"] == url("track", dossier.pk)
    assert client.post(url("check", dossier.pk))["Location"] == url("track", dossier.pk)


def test_submit_errors_are_shown_on_the_draft_page(desk: Desk) -> None:
    dossier = draft_of(desk)
    services.dossier_update_form(actor=desk.bride, dossier=dossier, data=SAVED)
    response = login(desk.bride).post(url("check", dossier.pk))
    assert response.status_code == 422
    assert response.templates[0].name == "procedures/portal/draft.html"
    assert response.context["form"].errors == {
        "file_to-khai": ["Thiếu thành phần hồ sơ: Tờ khai đăng ký kết hôn."]
    }
    body = response.content.decode()
    assert '<a href="#id_file_to-khai">Thiếu thành phần hồ sơ: Tờ khai đăng ký kết hôn.</a>' in body
    assert 'value="Đặng Văn Minh"' in body  # the saved declaration is shown again
    dossier.refresh_from_db()
    assert (dossier.status, dossier.code) == ("draft", None)

    services.dossier_update_form(
        actor=desk.bride, dossier=dossier, data={**SAVED, "so_dinh_danh_ben_kia": "123"}
    )
    response = login(desk.bride).post(url("check", dossier.pk))
    assert response.status_code == 422
    assert response.context["form"].errors["so_dinh_danh_ben_kia"] == [
        "Số định danh cá nhân của bên kia không đúng định dạng."
    ]


# --- only the applicant ---------------------------------------------------------------------------


def test_another_citizen_gets_404_and_anonymous_is_sent_to_sign_in(desk: Desk) -> None:
    dossier = submitted(desk)
    draft = draft_of(desk)
    attached = dossier.files.get()
    other = login(desk.groom)
    for path in (
        url("draft", draft.pk),
        url("check", draft.pk),
        url("track", dossier.pk),
        url("file", dossier.pk, attached.pk),
        url("result", dossier.pk),
    ):
        assert other.get(path).status_code == 404, path
        anonymous = Client().get(path)
        assert anonymous.status_code == 302 and anonymous["Location"].startswith(
            reverse("core:login")
        ), path
    for path in (url("check", draft.pk), url("withdraw", dossier.pk), url("rate", dossier.pk)):
        assert other.post(path, {"confirm": "on", "rating": "5"}).status_code == 404, path
    dossier.refresh_from_db()
    draft.refresh_from_db()
    assert (dossier.status, draft.status, dossier.rating) == ("submitted", "draft", None)
    assert other.get(url("mine")).context["rows"] == []


def test_the_applicant_downloads_their_files(desk: Desk) -> None:
    dossier = submitted(desk)
    attached = dossier.files.get()
    response = login(desk.bride).get(url("file", dossier.pk, attached.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="to-khai.pdf"'
    assert response.content == bytes(attached.content)


# --- the dossier's page -------------------------------------------------------------------------


def test_the_supplement_is_answered_from_the_dossier_page(desk: Desk) -> None:
    dossier = services.dossier_receive(actor=desk.clerk, dossier=submitted(desk))
    services.dossier_request_supplement(
        actor=desk.clerk, dossier=dossier, reason="Bổ sung bản án ly hôn có hiệu lực."
    )
    client = login(desk.bride)
    page = client.get(url("track", dossier.pk))
    body = page.content.decode()
    assert page.context["status_label"] == "Chờ bổ sung hồ sơ"
    assert "Bổ sung bản án ly hôn có hiệu lực." in body
    issued = [f.component for f in page.context["issued"]]
    assert issued == ["mau-01", "mau-02"]
    receipt = DossierFile.objects.get(dossier=dossier, component="mau-01")
    assert client.get(url("file", dossier.pk, receipt.pk))["Content-Type"] == "application/pdf"

    response = client.post(
        url("supply", dossier.pk),
        {
            "note": "Đã nộp bản án.",
            "file_ban-an-ly-hon": SimpleUploadedFile("ban-an.pdf", sample_pdf("Bản án")),
        },
    )
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == "processing"
    assert list(dossier.files.filter(kind="component").values_list("component", flat=True)) == [
        "to-khai",
        "ban-an-ly-hon",
    ]
    event = DossierEvent.objects.filter(dossier=dossier).last()
    assert (event.action, event.note) == ("supply", "Đã nộp bản án.")  # type: ignore[union-attr]


def test_a_refused_supplement_file_changes_nothing(desk: Desk) -> None:
    dossier = services.dossier_request_supplement(
        actor=desk.clerk, dossier=submitted(desk), reason="Thiếu bản án."
    )
    response = login(desk.bride).post(
        url("supply", dossier.pk),
        {"file_ban-an-ly-hon": SimpleUploadedFile("ban-an.pdf", EXE)},
    )
    assert response.status_code == 422
    assert response.context["forms"]["supply"].errors == {
        "file_ban-an-ly-hon": ["Tệp không đúng định dạng cho phép (pdf, jpg, png)."]
    }
    dossier.refresh_from_db()
    assert dossier.status == "supplement"
    assert dossier.files.filter(kind="component").count() == 1


def test_withdraw_needs_a_confirmation(desk: Desk) -> None:
    dossier = submitted(desk)
    client = login(desk.bride)
    response = client.post(url("withdraw", dossier.pk), {"reason": "Nộp nhầm"})
    assert response.status_code == 422
    assert response.context["forms"]["withdraw"].errors == {
        "confirm": ["Hãy đánh dấu xác nhận rút hồ sơ."]
    }
    dossier.refresh_from_db()
    assert dossier.status == "submitted"
    response = client.post(url("withdraw", dossier.pk), {"reason": "Nộp nhầm", "confirm": "on"})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == "withdrawn"
    assert "withdraw" not in client.get(url("track", dossier.pk)).context["forms"]


def test_rating_only_when_finished(desk: Desk) -> None:
    dossier = submitted(desk)
    client = login(desk.bride)
    assert "rate" not in client.get(url("track", dossier.pk)).context["forms"]
    response = client.post(url("rate", dossier.pk), {"rating": "5"})
    assert response.status_code == 409
    dossier.refresh_from_db()
    assert dossier.rating is None

    services.dossier_reject(actor=desk.clerk, dossier=dossier, reason="Không thuộc thẩm quyền.")
    page = client.get(url("track", dossier.pk))
    form = page.context["forms"]["rate"]
    assert [label for _value, label in form.fields["rating"].choices] == [
        "1 — Rất không hài lòng",
        "2 — Không hài lòng",
        "3 — Bình thường",
        "4 — Hài lòng",
        "5 — Rất hài lòng",
    ]
    assert '<label for="id_rating_4">5 — Rất hài lòng</label>' in page.content.decode()
    assert client.post(url("rate", dossier.pk), {"rating": "9"}).status_code == 422
    response = client.post(url("rate", dossier.pk), {"rating": "4", "comment": "Rõ ràng"})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert (dossier.rating, dossier.rating_comment) == (4, "Rõ ràng")
    assert client.post(url("rate", dossier.pk), {"rating": "5"}).status_code == 409
    dossier.refresh_from_db()
    assert dossier.rating == 4


# --- mine and the wallet -----------------------------------------------------------------------


def test_my_dossiers_and_notices(desk: Desk) -> None:
    dossier = submitted(desk)
    draft = draft_of(desk)
    client = login(desk.bride)
    response = client.get(url("mine"))
    assert [(r.dossier, r.status_label) for r in response.context["rows"]] == [
        (draft, "Bản nháp"),
        (dossier, "Đã nộp, chờ tiếp nhận"),
    ]
    notice = Notice.objects.get(user=desk.bride)
    assert [n.text for n in response.context["notices"]] == [notice.text]
    assert response.context["unread"] == {notice.pk}
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert client.get(url("mine")).context["unread"] == set()


def returned(desk: Desk) -> Dossier:
    """A finished marriage registration with its signed result, as the wallet holds it."""
    dossier = submitted(desk)
    Dossier.objects.filter(pk=dossier.pk).update(
        status="returned", result_pdf=sample_pdf("Kết quả")
    )
    dossier.refresh_from_db()
    return dossier


def test_the_wallet_and_the_result(desk: Desk) -> None:
    dossier = returned(desk)
    client = login(desk.bride)
    assert list(client.get(url("wallet")).context["results"]) == [dossier]
    page = client.get(url("track", dossier.pk))
    assert "Tải kết quả (PDF có chữ ký số)" in page.content.decode()
    response = client.get(url("result", dossier.pk))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="ket-qua-{dossier.code}.pdf"'
    assert response.content == bytes(dossier.result_pdf or b"")
    assert (
        login(citizen("001095000001", full_name="Lê Văn C")).get(url("wallet")).context["results"]
        == []
    )


def test_a_wallet_result_is_attached_without_uploading(desk: Desk) -> None:
    source = returned(desk)
    dossier = draft_of(desk)
    client = login(desk.bride)
    form = client.get(url("draft", dossier.pk)).context["form"]
    assert [c[0] for c in form.fields["wallet_xac-nhan-hon-nhan"].choices] == ["", source.code]
    response = client.post(
        url("draft", dossier.pk), {"action": "save", "wallet_xac-nhan-hon-nhan": source.code}
    )
    assert response.status_code == 302
    attached = dossier.files.get()
    assert (attached.component, attached.from_dossier) == ("xac-nhan-hon-nhan", source)
    response = client.post(
        url("draft", dossier.pk), {"action": "save", "wallet_xac-nhan-hon-nhan": "khong-co"}
    )
    assert response.status_code == 422
    assert dossier.files.count() == 1
