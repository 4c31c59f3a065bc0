"""Presentation of the DTI pages: numbers written the Vietnamese way, labels of statuses
and roles, the results table as rows for the templates. Nothing here reads or writes rows."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from thudo.core import text as core_text
from thudo.dti.contracts import (
    CouncilRole,
    IndexTotal,
    Method,
    ReviewVerdict,
    RoundResults,
    RoundStatus,
    UnitResult,
    UnitStatus,
)
from thudo.dti.models import Node

ROUND_STATUS = {
    RoundStatus.DRAFT: _("Đang chuẩn bị"),
    RoundStatus.OPEN: _("Đang tự đánh giá"),
    RoundStatus.APPRAISAL: _("Đang thẩm định"),
    RoundStatus.PUBLISHED: _("Đã công bố"),
}
UNIT_STATUS = {
    UnitStatus.DRAFT: _("Đang tự đánh giá"),
    UnitStatus.AWAITING_APPROVAL: _("Chờ lãnh đạo phê duyệt"),
    UnitStatus.SUBMITTED: _("Đã gửi Hội đồng"),
    UnitStatus.DECIDED: _("Hội đồng đã kết luận"),
    UnitStatus.APPEALED: _("Đang xem xét kiến nghị"),
    UnitStatus.FINAL: _("Đã chốt kết quả"),
}
COUNCIL_ROLE = {
    CouncilRole.CHAIR: _("Chủ tịch Hội đồng"),
    CouncilRole.VICE_CHAIR: _("Phó Chủ tịch Hội đồng"),
    CouncilRole.STANDING: _("Ủy viên thường trực"),
    CouncilRole.MEMBER: _("Ủy viên"),
}
METHOD = {
    Method.MANUAL: _("Chấm điểm trực tiếp"),
    Method.YES_NO: _("Có / Không"),
    Method.RATIO: _("Theo tỷ lệ so với chỉ tiêu"),
    Method.TIERS: _("Theo bậc"),
}
EVIDENCE = {
    "required": _("bắt buộc"),
    "optional": _("không bắt buộc"),
    "none": _("không cần"),
}
VERDICT = {
    ReviewVerdict.CONFIRM: _("Xác nhận"),
    ReviewVerdict.ADJUST: _("Điều chỉnh"),
}
MEDIA = {
    "application/pdf": "PDF",
    "image/jpeg": "JPG",
    "image/png": "PNG",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
}


def label(labels: dict[Any, Any], key: Any) -> str:
    return str(labels.get(key, key))


# --- numbers --------------------------------------------------------------------------------


vn = core_text.vn_number
plain = core_text.plain_number


@dataclass(frozen=True)
class Change:
    """A year-over-year change as shown: arrow, signed figure, words for screen readers."""

    arrow: str
    text: str
    words: str
    direction: str  # "up", "down", "same"


def change(value: Decimal | None) -> Change | None:
    if value is None:
        return None
    figure = vn(abs(value), 4)
    if value > 0:
        return Change("▲", f"+{figure}", str(_("tăng")), "up")
    if value < 0:
        return Change("▼", f"−{figure}", str(_("giảm")), "down")
    return Change("=", figure, str(_("không đổi")), "same")


# --- the framework --------------------------------------------------------------------------


def dom_id(code: str) -> str:
    """A sub-index code made safe for an HTML id and a CSS selector: ``1.2`` → ``1-2``."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", code)


@dataclass(frozen=True)
class Tier:
    threshold: str
    points: str


def tiers(node: Node) -> list[Tier]:
    found = []
    for threshold, points in node.tiers or ():
        found.append(Tier(vn(Decimal(str(threshold))), vn(Decimal(str(points)))))
    return found


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexCell:
    total: IndexTotal | None
    points: str
    max_points: str


@dataclass(frozen=True)
class ResultRow:
    result: UnitResult
    points: str
    max_points: str
    value: str
    change: Change | None
    cells: tuple[IndexCell, ...]


@dataclass(frozen=True)
class ResultsTable:
    results: RoundResults
    columns: tuple[tuple[str, str], ...]  # main indices: code, name
    rows: tuple[ResultRow, ...]


def index_columns(units: Iterable[UnitResult]) -> tuple[tuple[str, str], ...]:
    """Every main index any unit is scored on, in the framework's order."""
    seen: dict[str, str] = {}
    for unit in units:
        for index in unit.indices:
            seen.setdefault(index.code, index.name)
    return tuple(seen.items())


def results_table(results: RoundResults) -> ResultsTable:
    columns = index_columns(results.units)
    rows = []
    for unit in results.units:
        by_code = {i.code: i for i in unit.indices}
        cells = tuple(
            IndexCell(
                by_code.get(code),
                vn(by_code[code].points) if code in by_code else "",
                vn(by_code[code].max_points) if code in by_code else "",
            )
            for code, _name in columns
        )
        rows.append(
            ResultRow(
                unit,
                vn(unit.points),
                vn(unit.max_points),
                vn(unit.value, 4),
                change(unit.change),
                cells,
            )
        )
    return ResultsTable(results, columns, tuple(rows))


def index_share(total: IndexTotal) -> Decimal:
    if total.max_points <= 0:
        return Decimal(0)
    return min(max(total.points / total.max_points, Decimal(0)), Decimal(1))
