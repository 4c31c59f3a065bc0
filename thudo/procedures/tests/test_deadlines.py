"""Deadlines from valid receipt in working time (core calendar: weekends, Tết, local days
off), the same-day rule with its cut-off hour, and the clock stopped during a supplement."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from thudo.core.models import CalendarOverride
from thudo.procedures import deadlines
from thudo.procedures.models import ProcedureVersion

VN = ZoneInfo("Asia/Ho_Chi_Minh")
pytestmark = pytest.mark.django_db


def version(
    days: int = 0, hours: int | None = None, cutoff: time | None = None
) -> ProcedureVersion:
    return ProcedureVersion(deadline_days=days, deadline_hours=hours, cutoff=cutoff)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VN)


def test_same_day_before_the_cut_off_is_due_at_the_close_of_that_day() -> None:
    assert deadlines.due(version(cutoff=time(15)), at(2026, 12, 2, 9, 30)) == at(2026, 12, 2, 17)


def test_same_day_after_the_cut_off_is_due_the_next_working_day() -> None:
    # Friday 4 Dec 2026 after 15:00 → Monday 7 Dec.
    assert deadlines.due(version(cutoff=time(15)), at(2026, 12, 4, 15, 1)) == at(2026, 12, 7, 17)


def test_working_days_skip_the_weekend() -> None:
    # Received Thursday 3 Dec; 3 working days: Fri 4, Mon 7, Tue 8.
    assert deadlines.due(version(days=3), at(2026, 12, 3, 10)) == at(2026, 12, 8, 17)


def test_working_days_skip_tet() -> None:
    # Received Friday 13 Feb 2026; Tết 16–20 Feb; 2 working days: Mon 23, Tue 24.
    assert deadlines.due(version(days=2), at(2026, 2, 13, 10)) == at(2026, 2, 24, 17)


def test_received_on_a_day_off_counts_from_the_next_working_day() -> None:
    # Saturday 5 Dec: counted from Monday 7; 1 working day → Tuesday 8.
    assert deadlines.due(version(days=1), at(2026, 12, 5, 10)) == at(2026, 12, 8, 17)


def test_a_local_day_off_is_skipped() -> None:
    CalendarOverride.objects.create(date=datetime(2026, 12, 4).date(), kind="day_off", name="Nghỉ")
    assert deadlines.due(version(days=1), at(2026, 12, 3, 10)) == at(2026, 12, 7, 17)


def test_working_hours_count_office_sessions_only() -> None:
    # 8 working hours from Wednesday 16:00: 1 h on Wednesday, 7 h Thursday → Thursday 16:00.
    assert deadlines.due(version(hours=8), at(2026, 12, 2, 16)) == at(2026, 12, 3, 16)


def test_the_clock_stops_during_a_supplement() -> None:
    due = at(2026, 12, 8, 17)
    paused = at(2026, 12, 7, 17)  # 8 working hours were left
    resumed = deadlines.resumed(due, paused, at(2026, 12, 14, 8))
    assert resumed == at(2026, 12, 14, 17)
