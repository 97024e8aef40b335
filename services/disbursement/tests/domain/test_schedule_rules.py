"""When a township is paid (DOMAIN §11.1): monthly, or a quarter at a time from the quarter's first month."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from doudi_common.period import Period
from doudi_disbursement.domain.schedule import months_paid


def test_a_monthly_township_is_paid_the_run_s_month() -> None:
    assert months_paid(Period(2026, 2), quarterly=False) == (Period(2026, 2),)


def test_a_quarterly_township_is_paid_the_quarter_ahead_and_later_runs_the_rest_of_it() -> None:
    assert months_paid(Period(2026, 1), quarterly=True) == (Period(2026, 1), Period(2026, 2), Period(2026, 3))
    assert months_paid(Period(2026, 2), quarterly=True) == (Period(2026, 2), Period(2026, 3))
    assert months_paid(Period(2026, 3), quarterly=True) == (Period(2026, 3),)
    assert months_paid(Period(2026, 10), quarterly=True) == (
        Period(2026, 10),
        Period(2026, 11),
        Period(2026, 12),
    )


@given(year=st.integers(min_value=2000, max_value=2100), month=st.integers(min_value=1, max_value=12))
def test_the_months_run_from_the_run_s_month_to_its_quarter_s_end_in_the_same_year(
    year: int, month: int
) -> None:
    period = Period(year, month)
    months = months_paid(period, quarterly=True)
    assert months[0] == period
    assert all(later == earlier.next() for earlier, later in pairwise(months))
    assert {m.year for m in months} == {year}
    assert {(m.month - 1) // 3 for m in months} == {(month - 1) // 3}
    assert months[-1].month % 3 == 0
