"""Specification of working days under the State Council holiday calendar (DOMAIN §0.2.4, §6)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doudi_common.calendar import WorkingDayCalendar, load_cn_calendar, parse_calendar_rows

CN = load_cn_calendar()
covered_days = st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 12, 31))
any_days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 1, 1), False),  # New Year's Day
        (date(2026, 1, 2), False),  # Friday off in the New Year's arrangement
        (date(2026, 1, 4), True),  # Sunday, make-up working day
        (date(2026, 2, 14), True),  # Saturday, make-up working day before the Spring Festival
        (date(2026, 2, 16), False),  # Monday inside the Spring Festival holiday
        (date(2026, 2, 23), False),  # last day of the Spring Festival holiday
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),  # Saturday, make-up working day
        (date(2026, 4, 6), False),  # Qingming (Monday)
        (date(2026, 5, 5), False),  # Labour Day holiday (Tuesday)
        (date(2026, 5, 9), True),  # Saturday, make-up working day
        (date(2026, 6, 19), False),  # Dragon Boat Festival (Friday)
        (date(2026, 9, 20), True),  # Sunday, make-up working day before National Day
        (date(2026, 9, 25), False),  # Mid-Autumn Festival (Friday)
        (date(2026, 10, 7), False),
        (date(2026, 10, 10), True),  # Saturday, make-up working day
        (date(2026, 10, 11), False),  # an ordinary Sunday
        (date(2025, 1, 26), True),
        (date(2025, 2, 4), False),
        (date(2025, 2, 8), True),
        (date(2025, 4, 27), True),
        (date(2025, 6, 2), False),
        (date(2025, 10, 8), False),
        (date(2025, 10, 11), True),
    ],
)
def test_known_days(day: date, working: bool) -> None:
    assert CN.is_working_day(day) is working


def test_ten_working_days_after_28_september_2026() -> None:
    # Counting from 29 Sep: 29, 30 Sep (2); 1–7 Oct off; 8, 9 Oct (4); Sat 10 Oct make-up (5);
    # Sun 11 off; 12–16 Oct (10).
    assert CN.add_working_days(date(2026, 9, 28), 10) == date(2026, 10, 16)


def test_thirty_working_days_from_an_acceptance_before_the_spring_festival() -> None:
    # Accepted Mon 2 Feb 2026. Feb 3–6 (4), Mon–Fri 9–13 (9), Sat 14 make-up (10), 15–23 off,
    # 24–27 (14), Sat 28 make-up (15), Mar 2–6 (20), 9–13 (25), 16–20 (30).
    assert CN.add_working_days(date(2026, 2, 2), 30) == date(2026, 3, 20)
    assert CN.working_days_between(date(2026, 2, 2), date(2026, 3, 20)) == 30


def test_counting_starts_the_day_after() -> None:
    friday = date(2026, 3, 6)
    assert CN.add_working_days(friday, 1) == date(2026, 3, 9)
    assert CN.add_working_days(friday, 0) == friday
    assert CN.working_days_between(friday, friday) == 0
    with pytest.raises(ValueError):
        CN.add_working_days(friday, -1)


def test_table_shape() -> None:
    assert CN.covered_years == {2025, 2026}
    assert all(day.weekday() >= 5 for day in CN.makeup_workdays)
    assert len(CN.makeup_workdays) == 11
    # 2025: 1 + 8 + 3 + 5 + 3 + 8 days off; 2026: 3 + 9 + 3 + 5 + 3 + 3 + 7.
    assert sum(day.year == 2025 for day in CN.holidays) == 28
    assert sum(day.year == 2026 for day in CN.holidays) == 33


def test_outside_the_table_only_weekends_are_off() -> None:
    new_year_2030 = date(2030, 1, 1)
    assert not CN.covers(new_year_2030)
    assert CN.is_working_day(new_year_2030)  # a Tuesday, unknown to the table
    assert CN.covers(date(2026, 12, 31))


def test_custom_calendar_and_bad_data() -> None:
    calendar = WorkingDayCalendar({date(2030, 1, 1)}, {date(2030, 1, 5)})
    assert not calendar.is_working_day(date(2030, 1, 1))
    assert calendar.is_working_day(date(2030, 1, 5))
    assert calendar.covers(date(2030, 6, 1))
    with pytest.raises(ValueError):
        WorkingDayCalendar({date(2030, 1, 5)}, {date(2030, 1, 5)})
    with pytest.raises(ValueError):
        WorkingDayCalendar((), {date(2030, 1, 2)})  # a Wednesday cannot be a make-up day
    with pytest.raises(ValueError):
        parse_calendar_rows(["date,kind,name", "2030-01-01,party,x"])
    with pytest.raises(ValueError):
        parse_calendar_rows(["day,kind,name"])


@given(any_days, st.integers(1, 60))
def test_never_lands_on_a_day_off(start: date, n: int) -> None:
    end = CN.add_working_days(start, n)
    assert end > start
    assert CN.is_working_day(end)
    assert CN.working_days_between(start, end) == n
    assert CN.working_days_between(end, start) == -n


@settings(max_examples=50)
@given(any_days, st.integers(0, 30), st.integers(0, 30), st.integers(0, 10))
def test_monotonic_in_start_and_count(start: date, n: int, extra: int, later: int) -> None:
    assert CN.add_working_days(start, n) <= CN.add_working_days(start, n + extra)
    assert CN.add_working_days(start, n) <= CN.add_working_days(start + timedelta(days=later), n)


@given(covered_days, st.integers(1, 40), st.integers(1, 40))
def test_counts_compose(start: date, a: int, b: int) -> None:
    assert CN.add_working_days(CN.add_working_days(start, a), b) == CN.add_working_days(start, a + b)
