"""The one-stop forms 01–07 (Circular 03/2025, Appendix I) read back from the PDF with pypdf:
header, title, dossier code, applicant, appointment, reasons, the control slip's hand-offs
and the register's rows; A4 (07 landscape); equal input, equal bytes; long content runs
onto further pages; only Noto Serif is embedded; the seal's box on form 01 stays empty."""

from __future__ import annotations

import io
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from typing import cast

import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject
from reportlab.pdfbase import pdfmetrics

from thudo.core import fonts
from thudo.procedures import forms_pdf
from thudo.procedures.forms_pdf import Component, ControlStep, FormContext, RegisterRow

A4_PORTRAIT = [0.0, 0.0, 595.28, 841.89]
A4_LANDSCAPE = [0.0, 0.0, 841.89, 595.28]
CODE = "000.00.53.H48-261202-0099"
HANOI = timezone(timedelta(hours=7))


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A moment given in Vietnam's time, stored in UTC as the database gives it back."""
    return datetime(year, month, day, hour, minute, tzinfo=HANOI).astimezone(UTC)


def context(form: str = "01", **changes: object) -> FormContext:
    values: dict[str, object] = {
        "form": form,
        "agency_name": "Ủy ban nhân dân Phường Ba Đình",
        "parent_agency_name": "ỦY BAN NHÂN DÂN THÀNH PHỐ HÀ NỘI",
        "place": "Hà Nội",
        "dossier_code": CODE,
        "procedure_name": "Đăng ký hộ kinh doanh",
        "applicant_name": "Nguyễn Thị Ánh Tuyết",
        "applicant_id": "001186012345",
        "applicant_address": "Số 12 phố Đội Cấn, Phường Ba Đình, Hà Nội",
        "applicant_phone": "0912345678",
        "applicant_email": "tuyet@example.vn",
        "received_at": at(2026, 12, 2, 9, 15),
        "due_at": at(2026, 12, 7, 14, 30),
        "new_due_at": at(2026, 12, 10, 10, 0),
        "components": (
            Component("Giấy đề nghị đăng ký hộ kinh doanh"),
            Component("Bản sao Căn cước của chủ hộ", "2 bản"),
        ),
        "reason": "Thiếu bản sao giấy tờ pháp lý của chủ hộ kinh doanh.",
        "official_name": "Đặng Văn Hùng",
        "official_title": "Cán bộ tiếp nhận",
        "channel": "counter",
        "steps": (
            ControlStep(
                "Bộ phận Một cửa",
                "Phòng Kinh tế",
                at(2026, 12, 2, 10, 0),
                date(2026, 12, 4),
                "Đúng hạn",
            ),
            ControlStep(
                "Phòng Kinh tế",
                "Lãnh đạo Ủy ban",
                at(2026, 12, 4, 16, 45),
                date(2026, 12, 7),
                "Trước hạn",
                "Trình ký",
            ),
        ),
        "rows": (
            RegisterRow(
                CODE,
                "Nguyễn Thị Ánh Tuyết",
                "Đăng ký hộ kinh doanh",
                at(2026, 12, 2, 9, 15),
                at(2026, 12, 7, 14, 30),
                None,
                "Đang giải quyết",
            ),
            RegisterRow(
                "000.00.53.H48-261202-0100",
                "Đặng Quốc Bảo",
                "Cấp bản sao trích lục hộ tịch",
                at(2026, 12, 2, 10, 5),
                at(2026, 12, 3, 10, 5),
                at(2026, 12, 3, 8, 0),
                "Đã trả kết quả",
            ),
        ),
        "issued_at": at(2026, 12, 2, 9, 16),
    }
    values.update(changes)
    return FormContext(**values)  # type: ignore[arg-type]


