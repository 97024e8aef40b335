"""The entitlement lifecycle (DOMAIN §7.3): activation, reviews, 渐退, suspension, termination, appeals."""

from __future__ import annotations

from datetime import date

import pytest

from doudi_common.period import Period
from doudi_eligibility.domain.explain import Programme
from doudi_eligibility.domain.machines.entitlement import Entitlement, State, arrears_after_reversal
from doudi_eligibility.domain.machines.roles import ActorNotAllowed, IllegalTransition, Role
from doudi_eligibility.domain.rules.dibao import assess_dibao
from doudi_eligibility.domain.rules.dibao_changes import TerminationReason, review
from doudi_eligibility.domain.rules.facts import HouseholdType, Income

from .builders import ex_gy, fen, household, member

P = ex_gy(date(2024, 7, 15))


def active(amount: int = fen(467), programme: Programme = Programme.DIBAO) -> Entitlement:
    e = Entitlement.approved("e1", programme, amount, date(2024, 1, 20))
    assert (e.state, e.start_month) == (State.PENDING_START, Period(2024, 2))
    return e.activate(Period(2024, 2), Role.SYSTEM)


def test_an_entitlement_cannot_start_before_its_first_month() -> None:
    e = Entitlement.approved("e1", Programme.DIBAO, fen(60), date(2025, 3, 31))
    with pytest.raises(IllegalTransition, match="PENDING_START"):
        e.activate(Period(2025, 3), Role.SYSTEM)


def test_h06_gradual_exit_freezes_467_until_july_2025_then_terminates_for_income_from_august() -> None:
    liu = household(
        "H06",
        HouseholdType.RURAL,
        member("f", 45, Income(fen(33200), fen(31200))),
        member("m", 43),
        member("c1", 12),
        member("c2", 9),
        stable=False,
    )
    outcome = review(
        fen(467),
        assess_dibao(liu, P),
        rise_due_to_employment=True,
        months_on_dibao=6,
        decided_on=date(2024, 7, 15),
        params=P,
    )
    e = active().start_review(Role.TOWNSHIP).apply_review(outcome, Role.COUNTY, P)
    assert (e.state, e.monthly_amount_fen, e.gradual_exit_last_month) == (
        State.GRADUAL_EXIT,
        fen(467),
        Period(2025, 7),
    )
    with pytest.raises(IllegalTransition, match="GRADUAL_EXIT"):
        e.end_gradual_exit(Period(2025, 7), Role.SYSTEM)
    ended = e.end_gradual_exit(Period(2025, 8), Role.SYSTEM)
    assert (ended.state, ended.terminated_from, ended.termination_reason) == (
        State.TERMINATED,
        Period(2025, 8),
        TerminationReason.INCOME_ABOVE_STD,
    )
    back = e.return_from_gradual_exit(fen(400), Period(2024, 11), Role.COUNTY, P)
    assert (back.state, back.monthly_amount_fen) == (State.ACTIVE, fen(400))
    assert (back.gradual_exit_last_month, back.changed_from) == (None, Period(2024, 12))
    assert e.return_from_gradual_exit(fen(400), Period(2025, 7), Role.COUNTY, P).state is State.ACTIVE
    with pytest.raises(IllegalTransition, match="ended after 2025-07"):
        e.return_from_gradual_exit(fen(400), Period(2025, 8), Role.COUNTY, P)
    with pytest.raises(ActorNotAllowed):
        e.return_from_gradual_exit(fen(400), Period(2024, 11), Role.VILLAGE, P)


def test_h13_a_sanction_revoked_on_appeal_restores_870() -> None:
    e = active(fen(870)).sanction(fen(580), Role.COUNTY)
    assert e.monthly_amount_fen == fen(580)
    restored = e.reverse_on_appeal(Role.REVIEWING_BODY)
    assert (restored.state, restored.monthly_amount_fen) == (State.ACTIVE, fen(870))


def test_resuming_a_suspension_owes_every_held_month() -> None:
    e = active(fen(300)).suspend(Period(2024, 5), Role.TOWNSHIP)
    resumed, arrears = e.resume(Period(2024, 7), Role.COUNTY)
    assert resumed.state is State.ACTIVE
    assert arrears == fen(600)


