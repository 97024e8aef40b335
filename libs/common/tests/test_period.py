"""Specification of calendar-month periods ("YYYY-MM")."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi_common.errors import InvalidArgument
from doudi_common.period import Period, months_between, periods

period_values = st.builds(Period, st.integers(1900, 2200), st.integers(1, 12))
shifts = st.integers(-1200, 1200)


def test_parse_and_format() -> None:
    period = Period.parse("2026-02")
    assert (period.year, period.month) == (2026, 2)
    assert str(period) == "2026-02"


@pytest.mark.parametrize(
    "text", ["2026-13", "2026-00", "2026-2", "26-02", "2026/02", "2026-02-01", " 2026-02", ""]
)
def test_parse_refuses_malformed_months(text: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        Period.parse(text, field="payroll.period")
    assert caught.value.violations[0].field == "payroll.period"


def test_year_boundaries_and_month_ends() -> None:
    assert Period(2025, 12).next() == Period(2026, 1)
    assert Period(2026, 1).previous() == Period(2025, 12)
    assert Period(2024, 2).last_day == date(2024, 2, 29)
    assert Period(2026, 2).last_day == date(2026, 2, 28)
    assert Period(2026, 12).last_day == date(2026, 12, 31)
    assert Period(2026, 3).first_day == date(2026, 3, 1)
    assert Period.of(date(2026, 7, 31)) == Period(2026, 7)
    assert months_between(Period(2025, 11), Period(2026, 2)) == 3
    assert periods(Period(2025, 11), Period(2026, 2)) == [
        Period(2025, 11),
        Period(2025, 12),
        Period(2026, 1),
        Period(2026, 2),
    ]
    assert periods(Period(2026, 2), Period(2026, 1)) == []


def test_invalid_construction() -> None:
    with pytest.raises(ValueError):
        Period(2026, 13)
    with pytest.raises(ValueError):
        Period(9999, 12).next()


def test_ordering_is_chronological() -> None:
    assert sorted([Period(2026, 1), Period(2025, 12), Period(2025, 2)]) == [
        Period(2025, 2),
        Period(2025, 12),
        Period(2026, 1),
    ]


@given(period_values, shifts)
def test_plus_and_minus_are_inverse(period: Period, n: int) -> None:
    assert period.plus(n).plus(-n) == period
    assert months_between(period, period.plus(n)) == n
    assert period.next().previous() == period
    assert period.previous().next() == period


@given(period_values, shifts, shifts)
def test_plus_composes(period: Period, a: int, b: int) -> None:
    assert period.plus(a).plus(b) == period.plus(a + b)


@given(period_values, period_values)
def test_order_agrees_with_months_between(a: Period, b: Period) -> None:
    assert (a < b) == (months_between(a, b) > 0)
    assert months_between(a, b) == -months_between(b, a)


@given(period_values)
def test_days_and_text_round_trip(period: Period) -> None:
    assert Period.parse(str(period)) == period
    assert Period.of(period.first_day) == period
    assert Period.of(period.last_day) == period
    assert period.last_day + timedelta(days=1) == period.next().first_day
    assert period.contains(period.last_day)
    assert not period.contains(period.next().first_day)
