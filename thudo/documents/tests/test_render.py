"""The Decree 30 layout of every document type, read back from the PDF with pypdf: the
national name and motto, the issuer, the type and summary (letters: "V/v …"), the body,
the signer's lines and the recipients; the blanks for number and date as form fields;
where the layout says they are, inside the A4 page, the signature on the last page."""

from __future__ import annotations

import io
import unicodedata
from datetime import date

import pytest
from pypdf import PdfReader

from thudo.documents import render
from thudo.documents.contracts import DOCUMENT_TYPES

A4_WIDTH, A4_HEIGHT = 595.2756, 841.8898
LETTERS = {"CV", "THC"}


def draft(type_code: str = "QD", **changes: object) -> render.Draft:
    values: dict[str, object] = {
        "type_code": type_code,
        "summary": "Về việc kiện toàn Tổ công tác chuyển đổi số cộng đồng",
        "body": (
            "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;\n\n"
            "Điều 1. Kiện toàn Tổ công tác chuyển đổi số cộng đồng phường.\n\n"
            "Điều 2. Quyết định này có hiệu lực kể từ ngày ký."
        ),
        "issuer_name": "Ủy ban nhân dân Phường Ba Đình",
        "issuer_short": "UBND",
        "parent_name": "Ủy ban nhân dân Thành phố Hà Nội",
        "signer_authority": "TM. Ủy ban nhân dân",
        "signer_position": "Chủ tịch",
        "signer_name": "Đặng Thị Hương",
        "recipients": ["Ủy ban nhân dân Phường Ngọc Hà", "Sở Tư pháp", "Lưu: VT"],
    }
    values.update(changes)
    return render.Draft(**values)  # type: ignore[arg-type]


