"""Decree 09 periods: codes, cut-off windows, deadlines, roll-up containment."""

from __future__ import annotations

from datetime import date

import pytest

from thudo.core.calendar import WorkingCalendar
from thudo.reporting import periods as pe


@pytest.mark.parametrize(
    ("code", "kind", "first", "last", "start", "end"),
    [
        ("2026M03", "monthly", 3, 3, date(2026, 2, 15), date(2026, 3, 14)),
        ("2026M01", "monthly", 1, 1, date(2025, 12, 15), date(2026, 1, 14)),
        ("2026Q1", "quarterly", 1, 3, date(2025, 12, 15), date(2026, 3, 14)),
        ("2026Q4", "quarterly", 10, 12, date(2026, 9, 15), date(2026, 12, 14)),
        ("2026S1", "six_monthly", 1, 6, date(2025, 12, 15), date(2026, 6, 14)),
        ("2026S2", "six_monthly", 7, 12, date(2026, 6, 15), date(2026, 12, 14)),
        ("2026N9", "nine_month", 1, 9, date(2025, 12, 15), date(2026, 9, 14)),
        ("2026", "annual", 1, 12, date(2025, 12, 15), date(2026, 12, 14)),
    ],
)
def test_codes_and_cut_off_windows(
    code: str, kind: str, first: int, last: int, start: date, end: date
) -> None:
    period = pe.parse(code)
    assert (period.type.value, period.first_month, period.last_month) == (kind, first, last)
    assert (period.window_start, period.window_end) == (start, end)
    assert period.code == code


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "2026M13",
        "2026M00",
        "2026Q5",
        "2026S3",
        "2026N8",
        "26M01",
        "2026m01",
        "2026M1",
        "0999",
        "2026M01 ; DROP",
        None,
        2026,
    ],
)
def test_anything_else_is_refused(bad: object) -> None:
    with pytest.raises(pe.PeriodError):
        pe.parse(bad)  # type: ignore[arg-type]


def test_labels_are_vietnamese() -> None:
    assert [pe.parse(c).label for c in ["2026M03", "2026Q2", "2026S1", "2026N9", "2026"]] == [
        "Tháng 3/2026", "Quý II/2026", "6 tháng đầu năm 2026", "9 tháng năm 2026", "Năm 2026",
    ]  # fmt: skip


def test_deadline_counts_working_days_after_the_cut_off() -> None:
    calendar = WorkingCalendar(overrides={})
    # 14 March 2026 is a Saturday: two working days after it are Mon 16 and Tue 17.
    assert pe.parse("2026M03").deadline(2, calendar) == date(2026, 3, 17)
    # 14 Feb 2026 falls in the Tết holiday (14–22 Feb): the first working days are after.
    assert pe.parse("2026M02").deadline(2, calendar) == date(2026, 2, 24)


def test_the_15th_already_belongs_to_the_next_period() -> None:
    assert pe.for_day("monthly", date(2026, 3, 14)).code == "2026M03"
    assert pe.for_day("monthly", date(2026, 3, 15)).code == "2026M04"
    assert pe.for_day("monthly", date(2026, 12, 15)).code == "2027M01"
    assert pe.for_day("quarterly", date(2026, 12, 20)).code == "2027Q1"
    assert pe.for_day("nine_month", date(2026, 9, 20)).code == "2027N9"
    assert pe.for_day("annual", date(2026, 12, 14)).code == "2026"


def test_the_open_period_is_the_last_closed_one_until_its_deadline() -> None:
    calendar = WorkingCalendar(overrides={})
    # March closed on the 14th and is due on the 17th; from the 18th April is reported.
    assert pe.current_open("monthly", date(2026, 3, 17), 2, calendar).code == "2026M03"
    assert pe.current_open("monthly", date(2026, 3, 18), 2, calendar).code == "2026M04"


def test_roll_up_containment() -> None:
    q1 = pe.parse("2026Q1")
    assert [p.code for p in pe.contained(q1)] == ["2026M01", "2026M02", "2026M03", "2026Q1"]
    year = [p.code for p in pe.contained(pe.parse("2026"))]
    assert len(year) == 12 + 4 + 2 + 1 + 1
    assert "2026N9" in year and "2025M12" not in year
    assert pe.parse("2026S1").contains(pe.parse("2026Q2"))
    assert not pe.parse("2026S1").contains(pe.parse("2026Q3"))


def test_next_and_previous() -> None:
    assert pe.parse("2026M12").next().code == "2027M01"
    assert pe.parse("2026Q1").previous().code == "2025Q4"
    assert pe.parse("2026N9").next().code == "2027N9"
    assert pe.in_range("quarterly", pe.parse("2025Q3"), pe.parse("2026Q2")) == [
        "2025Q3", "2025Q4", "2026Q1", "2026Q2",
    ]  # fmt: skip
