"""The six-step procedure (DOMAIN §5.1.7, §7.2): steps, roles, democratic-review modes, notice, deadlines."""

from __future__ import annotations

from datetime import date

import pytest

from doudi_common.calendar import load_cn_calendar
from doudi_common.parameters import Parameters
from doudi_common.period import Period
from doudi_eligibility.domain.machines.procedure import Case, Step
from doudi_eligibility.domain.machines.roles import ActorNotAllowed, IllegalTransition, Role

from .builders import ex_gy

P = ex_gy()
CAL = load_cn_calendar()
NATIONAL = P.override({"democratic_review.mode": "ON_OBJECTION"})


def investigated(params: Parameters = P) -> Case:
    case = Case.accepted("H01", date(2025, 3, 3)).start_investigation(Role.SYSTEM)
    case = case.record_report(Role.VERIFICATION_CENTRE, params)
    assert case.step is Step.INVESTIGATING
    return case.record_home_survey(Role.TOWNSHIP, params)


def test_h01_the_six_steps_run_to_approval_with_april_as_the_first_month() -> None:
    case = investigated()
    assert case.step is Step.DEMOCRATIC_REVIEW
    case = case.record_democratic_review(Role.VILLAGE)
    case = case.give_opinion(True, date(2025, 3, 11), Role.TOWNSHIP, P, CAL)
    assert (case.notice_start, case.notice_end) == (date(2025, 3, 12), date(2025, 3, 18))
    with pytest.raises(IllegalTransition, match="PUBLIC_NOTICE"):
        case.close_notice(date(2025, 3, 18), Role.SYSTEM)
    case = case.close_notice(date(2025, 3, 19), Role.SYSTEM)
    assert case.step is Step.CONFIRMATION_REVIEW
    case = case.decide(True, date(2025, 3, 31), Role.COUNTY, P)
    assert case.step is Step.APPROVED
    assert case.first_month == Period(2025, 4)
    assert CAL.working_days_between(date(2025, 3, 3), date(2025, 3, 31)) == 20
    assert case.deadline(P, CAL) == date(2025, 4, 15)
    assert not case.is_overdue(date(2025, 4, 30), P, CAL)


def test_under_the_national_mode_democratic_review_runs_only_after_an_objection() -> None:
    case = investigated(NATIONAL)
    assert case.step is Step.INITIAL_OPINION
    case = case.give_opinion(True, date(2025, 3, 11), Role.TOWNSHIP, NATIONAL, CAL)
    case = case.raise_objection(date(2025, 3, 14), Role.PUBLIC)
    assert case.step is Step.OBJECTION_INVESTIGATION
    case = case.conclude_objection(Role.TOWNSHIP, NATIONAL)
    assert case.step is Step.DEMOCRATIC_REVIEW
    case = case.record_democratic_review(Role.TOWNSHIP)
    case = case.give_opinion(True, date(2025, 3, 20), Role.TOWNSHIP, NATIONAL, CAL)
    assert case.notice_start == date(2025, 3, 21)
    assert case.objections == 1


def test_an_objection_in_the_always_mode_goes_back_to_the_initial_opinion_and_a_new_notice() -> None:
    case = investigated().record_democratic_review(Role.VILLAGE)
    case = case.give_opinion(True, date(2025, 3, 11), Role.TOWNSHIP, P, CAL)
    case = case.raise_objection(date(2025, 3, 12), Role.PUBLIC).conclude_objection(Role.TOWNSHIP, P)
    assert case.step is Step.INITIAL_OPINION


def test_an_objection_after_the_notice_ended_is_refused() -> None:
    case = investigated().record_democratic_review(Role.VILLAGE)
    case = case.give_opinion(True, date(2025, 3, 11), Role.TOWNSHIP, P, CAL)
    with pytest.raises(IllegalTransition):
        case.raise_objection(date(2025, 3, 19), Role.PUBLIC)


def test_a_negative_opinion_goes_straight_to_confirmation_and_a_refusal_letter_is_due_in_3_working_days() -> (
    None
):
    case = investigated().record_democratic_review(Role.VILLAGE)
    case = case.give_opinion(False, date(2025, 3, 11), Role.TOWNSHIP, P, CAL)
    assert case.step is Step.CONFIRMATION_REVIEW
    case = case.decide(True, date(2025, 4, 3), Role.COUNTY, P)
    assert case.step is Step.REJECTED
    assert case.refusal_letter_due(P, CAL) == date(2025, 4, 9)


