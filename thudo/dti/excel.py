"""A round's results as an Excel workbook (bảng kết quả), for the standing body's own
analysis and for the annex of its report.

Three sheets: ``Xếp hạng`` (the ranking with last year's change), ``Chỉ số chính`` (every
unit's points per main index) and ``Chi tiết`` (every unit × sub-index: what the unit
reported, what the platform measured, what the council decided and why). Figures are
numbers with number formats, never text, so they can be summed and charted.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import openpyxl
from django.utils.translation import gettext as _
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from thudo.dti import selectors
from thudo.dti.contracts import Method, RoundResults
from thudo.dti.models import Round, Score

RANKING = "Xếp hạng"
INDICES = "Chỉ số chính"
DETAIL = "Chi tiết"

POINTS_FORMAT = "#,##0.00"
VALUE_FORMAT = "0.0000"
CHANGE_FORMAT = "+0.0000;-0.0000;0.0000"
MEASURE_FORMAT = "#,##0.####"

_THIN = Side(style="thin", color="A6A6A6")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_FLAG_FILL = PatternFill("solid", fgColor="FCE4D6")


def _number(value: Decimal | None) -> int | float | None:
    """Excel holds doubles; points (2 decimals) and values (4) fit them exactly enough."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def _header(sheet: Worksheet, labels: Sequence[str], widths: Sequence[float]) -> None:
    for column, (label, width) in enumerate(zip(labels, widths, strict=True), start=1):
        cell = sheet.cell(row=1, column=column, value=label)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.row_dimensions[1].height = 32


def _style(sheet: Worksheet, text: bool, number_format: str | None) -> str:
    """A named style of the workbook for a body cell: giving each cell its own border and
    alignment objects costs openpyxl a hash of every style part per cell (seconds at the
    6,000 rows of a round of 126 wards); a named style is one lookup."""
    name = f"dti-{'text' if text else 'number'}-{number_format or 'general'}"
    book = sheet.parent
    if name not in book.named_styles:
        style = NamedStyle(name=name)
        style.border = _BORDER
        style.alignment = Alignment(vertical="top", wrap_text=text)
        if number_format:
            style.number_format = number_format
        book.add_named_style(style)
    return name


def _row(sheet: Worksheet, row: int, values: Sequence[Any], formats: Sequence[str | None]) -> None:
    for column, (value, number_format) in enumerate(zip(values, formats, strict=True), start=1):
        cell = sheet.cell(row=row, column=column, value=value)
        cell.style = _style(sheet, isinstance(value, str), number_format)


def _finish(sheet: Worksheet, rows: int, columns: int, freeze: str) -> None:
    sheet.freeze_panes = freeze
    sheet.auto_filter.ref = f"A1:{get_column_letter(columns)}{max(rows, 1) + 1}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"


def results_workbook(round_: Round, results: RoundResults) -> bytes:
    """The round's results as an .xlsx: the ranking, the main indices, the details."""
    book = openpyxl.Workbook()
    ranking = book.active
    ranking.title = RANKING
    _ranking(ranking, results)
    _indices(book.create_sheet(INDICES), results)
    _detail(book.create_sheet(DETAIL), round_, results)
    book.properties.title = results.name
    book.properties.subject = _("Kết quả đánh giá chỉ số chuyển đổi số năm %(y)s") % {
        "y": results.year
    }
    book.properties.creator = "Thủ Đô Số"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _ranking(sheet: Worksheet, results: RoundResults) -> None:
    labels = [
        _("Hạng"),
        _("Mã đơn vị"),
        _("Đơn vị"),
        _("Điểm"),
        _("Điểm tối đa"),
        _("Giá trị chỉ số"),
        _("Năm trước"),
        _("Tăng/giảm"),
    ]
    _header(sheet, labels, [8, 16, 48, 12, 12, 14, 14, 14])
    formats = [None, None, None, POINTS_FORMAT, POINTS_FORMAT, VALUE_FORMAT, VALUE_FORMAT,
               CHANGE_FORMAT]  # fmt: skip
    for row, unit in enumerate(results.units, start=2):
        _row(
            sheet,
            row,
            [
                unit.rank,
                unit.unit_code,
                unit.unit_name,
                _number(unit.points),
                _number(unit.max_points),
                _number(unit.value),
                _number(unit.previous_value),
                _number(unit.change),
            ],
            formats,
        )
    _finish(sheet, len(results.units), len(labels), "D2")


def _indices(sheet: Worksheet, results: RoundResults) -> None:
    columns: dict[str, str] = {}
    for unit in results.units:
        for total in unit.indices:
            columns.setdefault(total.code, total.name)
    labels = [_("Hạng"), _("Mã đơn vị"), _("Đơn vị")]
    labels += [f"{code}. {name}" for code, name in columns.items()]
    labels.append(_("Tổng điểm"))
    _header(sheet, labels, [8, 16, 48, *([16] * len(columns)), 12])
    formats: list[str | None] = [None, None, None, *([POINTS_FORMAT] * (len(columns) + 1))]
    for row, unit in enumerate(results.units, start=2):
        by_code = {t.code: t.points for t in unit.indices}
        _row(
            sheet,
            row,
            [
                unit.rank,
                unit.unit_code,
                unit.unit_name,
                *(_number(by_code.get(code)) for code in columns),
                _number(unit.points),
            ],
            formats,
        )
    _finish(sheet, len(results.units), len(labels), "D2")


def _reported(score: Score) -> Any:
    if score.value is None:
        return None
    if score.node.method == Method.YES_NO:
        return _("Có") if score.value else _("Không")
    return _number(score.value)


def _detail(sheet: Worksheet, round_: Round, results: RoundResults) -> None:
    labels = [
        _("Mã đơn vị"),
        _("Đơn vị"),
        _("Mã chỉ số"),
        _("Chỉ số thành phần"),
        _("Điểm tối đa"),
        _("Giá trị tự đánh giá"),
        _("Điểm tự chấm"),
        _("Số liệu đo"),
        _("Điểm theo số liệu đo"),
        _("Lệch số liệu đo"),
        _("Điểm kết luận"),
        _("Lý do"),
    ]
    _header(sheet, labels, [16, 36, 10, 60, 11, 14, 11, 14, 14, 10, 11, 50])
    formats = [None, None, None, None, POINTS_FORMAT, MEASURE_FORMAT, POINTS_FORMAT,
               MEASURE_FORMAT, POINTS_FORMAT, None, POINTS_FORMAT, None]  # fmt: skip
    # The ranking's order, then the framework's.
    order = {u.unit_code: n for n, u in enumerate(results.units)}
    scores = sorted(
        selectors.scores_of(round_=round_),
        key=lambda s: (order.get(s.unit.agency.code, len(order)), s.unit.agency.code,
                       s.node.position),
    )  # fmt: skip
    for row, score in enumerate(scores, start=2):
        _row(
            sheet,
            row,
            [
                score.unit.agency.code,
                score.unit.agency.name,
                score.node.code,
                score.node.name,
                _number(score.node.max_points),
                _reported(score),
                _number(score.self_points),
                _number(score.measured_value),
                _number(score.measured_points),
                _("Có") if score.flagged else None,
                _number(score.final_points),
                score.final_reason or None,
            ],
            formats,
        )
        if score.flagged:
            sheet.cell(row=row, column=10).fill = _FLAG_FILL
    _finish(sheet, len(scores), len(labels), "E2")
