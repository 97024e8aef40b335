"""Arrears for an administrative delay (DOMAIN §11.4): a new entitlement approved after its deadline owes the
monthly amount for each month from the month after the deadline to the month before its first, once each."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from doudi_common.period import Period
from doudi_disbursement.domain import arrears

MAY, JUN, JUL = Period(2025, 5), Period(2025, 6), Period(2025, 7)


def test_h01_confirmed_in_june_owes_may_and_june_at_60_yuan() -> None:
    owed = arrears.delay_owed(6_000, MAY, JUL)
    assert owed == {MAY: 6_000, JUN: 6_000}
    assert arrears.arrears_lines(12_000, owed, JUL) == {MAY: 6_000, JUN: 6_000}


def test_nothing_is_owed_from_the_first_month_on_nor_at_no_amount() -> None:
    assert arrears.delay_owed(6_000, JUL, JUL) == {}
    assert arrears.delay_owed(6_000, Period(2025, 8), JUL) == {}
    assert arrears.delay_owed(0, MAY, JUL) == {}


@given(
    st.integers(min_value=1, max_value=10_000_000),
    st.integers(min_value=0, max_value=36),
    st.integers(min_value=0, max_value=36),
)
def test_each_delayed_month_is_owed_once_before_the_first_month_and_adds_up(
    monthly: int, first_offset: int, months: int
) -> None:
    first = Period(2024, 1).plus(first_offset)
    start = first.plus(months)
    owed = arrears.delay_owed(monthly, first, start)
    assert list(owed) == [first.plus(i) for i in range(months)]
    assert all(month < start for month in owed)
    assert arrears.arrears_lines(monthly * months, owed, start) == owed
