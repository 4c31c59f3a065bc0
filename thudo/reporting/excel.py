"""A form as an Excel workbook (biểu mẫu Excel) for offline filling, and reading it back.

The download holds the unit's current values and a hidden sheet ``_meta`` that says
which form (and version), unit and period it is for and which element and
disaggregation each value cell holds, so reading never depends on labels, rows or
columns a person can see. The map is signed: an edited map would file figures under the
wrong element without anyone noticing.

Uploads are hostile input. Before openpyxl sees a byte the file's size, the zip's
declared uncompressed size and the absence of macros are checked; XML is parsed through
defusedxml; formulas are refused, since the figure a formula shows is not in the file in
a form anyone checked. Reading only turns cells into :class:`CellInput`; parsing numbers
and every rule of the form stay in ``services.values_save_many``.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import warnings
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import openpyxl
from django.core import signing
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.utils.exceptions import CellCoordinatesException
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from thudo.core.errors import FieldError, InvalidInput, invalid
from thudo.core.models import Agency
from thudo.reporting import checks
from thudo.reporting import periods as pe
from thudo.reporting.contracts import CellInput
from thudo.reporting.models import (
    DataElement,
    DataValue,
    Form,
    Section,
    SectionElement,
    ValueType,
)

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# Declared sizes bound what zipfile will inflate: it stops at an entry's declared size
# and fails the CRC check, so a lying header cannot make it inflate more.
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_ZIP_ENTRIES = 1000
# A template spans a few thousand cells; a far larger used range is no template, and
# walking it would allocate every empty cell in between.
MAX_USED_CELLS = 200_000
MAX_META_ROWS = 50_000

SHEET = "Biểu mẫu"
META = "_meta"
MARKER = "thudo.reporting.excel"
LAYOUT = "1"
_SALT = "thudo.reporting.excel"

FIRST_VALUE_COLUMN = 5  # after STT, code, name and unit of measure
NUMBER_FORMAT = "#,##0.####"
INTEGER_FORMAT = "#,##0"
# Excel holds doubles: beyond 15 significant digits a figure would come back changed,
# so such figures are written as text, which reading passes through untouched.
_EXACT_DIGITS = 15
_LIMIT = Decimal("999999999999999")

_THIN = Side(style="thin", color="A6A6A6")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_SECTION_FILL = PatternFill("solid", fgColor="F2F2F2")
_MEASURED_FILL = PatternFill("solid", fgColor="D9D9D9")
_INPUT_FILL = PatternFill("solid", fgColor="FFFFFF")

_MACRO_MARKERS = (b"macroenabled", b"vbaproject", b"macrosheet")


@dataclass(frozen=True)
class Upload:
    """A filled-in workbook as read: whose it says it is, and its value cells."""

    unit_code: str
    period: str
    cells: tuple[CellInput, ...]


@dataclass(frozen=True)
class _Meta:
    form: str
    version: str
    unit: str
    period: str
    sheet: str
    cells: tuple[tuple[str, str, str], ...]  # (address, element code, disaggregation)

    def digest(self) -> str:
        canonical = json.dumps(
            [self.form, self.version, self.unit, self.period, self.sheet, self.cells],
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


# --- download -------------------------------------------------------------------------------


Group = tuple[list[tuple[str, str]], list[DataElement]]  # disaggregations, elements


def _sections(form: Form) -> list[tuple[Section, list[Group]]]:
    rows = SectionElement.objects.select_related("element").prefetch_related(
        "element__categories__options"
    )
    sections = Section.objects.filter(form=form).prefetch_related(Prefetch("rows", rows))
    seen: set[int] = set()
    found = []
    for section in sections:
        elements = []
        for row in section.rows.all():
            # An element placed in two sections is one figure: a second input cell
            # would make every upload fail as a duplicate.
            if row.element_id not in seen:
                seen.add(row.element_id)
                elements.append(row.element)
        found.append((section, _groups(elements)))
    return found


def _groups(elements: list[DataElement]) -> list[Group]:
    """Consecutive elements with the same disaggregations share one header row."""
    groups: list[Group] = []
    for element in elements:
        keys = checks.disaggregations(element)
        if groups and groups[-1][0] == keys:
            groups[-1][1].append(element)
        else:
            groups.append((keys, [element]))
    return groups


_NUMERALS = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
             (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"),
             (1, "I")]  # fmt: skip


def _roman(n: int) -> str:
    """Sections are numbered I, II, III as Vietnamese report forms number them."""
    text = ""
    for value, numeral in _NUMERALS:
        count, n = divmod(n, value)
        text += numeral * count
    return text


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _cell_value(value: Decimal) -> int | float | str:
    normal = value.normalize()
    digits = len(normal.as_tuple().digits)
    if normal == normal.to_integral_value() and abs(normal) <= _LIMIT:
        return int(normal)
    if digits <= _EXACT_DIGITS:
        return float(normal)
    return _plain(normal)


def _bounds(element: DataElement) -> tuple[Decimal, Decimal]:
    low, high = -_LIMIT, _LIMIT
    if element.value_type == ValueType.POSITIVE_INTEGER:
        low = Decimal(0)
    if element.value_type == ValueType.PERCENTAGE:
        low, high = Decimal(0), Decimal(100)
    if element.min_value is not None:
        low = max(low, element.min_value)
    if element.max_value is not None:
        high = min(high, element.max_value)
    if _is_integer(element):
        low, high = Decimal(math.ceil(low)), Decimal(math.floor(high))
    return low, high


def _is_integer(element: DataElement) -> bool:
    return element.value_type in (ValueType.INTEGER, ValueType.POSITIVE_INTEGER)


def _validation(element: DataElement) -> DataValidation:
    low, high = _bounds(element)
    integer = _is_integer(element)
    if low == -_LIMIT and high == _LIMIT:
        message = _("Hãy nhập một số nguyên.") if integer else _("Hãy nhập một số.")
    else:
        bounds = {"low": _plain(low), "high": _plain(high)}
        message = (
            _("Hãy nhập một số nguyên từ %(low)s đến %(high)s.") % bounds
            if integer
            else _("Hãy nhập một số từ %(low)s đến %(high)s.") % bounds
        )
    return DataValidation(
        type="whole" if integer else "decimal",
        operator="between",
        formula1=_plain(low),
        formula2=_plain(high),
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=_("Giá trị không hợp lệ"),
        error=message,
    )


def _style_header(cell: Any) -> None:
    cell.font = Font(bold=True)
    cell.fill = _HEADER_FILL
    cell.border = _BORDER
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def workbook(form: Form, unit: Agency, period: str) -> bytes:
    """The form as an .xlsx for ``unit`` and ``period``, holding the unit's current
    values; measured figures are shown locked."""
    reporting_period = pe.parse(period)
    sections = _sections(form)
    element_ids = [e.pk for _s, groups in sections for _k, elements in groups for e in elements]
    values = {
        (v.element_id, v.disaggregation): v.value
        for v in DataValue.objects.filter(
            unit=unit, period=reporting_period.code, element_id__in=element_ids
        )
    }
    widest = max((len(keys) for _s, groups in sections for keys, _e in groups), default=1)
    note_column = FIRST_VALUE_COLUMN + widest

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = SHEET
    deadline = reporting_period.deadline(form.deadline_days)
    title = [
        _("Biểu %(code)s: %(name)s") % {"code": form.code, "name": form.name},
        _("Đơn vị báo cáo: %(name)s (mã %(code)s)") % {"name": unit.name, "code": unit.code},
        _("Kỳ báo cáo: %(label)s (mã %(code)s)")
        % {"label": reporting_period.label, "code": reporting_period.code},
        _("Hạn gửi: %(date)s") % {"date": deadline.strftime("%d/%m/%Y")},
        _(
            "Nhập số vào các ô trắng rồi tải tệp lên. Ô xám là số liệu đo tự động, "
            "không sửa được. Không dùng công thức; để trống ô là xóa số liệu."
        ),
    ]
    for row, text in enumerate(title, start=1):
        sheet.cell(row=row, column=1, value=text)
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A5"].font = Font(italic=True, color="595959")

    cells: list[tuple[str, str, str]] = []
    rules: dict[tuple[str, str, str], DataValidation] = {}
    row = len(title) + 2
    number = 0
    for index, (section, groups) in enumerate(sections, start=1):
        heading = sheet.cell(row=row, column=1, value=f"{_roman(index)}. {section.name}")
        heading.font = Font(bold=True)
        for column in range(1, note_column + 1):
            sheet.cell(row=row, column=column).fill = _SECTION_FILL
        row += 1
        for keys, group in groups:
            labels = [_("STT"), _("Mã chỉ tiêu"), _("Tên chỉ tiêu"), _("Đơn vị tính")]
            labels += [label or _("Giá trị") for _key, label in keys]
            for column, label in enumerate(labels, start=1):
                _style_header(sheet.cell(row=row, column=column, value=label))
            _style_header(sheet.cell(row=row, column=note_column, value=_("Ghi chú")))
            row += 1
            for element in group:
                number += 1
                fixed = [number, element.code, element.name, element.unit_label]
                for column, content in enumerate(fixed, start=1):
                    cell = sheet.cell(row=row, column=column, value=content)
                    cell.border = _BORDER
                    cell.alignment = Alignment(vertical="top", wrap_text=column == 3)
                rule = _validation(element)
                rule_key = (rule.type, rule.formula1, rule.formula2)
                for offset, (key, _label) in enumerate(keys):
                    cell = sheet.cell(row=row, column=FIRST_VALUE_COLUMN + offset)
                    stored = values.get((element.pk, key))
                    if stored is not None:
                        cell.value = _cell_value(stored)
                    cell.number_format = INTEGER_FORMAT if _is_integer(element) else NUMBER_FORMAT
                    cell.border = _BORDER
                    cell.alignment = Alignment(horizontal="right", vertical="top")
                    if element.is_measured:
                        cell.fill = _MEASURED_FILL
                        continue
                    cell.fill = _INPUT_FILL
                    cell.protection = Protection(locked=False)
                    rules.setdefault(rule_key, rule).add(cell.coordinate)
                    cells.append((cell.coordinate, element.code, key))
                note = sheet.cell(row=row, column=note_column)
                note.border = _BORDER
                if element.is_measured:
                    note.value = _("Đo tự động")
                    note.font = Font(italic=True, color="595959")
                row += 1
        row += 1

    for rule in rules.values():
        sheet.add_data_validation(rule)
    widths = {1: 6, 2: 16, 3: 55, 4: 14}
    for column in range(1, note_column + 1):
        width = widths.get(column, 16)
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    # Protection keeps people from breaking the layout by accident; it is not a lock
    # (no password: anyone can lift it, and reading does not trust the layout anyway).
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False

    meta = _Meta(
        form=form.code,
        version=str(form.version),
        unit=unit.code,
        period=reporting_period.code,
        sheet=SHEET,
        cells=tuple(cells),
    )
    _write_meta(book, meta)
    book.security = WorkbookProtection(lockStructure=True)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _write_meta(book: Any, meta: _Meta) -> None:
    sheet = book.create_sheet(META)
    sheet.sheet_state = "veryHidden"
    rows: list[Iterable[str]] = [
        (MARKER, LAYOUT),
        ("form", meta.form),
        ("version", meta.version),
        ("unit", meta.unit),
        ("period", meta.period),
        ("sheet", meta.sheet),
        ("signature", signing.Signer(salt=_SALT).sign(meta.digest())),
        ("address", "element", "disaggregation"),
        *meta.cells,
    ]
    for row in rows:
        sheet.append(list(row))
    sheet.protection.sheet = True


# --- upload ---------------------------------------------------------------------------------


def _file_error(code: str, message: str) -> InvalidInput:
    return invalid("file", code, message)


def _not_xlsx() -> InvalidInput:
    return _file_error("not_xlsx", _("Tệp không phải là tệp Excel (.xlsx) hợp lệ."))


def _unknown() -> InvalidInput:
    return _file_error(
        "template_unknown",
        _(
            "Tệp không phải là biểu mẫu tải từ hệ thống, hoặc cấu trúc biểu đã bị sửa. "
            "Hãy tải biểu mẫu mới và nhập lại."
        ),
    )


def _check_container(data: bytes) -> None:
    """Size, zip sanity and macros, before any XML is parsed."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise _file_error(
            "file_too_large",
            _("Tệp quá lớn (tối đa %(mb)d MB).") % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)},
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES or (
                sum(e.file_size for e in entries) > MAX_UNCOMPRESSED_BYTES
            ):
                raise _file_error(
                    "file_too_large", _("Tệp quá lớn khi giải nén; đây không phải biểu mẫu.")
                )
            names = [e.filename.lower() for e in entries]
            manifest = next(
                (e for e in entries if e.filename.lower() == "[content_types].xml"), None
            )
            if manifest is None:
                raise _not_xlsx()
            content_types = archive.read(manifest).lower()
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, RuntimeError) as exc:
        # Encrypted entries raise RuntimeError, unknown compression NotImplementedError.
        raise _not_xlsx() from exc
    if any(n.endswith("vbaproject.bin") or "macrosheets/" in n for n in names) or any(
        marker in content_types for marker in _MACRO_MARKERS
    ):
        raise _file_error(
            "macros_not_allowed",
            _("Tệp có chứa macro; chỉ nhận tệp .xlsx không có macro."),
        )


