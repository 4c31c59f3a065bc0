"""Working-day calendar: weekends, Vietnamese public holidays, local overrides.

National holidays — Tết and Hùng Kings day on the lunar calendar, substitute days off and
official weekend swaps — come from the ``holidays`` package (``holidays.Vietnam``), which
computes lunar dates itself; only local changes are kept as data
(:class:`~thudo.core.models.CalendarOverride`). Deadlines everywhere count working days
and working hours through this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.utils.translation import gettext as _

SATURDAY = 5
_HOLIDAY_LANGUAGES = {"vi": "vi", "en": "en_US"}


@dataclass(frozen=True)
class Holiday:
    date: date
    name: str
    source: str  # "national" | "local"


@dataclass(frozen=True)
class Session:
    start: time
    end: time


def parse_office_hours(spec: Iterable[str]) -> tuple[Session, ...]:
    """Sessions such as ``["08:00-12:00", "13:00-17:00"]``, checked and in order.

    A session that ends before it starts, or two that overlap, would make
    :meth:`WorkingCalendar.add_working_hours` count negative or double time (a reversed
    session even loops forever), so a bad ``THUDO_OFFICE_HOURS`` fails at start-up instead.
    """
    sessions = []
    for part in spec:
        begin, sep, end = part.strip().partition("-")
        if not sep:
            raise ValueError(f"office hours must look like 08:00-12:00, not {part!r}")
        session = Session(time.fromisoformat(begin.strip()), time.fromisoformat(end.strip()))
        if session.end <= session.start:
            raise ValueError(f"office hours session {part!r} ends before it starts")
        sessions.append(session)
    sessions.sort(key=lambda s: s.start)
    if not sessions:
        raise ValueError("office hours need at least one session")
    for earlier, later in pairwise(sessions):
        if later.start < earlier.end:
            raise ValueError(
                f"office hours sessions overlap: {earlier.start}-{earlier.end} "
                f"and {later.start}-{later.end}"
            )
    return tuple(sessions)


def _holiday_language(language: str) -> str:
    # Django language codes come as "en", "en-us" or "vi-vn"; the holidays package knows
    # "en_US" and "vi". Unknown languages get the official Vietnamese names.
    primary = language.replace("_", "-").split("-")[0].lower()
    return _HOLIDAY_LANGUAGES.get(primary, "vi")


class WorkingCalendar:
    """Which days and hours are working time, and arithmetic over them.

    ``overrides`` maps a date to ``(kind, name)`` where kind is ``"day_off"`` or
    ``"working_day"`` (local decisions on top of the national calendar).
    """

    def __init__(
        self,
        overrides: Mapping[date, tuple[str, str]] | None = None,
        office_hours: Iterable[str] | None = None,
        tz: str | None = None,
        language: str = "vi",
    ) -> None:
        self._overrides = dict(overrides or {})
        self._national = holidays.Vietnam(language=_holiday_language(language))
        self.sessions = parse_office_hours(office_hours or settings.THUDO_OFFICE_HOURS)
        self.tz = ZoneInfo(tz or settings.TIME_ZONE)

    # --- days ---------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        override = self._overrides.get(day)
        if override is not None:
            return override[0] == "working_day"
        if day in self._national:
            return False
        if day.weekday() >= SATURDAY:
            # Weekend days made working days by an official swap (làm bù).
            return day in self._national.weekend_workdays
        return True

    def holidays_in(self, year: int) -> list[Holiday]:
        """Days off in ``year`` other than ordinary weekends, with their names."""
        found: dict[date, Holiday] = {}
        for day, name in holidays.Vietnam(years=year, language=self._national.language).items():
            found[day] = Holiday(day, name, "national")
        for day, (kind, name) in self._overrides.items():
            if day.year != year:
                continue
            if kind == "day_off":
                found[day] = Holiday(day, name, "local")
            else:
                found.pop(day, None)
        return sorted(found.values(), key=lambda h: h.date)

    def next_working_day(self, day: date) -> date:
        """``day`` itself when it is a working day, else the first one after it."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``start`` itself is not counted).

        With ``days == 0`` it is ``start`` or, if that is not a working day, the next one.
        """
        if days < 0:
            raise ValueError(_("Số ngày làm việc không được âm."))
        if days == 0:
            return self.next_working_day(start)
        day = start
        remaining = days
        while remaining:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in the half-open range (start, end]."""
        if end <= start:
            return 0
        return sum(
            1
            for offset in range(1, (end - start).days + 1)
            if self.is_working_day(start + timedelta(days=offset))
        )

    # --- hours --------------------------------------------------------------------------

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            # A naive time is ambiguous: the server's clock may not be in Vietnam.
            raise ValueError(_("Thời điểm phải có múi giờ."))
        return moment.astimezone(self.tz)

    def _sessions_on(self, day: date) -> list[tuple[datetime, datetime]]:
        if not self.is_working_day(day):
            return []
        return [
            (datetime.combine(day, s.start, self.tz), datetime.combine(day, s.end, self.tz))
            for s in self.sessions
        ]

    def working_hours_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time (office sessions of working days) between two moments."""
        start, end = self._local(start), self._local(end)
        if end <= start:
            return timedelta(0)
        total = timedelta(0)
        day = start.date()
        while day <= end.date():
            for begin, finish in self._sessions_on(day):
                overlap = min(finish, end) - max(begin, start)
                if overlap > timedelta(0):
                    total += overlap
            day += timedelta(days=1)
        return total

    def add_working_hours(self, start: datetime, hours: float | timedelta) -> datetime:
        """The moment when ``hours`` of working time have passed since ``start``."""
        left = hours if isinstance(hours, timedelta) else timedelta(hours=hours)
        if left < timedelta(0):
            raise ValueError(_("Số giờ làm việc không được âm."))
        moment = self._local(start)
        day = moment.date()
        while True:
            for begin, finish in self._sessions_on(day):
                if finish <= moment:
                    continue
                begin = max(begin, moment)
                available = finish - begin
                if left <= available:
                    return begin + left
                left -= available
            day += timedelta(days=1)
            moment = datetime.combine(day, time.min, self.tz)


def get_calendar(language: str = "vi") -> WorkingCalendar:
    """The platform calendar with the local overrides stored in the database."""
    from thudo.core.models import CalendarOverride

    overrides = {
        row.date: (row.kind, row.name)
        for row in CalendarOverride.objects.only("date", "kind", "name")
    }
    return WorkingCalendar(overrides=overrides, language=language)
