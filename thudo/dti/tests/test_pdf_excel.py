"""The DTI documents: the self-assessment report and the results as PDF (read back with
poppler's pdftotext, the seal checked by the platform's validator and by pdfsig), the
results as an Excel workbook (read back with openpyxl)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.utils import timezone

from thudo.dti import excel, pdf, selectors, services
from thudo.dti.contracts import IndexTotal, RoundResults, UnitResult
from thudo.dti.models import Round, RoundUnit
from thudo.dti.tests.factories import Dti, fill
from thudo.dti.tests.test_api import published, submitted
from thudo.signing import facade as signing
from thudo.signing.tests.factories import pki  # noqa: F401 - the PKI fixture

pytestmark = pytest.mark.django_db

A = ("000.01.50.H26", "Ủy ban nhân dân Phường Ba Đình")
B = ("000.02.50.H26", "Ủy ban nhân dân Phường Ngọc Hà")


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (apt install poppler-utils libnss3-tools)")
    return found


def text(content: bytes, tmp_path: Path, *, layout: bool = False) -> str:
    """What pdftotext reads; without ``layout`` with the whitespace collapsed."""
    path = tmp_path / "file.pdf"
    path.write_bytes(content)
    args = [_tool("pdftotext"), *(["-layout"] if layout else []), str(path), "-"]
    done = subprocess.run(args, capture_output=True, text=True, check=True, timeout=60)
    return done.stdout if layout else " ".join(done.stdout.split())


def fonts_of(content: bytes, tmp_path: Path) -> set[str]:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(content)
    done = subprocess.run(
        [_tool("pdffonts"), str(path)], capture_output=True, text=True, check=True, timeout=60
    )
    return {line.split()[0].split("+")[-1] for line in done.stdout.splitlines()[2:]}


def _day(moment: Any = None) -> str:
    day = timezone.localdate(moment) if moment else timezone.localdate()
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"Hà Nội, ngày {day.day:02d} tháng {month} năm {day.year}"


def last_year(dti: Dti) -> Round:
    """Last year's round of the same framework, published: ward A had 80 of 100 points."""
    earlier = Round.objects.create(
        framework=dti.framework,
        year=2025,
        name="Đánh giá chuyển đổi số cấp xã năm 2025",
        status="published",
        standing_body=dti.standing_body,
        published_at=timezone.now() - timedelta(days=300),
    )
    RoundUnit.objects.create(
        round=earlier,
        agency=dti.city.commune_a,
        status="final",
        final_points=Decimal(80),
        max_points=Decimal(100),
    )
    return earlier


# --- the self-assessment ---------------------------------------------------------------------


def test_the_self_assessment_report_has_every_sub_index_and_the_totals(
    dti: Dti, tmp_path: Path
) -> None:
    fill(dti, dti.unit_a, dti.assessor_a, signed="60")
    content = pdf.self_assessment(dti.unit_a, signer_name="Nguyễn Thị Bình")
    assert content.startswith(b"%PDF-")
    read = text(content, tmp_path)
    for expected in (
        "ỦY BAN NHÂN DÂN THÀNH PHỐ HÀ NỘI ỦY BAN NHÂN DÂN PHƯỜNG BA ĐÌNH",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc",
        _day(),
        "BÁO CÁO KẾT QUẢ TỰ ĐÁNH GIÁ CHỈ SỐ CHUYỂN ĐỔI SỐ NĂM 2026",
        "Kính gửi: Sở Khoa học và Công nghệ",
        "Thực hiện đợt “Đánh giá chuyển đổi số cấp xã năm 2026” theo Bộ chỉ số chuyển đổi số "
        "cấp xã (thử nghiệm), Ủy ban nhân dân Phường Ba Đình báo cáo kết quả tự đánh giá",
        "Tổng điểm tự đánh giá: 81,67/100 điểm; giá trị chỉ số: 0,8167.",
        "Chỉ số chính 1. Nhận thức số: 25/30 điểm.",
        "Chỉ số chính 2. Chính quyền số: 56,67/70 điểm.",
        pdf.FLAG_NOTE,
        "THỦ TRƯỞNG ĐƠN VỊ (Ký, ghi rõ họ tên và đóng dấu) Nguyễn Thị Bình",
    ):
        assert expected in read, expected
    rows = " ".join(text(content, tmp_path, layout=True).split())
    for row in (
        "A. Nền tảng 1 Nhận thức số 30 25",
        "1.1 Ban hành kế hoạch chuyển 10 Có 10",
        "1.2 Tuyên truyền về chuyển đổi 20 15 12 tin bài",
        "2 Chính quyền số 70 56,67",
        "2.1 Tỷ lệ hồ sơ trực tuyến toàn 30 85 % 30 —",
        "2.2 Tỷ lệ văn bản đi được ký số 40 60 % 26,67 72,5 %",
        "Tổng cộng 100 81,67",
    ):
        assert row in rows, row
    assert fonts_of(content, tmp_path) == {
        "NotoSerif-Regular",
        "NotoSerif-Bold",
        "NotoSerifItalic-Italic",
        "NotoSerifItalic-BoldItalic",
    }
    # Equal inputs, equal bytes: the signed copy can be compared with a fresh one.
    assert pdf.self_assessment(dti.unit_a, signer_name="Nguyễn Thị Bình") == content


