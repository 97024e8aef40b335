"""A disability living subsidy that the end of its Dibao put under review (DOMAIN §5.4 where the locality
extends the DLS to marginal households) returns ACTIVE when an appeal reverses that end (§7.6): owed
nothing for the months the review paid, and every month a suspension during the review held (§11.4)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi_common.period import Period, months_between
from doudi_eligibility.domain.explain import Programme
from doudi_eligibility.domain.machines.entitlement import Entitlement, State, restored_with_dibao
from doudi_eligibility.domain.machines.roles import ActorNotAllowed, IllegalTransition, Role
from doudi_eligibility.domain.rules.dibao_changes import ReviewOutcome, ReviewResult

from .builders import ex_gy, fen

P = ex_gy()
#: The Dibao stops from July 2025 (its last month paid is June).
DIBAO_ENDS = Period(2025, 7)


def subsidy(amount: int = fen(100)) -> Entitlement:
    e = Entitlement.approved("dls", Programme.DISABILITY_LIVING_SUBSIDY, amount, date(2025, 4, 10))
    return e.activate(Period(2025, 5), Role.SYSTEM)


def test_the_review_the_dibaos_end_opens_pays_on_and_remembers_that_end() -> None:
    reviewed = subsidy().review_with_dibao(DIBAO_ENDS, Role.SYSTEM)
    assert (reviewed.state, reviewed.monthly_amount_fen) == (State.UNDER_REVIEW, fen(100))
    assert reviewed.under_review_with_dibao(DIBAO_ENDS)
    assert not reviewed.under_review_with_dibao(Period(2025, 8)), "another Dibao end"
    assert not subsidy().start_review(Role.TOWNSHIP).under_review_with_dibao(DIBAO_ENDS), (
        "a review of its own"
    )
    with pytest.raises(ActorNotAllowed):
        subsidy().review_with_dibao(DIBAO_ENDS, Role.TOWNSHIP)
    with pytest.raises(IllegalTransition):
        reviewed.review_with_dibao(DIBAO_ENDS, Role.SYSTEM)


def test_an_appeal_restoring_the_dibao_returns_a_subsidy_paid_under_review_to_active_owing_nothing() -> None:
    reviewed = subsidy().review_with_dibao(DIBAO_ENDS, Role.SYSTEM)
    found = restored_with_dibao(reviewed, DIBAO_ENDS, Period(2025, 10))
    assert found is not None
    restored, arrears = found
    assert (restored.state, restored.monthly_amount_fen, arrears) == (State.ACTIVE, fen(100), 0)
    assert restored.reviewed_with_dibao is None and restored.previous is None
    assert restored.changed_from == Period(2025, 10)


def test_a_subsidy_suspended_during_that_review_is_owed_every_held_month() -> None:
    held = subsidy().review_with_dibao(DIBAO_ENDS, Role.SYSTEM).suspend(Period(2025, 8), Role.TOWNSHIP)
    found = restored_with_dibao(held, DIBAO_ENDS, Period(2025, 10))
    assert found is not None
    restored, arrears = found
    assert (restored.state, restored.suspended_from, arrears) == (State.ACTIVE, None, 2 * fen(100))


def test_a_subsidy_ended_with_the_dibao_is_restored_by_the_same_rule() -> None:
    ended = subsidy().end_with_dibao(DIBAO_ENDS, Role.SYSTEM)
    found = restored_with_dibao(ended, DIBAO_ENDS, Period(2025, 10))
    assert found is not None
    restored, arrears = found
    assert (restored.state, arrears) == (State.ACTIVE, 3 * fen(100))


def test_what_did_not_follow_that_end_is_left_alone() -> None:
    concluded = (
        subsidy()
        .review_with_dibao(DIBAO_ENDS, Role.SYSTEM)
        .apply_review(ReviewOutcome(ReviewResult.UNCHANGED, Period(2025, 8), fen(100), ()), Role.COUNTY, P)
    )
    resumed, _ = (
        subsidy()
        .review_with_dibao(DIBAO_ENDS, Role.SYSTEM)
        .suspend(Period(2025, 8), Role.TOWNSHIP)
        .resume(Period(2025, 9), Role.TOWNSHIP)
    )
    own_review = subsidy().start_review(Role.TOWNSHIP)
    for e in (concluded, resumed, own_review, subsidy()):
        assert restored_with_dibao(e, DIBAO_ENDS, Period(2025, 10)) is None, e.state
    # A later review of its own, once the Dibao's review is over, is not mistaken for it.
    assert restored_with_dibao(concluded.start_review(Role.TOWNSHIP), DIBAO_ENDS, Period(2025, 10)) is None
    assert (
        restored_with_dibao(
            subsidy().review_with_dibao(DIBAO_ENDS, Role.SYSTEM), Period(2025, 8), Period(2025, 10)
        )
        is None
    ), "another Dibao end"


@given(
    st.integers(min_value=fen(1), max_value=fen(500)),
    st.integers(min_value=0, max_value=12),
    st.integers(min_value=0, max_value=12),
)
def test_the_arrears_are_the_held_months_at_the_subsidys_amount(
    amount: int, suspended_after: int, restored_after: int
) -> None:
    suspended_from = DIBAO_ENDS.plus(suspended_after)
    restore_from = DIBAO_ENDS.plus(restored_after)
    reviewed = subsidy(amount).review_with_dibao(DIBAO_ENDS, Role.SYSTEM)
    paid = restored_with_dibao(reviewed, DIBAO_ENDS, restore_from)
    held = restored_with_dibao(reviewed.suspend(suspended_from, Role.TOWNSHIP), DIBAO_ENDS, restore_from)
    assert paid is not None and held is not None
    assert paid[1] == 0
    assert held[1] == max(0, months_between(suspended_from, restore_from)) * amount
    assert held[0].monthly_amount_fen == paid[0].monthly_amount_fen == amount
