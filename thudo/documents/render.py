"""The PDF of a document, laid out after Decree 30/2020 (Appendix I): national name and
motto, issuer, number/symbol, place and date, type and summary, content, the signer's
authority, position and name, and the recipients; A4, serif 13–14 pt.

The number and the date are left blank, as form fields: the agency's clerk fills them at
issue, after the leader has signed (a form fill, which the leader's signature allows),
and then applies the agency's seal. ``Layout`` says where the blanks and the signature
block are; ``fill_number_and_date`` fills them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from thudo.core import fonts
from thudo.documents.contracts import DOCUMENT_TYPES

NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
Box = tuple[int, int, int, int]


@dataclass
class Layout:
    """Where, on which page, the number, the date and the signature go (PDF points)."""

    number: tuple[int, Box] = (0, (0, 0, 0, 0))
    date: tuple[int, Box] = (0, (0, 0, 0, 0))
    signature: tuple[int, Box] = (0, (0, 0, 0, 0))
    pages: int = 1


@dataclass
class Draft:
    type_code: str
    summary: str
    body: str
    issuer_name: str
    issuer_short: str
    parent_name: str = ""
    place: str = "Hà Nội"
    signer_authority: str = ""
    signer_position: str = ""
    signer_name: str = ""
    recipients: list[str] = field(default_factory=list)
    confidential: bool = False
    urgency: str = ""


class _Mark(Flowable):
    """An empty box whose position on the page is remembered when drawn."""

    def __init__(self, width: float, height: float, key: str, into: dict[str, Any]) -> None:
        super().__init__()
        self.width, self.height, self.key, self.into = width, height, key, into

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        x, y = self.canv.absolutePosition(0, 0)
        page = self.canv.getPageNumber() - 1
        self.into[self.key] = (
            page,
            (round(x), round(y), round(x + self.width), round(y + self.height)),
        )


class _Field(_Mark):
    """A blank the agency's clerk fills at issue (number, day, month, year): an AcroForm
    text field holding digits only, so that filling it after the leader has signed is a
    form fill that the signature allows."""

    def draw(self) -> None:
        super().draw()
        x, y = self.canv.absolutePosition(0, 0)
        self.canv.acroForm.textfield(
            name=self.key,
            x=x,
            y=y,
            width=self.width,
            height=self.height,
            value="",
            borderWidth=0,
            borderColor=None,
            fillColor=None,
            textColor=None,
            forceBorder=False,
            fontName="Times-Roman",
            fontSize=13,
            maxlen=8,
        )


FIELDS = ("so", "ngay", "thang", "nam")


def _styles() -> dict[str, ParagraphStyle]:
    fonts.register()
    base = ParagraphStyle("base", fontName=fonts.REGULAR, fontSize=13, leading=17)
    return {
        "head": ParagraphStyle("head", base, alignment=TA_CENTER, fontSize=12.5, leading=15),
        "head_bold": ParagraphStyle(
            "head_bold", base, alignment=TA_CENTER, fontName=fonts.BOLD, fontSize=12.5, leading=15
        ),
        "motto": ParagraphStyle(
            "motto", base, alignment=TA_CENTER, fontName=fonts.BOLD, fontSize=13.5, leading=16
        ),
        "number": ParagraphStyle("number", base, alignment=TA_CENTER, fontSize=13),
        "place": ParagraphStyle(
            "place", base, alignment=TA_CENTER, fontName=fonts.ITALIC, fontSize=13.5
        ),
        "title": ParagraphStyle(
            "title", base, alignment=TA_CENTER, fontName=fonts.BOLD, fontSize=14, leading=18
        ),
        "body": ParagraphStyle(
            "body",
            base,
            alignment=TA_JUSTIFY,
            fontSize=14,
            leading=19,
            firstLineIndent=12 * mm,
            spaceAfter=6,
        ),
        "letter_summary": ParagraphStyle("letter_summary", base, alignment=TA_CENTER, fontSize=12),
        "signer": ParagraphStyle(
            "signer", base, alignment=TA_CENTER, fontName=fonts.BOLD, fontSize=13.5, leading=17
        ),
        "recipients_head": ParagraphStyle(
            "recipients_head", base, fontName=fonts.BOLD_ITALIC, fontSize=12, alignment=TA_LEFT
        ),
        "recipients": ParagraphStyle("recipients", base, fontSize=11, leading=13),
        "mark": ParagraphStyle("mark", base, alignment=TA_CENTER, fontName=fonts.BOLD, fontSize=13),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def render(draft: Draft) -> tuple[bytes, Layout]:
    """The document as PDF, and where its number, date and signature belong."""
    styles = _styles()
    marks: dict[str, Any] = {}
    type_name, abbreviation = DOCUMENT_TYPES[draft.type_code]
    letter = not abbreviation
    symbol = f"{abbreviation}-{draft.issuer_short}" if abbreviation else draft.issuer_short
    left_width, right_width = 70 * mm, 95 * mm

    number_row = Table(
        [[_p("Số:", styles["number"]), _Field(14 * mm, 15, "so", marks),
          _p(f"/{symbol}", styles["number"])]],
        colWidths=[11 * mm, 14 * mm, 40 * mm],
        style=TableStyle([("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                          ("LEFTPADDING", (0, 0), (-1, -1), 0),
                          ("RIGHTPADDING", (0, 0), (-1, -1), 0)]),
    )  # fmt: skip
    left: list[Any] = []
    if draft.parent_name:
        left.append(_p(draft.parent_name.upper(), styles["head"]))
    left += [_p(draft.issuer_name.upper(), styles["head_bold"]), _p("———", styles["head"])]
    left.append(number_row)
    if letter:
        left.append(_p(f"V/v {draft.summary}", styles["letter_summary"]))
    right = [
        _p(NATIONAL_NAME, styles["head_bold"]),
        _p(MOTTO, styles["motto"]),
        _p("———————", styles["head"]),
        Table(
            [
                [
                    _p(f"{draft.place}, ngày", styles["place"]),
                    _Field(8 * mm, 15, "ngay", marks),
                    _p("tháng", styles["place"]),
                    _Field(8 * mm, 15, "thang", marks),
                    _p("năm", styles["place"]),
                    _Field(12 * mm, 15, "nam", marks),
                ]
            ],
            colWidths=[30 * mm, 8 * mm, 14 * mm, 8 * mm, 10 * mm, 13 * mm],
            style=TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ]
            ),
        ),
    ]
    header = Table(
        [[left, right]],
        colWidths=[left_width, right_width],
        style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                          ("LEFTPADDING", (0, 0), (-1, -1), 0),
                          ("RIGHTPADDING", (0, 0), (-1, -1), 0)]),
    )  # fmt: skip
    story: list[Any] = []
    if draft.confidential or draft.urgency:
        marks_line = " ".join(
            t for t in ("MẬT" if draft.confidential else "", draft.urgency.upper()) if t
        )
        story.append(_p(marks_line, styles["mark"]))
    story += [header, Spacer(1, 8 * mm)]
    if not letter:
        story += [_p(type_name.upper(), styles["title"]), _p(draft.summary, styles["title"])]
        story.append(Spacer(1, 6 * mm))
    for paragraph in (p.strip() for p in draft.body.split("\n\n")):
        if paragraph:
            story.append(_p(paragraph, styles["body"]))
    signer = [
        _p(draft.signer_authority.upper(), styles["signer"]) if draft.signer_authority else None,
        _p(draft.signer_position.upper(), styles["signer"]) if draft.signer_position else None,
        _Mark(80 * mm, 30 * mm, "signature", marks),
        _p(draft.signer_name, styles["signer"]),
    ]
    recipients = [_p("Nơi nhận:", styles["recipients_head"])]
    for index, name in enumerate(draft.recipients):
        end = "." if index == len(draft.recipients) - 1 else ";"
        recipients.append(_p(f"- {name}{end}", styles["recipients"]))
    closing = Table(
        [[recipients, [s for s in signer if s is not None]]],
        colWidths=[left_width, right_width],
        style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                          ("LEFTPADDING", (0, 0), (-1, -1), 0)]),
    )  # fmt: skip
    story += [Spacer(1, 4 * mm), KeepTogether([closing])]

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=30 * mm,
        rightMargin=15 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=f"{type_name}: {draft.summary}"[:200],
        author=draft.issuer_name,
        creator="Thủ Đô Số",
    )
    document.build(story)
    layout = Layout(
        number=marks["so"], date=marks["ngay"], signature=marks["signature"], pages=document.page
    )
    return buffer.getvalue(), layout


def fill_number_and_date(pdf: bytes, *, number: int, day: date) -> bytes:
    """The blanks filled in (an incremental update that leaves earlier signatures intact)."""
    from pypdf import PdfWriter

    values = {
        "so": f"{number:02d}",
        "ngay": f"{day.day:02d}",
        "thang": f"{day.month:02d}",
        "nam": str(day.year),
    }
    writer = PdfWriter(io.BytesIO(pdf), incremental=True)
    for page in writer.pages:
        names = {
            str(annotation.get_object().get("/T")) for annotation in page.get("/Annots", []) or []
        }
        wanted = {k: v for k, v in values.items() if k in names}
        if wanted:
            writer.update_page_form_field_values(page, wanted, auto_regenerate=False)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