def test_the_township_confirms_only_where_confirmation_is_delegated() -> None:
    case = investigated().record_democratic_review(Role.VILLAGE)
    case = case.give_opinion(True, date(2025, 3, 11), Role.TOWNSHIP, P, CAL).close_notice(
        date(2025, 3, 19), Role.SYSTEM
    )
    with pytest.raises(ActorNotAllowed, match="TOWNSHIP may not decide"):
        case.decide(True, date(2025, 3, 25), Role.TOWNSHIP, P)
    maiji = P.override({"dibao.confirm.authority": "TOWNSHIP"})
    assert case.decide(True, date(2025, 3, 25), Role.TOWNSHIP, maiji).step is Step.APPROVED


def test_a_flagged_near_relative_needs_a_county_home_survey_before_the_decision() -> None:
    case = Case.accepted("nr", date(2025, 3, 3), county_survey_required=True).start_investigation(Role.SYSTEM)
    case = case.record_report(Role.VERIFICATION_CENTRE, NATIONAL).record_home_survey(Role.TOWNSHIP, NATIONAL)
    case = case.give_opinion(True, date(2025, 3, 11), Role.TOWNSHIP, NATIONAL, CAL)
    case = case.close_notice(date(2025, 3, 19), Role.SYSTEM)
    with pytest.raises(IllegalTransition, match="mandatory county survey"):
        case.decide(True, date(2025, 3, 25), Role.COUNTY, NATIONAL)
    assert (
        case.record_county_survey(Role.COUNTY).decide(True, date(2025, 3, 25), Role.COUNTY, NATIONAL).step
        is Step.APPROVED
    )


def test_illegal_steps_name_the_state_and_final_states_are_final() -> None:
    case = Case.accepted("x", date(2025, 3, 3))
    with pytest.raises(IllegalTransition, match="state ACCEPTED cannot give an initial opinion"):
        case.give_opinion(True, date(2025, 3, 4), Role.TOWNSHIP, P, CAL)
    withdrawn = case.withdraw(Role.APPLICANT)
    with pytest.raises(IllegalTransition, match="WITHDRAWN"):
        withdrawn.withdraw(Role.APPLICANT)


def test_an_extension_needs_the_county_and_moves_the_deadline_to_45_working_days() -> None:
    case = Case.accepted("x", date(2025, 3, 3))
    with pytest.raises(ActorNotAllowed):
        case.extend("复杂", Role.TOWNSHIP)
    extended = case.extend("需要补充调查", Role.COUNTY)
    assert CAL.working_days_between(date(2025, 3, 3), extended.deadline(P, CAL)) == 45
    assert case.is_overdue(date(2025, 4, 16), P, CAL)


def test_a_working_day_notice_skips_the_weekend() -> None:
    working = P.override({"notice.day_kind": "working"})
    case = investigated().record_democratic_review(Role.VILLAGE)
    case = case.give_opinion(True, date(2025, 3, 11), Role.TOWNSHIP, working, CAL)
    assert case.notice_end == date(2025, 3, 20)


def test_the_short_procedure_of_7_5_has_no_democratic_review_and_no_notice() -> None:
    case = Case.accepted("DS", date(2025, 4, 1), short=True).start_investigation(Role.SYSTEM)
    case = case.record_report(Role.VERIFICATION_CENTRE, P).record_home_survey(Role.TOWNSHIP, P)
    assert case.step is Step.INITIAL_OPINION  # EX-GY reviews ALWAYS, but not these programmes
    case = case.give_opinion(True, date(2025, 4, 3), Role.TOWNSHIP, P, CAL)
    assert case.step is Step.CONFIRMATION_REVIEW and case.notice_start is None
    assert case.decide(True, date(2025, 4, 10), Role.COUNTY, P).first_month == Period(2025, 5)


def test_an_opinion_that_must_not_be_posted_goes_straight_to_confirmation() -> None:
    case = investigated().record_democratic_review(Role.VILLAGE)
    unposted = case.give_opinion(True, date(2025, 3, 11), Role.TOWNSHIP, P, CAL, post=False)
    assert unposted.step is Step.CONFIRMATION_REVIEW and unposted.positive_opinion is True


def test_a_programme_may_name_its_own_deciding_roles() -> None:
    case = investigated().record_democratic_review(Role.VILLAGE)
    case = case.give_opinion(True, date(2025, 3, 11), Role.TOWNSHIP, P, CAL, post=False)
    with pytest.raises(ActorNotAllowed):
        case.decide(True, date(2025, 3, 12), Role.TOWNSHIP, P)
    both = frozenset({Role.TOWNSHIP, Role.COUNTY})
    assert case.decide(True, date(2025, 3, 12), Role.TOWNSHIP, P, roles=both).step is Step.APPROVED
