"""Reporting periods of Decree 09/2019/NĐ-CP (kỳ báo cáo) with stable codes.

| type        | code      | data cut-off window (Art. 12)                        |
|-------------|-----------|------------------------------------------------------|
| monthly     | 2026M03   | 15 Feb → 14 Mar                                      |
| quarterly   | 2026Q1    | 15 Dec 2025 → 14 Mar 2026                            |
| six-monthly | 2026S1    | 15 Dec 2025 → 14 Jun 2026 (S2: 15 Jun → 14 Dec)      |
| nine-month  | 2026N9    | 15 Dec 2025 → 14 Sep 2026                            |
| annual      | 2026      | 15 Dec 2025 → 14 Dec 2026                            |

A period also names the calendar months it reports on (2026Q1 = months 1–3), which is
what analytics rolls up: months into quarters, quarters into halves, nine months and the
year. The submission deadline is a number of working days (core calendar) after the
cut-off day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from thudo.core.calendar import WorkingCalendar, get_calendar

CUT_OFF_DAY = 14  # the window ends on the 14th and the next one starts on the 15th


class PeriodType(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SIX_MONTHLY = "six_monthly"
    NINE_MONTH = "nine_month"
    ANNUAL = "annual"


PERIOD_TYPE_LABELS = {
    PeriodType.MONTHLY: _("Hằng tháng"),
    PeriodType.QUARTERLY: _("Hằng quý"),
    PeriodType.SIX_MONTHLY: _("6 tháng"),
    PeriodType.NINE_MONTH: _("9 tháng"),
    PeriodType.ANNUAL: _("Hằng năm"),
}

_CODE = re.compile(r"^(?P<year>\d{4})(?:M(?P<m>\d{2})|Q(?P<q>[1-4])|S(?P<s>[12])|(?P<n9>N9))?$")


class PeriodError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class ReportingPeriod:
    """One period: its code, type, the months it reports on and its cut-off window."""

    year: int
    first_month: int
    last_month: int
    type: PeriodType

    @property
    def code(self) -> str:
        y = self.year
        if self.type is PeriodType.MONTHLY:
            return f"{y}M{self.first_month:02d}"
        if self.type is PeriodType.QUARTERLY:
            return f"{y}Q{(self.first_month - 1) // 3 + 1}"
        if self.type is PeriodType.SIX_MONTHLY:
            return f"{y}S{1 if self.first_month == 1 else 2}"
        if self.type is PeriodType.NINE_MONTH:
            return f"{y}N9"
        return str(y)

    def __str__(self) -> str:
        return self.code

    @property
    def label(self) -> str:
        y = self.year
        if self.type is PeriodType.MONTHLY:
            return str(_("Tháng %(m)d/%(y)d") % {"m": self.first_month, "y": y})
        if self.type is PeriodType.QUARTERLY:
            quarter = ["I", "II", "III", "IV"][(self.first_month - 1) // 3]
            return str(_("Quý %(q)s/%(y)d") % {"q": quarter, "y": y})
        if self.type is PeriodType.SIX_MONTHLY:
            half = _("6 tháng đầu năm") if self.first_month == 1 else _("6 tháng cuối năm")
            return f"{half} {y}"
        if self.type is PeriodType.NINE_MONTH:
            return str(_("9 tháng năm %(y)d") % {"y": y})
        return str(_("Năm %(y)d") % {"y": y})

    @property
    def window_start(self) -> date:
        """First day of the cut-off window: the 15th of the month before the first month."""
        first = date(self.year, self.first_month, 1)
        return (first - timedelta(days=1)).replace(day=CUT_OFF_DAY + 1)

    @property
    def window_end(self) -> date:
        """Cut-off day (ngày chốt số liệu): the 14th of the last month."""
        return date(self.year, self.last_month, CUT_OFF_DAY)

    @property
    def months(self) -> list[str]:
        """Codes of the months the period reports on."""
        return [f"{self.year}M{m:02d}" for m in range(self.first_month, self.last_month + 1)]

    def contains(self, other: ReportingPeriod) -> bool:
        return (
            self.year == other.year
            and self.first_month <= other.first_month
            and other.last_month <= self.last_month
        )

    def deadline(self, working_days: int, calendar: WorkingCalendar | None = None) -> date:
        """Last day to submit: ``working_days`` working days after the cut-off day."""
        return (calendar or get_calendar()).add_working_days(self.window_end, working_days)

    def next(self) -> ReportingPeriod:
        return _shift(self, 1)

    def previous(self) -> ReportingPeriod:
        return _shift(self, -1)


_SPANS = {
    PeriodType.MONTHLY: 1,
    PeriodType.QUARTERLY: 3,
    PeriodType.SIX_MONTHLY: 6,
    PeriodType.NINE_MONTH: 12,  # one nine-month period a year: steps are whole years
    PeriodType.ANNUAL: 12,
}


def _shift(period: ReportingPeriod, steps: int) -> ReportingPeriod:
    span = _SPANS[period.type]
    index = period.year * 12 + period.first_month - 1 + steps * span
    year, first = divmod(index, 12)
    return of_type(period.type, year, first + 1)


def of_type(kind: PeriodType | str, year: int, month: int = 1) -> ReportingPeriod:
    """The period of ``kind`` that reports on ``month`` of ``year``."""
    kind = PeriodType(kind)
    if not 1 <= month <= 12:
        raise PeriodError(f"month {month} out of range")
    if kind is PeriodType.MONTHLY:
        return ReportingPeriod(year, month, month, kind)
    if kind is PeriodType.QUARTERLY:
        first = (month - 1) // 3 * 3 + 1
        return ReportingPeriod(year, first, first + 2, kind)
    if kind is PeriodType.SIX_MONTHLY:
        first = 1 if month <= 6 else 7
        return ReportingPeriod(year, first, first + 5, kind)
    if kind is PeriodType.NINE_MONTH:
        return ReportingPeriod(year, 1, 9, kind)
    return ReportingPeriod(year, 1, 12, kind)


def parse(code: str) -> ReportingPeriod:
    """``2026M03`` → the March 2026 period. Raises :class:`PeriodError` on anything else."""
    match = _CODE.match(code.strip()) if isinstance(code, str) else None
    if match is None:
        raise PeriodError(f"not a period code: {code!r}")
    year = int(match["year"])
    if not 1900 <= year <= 2200:
        raise PeriodError(f"year out of range: {code!r}")
    if match["m"]:
        month = int(match["m"])
        if not 1 <= month <= 12:
            raise PeriodError(f"month out of range: {code!r}")
        return of_type(PeriodType.MONTHLY, year, month)
    if match["q"]:
        return of_type(PeriodType.QUARTERLY, year, (int(match["q"]) - 1) * 3 + 1)
    if match["s"]:
        return of_type(PeriodType.SIX_MONTHLY, year, 1 if match["s"] == "1" else 7)
    if match["n9"]:
        return of_type(PeriodType.NINE_MONTH, year)
    return of_type(PeriodType.ANNUAL, year)


def is_code(code: str) -> bool:
    try:
        parse(code)
    except PeriodError:
        return False
    return True


def for_day(kind: PeriodType | str, day: date) -> ReportingPeriod:
    """The period whose cut-off window holds ``day`` (the 15th already counts for the
    next month)."""
    year, month = day.year, day.month
    if day.day > CUT_OFF_DAY:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    period = of_type(kind, year, month)
    if PeriodType(kind) is PeriodType.NINE_MONTH and month > 9:
        period = of_type(kind, year + 1)
    return period


def current_open(
    kind: PeriodType | str,
    today: date,
    deadline_days: int,
    calendar: WorkingCalendar | None = None,
) -> ReportingPeriod:
    """The period units are reporting on today: the last closed one while its deadline has
    not passed, else the one in progress."""
    in_progress = for_day(kind, today)
    last_closed = in_progress.previous()
    if today <= last_closed.deadline(deadline_days, calendar):
        return last_closed
    return in_progress


def contained(target: ReportingPeriod) -> list[ReportingPeriod]:
    """Every period of every type that lies inside ``target`` (itself included): what a
    roll-up into ``target`` reads."""
    found = []
    for kind in PeriodType:
        for month in range(target.first_month, target.last_month + 1):
            candidate = of_type(kind, target.year, month)
            if target.contains(candidate) and candidate not in found:
                found.append(candidate)
    return found


def in_range(kind: PeriodType | str, start: ReportingPeriod, end: ReportingPeriod) -> list[str]:
    """Codes of the periods of ``kind`` from the one holding ``start`` to ``end``."""
    current = of_type(kind, start.year, start.first_month)
    codes = []
    while current.year * 12 + current.first_month <= end.year * 12 + end.first_month:
        codes.append(current.code)
        current = current.next()
    return codes
