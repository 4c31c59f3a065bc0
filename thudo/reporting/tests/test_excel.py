"""The form as an Excel workbook: the download, filling it offline, reading it back
through the all-or-nothing save, and the hostile files an upload must refuse."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import openpyxl
import pytest

from thudo.core.errors import FieldError, InvalidInput
from thudo.core.models import Agency, Role, User
from thudo.core.tests.factories import City, official
from thudo.reporting import excel, hierarchy, services
from thudo.reporting.contracts import CellInput
from thudo.reporting.models import (
    Category,
    CategoryOption,
    DataElement,
    DataValue,
    Form,
    Section,
    SectionElement,
    ValueType,
)

pytestmark = pytest.mark.django_db

PERIOD = "2026M03"

# Where the form below lands on the sheet: title block in rows 1-5, section I from row 7
# (workers by sex), section II from row 11 (a rate, then the measured figure).
WORKERS_MEN, WORKERS_WOMEN, RATE, RECEIVED = "E9", "F9", "E13", "E14"


@dataclass
class Setup:
    city: City
    form: Form
    clerk: User
    workers: DataElement
    rate: DataElement
    received: DataElement


def build(city: City) -> Setup:
    sex = Category.objects.create(code="XL_GIOITINH", name="Giới tính")
    CategoryOption.objects.create(category=sex, code="NAM", name="Nam", sort_order=1)
    CategoryOption.objects.create(category=sex, code="NU", name="Nữ", sort_order=2)
    workers = DataElement.objects.create(
        code="XL_LAODONG",
        name="Số lao động được tạo việc làm",
        value_type=ValueType.INTEGER,
        unit_label="người",
    )
    workers.categories.add(sex)
    rate = DataElement.objects.create(
        code="XL_TYLE",
        name="Tỷ lệ hồ sơ giải quyết đúng hạn",
        value_type=ValueType.NUMBER,
        unit_label="%",
        max_value=Decimal(100),
    )
    received = DataElement.objects.create(
        code="XL_HOSO",
        name="Hồ sơ thủ tục hành chính tiếp nhận",
        value_type=ValueType.POSITIVE_INTEGER,
        unit_label="hồ sơ",
        metric_code="procedures.received",
    )
    form = form_of(city, "XL01", "Báo cáo thử nghiệm nhập Excel")
    labour = Section.objects.create(form=form, name="Lao động", sort_order=1)
    SectionElement.objects.create(section=labour, element=workers, sort_order=1)
    public = Section.objects.create(form=form, name="Hành chính công", sort_order=2)
    SectionElement.objects.create(section=public, element=rate, sort_order=1)
    SectionElement.objects.create(section=public, element=received, sort_order=2)
    hierarchy.rebuild()
    return Setup(
        city=city,
        form=form,
        clerk=official(city.commune_a, role=Role.SPECIALIST),
        workers=workers,
        rate=rate,
        received=received,
    )


def form_of(city: City, code: str, name: str) -> Form:
    form = Form.objects.create(
        code=code, name=name, period_type="monthly", deadline_days=2, recipient=city.justice
    )
    form.units.add(city.commune_a, city.commune_b)
    return form


@pytest.fixture
def setup(city: City) -> Setup:
    return build(city)


def value(element: DataElement, unit: Agency, disagg: str, amount: str, **kw: Any) -> None:
    DataValue.objects.create(
        element=element,
        unit=unit,
        period=PERIOD,
        disaggregation=disagg,
        value=Decimal(amount),
        **kw,
    )


def measured(s: Setup, amount: str = "40") -> None:
    value(s.received, s.city.commune_a, "", amount, source=DataValue.Source.MEASURED,
          lineage={"metric": "procedures.received"})  # fmt: skip


def download(s: Setup, unit: Agency | None = None) -> bytes:
    return excel.workbook(s.form, unit or s.city.commune_a, PERIOD)


def load(data: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(data))


def filled(data: bytes, **cells: Any) -> bytes:
    """The workbook with cells set as a person would in Excel (``E9=15``)."""
    book = load(data)
    for address, content in cells.items():
        book[excel.SHEET][address] = content
    return save(book)


def save(book: Any) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rezip(data: bytes, *, add: dict[str, bytes] | None = None,
          change: dict[str, Any] | None = None) -> bytes:  # fmt: skip
    """The same zip with entries added or their bytes changed."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if change and info.filename in change:
                content = change[info.filename](content)
            dst.writestr(info, content, compress_type=zipfile.ZIP_DEFLATED)
        for name, content in (add or {}).items():
            dst.writestr(name, content, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def stored(s: Setup) -> dict[tuple[str, str], tuple[Decimal, str]]:
    return {
        (v.element.code, v.disaggregation): (v.value, v.source)
        for v in DataValue.objects.filter(unit=s.city.commune_a, period=PERIOD).select_related(
            "element"
        )
    }


def refused(s: Setup, data: bytes) -> FieldError:
    """The one file-level error of uploading ``data``; nothing stored meanwhile."""
    before = DataValue.objects.count()
    with pytest.raises(InvalidInput) as caught:
        services.excel_import(actor=s.clerk, form=s.form, unit=s.city.commune_a, data=data)
    assert DataValue.objects.count() == before
    [error] = caught.value.field_errors
    return error


# --- the download ---------------------------------------------------------------------------


def test_workbook_has_the_title_block_sections_and_columns(setup: Setup) -> None:
    book = load(download(setup))

    assert book.sheetnames == ["Biểu mẫu", "_meta"]
    sheet = book["Biểu mẫu"]
    assert [sheet[f"A{row}"].value for row in range(1, 7)] == [
        "Biểu XL01: Báo cáo thử nghiệm nhập Excel",
        "Đơn vị báo cáo: Ủy ban nhân dân Phường Ba Đình (mã 000.01.50.H26)",
        "Kỳ báo cáo: Tháng 3/2026 (mã 2026M03)",
        "Hạn gửi: 17/03/2026",  # cut-off Sat 14/03, then two working days
        "Nhập số vào các ô trắng rồi tải tệp lên. Ô xám là số liệu đo tự động, không sửa "
        "được. Không dùng công thức; để trống ô là xóa số liệu.",
        None,
    ]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=7, max_row=14, max_col=7)]
    assert rows == [
        ["I. Lao động", None, None, None, None, None, None],
        ["STT", "Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị tính", "Nam", "Nữ", "Ghi chú"],
        [1, "XL_LAODONG", "Số lao động được tạo việc làm", "người", None, None, None],
        [None] * 7,
        ["II. Hành chính công", None, None, None, None, None, None],
        ["STT", "Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị tính", "Giá trị", None, "Ghi chú"],
        [2, "XL_TYLE", "Tỷ lệ hồ sơ giải quyết đúng hạn", "%", None, None, None],
        [3, "XL_HOSO", "Hồ sơ thủ tục hành chính tiếp nhận", "hồ sơ", None, None, "Đo tự động"],
    ]
    assert sheet.max_row == 14
    assert sheet.column_dimensions["C"].width == 55
    assert sheet.column_dimensions["E"].width == 16