def test_the_report_names_the_leader_who_approved_it_and_its_date(dti: Dti, tmp_path: Path) -> None:
    submitted(dti)
    unit = RoundUnit.objects.select_related("round__framework", "agency", "approved_by").get(
        pk=dti.unit_a.pk
    )
    read = text(pdf.self_assessment(unit), tmp_path)
    assert _day(unit.submitted_at) in read
    assert f"(Ký, ghi rõ họ tên và đóng dấu) {dti.leader_a.full_name}" in read
    assert "Tổng điểm tự đánh giá: 87/100 điểm; giá trị chỉ số: 0,8700." in read
    assert pdf.FLAG_NOTE not in read


# --- the results -----------------------------------------------------------------------------


def test_the_results_rank_the_units_with_last_years_change(
    dti: Dti, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    last_year(dti)
    round_ = published(dti, monkeypatch)
    content = pdf.results(round_, selectors.results(round_=round_))
    read = text(content, tmp_path)
    for expected in (
        "ỦY BAN NHÂN DÂN THÀNH PHỐ HÀ NỘI SỞ KHOA HỌC VÀ CÔNG NGHỆ",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc",
        _day(round_.published_at),
        "KẾT QUẢ ĐÁNH GIÁ, XẾP HẠNG CHỈ SỐ CHUYỂN ĐỔI SỐ NĂM 2026",
        "Đánh giá chuyển đổi số cấp xã năm 2026",
        "Bộ chỉ số: Bộ chỉ số chuyển đổi số cấp xã (thử nghiệm) (mã TEST-XA, phiên bản 1)",
        "Nhóm xếp hạng: Xã, phường",
        "CƠ QUAN THƯỜNG TRỰC SỞ KHOA HỌC VÀ CÔNG NGHỆ",
    ):
        assert expected in read, expected
    assert "tạm tính" not in read
    rows = " ".join(text(content, tmp_path, layout=True).split())
    for row in (
        f"1 {A[0]} {A[1]} 87 100 0,8700 0,8000 +0,0700",
        f"2 {B[0]} {B[1]} 52 100 0,5200 — —",
        "1 Ủy ban nhân dân Phường Ba Đình 25 62 87",
        "2 Ủy ban nhân dân Phường Ngọc Hà 22 30 52",
        "Trung bình 23,5 46 69,5",
    ):
        assert row in rows, row
    # Two main indices make no radar: the table says it all.
    assert "II. ĐIỂM THEO CHỈ SỐ CHÍNH" in read
    assert "Trung bình của nhóm" not in read


def test_results_before_publication_say_they_are_provisional(dti: Dti, tmp_path: Path) -> None:
    submitted(dti)
    read = text(pdf.results(dti.round, selectors.results(round_=dti.round)), tmp_path)
    assert "Kết quả tạm tính, chưa được công bố." in read
    assert _day() in read


def _synthetic(dti: Dti) -> RoundResults:
    """Seven units on five main indices of 80 points each (pure data: no rows needed)."""
    names = ["Nhận thức số", "Thể chế số", "Hạ tầng số", "Nhân lực số", "An toàn thông tin"]
    units = []
    for n in range(7):
        indices = tuple(
            IndexTotal(str(i + 1), names[i], Decimal(70 - 5 * n - i), Decimal(80)) for i in range(5)
        )
        points = sum((t.points for t in indices), Decimal(0))
        value = (points / 400).quantize(Decimal("0.0001"))
        before = Decimal("0.7000") if n % 2 else None
        units.append(
            UnitResult(
                unit_code=f"000.0{n}.60.H26",
                unit_name=f"Ủy ban nhân dân Xã Thử Nghiệm {n + 1}",
                points=points,
                max_points=Decimal(400),
                value=value,
                rank=n + 1,
                previous_value=before,
                change=value - before if before is not None else None,
                indices=indices,
            )
        )
    return RoundResults(
        dti.round.pk, 2026, "TEST-XA", dti.round.name, "Xã, phường", True, tuple(units)
    )


def test_the_radar_shows_the_top_units_and_the_groups_average(dti: Dti, tmp_path: Path) -> None:
    content = pdf.results(dti.round, _synthetic(dti))
    read = text(content, tmp_path)
    assert "II. CÁC CHỈ SỐ CHÍNH (tỷ lệ điểm đạt được so với điểm tối đa)" in read
    assert "III. ĐIỂM THEO CHỈ SỐ CHÍNH" in read
    for label in ("1. Nhận thức số", "3. Hạ tầng số", "5. An toàn thông tin"):
        assert label in read
    # The legend names the top five; the two tables name all seven.
    assert re.findall(r"\d\. Ủy ban nhân dân Xã Thử Nghiệm (\d)", read) == list("12345")
    assert (read.count("Xã Thử Nghiệm 1"), read.count("Xã Thử Nghiệm 7")) == (3, 2)
    assert "Trung bình của nhóm (7 đơn vị)" in read
    rows = " ".join(text(content, tmp_path, layout=True).split())
    assert "1 000.00.60.H26 Ủy ban nhân dân Xã Thử Nghiệm 1 340 400 0,8500 — —" in rows
    assert "2 000.01.60.H26 Ủy ban nhân dân Xã Thử Nghiệm 2 315 400 0,7875 0,7000 +0,0875" in rows
    assert "6 000.05.60.H26 Ủy ban nhân dân Xã Thử Nghiệm 6 215 400 0,5375 0,7000 -0,1625" in rows
    assert "Trung bình 55 54 53 52 51 265" in rows
    assert "Helvetica" not in fonts_of(content, tmp_path)


@pytest.mark.usefixtures("pki")
def test_the_published_results_carry_the_standing_bodys_seal(
    dti: Dti, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    signing.provision_seal(agency_code=dti.standing_body.code)
    round_ = published(dti, monkeypatch)
    results = selectors.results(round_=round_)
    sealed = services.results_pdf(actor=None, round_=round_, results=results)
    report = signing.validate_pdf(sealed)
    assert report.ok, report
    [signature] = report.signatures
    assert (signature.intact, signature.valid, signature.trusted) == (True, True, True)
    assert signature.signer == "Sở Khoa học và Công nghệ"
    # B-LT: the validation data is appended after the signature, an allowed change.
    assert signature.modified_after == "allowed"
    # poppler checks the signature on its own (without our trust store: the maths only).
    nss = tmp_path / "nss"
    nss.mkdir()
    subprocess.run(
        [_tool("certutil"), "-N", "-d", f"sql:{nss}", "--empty-password"], check=True, timeout=60
    )
    path = tmp_path / "sealed.pdf"
    path.write_bytes(sealed)
    done = subprocess.run(
        [_tool("pdfsig"), "-nssdir", f"sql:{nss}", "-no-ocsp", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Signature Validation: Signature is Valid." in done.stdout, done.stdout
    assert f"1 {A[0]} {A[1]} 87 100 0,8700" in " ".join(text(sealed, tmp_path, layout=True).split())


def test_without_a_seal_the_results_are_not_signed(dti: Dti, tmp_path: Path) -> None:
    submitted(dti)
    results = selectors.results(round_=dti.round)
    content = services.results_pdf(actor=dti.standing_head, round_=dti.round, results=results)
    assert content == pdf.results(dti.round, results)
    assert signing.validate_pdf(content).signatures == ()


# --- the workbook ----------------------------------------------------------------------------


def _values(sheet: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def test_the_results_workbook_has_the_ranking_the_main_indices_and_the_details(
    dti: Dti, monkeypatch: pytest.MonkeyPatch
) -> None:
    last_year(dti)
    round_ = published(dti, monkeypatch)
    content = excel.results_workbook(round_, selectors.results(round_=round_))
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Xếp hạng", "Chỉ số chính", "Chi tiết"]

    ranking = book["Xếp hạng"]
    assert _values(ranking) == [
        ("Hạng", "Mã đơn vị", "Đơn vị", "Điểm", "Điểm tối đa", "Giá trị chỉ số", "Năm trước",
         "Tăng/giảm"),
        (1, A[0], A[1], 87, 100, 0.87, 0.8, 0.07),
        (2, B[0], B[1], 52, 100, 0.52, None, None),
    ]  # fmt: skip
    assert ranking.freeze_panes == "D2"
    assert ranking.auto_filter.ref == "A1:H3"
    assert ranking["A1"].font.bold
    assert ranking["A1"].fill.fgColor.rgb == "00DDEBF7"
    assert [ranking.cell(2, c).number_format for c in range(4, 9)] == [
        "#,##0.00",
        "#,##0.00",
        "0.0000",
        "0.0000",
        "+0.0000;-0.0000;0.0000",
    ]

    indices = book["Chỉ số chính"]
    assert _values(indices) == [
        ("Hạng", "Mã đơn vị", "Đơn vị", "1. Nhận thức số", "2. Chính quyền số", "Tổng điểm"),
        (1, A[0], A[1], 25, 62, 87),
        (2, B[0], B[1], 22, 30, 52),
    ]
    assert (indices.freeze_panes, indices.auto_filter.ref) == ("D2", "A1:F3")

    detail = book["Chi tiết"]
    reason = "Chỉ có 8 tin bài có minh chứng."
    plan = "Ban hành kế hoạch chuyển đổi số năm"
    promotion = "Tuyên truyền về chuyển đổi số"
    online = "Tỷ lệ hồ sơ trực tuyến toàn trình"
    signed = "Tỷ lệ văn bản đi được ký số"
    assert _values(detail) == [
        ("Mã đơn vị", "Đơn vị", "Mã chỉ số", "Chỉ số thành phần", "Điểm tối đa",
         "Giá trị tự đánh giá", "Điểm tự chấm", "Số liệu đo", "Điểm theo số liệu đo",
         "Lệch số liệu đo", "Điểm kết luận", "Lý do"),
        (*A, "1.1", plan, 10, "Có", 10, None, None, None, 10, None),
        (*A, "1.2", promotion, 20, None, 15, None, None, None, 15, None),
        (*A, "2.1", online, 30, 85, 30, None, None, None, 30, None),
        (*A, "2.2", signed, 40, 72, 32, 72.5, 32.22, None, 32, None),
        (*B, "1.1", plan, 10, "Có", 10, None, None, None, 10, None),
        (*B, "1.2", promotion, 20, None, 15, None, None, None, 12, reason),
        (*B, "2.1", online, 30, 40, 10, None, None, None, 10, None),
        (*B, "2.2", signed, 40, 45, 20, 72.5, 32.22, "Có", 20, None),
    ]  # fmt: skip
    assert detail.freeze_panes == "E2"
    assert detail.auto_filter.ref == "A1:L9"
    assert detail["J9"].fill.fgColor.rgb == "00FCE4D6"
