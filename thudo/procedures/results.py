"""The result of a procedure as a PDF to be signed: the agency's heading, the national
name, the result's title, the applicant's identity (from the population database) and
the particulars of the form, and the leader's signature block with room for the seal
over its left third (Decree 30)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from django.conf import settings
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table

from thudo.core import fonts

NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
APPLICANT_LABELS = {
    "full_name": "Họ, chữ đệm, tên",
    "personal_id": "Số định danh cá nhân",
    "birth_date": "Ngày, tháng, năm sinh",
    "address": "Nơi thường trú",
}


@dataclass(frozen=True)
class Result:
    title: str
    procedure: str
    dossier_code: str
    agency_name: str
    parent_agency_name: str
    place: str
    applicant: dict[str, Any]
    form: dict[str, Any]
    labels: dict[str, str]
    signer_name: str
    signer_title: str
    issued_at: datetime
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Layout:
    page: int
    signature: tuple[int, int, int, int]
    seal: tuple[int, int, int, int]


class _Mark(Flowable):
    """An empty box whose position on the page is remembered when drawn."""

    def __init__(self, width: float, height: float, into: dict[str, Any]) -> None:
        super().__init__()
        self.width, self.height, self.into = width, height, into

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        x, y = self.canv.absolutePosition(0, 0)
        self.into["page"] = self.canv.getPageNumber() - 1
        self.into["box"] = (round(x), round(y), round(x + self.width), round(y + self.height))


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_value(v)}" for k, v in value.items())
    return str(value)


def render(result: Result) -> tuple[bytes, Layout]:
    fonts.register()
    base = ParagraphStyle("base", fontName=fonts.REGULAR, fontSize=13, leading=17)
    head = ParagraphStyle("head", base, alignment=TA_CENTER, fontSize=12.5, leading=15)
    head_bold = ParagraphStyle("head_bold", head, fontName=fonts.BOLD)
    motto = ParagraphStyle("motto", head_bold, fontSize=13.5, leading=16)
    place = ParagraphStyle("place", base, alignment=TA_CENTER, fontName=fonts.ITALIC)
    title = ParagraphStyle(
        "title", base, alignment=TA_CENTER, fontName=fonts.BOLD, fontSize=15, leading=20
    )
    row = ParagraphStyle("row", base, alignment=TA_LEFT, fontSize=13, leading=17)
    signer = ParagraphStyle("signer", base, alignment=TA_CENTER, fontName=fonts.BOLD)

    def p(text: str, style: ParagraphStyle) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    local = result.issued_at.astimezone(ZoneInfo(settings.TIME_ZONE))
    left = [
        p((result.parent_agency_name or "").upper(), head),
        p(result.agency_name.upper(), head_bold),
        p("———", head),
        p(f"Mã hồ sơ: {result.dossier_code}", head),
    ]
    right = [
        p(NATIONAL_NAME, head_bold),
        p(MOTTO, motto),
        p("———————", head),
        p(
            f"{result.place}, ngày {local:%d} tháng {local:%m} năm {local:%Y}",
            place,
        ),
    ]
    story: list[Any] = [
        Table([[left, right]], colWidths=[72 * mm, 98 * mm]),
        Spacer(1, 8 * mm),
        p(result.title.upper(), title),
        p(result.procedure, ParagraphStyle("sub", place)),
        Spacer(1, 6 * mm),
    ]
    rows = [
        (APPLICANT_LABELS[k], _value(result.applicant.get(k, "")))
        for k in APPLICANT_LABELS
        if result.applicant.get(k)
    ]
    rows += [
        (result.labels.get(k, k), _value(v))
        for k, v in result.form.items()
        if v not in ("", None, [], {})
    ]
    rows += list(result.extra.items())
    story += [p(f"{label}: {value}", row) for label, value in rows]
    marks: dict[str, Any] = {}
    block = [
        p(result.signer_title.upper(), signer),
        _Mark(80 * mm, 28 * mm, marks),
        p(result.signer_name, signer),
    ]
    story += [
        Spacer(1, 10 * mm),
        KeepTogether(Table([["", block]], colWidths=[80 * mm, 90 * mm])),
    ]
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=30 * mm,
        rightMargin=15 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=result.title,
        author=result.agency_name,
        invariant=1,
    )
    document.build(story)
    x1, y1, x2, y2 = marks["box"]
    third = (x2 - x1) // 3
    layout = Layout(
        page=marks["page"],
        signature=(x1, y1, x2, y2),
        seal=(x1 - third, y1, x1 + third, y2),
    )
    return out.getvalue(), layout