def test_value_cells_are_open_and_the_rest_is_protected(setup: Setup) -> None:
    book = load(download(setup))
    sheet = book[excel.SHEET]

    assert sheet.protection.sheet is True
    assert book.security.lockStructure is True
    assert book[excel.META].sheet_state == "veryHidden"
    for address in (WORKERS_MEN, WORKERS_WOMEN, RATE):
        assert sheet[address].protection.locked is False
    assert sheet[RECEIVED].protection.locked is True
    assert sheet[RECEIVED].fill.fgColor.rgb == "00D9D9D9"
    assert sheet["C9"].protection.locked is True
    assert sheet[WORKERS_MEN].number_format == "#,##0"
    assert sheet[RATE].number_format == "#,##0.####"
    rules = {
        str(v.sqref): (v.type, v.formula1, v.formula2)
        for v in sheet.data_validations.dataValidation
    }
    assert rules == {
        "E9 F9": ("whole", "-999999999999999", "999999999999999"),
        "E13": ("decimal", "-999999999999999", "100"),
    }


def test_meta_names_the_template_and_every_value_cell(setup: Setup) -> None:
    meta = load(download(setup))[excel.META]

    rows = [list(row) for row in meta.iter_rows(values_only=True)]
    assert rows[:6] == [
        ["thudo.reporting.excel", "1", None],
        ["form", "XL01", None],
        ["version", "1", None],
        ["unit", "000.01.50.H26", None],
        ["period", "2026M03", None],
        ["sheet", "Biểu mẫu", None],
    ]
    assert rows[6][0] == "signature"
    assert rows[7:] == [
        ["address", "element", "disaggregation"],
        ["E9", "XL_LAODONG", "NAM"],
        ["F9", "XL_LAODONG", "NU"],
        ["E13", "XL_TYLE", None],  # Excel keeps no empty strings: "" comes back as None
    ]


