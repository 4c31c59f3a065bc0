"""The DTI module's documents as PDF.

- :func:`self_assessment` — a unit's report of its self-assessment (báo cáo kết quả tự
  đánh giá), which its leader signs when submitting it to the council;
- :func:`results` — a round's results and ranking (kết quả đánh giá, xếp hạng), which the
  standing body seals when it publishes them.

Laid out like Decree 30 documents: the issuing body at the top left, national name and
motto at the top right, place and date, title, content, signature block; A4 (the results
landscape, for their wide tables), Noto Serif for the Vietnamese letters the built-in PDF
fonts lack. Numbers are written the Vietnamese way (``1.000``, ``0,8700``). Equal inputs
give equal bytes (invariant PDFs): the signed copy can be compared with a fresh one.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.spider import SpiderChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from thudo.core import fonts
from thudo.dti import scoring, selectors
from thudo.dti.contracts import Method, RoundResults, UnitResult
from thudo.dti.models import Node, Round, RoundUnit, Score

NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
SELF_TITLE = "KẾT QUẢ TỰ ĐÁNH GIÁ CHỈ SỐ CHUYỂN ĐỔI SỐ NĂM {year}"
RESULTS_TITLE = "KẾT QUẢ ĐÁNH GIÁ, XẾP HẠNG CHỈ SỐ CHUYỂN ĐỔI SỐ NĂM {year}"
FLAG_NOTE = "(*) Giá trị tự đánh giá chênh lệch với số liệu đo của nền tảng quá ngưỡng cho phép."
RADAR_UNITS = 5  # the top units drawn on the radar, with the group's average

# Portrait: the Decree 30 margins (left 30 mm, right 15 mm, top and bottom 20 mm).
PORTRAIT_WIDTH, PORTRAIT_HEIGHT = A4
LEFT, RIGHT, TOP, BOTTOM = 30 * mm, 15 * mm, 20 * mm, 20 * mm
PORTRAIT_TEXT = PORTRAIT_WIDTH - LEFT - RIGHT
# Landscape: 15 mm all round, as the one-stop register.
LANDSCAPE_WIDTH, LANDSCAPE_HEIGHT = landscape(A4)
MARGIN = 15 * mm
LANDSCAPE_TEXT = LANDSCAPE_WIDTH - 2 * MARGIN

_SERIES = [
    colors.HexColor("#1f4e79"),
    colors.HexColor("#c00000"),
    colors.HexColor("#548235"),
    colors.HexColor("#bf8f00"),
    colors.HexColor("#7030a0"),
]
_AVERAGE = colors.HexColor("#404040")
_RING = colors.HexColor("#bfbfbf")
_SHADE = colors.HexColor("#f2f2f2")
_HEAD_SHADE = colors.HexColor("#ddebf7")


# --- numbers and dates, the Vietnamese way ---------------------------------------------------


def number(value: Decimal | None, places: int | None = None) -> str:
    """``1.234,5``: dots between thousands, a comma before decimals; ``places`` fixes the
    decimals (values 0–1 are always written with 4), else trailing zeros go."""
    if value is None:
        return ""
    text = f"{value:,.{places}f}" if places is not None else f"{value.normalize():,f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def index_value(value: Decimal | None) -> str:
    return number(value, 4)


def change(value: Decimal | None) -> str:
    """``+0,0123`` / ``-0,0050``; a dash without last year's value."""
    if value is None:
        return "—"
    return ("+" if value > 0 else "") + number(value, 4)


def _day(day: date) -> str:
    # Decree 30: a 0 before days under 10 and before months 1 and 2.
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def _local_day(moment: datetime | None) -> date:
    return timezone.localdate(moment) if moment is not None else timezone.localdate()


# --- styles and small builders ---------------------------------------------------------------