def test_a_suspension_goes_to_termination_only_after_three_months_or_confirmed_fraud() -> None:
    e = active().suspend(Period(2024, 5), Role.TOWNSHIP)
    with pytest.raises(IllegalTransition):
        e.escalate_suspension(Period(2024, 7), Role.COUNTY, P)
    pending = e.escalate_suspension(Period(2024, 8), Role.COUNTY, P)
    assert pending.termination_reason is TerminationReason.NON_COOPERATION
    assert (
        e.escalate_suspension(Period(2024, 6), Role.COUNTY, P, fraud=True).termination_reason
        is TerminationReason.FRAUD
    )


def test_a_tekun_termination_waits_for_its_seven_day_notice() -> None:
    e = active(fen(607), Programme.TEKUN).suspend(Period(2024, 5), Role.TOWNSHIP)
    e = e.escalate_suspension(Period(2024, 9), Role.COUNTY, P)
    with pytest.raises(IllegalTransition, match="TERMINATION_PENDING"):
        e.terminate(date(2024, 9, 2), Role.COUNTY, P)
    noticed = e.post_termination_notice(date(2024, 9, 2), Role.COUNTY)
    with pytest.raises(IllegalTransition):
        noticed.terminate(date(2024, 9, 8), Role.COUNTY, P)
    done = noticed.terminate(date(2024, 9, 9), Role.COUNTY, P)
    assert (done.state, done.terminated_from) == (State.TERMINATED, Period(2024, 10))


def test_voluntary_exit_is_the_households_request_recorded_by_it_or_its_offices() -> None:
    with pytest.raises(ActorNotAllowed):
        active().exit_voluntarily(date(2024, 7, 20), Role.VILLAGE)
    for role in (Role.APPLICANT, Role.TOWNSHIP, Role.COUNTY):
        e = active().exit_voluntarily(date(2024, 7, 20), role)
        assert (e.state, e.termination_reason, e.terminated_from) == (
            State.TERMINATED,
            TerminationReason.VOLUNTARY,
            Period(2024, 8),
        )


def test_a_terminated_entitlement_takes_no_further_step() -> None:
    e = active().terminate_for_fraud(date(2024, 6, 1), Role.COUNTY)
    with pytest.raises(IllegalTransition, match="state TERMINATED cannot start a review"):
        e.start_review(Role.TOWNSHIP)


def test_a_living_subsidy_ended_with_the_dibao_is_restored_with_it_and_owes_the_months_it_missed() -> None:
    subsidy = active(fen(100), Programme.DISABILITY_LIVING_SUBSIDY)
    ended = subsidy.end_with_dibao(Period(2025, 7), Role.SYSTEM)
    assert ended.ended_with_dibao(Period(2025, 7))
    assert not ended.ended_with_dibao(Period(2025, 8)), "another Dibao end"
    assert not active().terminate_for_fraud(date(2025, 6, 5), Role.COUNTY).ended_with_dibao(Period(2025, 7))
    with pytest.raises(ActorNotAllowed):
        ended.restore_with_dibao(Role.REVIEWING_BODY)
    restored = ended.restore_with_dibao(Role.SYSTEM)
    assert (restored.state, restored.monthly_amount_fen) == (State.ACTIVE, fen(100))
    assert arrears_after_reversal(ended, restored, Period(2025, 10)) == 3 * fen(100)
    with pytest.raises(IllegalTransition):
        subsidy.restore_with_dibao(Role.SYSTEM)


def test_a_termination_revoked_on_appeal_pays_again_rather_than_waiting_to_end() -> None:
    pending = (
        active(fen(870))
        .suspend(Period(2024, 5), Role.TOWNSHIP)
        .escalate_suspension(Period(2024, 8), Role.COUNTY, P)
    )
    ended = pending.terminate(date(2024, 9, 9), Role.COUNTY, P)
    restored = ended.reverse_on_appeal(Role.REVIEWING_BODY)
    assert (restored.state, restored.monthly_amount_fen) == (State.ACTIVE, fen(870))
    assert restored.termination_reason is None and restored.terminated_from is None
    assert arrears_after_reversal(ended, restored, Period(2024, 12)) == 2 * fen(870)