def test_workbook_holds_the_units_current_values(setup: Setup) -> None:
    commune_a, commune_b = setup.city.commune_a, setup.city.commune_b
    value(setup.workers, commune_a, "NAM", "12")
    value(setup.rate, commune_a, "", "87.5")
    value(setup.rate, commune_b, "", "55")
    measured(setup)

    sheet = load(download(setup))[excel.SHEET]

    assert [sheet[a].value for a in (WORKERS_MEN, WORKERS_WOMEN, RATE, RECEIVED)] == [
        12,
        None,
        87.5,
        40,
    ]


@pytest.mark.parametrize(
    "amount", ["12", "87.5", "0.0001", "-3.25", "999999999999999", "123456789012.3456"]
)
def test_prefilled_figures_come_back_unchanged(amount: str) -> None:
    # Beyond 15 significant digits a double would change the figure: it is written as text.
    written = excel._cell_value(Decimal(amount))
    assert Decimal(excel._raw(written)) == Decimal(amount)


# --- the round trip -------------------------------------------------------------------------


def test_filled_workbook_is_read_into_cells_named_by_excel_address(setup: Setup) -> None:
    data = filled(download(setup), E9=15, F9="17", E13="12,5")

    upload = excel.read(setup.form, data)

    assert upload == excel.Upload(
        unit_code="000.01.50.H26",
        period="2026M03",
        cells=(
            CellInput(element="XL_LAODONG", raw="15", disaggregation="NAM", ref="E9"),
            CellInput(element="XL_LAODONG", raw="17", disaggregation="NU", ref="F9"),
            CellInput(element="XL_TYLE", raw="12,5", disaggregation="", ref="E13"),
        ),
    )


def test_download_fill_read_save_stores_exact_decimals(setup: Setup) -> None:
    measured(setup)
    data = filled(download(setup), E9=15, F9=17, E13=87.25)

    upload = excel.read(setup.form, data)
    changed = services.values_save_many(
        actor=setup.clerk,
        form=setup.form,
        unit=setup.city.commune_a,
        period=upload.period,
        cells=upload.cells,
        source=DataValue.Source.IMPORTED,
    )

    assert changed == 3
    assert stored(setup) == {
        ("XL_LAODONG", "NAM"): (Decimal("15"), "imported"),
        ("XL_LAODONG", "NU"): (Decimal("17"), "imported"),
        ("XL_TYLE", ""): (Decimal("87.25"), "imported"),
        ("XL_HOSO", ""): (Decimal("40"), "measured"),
    }


def test_uploading_the_untouched_download_changes_nothing(setup: Setup) -> None:
    value(setup.workers, setup.city.commune_a, "NAM", "12")
    value(setup.rate, setup.city.commune_a, "", "87.5")

    changed = services.excel_import(
        actor=setup.clerk, form=setup.form, unit=setup.city.commune_a, data=download(setup)
    )

    assert changed == 0
    assert stored(setup) == {
        ("XL_LAODONG", "NAM"): (Decimal("12"), "entered"),
        ("XL_TYLE", ""): (Decimal("87.5"), "entered"),
    }