def _styles() -> dict[str, ParagraphStyle]:
    fonts.register()
    base = ParagraphStyle("base", fontName=fonts.REGULAR, fontSize=13, leading=17)
    cell = ParagraphStyle("cell", base, fontSize=10, leading=12.5)
    return {
        "head": ParagraphStyle("head", base, alignment=TA_CENTER, fontSize=12, leading=15),
        "head_bold": ParagraphStyle(
            "head_bold", base, alignment=TA_CENTER, fontName=fonts.BOLD, fontSize=12, leading=15
        ),
        "motto": ParagraphStyle(
            "motto", base, alignment=TA_CENTER, fontName=fonts.BOLD, fontSize=13, leading=16
        ),
        "place": ParagraphStyle(
            "place", base, alignment=TA_CENTER, fontName=fonts.ITALIC, fontSize=13, leading=16
        ),
        "title": ParagraphStyle(
            "title", base, alignment=TA_CENTER, fontName=fonts.BOLD, fontSize=14, leading=18
        ),
        "subtitle": ParagraphStyle(
            "subtitle", base, alignment=TA_CENTER, fontName=fonts.ITALIC, fontSize=12.5
        ),
        "section": ParagraphStyle(
            "section",
            base,
            fontName=fonts.BOLD,
            fontSize=13,
            leading=17,
            spaceBefore=4,
            spaceAfter=3,
        ),
        "body": ParagraphStyle(
            "body", base, alignment=TA_JUSTIFY, fontSize=13, leading=18, spaceAfter=3
        ),
        "indent": ParagraphStyle(
            "indent",
            base,
            alignment=TA_JUSTIFY,
            fontSize=13,
            leading=18,
            spaceAfter=3,
            firstLineIndent=10 * mm,
        ),
        "note": ParagraphStyle("note", base, fontName=fonts.ITALIC, fontSize=10.5, leading=13),
        "cell": cell,
        "cell_bold": ParagraphStyle("cell_bold", cell, fontName=fonts.BOLD),
        "cell_center": ParagraphStyle("cell_center", cell, alignment=TA_CENTER),
        "cell_right": ParagraphStyle("cell_right", cell, alignment=TA_RIGHT),
        "cell_right_bold": ParagraphStyle(
            "cell_right_bold", cell, alignment=TA_RIGHT, fontName=fonts.BOLD
        ),
        "cell_head": ParagraphStyle("cell_head", cell, alignment=TA_CENTER, fontName=fonts.BOLD),
        "signer": ParagraphStyle(
            "signer", base, alignment=TA_CENTER, fontName=fonts.BOLD, fontSize=13, leading=16
        ),
        "hint": ParagraphStyle(
            "hint", base, alignment=TA_CENTER, fontName=fonts.ITALIC, fontSize=12, leading=15
        ),
        "recipients_head": ParagraphStyle(
            "recipients_head", base, fontName=fonts.BOLD_ITALIC, fontSize=12, alignment=TA_LEFT
        ),
        "recipients": ParagraphStyle("recipients", base, fontSize=11, leading=13),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def _two_lines(text: str, style: ParagraphStyle, width: float) -> Paragraph:
    """A name too long for one line broken where its two lines are most even, as agencies'
    names are set ("ỦY BAN NHÂN DÂN / PHƯỜNG BA ĐÌNH")."""

    def measure(part: str) -> float:
        return float(stringWidth(part, style.fontName, style.fontSize))

    words = text.split()
    if measure(text) <= width or len(words) < 2:
        return _p(text, style)
    splits = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
    fitting = [pair for pair in splits if max(map(measure, pair)) <= width]
    if not fitting:
        return _p(text, style)
    first, second = min(fitting, key=lambda pair: max(map(measure, pair)))
    return Paragraph(f"{escape(first)}<br/>{escape(second)}", style)


def _columns(left: list[Any], right: list[Any], widths: tuple[float, float]) -> Table:
    return Table(
        [[left, right]],
        colWidths=list(widths),
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                # Cells hold paragraphs; without this each table names Helvetica.
                ("FONT", (0, 0), (-1, -1), fonts.REGULAR),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        ),
    )


def _grid(data: list[list[Any]], widths: Sequence[float], commands: Iterable[Any] = ()) -> Table:
    return Table(
        data,
        colWidths=list(widths),
        repeatRows=1,
        splitInRow=1,
        style=TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
                ("BACKGROUND", (0, 0), (-1, 0), _HEAD_SHADE),
                # Cells hold paragraphs; without this each table names Helvetica.
                ("FONT", (0, 0), (-1, -1), fonts.REGULAR),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                *commands,
            ]
        ),
    )


def _header(
    styles: dict[str, ParagraphStyle],
    *,
    parent: str,
    issuer: str,
    reference: str,
    day: date,
    widths: tuple[float, float],
) -> list[Any]:
    left: list[Any] = []
    if parent.strip():
        left.append(_two_lines(parent.upper(), styles["head"], widths[0]))
    left += [_two_lines(issuer.upper(), styles["head_bold"], widths[0]), _p("———", styles["head"])]
    if reference:
        left.append(_p(reference, styles["head"]))
    right = [
        _p(NATIONAL_NAME, styles["head_bold"]),
        _p(MOTTO, styles["motto"]),
        _p("———————", styles["head"]),
        _p(f"{settings.SIGNING_LOCALITY}, {_day(day)}", styles["place"]),
    ]
    return [_columns(left, right, widths), Spacer(1, 7 * mm)]