def _load(data: bytes) -> Any:
    if not openpyxl.DEFUSEDXML:
        # Without defusedxml openpyxl parses entity expansions: refuse rather than risk it.
        raise RuntimeError("openpyxl must use defusedxml to read uploaded workbooks")
    try:
        with warnings.catch_warnings():
            # Unknown extensions and styles raise warnings, not errors; they mean nothing
            # to the person uploading.
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(
                io.BytesIO(data),
                read_only=False,
                keep_vba=False,
                data_only=False,
                keep_links=False,
            )
    except Exception as exc:
        # A malformed part surfaces as any of a dozen exception types from zipfile, the
        # XML parsers and openpyxl's descriptors; to the user they are all one thing.
        raise _not_xlsx() from exc


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _read_meta(book: Any) -> _Meta:
    if META not in book.sheetnames:
        raise _unknown()
    sheet = book[META]
    if not isinstance(sheet, Worksheet) or sheet.max_row > MAX_META_ROWS:
        raise _unknown()
    rows = [
        tuple(_text(v) for v in row)
        for row in sheet.iter_rows(min_col=1, max_col=3, values_only=True)
    ]
    if len(rows) < 8 or rows[0][:2] != (MARKER, LAYOUT):
        raise _unknown()
    header = {row[0]: row[1] for row in rows[1:7]}
    if len(header) != 6 or rows[7] != ("address", "element", "disaggregation"):
        raise _unknown()
    try:
        meta = _Meta(
            form=header["form"],
            version=header["version"],
            unit=header["unit"],
            period=header["period"],
            sheet=header["sheet"],
            cells=tuple((a, e, d) for a, e, d in rows[8:]),
        )
        signed = signing.Signer(salt=_SALT).unsign(header["signature"])
    except (KeyError, signing.BadSignature) as exc:
        raise _unknown() from exc
    if signed != meta.digest():
        raise _unknown()
    return meta