def test_an_emptied_cell_clears_the_value(setup: Setup) -> None:
    value(setup.workers, setup.city.commune_a, "NAM", "12")
    value(setup.rate, setup.city.commune_a, "", "87.5")
    data = filled(download(setup), E13=None)

    changed = services.excel_import(
        actor=setup.clerk, form=setup.form, unit=setup.city.commune_a, data=data
    )

    assert changed == 1
    assert stored(setup) == {("XL_LAODONG", "NAM"): (Decimal("12"), "entered")}


def test_measured_cells_are_not_read_even_when_typed_into(setup: Setup) -> None:
    measured(setup)
    book = load(download(setup))
    book[excel.SHEET].protection.sheet = False
    book[excel.SHEET][RECEIVED] = 999

    upload = excel.read(setup.form, save(book))

    assert [c.ref for c in upload.cells] == ["E9", "F9", "E13"]
    assert stored(setup) == {("XL_HOSO", ""): (Decimal("40"), "measured")}


def test_one_bad_cell_saves_nothing_and_names_the_excel_cell(setup: Setup) -> None:
    value(setup.workers, setup.city.commune_a, "NU", "3")
    data = filled(download(setup), E9="abc", F9=20, E13=100.5)
    before = DataValue.objects.count()

    upload = excel.read(setup.form, data)
    with pytest.raises(InvalidInput) as caught:
        services.values_save_many(
            actor=setup.clerk,
            form=setup.form,
            unit=setup.city.commune_a,
            period=upload.period,
            cells=upload.cells,
            source=DataValue.Source.IMPORTED,
        )

    assert caught.value.message == "Có 2 ô không hợp lệ; chưa lưu ô nào."
    assert list(caught.value.field_errors) == [
        FieldError("E9", "not_a_number", "Giá trị phải là một số."),
        FieldError("E13", "above_maximum", "Giá trị không được vượt quá 100."),
    ]
    assert DataValue.objects.count() == before
    assert stored(setup) == {("XL_LAODONG", "NU"): (Decimal("3"), "entered")}


# --- hostile files --------------------------------------------------------------------------


def test_not_an_excel_file_is_refused(setup: Setup) -> None:
    assert refused(setup, b"STT;Ma chi tieu\n1;XL_LAODONG\n") == FieldError(
        "file", "not_xlsx", "Tệp không phải là tệp Excel (.xlsx) hợp lệ."
    )


