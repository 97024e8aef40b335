"""Arrears for an administrative delay (DOMAIN §11.4, §6, §7.2 rows 22 and 24): where the policy is on, an
approval decided after its deadline owes the months from the month after the deadline up to the month before
its normal first month, at the monthly amount; in time, or with the policy off, nothing is owed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi_common.calendar import load_cn_calendar
from doudi_common.period import Period
from doudi_eligibility.domain.machines.procedure import Case
from doudi_eligibility.domain.machines.roles import Role
from doudi_eligibility.domain.rules.delay_arrears import (
    DELAY_ARREARS,
    DecisionTiming,
    delay_arrears,
    delay_months,
)

from .builders import ex_gy

CAL = load_cn_calendar()
EX_GY = ex_gy()
ON = EX_GY.override({DELAY_ARREARS: True})
H01_ACCEPTED = date(2025, 3, 3)
H01_DEADLINE = date(2025, 4, 15)  # 30 working days after 3 March 2025


def timing(decided_on: date, deadline: date = H01_DEADLINE) -> DecisionTiming:
    return DecisionTiming(H01_ACCEPTED, deadline, decided_on)


def test_the_example_county_keeps_the_policy_off_as_the_national_default() -> None:
    assert EX_GY.flag(DELAY_ARREARS) is False
    assert delay_arrears(timing(date(2025, 6, 16)), 6_000, EX_GY).total_fen == 0


def test_h01_decided_in_june_instead_of_by_15_april_owes_may_and_june_and_starts_in_july() -> None:
    late = timing(date(2025, 6, 16))
    owed = delay_arrears(late, 6_000, ON)
    assert owed.months == (Period(2025, 5), Period(2025, 6))
    assert owed.total_fen == 12_000
    assert late.normal_first_month == Period(2025, 7)
    assert [(p.key, p.value) for p in owed.parameters] == [(DELAY_ARREARS, "true")]
    assert "2025-05..2025-06 = 2 month(s) × 60.00 = 120.00" in owed.computation()
    line = owed.notice_line()
    assert "2025年4月15日前" in line and "2025年5月至2025年6月共2个月" in line
    assert "每月60.00元" in line and "合计120.00元" in line


def test_a_decision_on_the_deadline_or_later_in_its_month_owes_nothing() -> None:
    for day in (H01_DEADLINE, date(2025, 4, 16), date(2025, 4, 30)):
        owed = delay_arrears(timing(day), 6_000, ON)
        assert owed.months == () and not owed.owed
        assert owed.computation() == "" and owed.notice_line() == ""


def test_the_recorded_extension_moves_the_deadline_the_months_count_from() -> None:
    case = Case.accepted("H01", H01_ACCEPTED)
    standard = case.deadline(ON, CAL)
    extended = case.extend("案情复杂，需补充调查", Role.COUNTY).deadline(ON, CAL)
    # 45 working days: Sunday 27 April is worked, 1–5 May are not.
    assert (standard, extended) == (H01_DEADLINE, date(2025, 5, 8))
    decided = date(2025, 6, 16)
    assert delay_months(timing(decided, standard), ON) == (Period(2025, 5), Period(2025, 6))
    assert delay_months(timing(decided, extended), ON) == (Period(2025, 6),)
    assert delay_months(timing(date(2025, 5, 8), extended), ON) == ()


def test_a_deadline_before_acceptance_or_a_decision_before_it_is_refused() -> None:
    with pytest.raises(ValueError, match="deadline"):
        DecisionTiming(H01_ACCEPTED, H01_ACCEPTED - timedelta(days=1), H01_ACCEPTED)
    with pytest.raises(ValueError, match="accepted"):
        DecisionTiming(H01_ACCEPTED, H01_DEADLINE, H01_ACCEPTED - timedelta(days=1))
    with pytest.raises(ValueError, match="negative"):
        delay_arrears(timing(date(2025, 6, 16)), -1, ON)


def test_a_set_without_the_key_reads_as_off() -> None:
    values = {k: v for k, v in ON.values.items() if k != DELAY_ARREARS}
    absent = type(ON)(ON.region, ON.on, ON.set_ids, values, ON.origin)
    owed = delay_arrears(timing(date(2025, 9, 1)), 6_000, absent)
    assert owed.months == () and owed.parameters == ()


_DAYS = st.integers(min_value=0, max_value=700)
_AMOUNTS = st.integers(min_value=0, max_value=10_000_000)
_LIMITS = st.sampled_from((30, 45))
_FLAGS = st.booleans()


def _timing(accepted_offset: int, limit: int, decided_offset: int) -> DecisionTiming:
    accepted = date(2024, 1, 2) + timedelta(days=accepted_offset)
    deadline = CAL.add_working_days(accepted, limit)
    return DecisionTiming(accepted, deadline, accepted + timedelta(days=decided_offset))


@given(_DAYS, _LIMITS, _DAYS, _AMOUNTS, _FLAGS)
def test_never_negative_and_never_reaching_the_normal_first_month(
    accepted: int, limit: int, decided: int, amount: int, on: bool
) -> None:
    t = _timing(accepted, limit, decided)
    owed = delay_arrears(t, amount, EX_GY.override({DELAY_ARREARS: on}))
    assert owed.total_fen >= 0 and len(owed.months) >= 0
    assert owed.total_fen == amount * len(owed.months)
    assert all(month < t.normal_first_month for month in owed.months)
    assert all(month > Period.of(t.deadline) for month in owed.months)
    assert list(owed.months) == sorted(set(owed.months)), "consecutive months, each once"


@given(_DAYS, _LIMITS, st.integers(min_value=0, max_value=60), _AMOUNTS)
def test_never_owed_when_decided_in_time(accepted: int, limit: int, decided: int, amount: int) -> None:
    t = _timing(accepted, limit, decided)
    if t.decided_on > t.deadline:
        t = DecisionTiming(t.accepted_on, t.deadline, t.deadline)
    assert delay_arrears(t, amount, ON).total_fen == 0


@given(_DAYS, _LIMITS, _DAYS, _DAYS, _AMOUNTS)
def test_never_owed_with_the_policy_off(accepted: int, limit: int, decided: int, _: int, amount: int) -> None:
    assert delay_arrears(_timing(accepted, limit, decided), amount, EX_GY).total_fen == 0


@given(_DAYS, _LIMITS, _DAYS, _DAYS, _AMOUNTS)
def test_monotone_in_the_decision_date(accepted: int, limit: int, a: int, b: int, amount: int) -> None:
    earlier, later = sorted((a, b))
    first = delay_arrears(_timing(accepted, limit, earlier), amount, ON)
    second = delay_arrears(_timing(accepted, limit, later), amount, ON)
    assert len(first.months) <= len(second.months)
    assert first.total_fen <= second.total_fen
    assert set(first.months) <= set(second.months)


@given(_DAYS, _LIMITS, _DAYS)
def test_a_late_decision_owes_exactly_the_months_from_after_the_deadline_to_its_own(
    accepted: int, limit: int, decided: int
) -> None:
    t = _timing(accepted, limit, decided)
    months = delay_months(t, ON)
    if t.decided_on > t.deadline:
        expected = t.normal_first_month.index - Period.of(t.deadline).next().index
        assert len(months) == max(0, expected)
        if months:
            assert months[0] == Period.of(t.deadline).next()
            assert months[-1] == Period.of(t.decided_on)
    else:
        assert months == ()