def _raw(value: Any) -> str:
    """A cell's content as text for the service to parse; numbers keep their digits."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float):
        if value.is_integer() and abs(value) <= float(_LIMIT):
            return str(int(value))
        return repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _formulas(book: Any) -> list[str]:
    found = []
    for sheet in book.worksheets:
        if sheet.title == META:
            continue
        if sheet.max_row * sheet.max_column > MAX_USED_CELLS:
            raise _unknown()
        prefix = "" if sheet.title == SHEET else f"{sheet.title}!"
        for row in sheet.iter_rows():
            found += [f"{prefix}{c.coordinate}" for c in row if c.data_type == "f"]
    return found


def read(form: Form, data: bytes) -> Upload:
    """The value cells of an uploaded workbook of ``form``; raises :class:`InvalidInput`
    for anything that is not the current template of this form, or holds formulas."""
    _check_container(data)
    book = _load(data)
    meta = _read_meta(book)
    if meta.form != form.code:
        raise _file_error(
            "template_wrong_form",
            _("Tệp này là biểu %(found)s, không phải biểu %(form)s.")
            % {"found": meta.form, "form": form.code},
        )
    if meta.version != str(form.version):
        raise _file_error(
            "template_version",
            _(
                "Tệp là phiên bản %(found)s của biểu %(form)s, nay biểu đã sang phiên bản "
                "%(version)d. Hãy tải biểu mẫu hiện hành và nhập lại số liệu."
            )
            % {"found": meta.version, "form": form.code, "version": form.version},
        )
    if meta.sheet not in book.sheetnames or not isinstance(book[meta.sheet], Worksheet):
        raise _unknown()
    formulas = _formulas(book)
    if formulas:
        raise InvalidInput(
            _("Tệp có %(n)d ô chứa công thức; chỉ nhận số nhập trực tiếp.") % {"n": len(formulas)},
            field_errors=[
                FieldError(
                    ref,
                    "formula_not_allowed",
                    _("Ô %(ref)s chứa công thức; hãy nhập số trực tiếp.") % {"ref": ref},
                )
                for ref in formulas
            ],
        )
    sheet = book[meta.sheet]
    # Measured now though not when downloaded: the figure is computed, never typed.
    measured = set(
        DataElement.objects.filter(section__form=form)
        .exclude(metric_code="")
        .values_list("code", flat=True)
    )
    cells = []
    for address, element, disaggregation in meta.cells:
        if element in measured:
            continue
        try:
            row, column = coordinate_to_tuple(address)
        except (CellCoordinatesException, ValueError) as exc:
            raise _unknown() from exc
        value = sheet.cell(row=row, column=column).value
        cells.append(
            CellInput(element=element, raw=_raw(value), disaggregation=disaggregation, ref=address)
        )
    return Upload(unit_code=meta.unit, period=meta.period, cells=tuple(cells))
