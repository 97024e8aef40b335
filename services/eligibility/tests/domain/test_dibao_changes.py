"""Reviews, gradual exit, voluntary exit, the work-refusal sanction and arrears (DOMAIN §5.1.6, §7.3)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from doudi_common.period import Period, months_between, periods
from doudi_eligibility.domain.rules.dibao import assess_dibao
from doudi_eligibility.domain.rules.dibao_changes import (
    ReferralOutcome,
    ReviewResult,
    TerminationReason,
    arrears,
    monitored_until,
    months_on_dibao,
    overpayment,
    review,
    voluntary_exit,
    voluntary_exit_allowed,
    work_refusal_sanction,
)
from doudi_eligibility.domain.rules.facts import HouseholdType, Income, Person

from .builders import ex_gy, fen, household, income, member

P = ex_gy(date(2024, 7, 15))
RURAL, URBAN = HouseholdType.RURAL, HouseholdType.URBAN
REFUSED = ReferralOutcome.REFUSED_WITHOUT_GOOD_REASON


def liu(father: Income) -> object:
    return household(
        "H06",
        RURAL,
        member("f", 45, father),
        member("m", 43),
        member("c1", 12),
        member("c2", 9),
        stable=False,
    )


def test_h06_work_lifts_income_above_the_standard_and_467_is_frozen_from_august_2024_to_july_2025() -> None:
    new_situation = Income(fen(31200 + 2000), fen(31200))
    reassessment = assess_dibao(liu(new_situation), P)
    assert reassessment.income.per_capita_monthly_fen == Fraction(fen(30080), 48)
    outcome = review(
        fen(467),
        reassessment,
        rise_due_to_employment=True,
        months_on_dibao=6,
        decided_on=date(2024, 7, 15),
        params=P,
    )
    assert outcome.result is ReviewResult.GRADUAL_EXIT
    assert outcome.monthly_amount_fen == fen(467)
    assert outcome.effective_month == Period(2024, 8)
    assert outcome.gradual_exit_last_month == Period(2025, 7)
    assert outcome.written_notice_required


def test_h06_the_same_rise_without_work_terminates_for_income_above_the_standard() -> None:
    reassessment = assess_dibao(liu(income(33200)), P)
    outcome = review(
        fen(467),
        reassessment,
        rise_due_to_employment=False,
        months_on_dibao=6,
        decided_on=date(2024, 7, 15),
        params=P,
    )
    assert outcome.result is ReviewResult.TERMINATE
    assert outcome.termination_reason is TerminationReason.INCOME_ABOVE_STD
    assert outcome.monthly_amount_fen == 0


def test_h06a_income_falling_back_below_the_standard_recomputes_the_amount() -> None:
    reassessment = assess_dibao(liu(income(200 * 12 * 4)), P)
    outcome = review(
        fen(467),
        reassessment,
        rise_due_to_employment=False,
        months_on_dibao=14,
        decided_on=date(2025, 3, 10),
        params=P,
    )
    assert outcome.result is ReviewResult.UNCHANGED
    assert outcome.monthly_amount_fen == fen(467)
    assert outcome.effective_month == Period(2025, 4)


def test_a_review_that_lowers_the_amount_requires_a_written_notice() -> None:
    reassessment = assess_dibao(liu(income(250 * 12 * 4)), P)
    outcome = review(
        fen(467),
        reassessment,
        rise_due_to_employment=False,
        months_on_dibao=14,
        decided_on=date(2025, 3, 10),
        params=P,
    )
    assert outcome.result is ReviewResult.REDUCE
    assert outcome.written_notice_required


def test_h06b_voluntary_exit_earns_up_to_three_months_1401() -> None:
    exit_ = voluntary_exit(fen(467), date(2024, 7, 20), P)
    assert exit_.bonus_fen == fen(1401)
    assert exit_.termination_month == Period(2024, 8)
    assert voluntary_exit(fen(467), date(2024, 7, 20), P, months_granted=1).bonus_fen == fen(467)


def test_h06b_exit_in_the_seventh_month_is_allowed_in_ex_gy_which_sets_no_minimum() -> None:
    assert months_on_dibao(Period(2024, 2), date(2024, 8, 12)) == 7
    allowed = voluntary_exit_allowed(Period(2024, 2), date(2024, 8, 12), P)
    assert allowed.holds
    assert {p.key for p in allowed.parameters} >= {"dibao.gradual_exit.min_months_on_dibao"}


@given(
    start=st.builds(Period, st.integers(2020, 2030), st.integers(1, 12)),
    decided_on=st.dates(date(2019, 1, 1), date(2032, 12, 31)),
    minimum=st.integers(0, 24),
)
def test_an_exit_with_a_bonus_needs_the_minimum_months_on_dibao(
    start: Period, decided_on: date, minimum: int
) -> None:
    params = P.override({"dibao.gradual_exit.min_months_on_dibao": Fraction(minimum)})
    months = months_on_dibao(start, decided_on)
    assert months == max(0, months_between(start, Period.of(decided_on)) + 1)
    assert voluntary_exit_allowed(start, decided_on, params).holds is (months >= minimum)


def test_seed4_twelve_months_refuses_an_exit_in_the_seventh_month_and_allows_it_in_the_twelfth() -> None:
    params = P.override({"dibao.gradual_exit.min_months_on_dibao": Fraction(12)})
    refused = voluntary_exit_allowed(Period(2024, 2), date(2024, 8, 12), params)
    assert not refused.holds
    assert "未满12个月" in refused.reason
    assert voluntary_exit_allowed(Period(2024, 2), date(2025, 1, 5), params).holds


def test_h13_three_consecutive_refusals_stop_the_sons_share_870_to_580() -> None:
    son = Person("son", 25)
    sanction = work_refusal_sanction(fen(870), 3, son, [REFUSED] * 3, date(2025, 3, 20), P)
    assert sanction.applies
    assert sanction.member_share_fen == fen(290)
    assert sanction.monthly_amount_fen == fen(580)
    assert sanction.effective_month == Period(2025, 4)


def test_h13_on_appeal_the_third_referral_was_unsuitable_so_there_is_no_sanction_and_580_arrears() -> None:
    son = Person("son", 25)
    history = [REFUSED, REFUSED, ReferralOutcome.UNSUITABLE]
    sanction = work_refusal_sanction(fen(870), 3, son, history, date(2025, 6, 2), P)
    assert not sanction.applies
    assert sanction.monthly_amount_fen == fen(870)
    assert arrears(periods(Period(2025, 4), Period(2025, 5)), fen(870), fen(580)) == fen(580)


def test_a_member_without_labour_capacity_is_never_sanctioned() -> None:
    elder = Person("elder", 61)
    assert not work_refusal_sanction(fen(870), 3, elder, [REFUSED] * 5, date(2025, 3, 20), P).applies


def test_h11_overpayment_for_two_months_of_overlap_is_570() -> None:
    assert overpayment(periods(Period(2025, 5), Period(2025, 6)), fen(510), fen(795)) == fen(570)


def test_h06_the_household_whose_gradual_exit_ends_is_monitored_for_twelve_months() -> None:
    assert monitored_until(Period(2025, 8), P) == Period(2026, 7)
    assert (
        monitored_until(Period(2025, 8), P.override({"dibao.gradual_exit.monitoring_months": Fraction(0)}))
        is None
    )


@given(
    months=st.integers(min_value=1, max_value=36),
    year=st.integers(min_value=2020, max_value=2040),
    month=st.integers(min_value=1, max_value=12),
)
def test_monitoring_covers_exactly_its_months_from_the_first_month_not_paid(
    months: int, year: int, month: int
) -> None:
    first = Period(year, month)
    last = monitored_until(first, P.override({"dibao.gradual_exit.monitoring_months": Fraction(months)}))
    assert last is not None and months_between(first, last.next()) == months
