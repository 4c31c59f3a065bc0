"""The service index of Decision 766/QĐ-TTg (100 points) computed from real dossiers:
five groups, each with the formula shown to the reader. The decision names the groups
and their weights; the ratios inside each group are this platform's measurable reading
of them, stated next to each score so nobody has to trust a number they cannot check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from thudo.core.models import Agency
from thudo.procedures.selectors import Figures, figures


@dataclass(frozen=True)
class Group:
    code: str
    name: Any
    weight: int
    score: float
    formula: Any
    detail: str


@dataclass(frozen=True)
class ServiceIndex:
    start: date
    end: date
    agency: Agency | None
    groups: tuple[Group, ...]
    figures: Figures

    @property
    def total(self) -> float:
        return round(sum(g.score for g in self.groups), 2)


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = ZoneInfo(settings.TIME_ZONE)
    return datetime.combine(start, time.min, tz), datetime.combine(
        end + timedelta(days=1), time.min, tz
    )


def compute(*, start: date, end: date, agency: Agency | None = None) -> ServiceIndex:
    since, until = bounds(start, end)
    f = figures(start=since, end=until, agency=agency)
    publicity = _ratio(f.procedures_complete_info, f.procedures)
    progress = _ratio(f.on_time, f.finished)
    digital = _ratio(f.digital_results, f.finished)
    online = 0.5 * _ratio(f.procedures_full_online, f.procedures) + 0.5 * _ratio(
        f.online, f.received
    )
    satisfaction = (f.average_rating - 1) / 4 if f.average_rating is not None else 0.0
    groups = (
        Group(
            "publicity", _("Công khai, minh bạch"), 18, round(18 * publicity, 2),
            _("18 × thủ tục công khai đủ thông tin (thành phần, thời hạn, phí, căn cứ, "
              "tờ khai) / thủ tục"),
            f"{f.procedures_complete_info} / {f.procedures}",
        ),
        Group(
            "progress", _("Tiến độ, kết quả giải quyết"), 20, round(20 * progress, 2),
            _("20 × hồ sơ giải quyết đúng hạn / hồ sơ đã giải quyết trong kỳ"),
            f"{f.on_time} / {f.finished}",
        ),
        Group(
            "digitisation", _("Số hóa hồ sơ, kết quả"), 22, round(22 * digital, 2),
            _("22 × hồ sơ có kết quả điện tử ký số / hồ sơ đã giải quyết trong kỳ"),
            f"{f.digital_results} / {f.finished}",
        ),
        Group(
            "online", _("Cung cấp dịch vụ công trực tuyến"), 22, round(22 * online, 2),
            _("22 × (½ × thủ tục toàn trình / thủ tục + ½ × hồ sơ nộp trực tuyến / "
              "hồ sơ tiếp nhận)"),
            f"½ × {f.procedures_full_online}/{f.procedures} + ½ × {f.online}/{f.received}",
        ),
        Group(
            "satisfaction", _("Mức độ hài lòng"), 18, round(18 * satisfaction, 2),
            _("18 × (điểm đánh giá trung bình − 1) / 4, thang 1–5"),
            f"{f.average_rating:.2f} ({f.rated})" if f.average_rating is not None else "— (0)",
        ),
    )  # fmt: skip
    return ServiceIndex(start, end, agency, groups, f)
