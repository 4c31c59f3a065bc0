"""Working days and hours: national holidays, weekend swaps, local overrides."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from thudo.core import services
from thudo.core.calendar import Holiday, Session, WorkingCalendar, get_calendar, parse_office_hours

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=HANOI)


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar()


# --- national holidays ------------------------------------------------------------------


def test_holidays_2026(cal: WorkingCalendar) -> None:
    assert [(h.date, h.name) for h in cal.holidays_in(2026)] == [
        (date(2026, 1, 1), "Tết Dương lịch"),
        (date(2026, 2, 16), "Giao thừa Tết Nguyên Đán"),
        (date(2026, 2, 17), "Tết Nguyên Đán"),
        (date(2026, 2, 18), "Mùng hai Tết Nguyên Đán"),
        (date(2026, 2, 19), "Mùng ba Tết Nguyên Đán"),
        (date(2026, 2, 20), "Mùng bốn Tết Nguyên Đán"),
        (date(2026, 4, 26), "Ngày Giỗ Tổ Hùng Vương"),
        (date(2026, 4, 27), "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)"),
        (date(2026, 4, 30), "Ngày Chiến thắng"),
        (date(2026, 5, 1), "Ngày Quốc tế Lao động"),
        (date(2026, 8, 31), "Ngày nghỉ (thay cho ngày 22/08/2026)"),
        (date(2026, 9, 1), "Quốc khánh"),
        (date(2026, 9, 2), "Quốc khánh"),
        (date(2026, 11, 24), "Ngày Văn hóa Việt Nam"),
    ]
    assert {h.source for h in cal.holidays_in(2026)} == {"national"}


def test_holidays_2025(cal: WorkingCalendar) -> None:
    # holidays.Vietnam counts Tết from 27 January (29 Tết) to 1 February 2025.
    assert [h.date for h in cal.holidays_in(2025)] == [
        date(2025, 1, 1),
        date(2025, 1, 27),
        date(2025, 1, 28),
        date(2025, 1, 29),
        date(2025, 1, 30),
        date(2025, 1, 31),
        date(2025, 2, 1),
        date(2025, 4, 7),
        date(2025, 4, 30),
        date(2025, 5, 1),
        date(2025, 5, 2),
        date(2025, 9, 1),
        date(2025, 9, 2),
    ]


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 2, 13), True),  # Friday before Tết
        (date(2026, 2, 16), False),  # Tết, Monday
        (date(2026, 2, 20), False),
        (date(2026, 2, 21), False),  # ordinary Saturday
        (date(2026, 2, 23), True),  # first Monday after Tết
        (date(2026, 4, 27), False),  # Hùng Kings observed (26 April is a Sunday)
        (date(2026, 8, 22), True),  # Saturday worked in exchange for 31 August
        (date(2026, 8, 31), False),
        (date(2026, 9, 2), False),
        (date(2025, 1, 27), False),  # 29 Tết
        (date(2025, 4, 26), True),  # Saturday worked in exchange for 2 May
        (date(2025, 5, 2), False),
        (date(2025, 4, 30), False),
        (date(2025, 9, 1), False),
        (date(2025, 9, 3), True),
    ],
)
def test_is_working_day(cal: WorkingCalendar, day: date, working: bool) -> None:
    assert cal.is_working_day(day) is working


def test_weekend_swap_is_known_without_looking_at_the_year_first() -> None:
    # A fresh calendar: the holidays package fills a year lazily on first look-up.
    assert WorkingCalendar().is_working_day(date(2026, 8, 22)) is True


@pytest.mark.parametrize("language", ["en", "en-us", "en_US"])
def test_holiday_names_in_english(language: str) -> None:
    holidays = WorkingCalendar(language=language).holidays_in(2026)
    assert holidays[:3] == [
        Holiday(date(2026, 1, 1), "New Year's Day", "national"),
        Holiday(date(2026, 2, 16), "Lunar New Year's Eve", "national"),
        Holiday(date(2026, 2, 17), "Lunar New Year", "national"),
    ]


def test_unknown_language_falls_back_to_vietnamese() -> None:
    assert WorkingCalendar(language="fr").holidays_in(2026)[0].name == "Tết Dương lịch"


# --- working days -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (date(2026, 2, 13), 3, date(2026, 2, 25)),  # received Friday before Tết
        (date(2026, 2, 13), 1, date(2026, 2, 23)),
        (date(2026, 3, 2), 5, date(2026, 3, 9)),  # Monday + 5 → next Monday
        (date(2026, 3, 7), 1, date(2026, 3, 9)),  # from a Saturday
        (date(2026, 3, 8), 2, date(2026, 3, 10)),  # from a Sunday
        (date(2026, 4, 29), 2, date(2026, 5, 5)),  # across 30 April and 1 May
        (date(2026, 8, 21), 1, date(2026, 8, 22)),  # the working Saturday counts
        (date(2026, 8, 28), 1, date(2026, 9, 3)),  # 31 Aug, 1–2 Sep off
        (date(2025, 4, 25), 1, date(2025, 4, 26)),
        (date(2026, 3, 4), 0, date(2026, 3, 4)),  # 0 days: the day itself…
        (date(2026, 3, 7), 0, date(2026, 3, 9)),  # …or the next working day
        (date(2026, 2, 16), 0, date(2026, 2, 23)),
    ],
)
def test_add_working_days(cal: WorkingCalendar, start: date, days: int, due: date) -> None:
    assert cal.add_working_days(start, days) == due


def test_next_working_day(cal: WorkingCalendar) -> None:
    assert cal.next_working_day(date(2026, 2, 14)) == date(2026, 2, 23)
    assert cal.next_working_day(date(2026, 2, 23)) == date(2026, 2, 23)


@pytest.mark.parametrize(
    ("start", "end", "count"),
    [
        (date(2026, 2, 13), date(2026, 2, 25), 3),
        (date(2026, 3, 2), date(2026, 3, 6), 4),  # (start, end]: Tue–Fri
        (date(2026, 3, 6), date(2026, 3, 9), 1),
        (date(2026, 8, 21), date(2026, 8, 24), 2),  # Sat 22 Aug and Mon 24 Aug
        (date(2026, 3, 2), date(2026, 3, 2), 0),
        (date(2026, 3, 9), date(2026, 3, 2), 0),
    ],
)
def test_working_days_between(cal: WorkingCalendar, start: date, end: date, count: int) -> None:
    assert cal.working_days_between(start, end) == count


def test_negative_working_days_rejected(cal: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="không được âm"):
        cal.add_working_days(date(2026, 3, 2), -1)


# --- working hours (08:00–12:00, 13:00–17:00 by default) --------------------------------


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        (at(2026, 3, 6, 16), at(2026, 3, 9, 16), 8),  # Friday 16:00 → Monday 16:00
        (at(2026, 3, 2, 11), at(2026, 3, 2, 14), 2),  # lunch is not counted
        (at(2026, 3, 2, 12, 15), at(2026, 3, 2, 12, 45), 0),  # inside lunch
        (at(2026, 3, 2, 7), at(2026, 3, 2, 18), 8),  # a whole day
        (at(2026, 2, 13, 16), at(2026, 2, 23, 9), 2),  # across Tết
        (at(2026, 3, 7, 9), at(2026, 3, 8, 17), 0),  # a weekend
        (at(2026, 3, 2, 14), at(2026, 3, 2, 10), 0),  # end before start
    ],
)
def test_working_hours_between(
    cal: WorkingCalendar, start: datetime, end: datetime, hours: float
) -> None:
    assert cal.working_hours_between(start, end) == timedelta(hours=hours)


def test_working_hours_between_accepts_other_time_zones(cal: WorkingCalendar) -> None:
    # 09:00 UTC is 16:00 in Hà Nội.
    start = datetime(2026, 3, 6, 9, tzinfo=UTC)
    assert cal.working_hours_between(start, at(2026, 3, 9, 16)) == timedelta(hours=8)


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (at(2026, 3, 6, 16), 8, at(2026, 3, 9, 16)),  # received Friday 16:00
        (at(2026, 3, 2, 11), 2, at(2026, 3, 2, 14)),  # across lunch
        (at(2026, 3, 2, 12, 30), 1, at(2026, 3, 2, 14)),  # received at lunch
        (at(2026, 3, 2, 7), 4, at(2026, 3, 2, 12)),  # ends exactly at noon
        (at(2026, 3, 7, 10), 8, at(2026, 3, 9, 17)),  # received on Saturday
        (at(2026, 2, 13, 15), 4, at(2026, 2, 23, 10)),  # across Tết
        (at(2026, 3, 2, 17, 30), 0, at(2026, 3, 3, 8)),  # 0 hours: next working moment
        (at(2026, 3, 2, 9), timedelta(minutes=90), at(2026, 3, 2, 10, 30)),
        (at(2026, 3, 2, 9), 0.5, at(2026, 3, 2, 9, 30)),
    ],
)
def test_add_working_hours(
    cal: WorkingCalendar, start: datetime, hours: float | timedelta, due: datetime
) -> None:
    result = cal.add_working_hours(start, hours)
    assert result == due
    assert result.tzinfo == HANOI


def test_add_working_hours_from_utc(cal: WorkingCalendar) -> None:
    assert cal.add_working_hours(datetime(2026, 3, 6, 9, tzinfo=UTC), 8) == at(2026, 3, 9, 16)


def test_naive_datetimes_rejected(cal: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="múi giờ"):
        cal.add_working_hours(datetime(2026, 3, 2, 9), 1)
    with pytest.raises(ValueError, match="múi giờ"):
        cal.working_hours_between(datetime(2026, 3, 2, 9), at(2026, 3, 2, 10))
    with pytest.raises(ValueError, match="múi giờ"):
        cal.working_hours_between(at(2026, 3, 2, 9), datetime(2026, 3, 2, 10))


@pytest.mark.parametrize("hours", [-1, -0.5, timedelta(minutes=-1)])
def test_negative_working_hours_rejected(cal: WorkingCalendar, hours: float | timedelta) -> None:
    with pytest.raises(ValueError, match="không được âm"):
        cal.add_working_hours(at(2026, 3, 2, 9), hours)


def test_custom_office_hours() -> None:
    cal = WorkingCalendar(office_hours=["13:30-17:00", "07:30-11:30"])
    assert cal.sessions == parse_office_hours(["07:30-11:30", "13:30-17:00"])
    assert cal.working_hours_between(at(2026, 3, 2, 0), at(2026, 3, 3, 0)) == timedelta(hours=7.5)
    assert cal.add_working_hours(at(2026, 3, 2, 11), 1) == at(2026, 3, 2, 14)


@pytest.mark.parametrize(
    "spec",
    [["12:00-08:00"], ["08:00-08:00"], ["08:00-12:00", "11:00-17:00"], ["08:00"], []],
)
def test_bad_office_hours_rejected(spec: list[str]) -> None:
    with pytest.raises(ValueError):
        parse_office_hours(spec)


def test_parse_office_hours_orders_sessions() -> None:
    assert [s.start.hour for s in parse_office_hours(["13:00-17:00", "08:00-12:00"])] == [8, 13]
    assert isinstance(parse_office_hours(["08:00-12:00"])[0], Session)


# --- local overrides (CalendarOverride rows) --------------------------------------------


@pytest.mark.django_db
def test_local_day_off_changes_deadlines() -> None:
    assert get_calendar().add_working_days(date(2026, 3, 4), 1) == date(2026, 3, 5)
    services.calendar_override_set(
        actor=None, day=date(2026, 3, 5), kind="day_off", name="Nghỉ theo quyết định của UBND"
    )
    cal = get_calendar()
    assert cal.is_working_day(date(2026, 3, 5)) is False
    assert cal.add_working_days(date(2026, 3, 4), 1) == date(2026, 3, 6)
    assert cal.working_days_between(date(2026, 3, 2), date(2026, 3, 6)) == 3
    assert cal.add_working_hours(at(2026, 3, 4, 16), 2) == at(2026, 3, 6, 9)
    assert Holiday(date(2026, 3, 5), "Nghỉ theo quyết định của UBND", "local") in (
        cal.holidays_in(2026)
    )
    assert date(2026, 3, 5) not in [h.date for h in cal.holidays_in(2025)]


@pytest.mark.django_db
def test_local_working_saturday_changes_deadlines() -> None:
    services.calendar_override_set(
        actor=None, day=date(2026, 3, 7), kind="working_day", name="Làm bù"
    )
    cal = get_calendar()
    assert cal.is_working_day(date(2026, 3, 7)) is True
    assert cal.add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 7)
    assert cal.working_days_between(date(2026, 3, 6), date(2026, 3, 9)) == 2
    assert cal.add_working_hours(at(2026, 3, 6, 16), 8) == at(2026, 3, 7, 16)
    assert cal.working_hours_between(at(2026, 3, 6, 16), at(2026, 3, 9, 16)) == timedelta(hours=16)


@pytest.mark.django_db
def test_local_working_day_on_a_national_holiday_removes_it() -> None:
    services.calendar_override_set(
        actor=None, day=date(2026, 11, 24), kind="working_day", name="Làm việc"
    )
    cal = get_calendar(language="en")
    assert cal.is_working_day(date(2026, 11, 24)) is True
    assert date(2026, 11, 24) not in [h.date for h in cal.holidays_in(2026)]
    assert cal.holidays_in(2026)[0].name == "New Year's Day"