def _page_number(canvas: Canvas, document: Any) -> None:
    """From page 2 on, the page number at the top centre (Decree 30)."""
    page = canvas.getPageNumber()
    if page > 1:
        width, height = document.pagesize
        canvas.saveState()
        canvas.setFont(fonts.REGULAR, 12)
        canvas.drawCentredString(width / 2, height - 12 * mm, str(page))
        canvas.restoreState()


def _build(
    story: list[Any],
    *,
    pagesize: tuple[float, float],
    margins: tuple[float, float, float, float],
    title: str,
    subject: str,
    author: str,
) -> bytes:
    left, right, top, bottom = margins
    width, height = pagesize
    frame = Frame(
        left,
        bottom,
        width - left - right,
        height - top - bottom,
        id="body",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    buffer = io.BytesIO()
    document = BaseDocTemplate(
        buffer,
        pagesize=pagesize,
        pageTemplates=[PageTemplate("page", [frame], onPage=_page_number)],
        title=title,
        subject=subject,
        author=author,
        creator="Thủ Đô Số",
        invariant=1,
        # Otherwise every page names Helvetica, a font without Vietnamese, though unused.
        initialFontName=fonts.REGULAR,
    )
    document.build(story)
    return buffer.getvalue()


# --- the self-assessment ---------------------------------------------------------------------


def _value_text(node: Node, value: Decimal | None) -> str:
    """What was reported or measured, in the sub-index's terms (Có/Không, ``85 %``)."""
    if value is None:
        return ""
    if node.method == Method.YES_NO:
        return "Có" if value else "Không"
    return f"{number(value)} {node.value_unit}".strip()


def _measured_text(score: Score) -> str:
    if not score.node.measure_source:
        return ""
    if score.measured_value is None:
        return "—"
    return _value_text(score.node, score.measured_value)


def self_assessment(unit: RoundUnit, *, signer_name: str = "") -> bytes:
    """The unit's self-assessment as an A4 report: every sub-index with its maximum, the
    value and points the unit gives itself, the platform's measured value and the
    explanation; totals per main index and overall; the leader's signature block
    (``signer_name``, else whoever approved it)."""
    styles = _styles()
    found = selectors.assessment(unit=unit)
    round_ = unit.round
    framework = round_.framework
    agency = unit.agency
    year = round_.year
    indices = found.indices
    total = sum((i.self_points for i in indices), Decimal(0))
    maximum = sum((i.max_points for i in indices), Decimal(0))
    day = _local_day(unit.submitted_at)
    left_width = 73 * mm
    story = _header(
        styles,
        parent=agency.parent.name if agency.parent is not None else "",
        issuer=agency.name,
        reference="Số:        /BC",
        day=day,
        widths=(left_width, PORTRAIT_TEXT - left_width),
    )
    story += [
        _p("BÁO CÁO", styles["title"]),
        _p(SELF_TITLE.format(year=year), styles["title"]),
        Spacer(1, 3 * mm),
        _p(f"Kính gửi: {round_.standing_body.name}", styles["subtitle"]),
        Spacer(1, 4 * mm),
    ]
    basis = f" ({framework.legal_basis})" if framework.legal_basis else ""
    story.append(
        _p(
            f"Thực hiện đợt “{round_.name}” theo {framework.name}{basis}, {agency.name} "
            f"báo cáo kết quả tự đánh giá chỉ số chuyển đổi số năm {year} như sau:",
            styles["indent"],
        )
    )
    if framework.sample:
        story.append(
            _p("Bộ chỉ số mẫu: tên, cách chấm và điểm chỉ mang tính minh họa.", styles["note"])
        )
    story.append(_p("I. KẾT QUẢ TỔNG HỢP", styles["section"]))
    story.append(
        _p(
            f"Tổng điểm tự đánh giá: {number(total)}/{number(maximum)} điểm; "
            f"giá trị chỉ số: {index_value(scoring.index_value(total, maximum))}.",
            styles["indent"],
        )
    )
    for block in indices:
        story.append(
            _p(
                f"Chỉ số chính {block.node.code}. {block.node.name}: "
                f"{number(block.self_points)}/{number(block.max_points)} điểm.",
                styles["indent"],
            )
        )
    story.append(_p("II. KẾT QUẢ CHI TIẾT", styles["section"]))
    story.append(_self_table(found, styles, total, maximum))
    if any(line.score.flagged for line in found.lines()):
        story += [Spacer(1, 1 * mm), _p(FLAG_NOTE, styles["note"])]
    signer = signer_name or (unit.approved_by.full_name if unit.approved_by else "")
    story.append(_self_signature(styles, round_, signer, left_width))
    return _build(
        story,
        pagesize=A4,
        margins=(LEFT, RIGHT, TOP, BOTTOM),
        title=f"Báo cáo {SELF_TITLE.format(year=year).lower()}",
        subject=f"{agency.code} — {round_.name}",
        author=agency.name,
    )


def _self_table(
    found: selectors.Assessment,
    styles: dict[str, ParagraphStyle],
    total: Decimal,
    maximum: Decimal,
) -> Table:
    head, cell, center, right = (
        styles["cell_head"],
        styles["cell"],
        styles["cell_center"],
        styles["cell_right"],
    )
    bold, right_bold = styles["cell_bold"], styles["cell_right_bold"]
    labels = ("Mã", "Chỉ số", "Điểm tối đa", "Giá trị tự đánh giá", "Điểm tự chấm",
              "Số liệu đo", "Giải trình")  # fmt: skip
    rows: list[list[Any]] = [[_p(label, head) for label in labels]]
    commands: list[Any] = []
    for group in found.groups:
        commands += [
            ("SPAN", (0, len(rows)), (-1, len(rows))),
            ("BACKGROUND", (0, len(rows)), (-1, len(rows)), _SHADE),
        ]
        rows.append([_p(f"{group.node.code}. {group.node.name}", bold), "", "", "", "", "", ""])
        for block in group.indices:
            rows.append(
                [
                    _p(block.node.code, bold),
                    _p(block.node.name, bold),
                    _p(number(block.max_points), right_bold),
                    "",
                    _p(number(block.self_points), right_bold),
                    "",
                    "",
                ]
            )
            for line in block.lines:
                score, node = line.score, line.node
                measured = _measured_text(score) + (" (*)" if score.flagged else "")
                rows.append(
                    [
                        _p(node.code, center),
                        _p(node.name, cell),
                        _p(number(node.max_points), right),
                        _p(_value_text(node, score.value), center),
                        _p(number(score.self_points), right),
                        _p(measured, center),
                        _p(score.explanation, cell),
                    ]
                )
    commands.append(("SPAN", (0, len(rows)), (1, len(rows))))
    rows.append(
        [
            _p("Tổng cộng", bold),
            "",
            _p(number(maximum), right_bold),
            "",
            _p(number(total), right_bold),
            "",
            "",
        ]
    )
    widths = [13 * mm, 50 * mm, 15 * mm, 19 * mm, 15 * mm, 18 * mm]
    return _grid(rows, [*widths, PORTRAIT_TEXT - sum(widths)], commands)


def _self_signature(
    styles: dict[str, ParagraphStyle], round_: Round, signer: str, left_width: float
) -> Any:
    left = [
        _p("Nơi nhận:", styles["recipients_head"]),
        _p(f"- {round_.standing_body.name};", styles["recipients"]),
        _p("- Hội đồng thẩm định;", styles["recipients"]),
        _p("- Lưu: VT.", styles["recipients"]),
    ]
    right = [
        _p("THỦ TRƯỞNG ĐƠN VỊ", styles["signer"]),
        _p("(Ký, ghi rõ họ tên và đóng dấu)", styles["hint"]),
        Spacer(1, 24 * mm),
        _p(signer, styles["signer"]),
    ]
    return KeepTogether(
        [Spacer(1, 6 * mm), _columns(left, right, (left_width, PORTRAIT_TEXT - left_width))]
    )


# --- the round's results ---------------------------------------------------------------------


def _index_columns(units: Sequence[UnitResult]) -> list[tuple[str, str]]:
    """The main indices of the round, in the framework's order (a unit may lack some when
    sub-indices apply only to some kinds of unit)."""
    seen: dict[str, str] = {}
    for unit in units:
        for total in unit.indices:
            seen.setdefault(total.code, total.name)
    return list(seen.items())


def _shares(unit: UnitResult, codes: Sequence[str]) -> list[float]:
    """Per main index: the points as a percentage of its maximum."""
    by_code = {t.code: t for t in unit.indices}
    shares = []
    for code in codes:
        total = by_code.get(code)
        if total is None or total.max_points <= 0:
            shares.append(0.0)
        else:
            shares.append(float(100 * total.points / total.max_points))
    return shares


def results(round_: Round, results: RoundResults) -> bytes:
    """The round's results as an A4 landscape document: the ranking with last year's
    change, a radar of the top units and the group's average by main index, and the
    points of every unit per main index."""
    styles = _styles()
    body = round_.standing_body
    year = results.year
    day = _local_day(round_.published_at)
    left_width = 110 * mm
    story = _header(
        styles,
        parent=body.parent.name if body.parent is not None else "",
        issuer=body.name,
        reference="",
        day=day,
        widths=(left_width, LANDSCAPE_TEXT - left_width),
    )
    framework = round_.framework
    story += [
        _p(RESULTS_TITLE.format(year=year), styles["title"]),
        _p(results.name, styles["subtitle"]),
        _p(
            f"Bộ chỉ số: {framework.name} (mã {framework.code}, phiên bản {framework.version})",
            styles["subtitle"],
        ),
    ]
    if results.peer_group:
        story.append(_p(f"Nhóm xếp hạng: {results.peer_group}", styles["subtitle"]))
    if not results.published:
        story.append(
            _p("Kết quả tạm tính, chưa được công bố.", ParagraphStyle("draft", styles["subtitle"]))
        )
    story.append(Spacer(1, 4 * mm))
    story.append(_p("I. BẢNG XẾP HẠNG", styles["section"]))
    story.append(_ranking_table(results, styles))
    columns = _index_columns(results.units)
    if len(columns) >= 3 and results.units:
        story.append(
            KeepTogether(
                [
                    _p("II. CÁC CHỈ SỐ CHÍNH (tỷ lệ điểm đạt được so với điểm tối đa)",
                       styles["section"]),
                    _radar(results.units, columns),
                ]
            )
        )  # fmt: skip
        section = "III"
    else:
        section = "II"
    if columns:
        story.append(_p(f"{section}. ĐIỂM THEO CHỈ SỐ CHÍNH", styles["section"]))
        story.append(_index_table(results.units, columns, styles))
    story.append(
        KeepTogether(
            [
                Spacer(1, 6 * mm),
                _columns(
                    [],
                    [_p("CƠ QUAN THƯỜNG TRỰC", styles["signer"]),
                     _p(body.name.upper(), styles["signer"])],
                    (LANDSCAPE_TEXT - 110 * mm, 110 * mm),
                ),
            ]
        )
    )  # fmt: skip
    return _build(
        story,
        pagesize=landscape(A4),
        margins=(MARGIN, MARGIN, MARGIN, MARGIN),
        title=RESULTS_TITLE.format(year=year).capitalize(),
        subject=results.name,
        author=body.name,
    )


def _ranking_table(results: RoundResults, styles: dict[str, ParagraphStyle]) -> Table:
    head, cell, center, right = (
        styles["cell_head"],
        styles["cell"],
        styles["cell_center"],
        styles["cell_right"],
    )
    labels = ("Hạng", "Mã đơn vị", "Đơn vị", "Điểm", "Điểm tối đa", "Giá trị chỉ số",
              "Năm trước", "Tăng/giảm")  # fmt: skip
    rows: list[list[Any]] = [[_p(label, head) for label in labels]]
    for unit in results.units:
        rows.append(
            [
                _p(str(unit.rank), center),
                _p(unit.unit_code, center),
                _p(unit.unit_name, cell),
                _p(number(unit.points), right),
                _p(number(unit.max_points), right),
                _p(index_value(unit.value), right),
                _p(index_value(unit.previous_value) or "—", right),
                _p(change(unit.change), right),
            ]
        )
    widths = [14 * mm, 32 * mm, 0.0, 22 * mm, 22 * mm, 25 * mm, 25 * mm, 25 * mm]
    widths[2] = LANDSCAPE_TEXT - sum(widths)
    return _grid(rows, widths)


def _radar(units: Sequence[UnitResult], columns: Sequence[tuple[str, str]]) -> Drawing:
    codes = [code for code, _name in columns]
    top = list(units[:RADAR_UNITS])
    all_shares = [_shares(u, codes) for u in units]
    average = [sum(s[i] for s in all_shares) / len(all_shares) for i in range(len(codes))]
    rings = [[level] * len(codes) for level in (25.0, 50.0, 75.0, 100.0)]
    series = [_shares(u, codes) for u in top]
    height = 92 * mm
    drawing = Drawing(LANDSCAPE_TEXT, height)
    # Otherwise the chart names Helvetica, a font without Vietnamese, though unused.
    drawing.initialFontName = fonts.REGULAR
    chart = SpiderChart()
    chart.x, chart.y = 55 * mm, 10 * mm
    chart.width = chart.height = height - 22 * mm
    # The rings first: with 100 among the data, the outer ring is 100 % of the maximum.
    chart.data = [*rings, *series, average]
    chart.labels = [_short(f"{code}. {name}", 34) for code, name in columns]
    chart.spokeLabels.fontName = fonts.REGULAR
    chart.spokeLabels.fontSize = 8
    chart.spokes.strokeColor = _RING
    chart.spokes.labelRadius = 1.08
    chart.strandLabels.format = None
    for n in range(len(rings)):
        chart.strands[n].strokeColor = _RING
        chart.strands[n].fillColor = None
        chart.strands[n].strokeWidth = 0.5
    for n in range(len(series)):
        strand = chart.strands[len(rings) + n]
        strand.strokeColor = _SERIES[n % len(_SERIES)]
        strand.fillColor = None
        strand.strokeWidth = 1.4
    last = chart.strands[len(rings) + len(series)]
    last.strokeColor = _AVERAGE
    last.fillColor = None
    last.strokeWidth = 1.4
    last.strokeDashArray = (4, 2)
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = 185 * mm, height - 18 * mm
    legend.fontName = fonts.REGULAR
    legend.fontSize = 9
    legend.alignment = "right"
    legend.dy = legend.dx = 8
    legend.columnMaximum = 10
    legend.colorNamePairs = [
        (_SERIES[n % len(_SERIES)], f"{u.rank}. {_short(u.unit_name, 48)}")
        for n, u in enumerate(top)
    ] + [(_AVERAGE, f"Trung bình của nhóm ({len(units)} đơn vị)")]
    drawing.add(legend)
    drawing.add(
        String(
            185 * mm,
            12 * mm,
            "Vòng ngoài cùng: 100% điểm tối đa; các vòng trong: 75%, 50%, 25%.",
            fontName=fonts.ITALIC,
            fontSize=8.5,
        )
    )
    return drawing


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _index_table(
    units: Sequence[UnitResult],
    columns: Sequence[tuple[str, str]],
    styles: dict[str, ParagraphStyle],
) -> Table:
    head, cell, center, right = (
        styles["cell_head"],
        styles["cell"],
        styles["cell_center"],
        styles["cell_right"],
    )
    codes = [code for code, _name in columns]
    maxima: dict[str, set[Decimal]] = {code: set() for code in codes}
    for unit in units:
        for total in unit.indices:
            maxima[total.code].add(total.max_points)
    uniform = {code: next(iter(m)) for code, m in maxima.items() if len(m) == 1}

    def heading(code: str, name: str) -> Paragraph:
        limit = f"<br/>(tối đa {number(uniform[code])})" if code in uniform else ""
        return Paragraph(f"{escape(code)}. {escape(_short(name, 60))}{limit}", head)

    rows: list[list[Any]] = [
        [_p("Hạng", head), _p("Đơn vị", head), *(heading(c, n) for c, n in columns),
         _p("Tổng điểm", head)]
    ]  # fmt: skip
    for unit in units:
        by_code = {t.code: t for t in unit.indices}
        cells = []
        for code in codes:
            found = by_code.get(code)
            if found is None:
                cells.append(_p("—", center))
            elif code in uniform:
                cells.append(_p(number(found.points), right))
            else:
                cells.append(_p(f"{number(found.points)}/{number(found.max_points)}", right))
        rows.append(
            [_p(str(unit.rank), center), _p(unit.unit_name, cell), *cells,
             _p(number(unit.points), right)]
        )  # fmt: skip
    if units:
        averages = []
        for code in codes:
            points = [t.points for u in units for t in u.indices if t.code == code]
            averages.append(
                _p(number(scoring.quantize(sum(points, Decimal(0)) / len(points))), right)
                if points
                else _p("—", center)
            )
        mean = scoring.quantize(sum((u.points for u in units), Decimal(0)) / len(units))
        rows.append(
            [_p("", center), _p("Trung bình", styles["cell_bold"]), *averages,
             _p(number(mean), right)]
        )  # fmt: skip
    name_width = 70 * mm
    rest = LANDSCAPE_TEXT - 14 * mm - name_width - 22 * mm
    each = rest / max(len(codes), 1)
    return _grid(rows, [14 * mm, name_width, *([each] * len(codes)), 22 * mm])
