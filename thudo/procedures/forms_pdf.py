"""The one-stop forms of Circular 03/2025/TT-VPCP, Appendix I, as PDF (biểu mẫu một cửa):

01 receipt and appointment slip (giấy tiếp nhận hồ sơ và hẹn trả kết quả), 02 request to
supplement (phiếu yêu cầu bổ sung), 03 refusal (phiếu từ chối), 04 apology and new return
date (phiếu xin lỗi), 05 notice of stopping (thông báo dừng giải quyết), 06 processing
control slip (phiếu kiểm soát) and 07 dossier register (sổ theo dõi hồ sơ, landscape).

Laid out like Decree 30 documents: governing body and agency at the top left, national name
and motto at the top right, place and date, title, content, signature block at the bottom
right; A4, Noto Serif (it has the Vietnamese letters that the built-in PDF fonts lack).

The agency seals form 01 afterwards. Its signature block is therefore drawn at a fixed
place on page 1, whatever the length of the component list, so that the seal's box is a
constant (``SEAL_BOX_01``); a list too long for page 1 continues on the next pages.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from thudo.core import fonts

TIME_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
TITLES = {
    "01": "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
    "02": "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
    "03": "PHIẾU TỪ CHỐI TIẾP NHẬN, GIẢI QUYẾT HỒ SƠ",
    "04": "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
    "05": "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ",
    "06": "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
    "07": "SỔ THEO DÕI HỒ SƠ",
}
CHANNELS = {"online": "Trực tuyến", "counter": "Trực tiếp tại Bộ phận Một cửa"}
BLANK_MOMENT = "… giờ … phút, ngày … tháng … năm …"

# Portrait pages: the Decree 30 margins (left 30 mm, right 15 mm, top and bottom 20 mm).
PAGE_WIDTH, PAGE_HEIGHT = A4
LEFT, RIGHT, TOP, BOTTOM = 30 * mm, 15 * mm, 20 * mm, 20 * mm
TEXT_WIDTH = PAGE_WIDTH - LEFT - RIGHT
LEFT_COLUMN = 73 * mm
RIGHT_COLUMN = TEXT_WIDTH - LEFT_COLUMN

# Form 01, page 1: the band at the bottom kept for the signature block, and in it the box
# left empty for the agency's seal (its visible digital signature).
SIGNATURE_BAND = 54 * mm
_BAND_TOP = BOTTOM + SIGNATURE_BAND
_TITLE_ROOM = 17 * mm  # the official's title (up to two lines) and "(Ký và ghi rõ họ tên)"
_SEAL_WIDTH, _SEAL_HEIGHT = 66 * mm, 26 * mm
_SEAL_X1 = round(LEFT + LEFT_COLUMN + (RIGHT_COLUMN - _SEAL_WIDTH) / 2)
_SEAL_Y2 = round(_BAND_TOP - _TITLE_ROOM)
SEAL_BOX_01: tuple[float, float, float, float] = (
    float(_SEAL_X1),
    float(_SEAL_Y2 - round(_SEAL_HEIGHT)),
    float(_SEAL_X1 + round(_SEAL_WIDTH)),
    float(_SEAL_Y2),
)


@dataclass(frozen=True)
class Component:
    """One paper of the dossier (thành phần hồ sơ) and how many copies were handed in."""

    name: str
    copies: str = "1 bản"


@dataclass(frozen=True)
class ControlStep:
    """One hand-off on the control slip (form 06): who gave the dossier to whom, when, by
    when the receiver must finish, and how it went (trước hạn / đúng hạn / quá hạn)."""

    handed_by: str
    received_by: str
    at: datetime
    deadline: date | None
    result: str
    note: str = ""


@dataclass(frozen=True)
class RegisterRow:
    """One dossier in the register (form 07)."""

    code: str
    applicant: str
    procedure: str
    received_at: datetime
    due_at: datetime | None
    finished_at: datetime | None
    status: str


@dataclass(frozen=True)
class FormContext:
    """Everything a form shows. ``reason`` is what to supplement (02), why refused (03), why
    late (04) or why stopped (05); ``due_at`` is the appointment for the result and
    ``new_due_at`` the new one (04); ``steps`` fill form 06 and ``rows`` form 07."""

    form: str
    agency_name: str
    parent_agency_name: str
    place: str
    dossier_code: str
    procedure_name: str
    applicant_name: str
    applicant_id: str
    applicant_address: str
    applicant_phone: str
    applicant_email: str
    received_at: datetime | None
    due_at: datetime | None
    new_due_at: datetime | None
    components: tuple[Component, ...]
    reason: str
    official_name: str
    official_title: str
    channel: str
    steps: tuple[ControlStep, ...]
    rows: tuple[RegisterRow, ...]
    issued_at: datetime


# --- dates and times, in Vietnam's time -------------------------------------------------------


def _local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("Form times must be timezone-aware.")
    return moment.astimezone(TIME_ZONE)


def _day(day: date) -> str:
    # Decree 30: a 0 before days under 10 and before months 1 and 2.
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def moment_text(moment: datetime | None) -> str:
    """``14 giờ 30 phút, ngày 05 tháng 3 năm 2026``, or the blank of the printed form."""
    if moment is None:
        return BLANK_MOMENT
    local = _local(moment)
    return f"{local.hour:02d} giờ {local.minute:02d} phút, {_day(local.date())}"


def _short(moment: datetime | None) -> str:
    return "" if moment is None else f"{_local(moment):%H:%M %d/%m/%Y}"


# --- styles and small builders ---------------------------------------------------------------


def _styles() -> dict[str, ParagraphStyle]:
    fonts.register()
    base = ParagraphStyle("base", fontName=fonts.REGULAR, fontSize=13, leading=17)
    return {
        "head": ParagraphStyle("head", base, alignment=TA_CENTER, fontSize=12, leading=15),
        "head_bold": ParagraphStyle(
            "head_bold", base, alignment=TA_CENTER, fontName=fonts.BOLD, fontSize=12, leading=15
        ),
        "motto": ParagraphStyle(
            "motto", base, alignment=TA_CENTER, fontName=fonts.BOLD, fontSize=13, leading=16
        ),
        "code": ParagraphStyle("code", base, alignment=TA_CENTER, fontSize=12, leading=15),
        "place": ParagraphStyle(
            "place", base, alignment=TA_CENTER, fontName=fonts.ITALIC, fontSize=13, leading=16
        ),
        "title": ParagraphStyle(
            "title", base, alignment=TA_CENTER, fontName=fonts.BOLD, fontSize=14, leading=18
        ),
        "subtitle": ParagraphStyle(
            "subtitle", base, alignment=TA_CENTER, fontName=fonts.ITALIC, fontSize=12.5
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
        "cell": ParagraphStyle("cell", base, fontSize=11, leading=13.5),
        "cell_center": ParagraphStyle(
            "cell_center", base, alignment=TA_CENTER, fontSize=11, leading=13.5
        ),
        "cell_head": ParagraphStyle(
            "cell_head", base, alignment=TA_CENTER, fontName=fonts.BOLD, fontSize=11, leading=13.5
        ),
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
        "page_number": ParagraphStyle("page_number", base, alignment=TA_CENTER, fontSize=12),
    }


def _markup(text: str) -> str:
    return escape(str(text)).replace("\n", "<br/>")


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(_markup(text), style)


def _labelled(label: str, value: str, style: ParagraphStyle) -> Paragraph:
    """``label`` followed by the value, or by a dotted blank when there is none."""
    shown = _markup(value) if str(value).strip() else "…………………………"
    return Paragraph(f"{escape(label)} {shown}", style)


def _two_lines(text: str, style: ParagraphStyle, width: float) -> Paragraph:
    """A name too long for one line broken where its two lines are most even, as agencies'
    names are set ("ỦY BAN NHÂN DÂN / THÀNH PHỐ HÀ NỘI"), not wherever the line fills up."""

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


def _fitted(text: str, style: ParagraphStyle, width: float) -> Paragraph:
    """One line, in a smaller size if need be (a dossier code must not break)."""
    size = style.fontSize
    while size > 8 and stringWidth(text, style.fontName, size) > width:
        size -= 0.5
    return _p(text, ParagraphStyle(f"{style.name}_{size}", style, fontSize=size))


def _paragraphs(text: str, style: ParagraphStyle) -> list[Paragraph]:
    parts = [part.strip() for part in str(text).split("\n")]
    return [_p(part, style) for part in parts if part] or [_p("…………………………", style)]


def _plain_table(
    data: list[list[Any]], widths: list[float], *, repeat: int = 1, align: Iterable[Any] = ()
) -> Table:
    return Table(
        data,
        colWidths=widths,
        repeatRows=repeat,
        splitInRow=1,
        style=TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, "black"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                # Cells hold paragraphs; without this each table names Helvetica.
                ("FONT", (0, 0), (-1, -1), fonts.REGULAR),
                ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                *align,
            ]
        ),
    )


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


# --- the parts every form shares ------------------------------------------------------------


def _header(
    ctx: FormContext, styles: dict[str, ParagraphStyle], widths: tuple[float, float]
) -> list[Any]:
    left: list[Any] = []
    if ctx.parent_agency_name.strip():
        left.append(_two_lines(ctx.parent_agency_name.upper(), styles["head"], widths[0]))
    left += [
        _two_lines(ctx.agency_name.upper(), styles["head_bold"], widths[0]),
        _p("———", styles["head"]),
    ]
    if ctx.form != "07":
        code = ctx.dossier_code.strip() or "…………………………"
        left.append(_fitted(f"Mã hồ sơ: {code}", styles["code"], widths[0]))
    issued = _local(ctx.issued_at).date()
    right = [
        _p(NATIONAL_NAME, styles["head_bold"]),
        _p(MOTTO, styles["motto"]),
        _p("———————", styles["head"]),
        _p(f"{ctx.place}, {_day(issued)}", styles["place"]),
    ]
    return [_columns(left, right, widths), Spacer(1, 8 * mm)]


def _title(ctx: FormContext, styles: dict[str, ParagraphStyle]) -> list[Any]:
    return [_p(TITLES[ctx.form], styles["title"]), Spacer(1, 5 * mm)]


def _applicant(ctx: FormContext, styles: dict[str, ParagraphStyle], label: str) -> list[Any]:
    body = styles["body"]
    return [
        _labelled(label, ctx.applicant_name, body),
        _labelled("Số định danh cá nhân:", ctx.applicant_id, body),
        _labelled("Địa chỉ:", ctx.applicant_address, body),
        Paragraph(
            f"Số điện thoại: {_markup(ctx.applicant_phone or '…………')}"
            f"&nbsp;&nbsp;&nbsp;&nbsp;Email: {_markup(ctx.applicant_email or '…………')}",
            body,
        ),
        _labelled("Nội dung yêu cầu giải quyết:", ctx.procedure_name, body),
    ]


def _signature(
    ctx: FormContext,
    styles: dict[str, ParagraphStyle],
    left: list[Any] | None = None,
) -> Any:
    right = [
        _p(ctx.official_title.upper(), styles["signer"]),
        _p("(Ký và ghi rõ họ tên)", styles["hint"]),
        Spacer(1, 24 * mm),
        _p(ctx.official_name, styles["signer"]),
    ]
    return KeepTogether(
        [Spacer(1, 6 * mm), _columns(left or [], right, (LEFT_COLUMN, RIGHT_COLUMN))]
    )


def _recipients(styles: dict[str, ParagraphStyle]) -> list[Any]:
    return [
        _p("Nơi nhận:", styles["recipients_head"]),
        _p("- Như trên;", styles["recipients"]),
        _p("- Lưu: Bộ phận Một cửa.", styles["recipients"]),
    ]


# --- the forms -------------------------------------------------------------------------------


def _form_01(ctx: FormContext, styles: dict[str, ParagraphStyle]) -> list[Any]:
    body, cell, center = styles["body"], styles["cell"], styles["cell_center"]
    story = _applicant(ctx, styles, f"Bộ phận Một cửa {ctx.agency_name} tiếp nhận hồ sơ của:")
    story.append(_p("1. Thành phần hồ sơ nộp gồm:", body))
    rows: list[list[Any]] = [
        [_p("TT", styles["cell_head"]), _p("Tên giấy tờ", styles["cell_head"]),
         _p("Số lượng", styles["cell_head"])]
    ]  # fmt: skip
    for number, component in enumerate(ctx.components, start=1):
        rows.append(
            [_p(str(number), center), _p(component.name, cell), _p(component.copies, center)]
        )
    if not ctx.components:
        rows.append([_p("", center), _p("…………………………", cell), _p("", center)])
    story += [
        _plain_table(rows, [12 * mm, TEXT_WIDTH - 42 * mm, 30 * mm]),
        Spacer(1, 2 * mm),
        _labelled("2. Hình thức nộp hồ sơ:", CHANNELS.get(ctx.channel, ctx.channel), body),
        _p(f"3. Thời gian nhận hồ sơ: {moment_text(ctx.received_at)}", body),
        _p(f"4. Thời gian trả kết quả giải quyết hồ sơ: {moment_text(ctx.due_at)}", body),
    ]
    return story


def _form_02(ctx: FormContext, styles: dict[str, ParagraphStyle]) -> list[Any]:
    body = styles["body"]
    story = _applicant(ctx, styles, "Hồ sơ của:")
    story.append(_p(f"Ngày tiếp nhận: {moment_text(ctx.received_at)}", body))
    story.append(_p("Yêu cầu bổ sung, hoàn thiện hồ sơ gồm những nội dung sau:", body))
    story += _paragraphs(ctx.reason, styles["indent"])
    story.append(
        _p(
            "Trong quá trình bổ sung, hoàn thiện hồ sơ nếu có vướng mắc, Ông/Bà liên hệ "
            f"Bộ phận Một cửa {ctx.agency_name} để được hướng dẫn.",
            body,
        )
    )
    return [*story, _signature(ctx, styles)]


def _form_03(ctx: FormContext, styles: dict[str, ParagraphStyle]) -> list[Any]:
    body = styles["body"]
    story = _applicant(ctx, styles, f"Bộ phận Một cửa {ctx.agency_name} tiếp nhận hồ sơ của:")
    story.append(
        _p(
            f"Qua xem xét, Bộ phận Một cửa {ctx.agency_name} thông báo không tiếp nhận, giải "
            "quyết hồ sơ này với lý do cụ thể như sau:",
            body,
        )
    )
    story += _paragraphs(ctx.reason, styles["indent"])
    story.append(_p("Xin thông báo để Ông/Bà được biết và thực hiện./.", body))
    return [*story, _signature(ctx, styles)]


def _form_04(ctx: FormContext, styles: dict[str, ParagraphStyle]) -> list[Any]:
    indent = styles["indent"]
    received = _local(ctx.received_at).date() if ctx.received_at else None
    on_day = _day(received).capitalize() if received else "Ngày … tháng … năm …"
    story: list[Any] = [
        Paragraph(f"Kính gửi: Ông/Bà <b>{_markup(ctx.applicant_name)}</b>", styles["subtitle"]),
        Spacer(1, 4 * mm),
        _p(
            f"{on_day}, {ctx.agency_name} tiếp nhận hồ sơ của Ông/Bà về việc "
            f"{ctx.procedure_name}, mã hồ sơ {ctx.dossier_code}.",
            indent,
        ),
        _p(f"Thời gian hẹn trả kết quả giải quyết hồ sơ: {moment_text(ctx.due_at)}.", indent),
        _p(
            f"Tuy nhiên đến nay, {ctx.agency_name} chưa trả kết quả giải quyết hồ sơ của "
            "Ông/Bà đúng hạn ghi trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả.",
            indent,
        ),
        _p("Lý do:", indent),
        *_paragraphs(ctx.reason, indent),
        _p(
            f"Sự chậm trễ này đã gây phiền hà cho Ông/Bà. {ctx.agency_name} xin lỗi Ông/Bà "
            "và hẹn lại thời gian trả kết quả giải quyết hồ sơ: "
            f"{moment_text(ctx.new_due_at)}.",
            indent,
        ),
        _p("Mong nhận được sự thông cảm của Ông/Bà vì sự chậm trễ này./.", indent),
    ]
    return [*story, _signature(ctx, styles, _recipients(styles))]


def _form_05(ctx: FormContext, styles: dict[str, ParagraphStyle]) -> list[Any]:
    indent = styles["indent"]
    received = _local(ctx.received_at).date() if ctx.received_at else None
    story: list[Any] = [
        Paragraph(f"Kính gửi: Ông/Bà <b>{_markup(ctx.applicant_name)}</b>", styles["subtitle"]),
        Spacer(1, 4 * mm),
        _p(
            f"{ctx.agency_name} thông báo dừng giải quyết hồ sơ của Ông/Bà về việc "
            f"{ctx.procedure_name}, mã hồ sơ {ctx.dossier_code}"
            + (f", tiếp nhận {_day(received)}." if received else "."),
            indent,
        ),
        _p("Lý do dừng giải quyết hồ sơ:", indent),
        *_paragraphs(ctx.reason, indent),
        _p("Xin thông báo để Ông/Bà được biết./.", indent),
    ]
    return [*story, _signature(ctx, styles, _recipients(styles))]


def _form_06(ctx: FormContext, styles: dict[str, ParagraphStyle]) -> list[Any]:
    body, cell, center, head = (
        styles["body"],
        styles["cell"],
        styles["cell_center"],
        styles["cell_head"],
    )
    story: list[Any] = [
        _p("(Kèm theo Giấy tiếp nhận hồ sơ và hẹn trả kết quả)", styles["subtitle"]),
        Spacer(1, 3 * mm),
        _labelled("Tổ chức, cá nhân nộp hồ sơ:", ctx.applicant_name, body),
        _labelled("Nội dung yêu cầu giải quyết:", ctx.procedure_name, body),
        _labelled("Cơ quan giải quyết hồ sơ:", ctx.agency_name, body),
        _p(f"Thời gian trả kết quả giải quyết hồ sơ: {moment_text(ctx.due_at)}", body),
        Spacer(1, 2 * mm),
    ]
    rows: list[list[Any]] = [
        [_p(label, head) for label in
         ("STT", "Giao, nhận hồ sơ", "Thời gian giao, nhận", "Hạn xử lý",
          "Kết quả giải quyết", "Ghi chú")]
    ]  # fmt: skip
    for number, step in enumerate(ctx.steps, start=1):
        rows.append(
            [
                _p(str(number), center),
                Paragraph(
                    f"<b>Giao:</b> {_markup(step.handed_by)}<br/>"
                    f"<b>Nhận:</b> {_markup(step.received_by)}",
                    cell,
                ),
                _p(_short(step.at), center),
                _p(f"{step.deadline:%d/%m/%Y}" if step.deadline else "", center),
                _p(step.result, center),
                _p(step.note, cell),
            ]
        )
    widths = [11 * mm, 52 * mm, 27 * mm, 22 * mm, 25 * mm]
    story.append(_plain_table(rows, [*widths, TEXT_WIDTH - sum(widths)]))
    return story


def _form_07(ctx: FormContext, styles: dict[str, ParagraphStyle]) -> list[Any]:
    cell, center, head = styles["cell"], styles["cell_center"], styles["cell_head"]
    story: list[Any] = []
    if ctx.procedure_name.strip():
        story += [_p(ctx.procedure_name, styles["subtitle"]), Spacer(1, 3 * mm)]
    rows: list[list[Any]] = [
        [_p(label, head) for label in
         ("STT", "Mã hồ sơ", "Tổ chức, cá nhân", "Thủ tục hành chính", "Nhận hồ sơ",
          "Hẹn trả kết quả", "Có kết quả", "Tình trạng")]
    ]  # fmt: skip
    for number, row in enumerate(ctx.rows, start=1):
        rows.append(
            [
                _p(str(number), center),
                _p(row.code, cell),
                _p(row.applicant, cell),
                _p(row.procedure, cell),
                _p(_short(row.received_at), center),
                _p(_short(row.due_at), center),
                _p(_short(row.finished_at), center),
                _p(row.status, cell),
            ]
        )
    width = landscape(A4)[0] - 2 * _LANDSCAPE_MARGIN
    widths = [11 * mm, 52 * mm, 45 * mm, 0.0, 24 * mm, 24 * mm, 24 * mm, 33 * mm]
    widths[3] = width - sum(widths)
    story.append(_plain_table(rows, widths))
    return story


_FORMS: dict[str, Callable[[FormContext, dict[str, ParagraphStyle]], list[Any]]] = {
    "01": _form_01,
    "02": _form_02,
    "03": _form_03,
    "04": _form_04,
    "05": _form_05,
    "06": _form_06,
    "07": _form_07,
}
_LANDSCAPE_MARGIN = 15 * mm


# --- pages -----------------------------------------------------------------------------------


def _page_number(styles: dict[str, ParagraphStyle]) -> Callable[[Canvas, Any], None]:
    """From page 2 on, the page number at the top centre (Decree 30)."""

    def draw(canvas: Canvas, document: Any) -> None:
        number = canvas.getPageNumber()
        if number > 1:
            width, height = document.pagesize
            canvas.saveState()
            canvas.setFont(fonts.REGULAR, 12)
            canvas.drawCentredString(width / 2, height - 12 * mm, str(number))
            canvas.restoreState()

    return draw


def _signature_band(
    ctx: FormContext, styles: dict[str, ParagraphStyle]
) -> Callable[[Canvas, Any], None]:
    """Form 01, page 1: the signature block at its fixed place, around ``SEAL_BOX_01``."""
    _, box_bottom, _, box_top = SEAL_BOX_01

    def top_down(canvas: Canvas, paragraphs: list[Paragraph], x: float, top: float) -> None:
        for paragraph in paragraphs:
            _, height = paragraph.wrap(RIGHT_COLUMN, PAGE_HEIGHT)
            paragraph.drawOn(canvas, x, top - height)
            top -= height

    def heading(text: str) -> Paragraph:
        # A long title shrinks rather than running into the seal's box.
        style = styles["signer"]
        for size in (13.0, 12.0, 11.0, 10.0, 9.0):
            sized = ParagraphStyle("signer_fit", style, fontSize=size, leading=size * 1.2)
            paragraph = _p(text, sized)
            _, height = paragraph.wrap(RIGHT_COLUMN, PAGE_HEIGHT)
            if height <= 2 * sized.leading:
                return paragraph
        return paragraph

    def draw(canvas: Canvas, document: Any) -> None:
        canvas.saveState()
        hint = styles["hint"]
        top_down(
            canvas,
            [heading(ctx.official_title.upper())],
            LEFT + LEFT_COLUMN,
            _BAND_TOP,
        )
        hint_paragraph = _p("(Ký và ghi rõ họ tên)", hint)
        hint_paragraph.wrap(RIGHT_COLUMN, PAGE_HEIGHT)
        hint_paragraph.drawOn(canvas, LEFT + LEFT_COLUMN, box_top + 1)
        name_top = box_bottom - 2
        top_down(canvas, [_p(ctx.official_name, styles["signer"])], LEFT + LEFT_COLUMN, name_top)
        if ctx.channel != "online":
            top_down(
                canvas,
                [_p("NGƯỜI NỘP HỒ SƠ", styles["signer"])],
                LEFT,
                _BAND_TOP,
            )
            left_hint = _p("(Ký và ghi rõ họ tên)", hint)
            left_hint.wrap(LEFT_COLUMN, PAGE_HEIGHT)
            left_hint.drawOn(canvas, LEFT, box_top + 1)
            top_down(canvas, [_p(ctx.applicant_name, styles["signer"])], LEFT, name_top)
        canvas.restoreState()

    return draw


def _frame(x: float, y: float, width: float, height: float, name: str) -> Frame:
    return Frame(
        x, y, width, height, id=name, leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0
    )


def render(ctx: FormContext) -> bytes:
    """The form as an A4 PDF (form 07 landscape); equal contexts give equal bytes."""
    if ctx.form not in _FORMS:
        raise ValueError(f"Unknown one-stop form {ctx.form!r}: expected one of {sorted(_FORMS)}.")
    styles = _styles()
    title = TITLES[ctx.form]
    buffer = io.BytesIO()
    if ctx.form == "07":
        pagesize = landscape(A4)
        width, height = pagesize
        margin = _LANDSCAPE_MARGIN
        full = _frame(margin, margin, width - 2 * margin, height - 2 * margin, "body")
        templates = [PageTemplate("page", [full], onPage=_page_number(styles))]
        widths = (110 * mm, width - 2 * margin - 110 * mm)
    else:
        pagesize = A4
        full = _frame(LEFT, BOTTOM, TEXT_WIDTH, PAGE_HEIGHT - TOP - BOTTOM, "body")
        templates = [PageTemplate("page", [full], onPage=_page_number(styles))]
        widths = (LEFT_COLUMN, RIGHT_COLUMN)
        if ctx.form == "01":
            above_band = _frame(LEFT, _BAND_TOP, TEXT_WIDTH, PAGE_HEIGHT - TOP - _BAND_TOP, "top")
            templates.insert(
                0, PageTemplate("first", [above_band], onPage=_signature_band(ctx, styles))
            )
    document = BaseDocTemplate(
        buffer,
        pagesize=pagesize,
        pageTemplates=templates,
        title=title,
        subject=ctx.dossier_code,
        author=ctx.agency_name,
        creator="Thủ Đô Số",
        invariant=1,
        # Otherwise every page names Helvetica, a font without Vietnamese, though unused.
        initialFontName=fonts.REGULAR,
    )
    story: list[Any] = []
    if ctx.form == "01":
        story.append(NextPageTemplate("page"))
    story += _header(ctx, styles, widths) + _title(ctx, styles) + _FORMS[ctx.form](ctx, styles)
    document.build(story)
    return buffer.getvalue()