def test_a_truncated_zip_is_refused(setup: Setup) -> None:
    data = download(setup)

    assert refused(setup, data[: len(data) // 2]).code == "not_xlsx"


def test_a_zip_that_is_not_a_workbook_is_refused(setup: Setup) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("notes.txt", b"hello")

    assert refused(setup, out.getvalue()).code == "not_xlsx"


def test_a_file_over_five_megabytes_is_refused(setup: Setup) -> None:
    data = download(setup)
    big = data + b"\0" * (excel.MAX_UPLOAD_BYTES + 1 - len(data))

    assert refused(setup, big) == FieldError("file", "file_too_large", "Tệp quá lớn (tối đa 5 MB).")


def test_a_zip_bomb_is_refused_before_it_is_inflated(setup: Setup) -> None:
    zeros = b"\0" * (excel.MAX_UNCOMPRESSED_BYTES + 1)
    data = rezip(download(setup), add={"xl/media/padding.bin": zeros})
    assert len(data) < excel.MAX_UPLOAD_BYTES

    assert refused(setup, data).code == "file_too_large"


def test_an_xlsm_with_a_vba_project_is_refused(setup: Setup) -> None:
    # Edited in a spreadsheet program and saved as .xlsm: the VBA project and the
    # macro-enabled content type both appear.
    edited = filled(download(setup), E9=15)
    xlsm = rezip(
        edited,
        add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 fake VBA project"},
        change={
            "[Content_Types].xml": lambda b: b.replace(
                b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml"
            )
        },
    )

    assert refused(setup, xlsm) == FieldError(
        "file", "macros_not_allowed", "Tệp có chứa macro; chỉ nhận tệp .xlsx không có macro."
    )


def test_a_vba_project_alone_is_refused(setup: Setup) -> None:
    data = rezip(download(setup), add={"xl/vbaProject.bin": b"fake"})

    assert refused(setup, data).code == "macros_not_allowed"


def test_a_macro_enabled_content_type_alone_is_refused(setup: Setup) -> None:
    data = rezip(
        download(setup),
        change={
            "[Content_Types].xml": lambda b: b.replace(
                b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml"
            )
        },
    )

    assert refused(setup, data).code == "macros_not_allowed"


def test_a_workbook_without_meta_is_refused(setup: Setup) -> None:
    book = openpyxl.Workbook()
    book.active.title = excel.SHEET
    book.active["E9"] = 15

    assert refused(setup, save(book)) == FieldError(
        "file",
        "template_unknown",
        "Tệp không phải là biểu mẫu tải từ hệ thống, hoặc cấu trúc biểu đã bị sửa. "
        "Hãy tải biểu mẫu mới và nhập lại.",
    )


def test_a_deleted_meta_sheet_is_refused(setup: Setup) -> None:
    book = load(download(setup))
    book.remove(book[excel.META])

    assert refused(setup, save(book)).code == "template_unknown"


@pytest.mark.parametrize(
    ("address", "content"),
    [
        ("B5", "2026M02"),  # another period
        ("B9", "E13"),  # a cell moved onto another element
        ("C10", "NAM"),  # another disaggregation
        ("B7", "tampered"),  # the signature itself
    ],
)
def test_an_altered_meta_sheet_is_refused(setup: Setup, address: str, content: str) -> None:
    book = load(download(setup))
    book[excel.META][address] = content

    assert refused(setup, save(book)).code == "template_unknown"


def test_a_template_of_another_form_is_refused(setup: Setup) -> None:
    other = form_of(setup.city, "XL02", "Biểu khác")
    data = excel.workbook(other, setup.city.commune_a, PERIOD)

    assert refused(setup, data) == FieldError(
        "file", "template_wrong_form", "Tệp này là biểu XL02, không phải biểu XL01."
    )


def test_a_template_of_an_earlier_version_is_refused(setup: Setup) -> None:
    data = filled(download(setup), E9=15)
    setup.form.version = 2
    setup.form.save(update_fields=["version"])

    assert refused(setup, data) == FieldError(
        "file",
        "template_version",
        "Tệp là phiên bản 1 của biểu XL01, nay biểu đã sang phiên bản 2. "
        "Hãy tải biểu mẫu hiện hành và nhập lại số liệu.",
    )


def test_another_units_template_is_refused(setup: Setup) -> None:
    data = download(setup, setup.city.commune_b)

    assert refused(setup, data).code == "template_wrong_unit"


def test_formulas_are_refused_with_their_cells(setup: Setup) -> None:
    data = filled(download(setup), E9=15, E13="=50+1", F9="=E9*2")
    before = DataValue.objects.count()

    with pytest.raises(InvalidInput) as caught:
        services.excel_import(
            actor=setup.clerk, form=setup.form, unit=setup.city.commune_a, data=data
        )

    assert caught.value.message == "Tệp có 2 ô chứa công thức; chỉ nhận số nhập trực tiếp."
    assert list(caught.value.field_errors) == [
        FieldError("F9", "formula_not_allowed", "Ô F9 chứa công thức; hãy nhập số trực tiếp."),
        FieldError("E13", "formula_not_allowed", "Ô E13 chứa công thức; hãy nhập số trực tiếp."),
    ]
    assert DataValue.objects.count() == before


def test_a_corrupt_zip_entry_is_refused(setup: Setup) -> None:
    data = bytearray(download(setup))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        entry = archive.getinfo("xl/worksheets/sheet1.xml")
    # Past the local header: the entry's compressed bytes.
    start = entry.header_offset + 30 + len(entry.filename) + len(entry.extra) + 10
    data[start : start + 40] = b"\xff" * 40

    assert refused(setup, bytes(data)).code == "not_xlsx"


def test_xml_entities_are_refused(setup: Setup) -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row>'
        b"</sheetData></worksheet>"
    )
    data = rezip(download(setup), change={"xl/worksheets/sheet1.xml": lambda _b: laughs})

    assert refused(setup, data).code == "not_xlsx"
