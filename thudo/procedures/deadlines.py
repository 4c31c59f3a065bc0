"""Deadlines from valid receipt, in working time (core calendar): "N working days", "N
working hours", and "same day; next working day if received after the cut-off hour".
The clock stops while a supplement is pending: what was left is given back on supply."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from thudo.core.calendar import WorkingCalendar, get_calendar
from thudo.procedures.models import ProcedureVersion


def _end_of_day(calendar: WorkingCalendar, day: object) -> datetime:
    sessions = calendar.sessions
    last = sessions[-1].end if sessions else time(17, 0)
    return datetime.combine(day, last, calendar.tz)  # type: ignore[arg-type]


def due(
    version: ProcedureVersion, received: datetime, calendar: WorkingCalendar | None = None
) -> datetime:
    """When the result is due for a dossier received as valid at ``received``."""
    calendar = calendar or get_calendar()
    local = received.astimezone(calendar.tz)
    if version.deadline_hours:
        return calendar.add_working_hours(local, version.deadline_hours)
    start = local.date()
    late = (
        not calendar.is_working_day(start)
        or (version.cutoff is not None and local.time() >= version.cutoff)
        or (calendar.sessions and local.time() >= calendar.sessions[-1].end)
    )
    if late:
        # Received after hours counts as received on the next working day.
        start = calendar.next_working_day(start + timedelta(days=1))
    day = (
        calendar.add_working_days(start, version.deadline_days) if version.deadline_days else start
    )
    return _end_of_day(calendar, day)


def resumed(due_at: datetime, paused_at: datetime, now: datetime) -> datetime:
    """The new due time after a pause: the working time that was left at the pause,
    counted again from now."""
    calendar = get_calendar()
    left = calendar.working_hours_between(paused_at, due_at)
    if left <= timedelta(0):
        return now
    return calendar.add_working_hours(now, left)