def words(text: str) -> str:
    """Text with line breaks and runs of spaces folded, as one line (NFC)."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def pages_text(pdf: bytes) -> list[str]:
    return [words(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def inside_a4(box: render.Box) -> bool:
    x0, y0, x1, y1 = box
    return 0 <= x0 < x1 <= A4_WIDTH and 0 <= y0 < y1 <= A4_HEIGHT


def test_there_are_29_types() -> None:
    assert len(DOCUMENT_TYPES) == 29


@pytest.mark.parametrize("type_code", list(DOCUMENT_TYPES))
def test_every_type_renders_with_the_decree_30_elements(type_code: str) -> None:
    pdf, layout = render.render(draft(type_code))
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == layout.pages == 1
    page = reader.pages[0]
    assert [round(float(v), 2) for v in page.mediabox] == [0, 0, 595.28, 841.89]
    text = pages_text(pdf)[0]
    type_name, abbreviation = DOCUMENT_TYPES[type_code]
    expected = [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "ỦY BAN NHÂN DÂN THÀNH PHỐ HÀ NỘI",
        "ỦY BAN NHÂN DÂN PHƯỜNG BA ĐÌNH",
        "Số:",
        f"/{abbreviation}-UBND" if abbreviation else "/UBND",
        "Hà Nội, ngày",
        "tháng",
        "năm",
        "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
        "Điều 1. Kiện toàn Tổ công tác chuyển đổi số cộng đồng phường.",
        "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.",
        "Nơi nhận:",
        "- Ủy ban nhân dân Phường Ngọc Hà;",
        "- Sở Tư pháp;",
        "- Lưu: VT.",
        "TM. ỦY BAN NHÂN DÂN",
        "CHỦ TỊCH",
        "Đặng Thị Hương",
    ]
    if type_code in LETTERS:
        expected.append("V/v Về việc kiện toàn Tổ công tác chuyển đổi số cộng đồng")
        assert type_name.upper() not in text
    else:
        expected += [
            type_name.upper(),
            "Về việc kiện toàn Tổ công tác chuyển đổi số cộng đồng",
        ]
        assert "V/v" not in text
    missing = [piece for piece in expected if piece not in text]
    assert missing == [], text
    # The signer's lines come in Decree 30's order, below the body.
    order = [text.index(p) for p in ("Điều 2.", "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Đặng Thị")]
    assert order == sorted(order)
    # Nothing is filled in yet: the blanks are empty form fields.
    fields = reader.get_fields() or {}
    assert {name: fields[name].get("/V") for name in render.FIELDS} == dict.fromkeys(
        render.FIELDS, ""
    )
    for box in (layout.number[1], layout.date[1], layout.signature[1]):
        assert inside_a4(box), box
    assert layout.signature[0] == 0


def test_the_layout_is_where_the_blanks_and_the_signature_are() -> None:
    pdf, layout = render.render(draft())
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    annotations = [a.get_object() for a in page.annotations or []]
    rects = {str(a["/T"]): tuple(round(float(v)) for v in a["/Rect"]) for a in annotations}
    assert set(rects) == {"so", "ngay", "thang", "nam"}
    assert rects["so"] == layout.number[1]
    assert rects["ngay"] == layout.date[1]
    # Number on the issuer's side (left), date under the motto (right), in one line.
    assert rects["so"][2] < A4_WIDTH / 2 < rects["ngay"][0]
    assert rects["ngay"][1] == rects["thang"][1] == rects["nam"][1]
    assert rects["ngay"][0] < rects["thang"][0] < rects["nam"][0]
    # The signature block is 80 × 30 mm, on the right, below the header.
    x0, y0, x1, y1 = layout.signature[1]
    assert (x1 - x0, y1 - y0) == (227, 85)
    assert x0 > A4_WIDTH / 3 and y1 < rects["so"][1]


def test_filling_the_blanks_writes_the_number_and_the_date() -> None:
    pdf, _layout = render.render(draft())
    filled = render.fill_number_and_date(pdf, number=7, day=date(2026, 3, 2))
    assert filled.startswith(pdf)  # an incremental update: the signed bytes stay as they were
    fields = PdfReader(io.BytesIO(filled)).get_fields() or {}
    assert {name: fields[name].get("/V") for name in render.FIELDS} == {
        "so": "07",
        "ngay": "02",
        "thang": "03",
        "nam": "2026",
    }
    assert render.fill_number_and_date(pdf, number=123, day=date(2026, 12, 31)) != filled


def test_a_long_body_spreads_over_pages_and_the_signature_is_on_the_last() -> None:
    body = "\n\n".join(
        f"Điều {n}. Ủy ban nhân dân phường giao các bộ phận chuyên môn phối hợp triển khai "
        "nhiệm vụ chuyển đổi số, báo cáo kết quả thực hiện định kỳ hằng tháng, hằng quý."
        for n in range(1, 61)
    )
    pdf, layout = render.render(draft(body=body))
    texts = pages_text(pdf)
    assert len(texts) == layout.pages >= 3
    assert layout.signature[0] == layout.pages - 1
    assert inside_a4(layout.signature[1])
    assert (layout.number[0], layout.date[0]) == (0, 0)  # number and date on the first page
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in texts[0]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" not in texts[-1]
    everything = " ".join(texts)
    assert all(f"Điều {n}. Ủy ban nhân dân" in everything for n in range(1, 61))
    assert "Đặng Thị Hương" in texts[-1] and "Nơi nhận:" in texts[-1]
    assert all("Đặng Thị Hương" not in t for t in texts[:-1])


def test_confidential_and_urgency_marks_appear() -> None:
    for confidential, urgency, mark in [
        (True, "", "MẬT"),
        (False, "Khẩn", "KHẨN"),
        (False, "Thượng khẩn", "THƯỢNG KHẨN"),
        (True, "Hỏa tốc", "MẬT HỎA TỐC"),
    ]:
        text = pages_text(render.render(draft(confidential=confidential, urgency=urgency))[0])[0]
        assert text.startswith(mark + " "), text[:40]
    plain = pages_text(render.render(draft())[0])[0]
    assert plain.startswith("ỦY BAN NHÂN DÂN THÀNH PHỐ HÀ NỘI")
    assert "MẬT" not in plain and "KHẨN" not in plain


def test_without_a_parent_or_authority_those_lines_are_left_out() -> None:
    text = pages_text(
        render.render(draft(parent_name="", signer_authority="", signer_position="Giám đốc"))[0]
    )[0]
    assert "THÀNH PHỐ HÀ NỘI" not in text and "TM." not in text
    assert text.startswith("ỦY BAN NHÂN DÂN PHƯỜNG BA ĐÌNH")
    assert "GIÁM ĐỐC Đặng Thị Hương" in text


def test_text_that_looks_like_markup_is_printed_as_written() -> None:
    text = pages_text(
        render.render(draft(summary="Về việc <b>thử</b> & kiểm tra", body="Giá trị < 5 & > 2"))[0]
    )[0]
    assert "Về việc <b>thử</b> & kiểm tra" in text
    assert "Giá trị < 5 & > 2" in text