def words(text: str) -> str:
    """Text with line breaks and runs of spaces folded, as one line (NFC)."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def read(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def text_of(pdf: bytes) -> str:
    return " ".join(words(page.extract_text()) for page in read(pdf).pages)


def mediabox(pdf: bytes, page: int = 0) -> list[float]:
    return [round(float(v), 2) for v in read(pdf).pages[page].mediabox]


HEADER = [
    "ỦY BAN NHÂN DÂN THÀNH PHỐ HÀ NỘI",
    "ỦY BAN NHÂN DÂN PHƯỜNG BA ĐÌNH",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "Hà Nội, ngày 02 tháng 12 năm 2026",
]
TITLES = {
    "01": "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
    "02": "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
    "03": "PHIẾU TỪ CHỐI TIẾP NHẬN, GIẢI QUYẾT HỒ SƠ",
    "04": "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
    "05": "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ",
    "06": "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
    "07": "SỔ THEO DÕI HỒ SƠ",
}


@pytest.mark.parametrize("form", ["01", "02", "03", "04", "05", "06"])
def test_portrait_forms_have_the_header_title_and_dossier_code(form: str) -> None:
    pdf = forms_pdf.render(context(form))

    assert pdf.startswith(b"%PDF-")
    assert mediabox(pdf) == A4_PORTRAIT
    text = text_of(pdf)
    for expected in [*HEADER, TITLES[form], f"Mã hồ sơ: {CODE}", "Nguyễn Thị Ánh Tuyết"]:
        assert expected in text, expected
    metadata = read(pdf).metadata
    assert metadata is not None
    assert metadata.title == TITLES[form]


def test_the_titles_are_those_of_the_circular() -> None:
    assert forms_pdf.TITLES == TITLES


def test_form_01_lists_the_components_and_the_appointment() -> None:
    pdf = forms_pdf.render(context("01"))

    text = text_of(pdf)
    assert len(read(pdf).pages) == 1
    for expected in [
        "Bộ phận Một cửa Ủy ban nhân dân Phường Ba Đình tiếp nhận hồ sơ của: Nguyễn Thị Ánh Tuyết",
        "Số định danh cá nhân: 001186012345",
        "Địa chỉ: Số 12 phố Đội Cấn, Phường Ba Đình, Hà Nội",
        "Số điện thoại: 0912345678 Email: tuyet@example.vn",
        "Nội dung yêu cầu giải quyết: Đăng ký hộ kinh doanh",
        "1. Thành phần hồ sơ nộp gồm: TT Tên giấy tờ Số lượng "
        "1 Giấy đề nghị đăng ký hộ kinh doanh 1 bản 2 Bản sao Căn cước của chủ hộ 2 bản",
        "2. Hình thức nộp hồ sơ: Trực tiếp tại Bộ phận Một cửa",
        "3. Thời gian nhận hồ sơ: 09 giờ 15 phút, ngày 02 tháng 12 năm 2026",
        "4. Thời gian trả kết quả giải quyết hồ sơ: 14 giờ 30 phút, ngày 07 tháng 12 năm 2026",
        "NGƯỜI NỘP HỒ SƠ (Ký và ghi rõ họ tên) Nguyễn Thị Ánh Tuyết",
        "CÁN BỘ TIẾP NHẬN (Ký và ghi rõ họ tên) Đặng Văn Hùng",
    ]:
        assert expected in text, expected


def test_form_01_online_has_no_applicant_signature() -> None:
    text = text_of(forms_pdf.render(context("01", channel="online")))

    assert "2. Hình thức nộp hồ sơ: Trực tuyến" in text
    assert "NGƯỜI NỘP HỒ SƠ" not in text
    assert "CÁN BỘ TIẾP NHẬN (Ký và ghi rõ họ tên) Đặng Văn Hùng" in text


def test_times_are_shown_in_vietnam_time_and_dates_as_decree_30_writes_them() -> None:
    # 18:05 UTC on 4 March is 01:05 on 5 March in Hà Nội; months 1 and 2 take a 0, others not.
    pdf = forms_pdf.render(
        context(
            "01",
            received_at=datetime(2026, 2, 3, 1, 0, tzinfo=UTC),
            due_at=datetime(2026, 3, 4, 18, 5, tzinfo=UTC),
            issued_at=datetime(2026, 2, 3, 1, 1, tzinfo=UTC),
        )
    )

    text = text_of(pdf)
    assert "Hà Nội, ngày 03 tháng 02 năm 2026" in text
    assert "3. Thời gian nhận hồ sơ: 08 giờ 00 phút, ngày 03 tháng 02 năm 2026" in text
    assert (
        "4. Thời gian trả kết quả giải quyết hồ sơ: 01 giờ 05 phút, ngày 05 tháng 3 năm 2026"
        in (text)
    )


def test_a_missing_appointment_is_the_printed_blank() -> None:
    text = text_of(forms_pdf.render(context("01", due_at=None)))

    assert "4. Thời gian trả kết quả giải quyết hồ sơ: … giờ … phút, ngày … tháng … năm …" in text


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        forms_pdf.render(context("01", due_at=datetime(2026, 12, 7, 14, 30)))


def test_an_unknown_form_is_refused() -> None:
    with pytest.raises(ValueError, match="08"):
        forms_pdf.render(context("08"))


def test_form_02_says_what_to_supplement() -> None:
    text = text_of(
        forms_pdf.render(context("02", reason="Bổ sung bản sao sổ đỏ.\nKý lại tờ khai."))
    )

    for expected in [
        "Hồ sơ của: Nguyễn Thị Ánh Tuyết",
        "Yêu cầu bổ sung, hoàn thiện hồ sơ gồm những nội dung sau: "
        "Bổ sung bản sao sổ đỏ. Ký lại tờ khai.",
        "CÁN BỘ TIẾP NHẬN (Ký và ghi rõ họ tên) Đặng Văn Hùng",
    ]:
        assert expected in text, expected


def test_form_03_says_why_it_is_refused() -> None:
    reason = "Thủ tục không thuộc thẩm quyền giải quyết của Ủy ban nhân dân Phường."
    text = text_of(forms_pdf.render(context("03", reason=reason)))

    assert (
        "thông báo không tiếp nhận, giải quyết hồ sơ này với lý do cụ thể như sau: "
        f"{reason} Xin thông báo để Ông/Bà được biết và thực hiện./." in text
    )


def test_form_04_apologises_and_gives_the_new_date() -> None:
    reason = "Cần xác minh thêm thông tin với cơ quan thuế."
    text = text_of(forms_pdf.render(context("04", reason=reason)))

    for expected in [
        "Kính gửi: Ông/Bà Nguyễn Thị Ánh Tuyết",
        "Ngày 02 tháng 12 năm 2026, Ủy ban nhân dân Phường Ba Đình tiếp nhận hồ sơ của Ông/Bà "
        f"về việc Đăng ký hộ kinh doanh, mã hồ sơ {CODE}.",
        "Thời gian hẹn trả kết quả giải quyết hồ sơ: 14 giờ 30 phút, ngày 07 tháng 12 năm 2026.",
        f"Lý do: {reason}",
        "hẹn lại thời gian trả kết quả giải quyết hồ sơ: "
        "10 giờ 00 phút, ngày 10 tháng 12 năm 2026.",
        "Nơi nhận: - Như trên;",
    ]:
        assert expected in text, expected


def test_form_05_says_why_processing_stopped() -> None:
    reason = "Người nộp hồ sơ đề nghị dừng giải quyết."
    text = text_of(forms_pdf.render(context("05", reason=reason)))

    assert (
        "Ủy ban nhân dân Phường Ba Đình thông báo dừng giải quyết hồ sơ của Ông/Bà về việc "
        f"Đăng ký hộ kinh doanh, mã hồ sơ {CODE}, tiếp nhận ngày 02 tháng 12 năm 2026." in text
    )
    assert f"Lý do dừng giải quyết hồ sơ: {reason}" in text


def test_form_06_tables_the_hand_offs() -> None:
    text = text_of(forms_pdf.render(context("06")))

    for expected in [
        "(Kèm theo Giấy tiếp nhận hồ sơ và hẹn trả kết quả)",
        "Thời gian trả kết quả giải quyết hồ sơ: 14 giờ 30 phút, ngày 07 tháng 12 năm 2026",
        "STT Giao, nhận hồ sơ Thời gian giao, nhận Hạn xử lý Kết quả giải quyết Ghi chú",
        "1 Giao: Bộ phận Một cửa Nhận: Phòng Kinh tế 10:00 02/12/2026 04/12/2026 Đúng hạn",
        "2 Giao: Phòng Kinh tế Nhận: Lãnh đạo Ủy ban 16:45 04/12/2026 07/12/2026 Trước hạn "
        "Trình ký",
    ]:
        assert expected in text, expected


def test_form_07_is_a_landscape_register() -> None:
    pdf = forms_pdf.render(context("07"))

    assert mediabox(pdf) == A4_LANDSCAPE
    text = text_of(pdf)
    metadata = read(pdf).metadata
    assert metadata is not None
    assert metadata.title == "SỔ THEO DÕI HỒ SƠ"
    for expected in [
        *HEADER,
        "SỔ THEO DÕI HỒ SƠ",
        "STT Mã hồ sơ Tổ chức, cá nhân Thủ tục hành chính Nhận hồ sơ Hẹn trả kết quả "
        "Có kết quả Tình trạng",
        f"1 {CODE} Nguyễn Thị Ánh Tuyết Đăng ký hộ kinh doanh 09:15 02/12/2026 "
        "14:30 07/12/2026 Đang giải quyết",
        "2 000.00.53.H48-261202-0100 Đặng Quốc Bảo Cấp bản sao trích lục hộ tịch "
        "10:05 02/12/2026 10:05 03/12/2026 08:00 03/12/2026 Đã trả kết quả",
    ]:
        assert expected in text, expected


def test_a_long_register_repeats_its_heading_on_every_page() -> None:
    rows = tuple(
        RegisterRow(
            f"000.00.53.H48-261202-{n:04d}", f"Đặng Thị Người Nộp {n}", "Đăng ký hộ kinh doanh",
            at(2026, 12, 2, 9, 15), None, None, "Đang giải quyết",
        )
        for n in range(1, 121)
    )  # fmt: skip
    pdf = forms_pdf.render(context("07", rows=rows))

    pages = [words(page.extract_text()) for page in read(pdf).pages]
    assert len(pages) > 2
    assert all(mediabox(pdf, n) == A4_LANDSCAPE for n in range(len(pages)))
    assert all("STT Mã hồ sơ Tổ chức, cá nhân" in page for page in pages)
    text = " ".join(pages)
    assert all(f"000.00.53.H48-261202-{n:04d}" in text for n in range(1, 121))


def test_equal_input_gives_equal_bytes() -> None:
    for form in TITLES:
        assert forms_pdf.render(context(form)) == forms_pdf.render(context(form)), form
    assert forms_pdf.render(context("01")) != forms_pdf.render(context("01", dossier_code="X"))


def test_a_long_reason_runs_onto_further_pages() -> None:
    paragraph = (
        "Hồ sơ còn thiếu bản sao có chứng thực giấy chứng nhận quyền sử dụng đất, quyền sở "
        "hữu nhà ở và tài sản khác gắn liền với đất của hộ gia đình, cá nhân. "
    )
    one_block = paragraph * 40  # a single paragraph taller than a page
    for form in ("02", "03", "04", "05"):
        for reason in (one_block, "\n".join(f"{n}. {paragraph}" for n in range(1, 60))):
            pdf = forms_pdf.render(context(form, reason=reason))

            reader = read(pdf)
            assert len(reader.pages) > 1, form
            assert all(mediabox(pdf, n) == A4_PORTRAIT for n in range(len(reader.pages)))
            assert "Đặng Văn Hùng" in words(reader.pages[-1].extract_text())
            assert words(paragraph) in text_of(pdf)


def test_a_long_component_list_runs_on_and_leaves_the_seal_box_empty() -> None:
    components = tuple(
        Component(f"Bản sao giấy tờ chứng minh số {n} của Nguyễn Thị Ánh Tuyết", f"{n} bản")
        for n in range(1, 81)
    )
    pdf = forms_pdf.render(context("01", components=components))

    reader = read(pdf)
    assert len(reader.pages) > 1
    text = text_of(pdf)
    assert all(
        f"{n} Bản sao giấy tờ chứng minh số {n} của Nguyễn Thị Ánh Tuyết {n} bản" in text
        for n in range(1, 81)
    )
    assert "4. Thời gian trả kết quả giải quyết hồ sơ: 14 giờ 30 phút" in text
    assert text_inside(reader, forms_pdf.SEAL_BOX_01) == []
    assert "Đặng Văn Hùng" in words(reader.pages[0].extract_text())


def text_inside(reader: PdfReader, box: tuple[float, float, float, float]) -> list[str]:
    """The text drawn with its origin inside ``box`` on page 1."""
    x1, y1, x2, y2 = box
    found: list[str] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        if text.strip() and x1 <= x <= x2 and y1 <= y <= y2:
            found.append(text)

    reader.pages[0].extract_text(visitor_text=visit)
    return found


def test_the_seal_box_is_at_the_bottom_right_of_page_one_between_title_and_name() -> None:
    x1, y1, x2, y2 = forms_pdf.SEAL_BOX_01
    width, height = A4_PORTRAIT[2], A4_PORTRAIT[3]
    assert width / 2 < x1 < x2 < width and 0 < y1 < y2 < height / 3
    assert (x2 - x1, y2 - y1) >= (150, 60)
    # The title is above the box and the name below it, nothing inside.
    reader = read(forms_pdf.render(context("01")))
    assert text_inside(reader, forms_pdf.SEAL_BOX_01) == []
    assert text_inside(reader, (x1, y2, x2, y2 + 60)) != []
    assert text_inside(reader, (x1, y1 - 30, x2, y1)) != []


def test_vietnamese_names_keep_their_letters_and_only_noto_serif_is_embedded() -> None:
    names = ["Nguyễn Thị Ánh Tuyết", "Đặng Hữu Phước", "Trương Thị Ỷ Lan", "Lê Ưng Vũ Quỳnh"]
    fonts.register()
    for font_name in (fonts.REGULAR, fonts.BOLD, fonts.ITALIC, fonts.BOLD_ITALIC):
        face = pdfmetrics.getFont(font_name).face
        missing = {c for name in names for c in name if c != " " and ord(c) not in face.charToGlyph}
        assert missing == set(), font_name
    for form in TITLES:
        pdf = forms_pdf.render(context(form, applicant_name=names[0], official_name=names[1]))

        text = text_of(pdf)
        # The register shows its rows' names; the control slip has no signature block.
        shown = {"06": [names[0]], "07": ["Nguyễn Thị Ánh Tuyết", "Đặng Quốc Bảo"]}
        for name in shown.get(form, names[:2]):
            assert name in text, (form, name)
        reader = read(pdf)
        embedded = set()
        for page in reader.pages:
            resources = cast(DictionaryObject, page["/Resources"])
            for font in cast(DictionaryObject, resources["/Font"]).values():
                font = font.get_object()
                assert "/FontFile2" in font.get("/FontDescriptor", {}), font["/BaseFont"]
                embedded.add(str(font["/BaseFont"]).split("+", 1)[1])
        assert embedded <= {
            "NotoSerif-Regular",
            "NotoSerif-Bold",
            "NotoSerifItalic-Italic",
            "NotoSerifItalic-BoldItalic",
        }
        assert "NotoSerif-Regular" in embedded


def test_markup_in_the_input_is_printed_as_text() -> None:
    text = text_of(forms_pdf.render(context("03", reason="Thiếu <b>tờ khai</b> & chữ ký")))

    assert "Thiếu <b>tờ khai</b> & chữ ký" in text
