"""The deciding authority's supervision of a case (DOMAIN §6, §7.2 rows 20, 21, 24): returning a file,
the county's sample for its home survey, and the one extension of the time limit."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi_common.calendar import load_cn_calendar
from doudi_eligibility.domain.machines.procedure import Case, Step, in_county_sample, sample_draw
from doudi_eligibility.domain.machines.roles import ActorNotAllowed, IllegalTransition, Role

from .builders import ex_gy

P = ex_gy()
CAL = load_cn_calendar()
MAIJI = P.override({"dibao.confirm.authority": "TOWNSHIP"})
CASE_IDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=30)


def at_confirmation(params=P) -> Case:  # type: ignore[no-untyped-def]
    case = Case.accepted("H01", date(2025, 3, 3)).start_investigation(Role.SYSTEM)
    case = case.record_report(Role.VERIFICATION_CENTRE, params).record_home_survey(Role.TOWNSHIP, params)
    case = case.record_democratic_review(Role.VILLAGE)
    case = case.give_opinion(True, date(2025, 3, 11), Role.TOWNSHIP, params, CAL)
    return case.close_notice(date(2025, 3, 19), Role.SYSTEM)


def test_a_returned_file_is_at_the_initial_opinion_again_may_be_resurveyed_and_is_posted_anew() -> None:
    returned = at_confirmation().return_for_investigation(Role.COUNTY, P)
    assert (returned.step, returned.returns) == (Step.INITIAL_OPINION, 1)
    assert returned.deadline(P, CAL) == at_confirmation().deadline(P, CAL)
    resurveyed = returned.record_home_survey(Role.TOWNSHIP, P)
    assert resurveyed.step is Step.INITIAL_OPINION
    posted = resurveyed.give_opinion(True, date(2025, 3, 24), Role.TOWNSHIP, P, CAL)
    assert (posted.step, posted.notice_start) == (Step.PUBLIC_NOTICE, date(2025, 3, 25))


def test_only_a_returned_file_is_resurveyed_at_the_initial_opinion() -> None:
    case = Case.accepted("x", date(2025, 3, 3)).start_investigation(Role.SYSTEM)
    national = P.override({"democratic_review.mode": "ON_OBJECTION"})
    case = case.record_report(Role.VERIFICATION_CENTRE, national).record_home_survey(Role.TOWNSHIP, national)
    assert case.step is Step.INITIAL_OPINION
    with pytest.raises(IllegalTransition, match="INITIAL_OPINION cannot record the home survey"):
        case.record_home_survey(Role.TOWNSHIP, national)


def test_the_township_returns_a_file_only_where_it_confirms() -> None:
    with pytest.raises(ActorNotAllowed):
        at_confirmation().return_for_investigation(Role.TOWNSHIP, P)
    assert at_confirmation(MAIJI).return_for_investigation(Role.TOWNSHIP, MAIJI).returns == 1


def test_a_case_is_extended_once_with_a_reason() -> None:
    case = Case.accepted("x", date(2025, 3, 3))
    with pytest.raises(ValueError, match="reason"):
        case.extend("  ", Role.COUNTY)
    extended = case.extend("  案情复杂 ", Role.COUNTY)
    assert extended.extension_reason == "案情复杂"
    assert CAL.working_days_between(date(2025, 3, 3), extended.deadline(P, CAL)) == 45
    with pytest.raises(IllegalTransition, match="extend the deadline again"):
        extended.extend("再次延长", Role.COUNTY)


@given(CASE_IDS)
def test_a_draw_is_a_fixed_share_in_the_unit_interval(case_id: str) -> None:
    draw = sample_draw(case_id)
    assert 0 <= draw < 1
    assert sample_draw(case_id) == draw


@given(CASE_IDS, st.fractions(min_value=0, max_value=1), st.fractions(min_value=0, max_value=1))
def test_a_case_sampled_at_a_rate_stays_sampled_at_every_higher_rate(
    case_id: str, a: Fraction, b: Fraction
) -> None:
    low, high = sorted((a, b))
    at_low = in_county_sample(case_id, P.override({"dibao.county_survey.sample_ratio": low}))
    at_high = in_county_sample(case_id, P.override({"dibao.county_survey.sample_ratio": high}))
    assert not at_low or at_high


@given(CASE_IDS)
def test_no_rate_samples_nothing_and_the_whole_rate_samples_everything(case_id: str) -> None:
    assert not in_county_sample(case_id, P)
    assert in_county_sample(case_id, P.override({"dibao.county_survey.sample_ratio": Fraction(1)}))


def test_a_tenth_samples_about_a_tenth_of_cases() -> None:
    tenth = P.override({"dibao.county_survey.sample_ratio": Fraction(1, 10)})
    sampled = sum(in_county_sample(f"app_{n:05d}", tenth) for n in range(5000))
    assert 400 <= sampled <= 600


def subsidy_at_county() -> Case:
    case = Case.accepted("DS", date(2025, 4, 1), short=True, federation_review_required=True)
    case = case.start_investigation(Role.SYSTEM).record_report(Role.VERIFICATION_CENTRE, P)
    case = case.record_home_survey(Role.TOWNSHIP, P)
    return case.give_opinion(True, date(2025, 4, 3), Role.TOWNSHIP, P, CAL)


def test_a_disability_subsidy_is_approved_only_after_the_federation_confirms() -> None:
    case = subsidy_at_county()
    with pytest.raises(IllegalTransition, match="federation's review"):
        case.decide(True, date(2025, 4, 10), Role.COUNTY, P)
    with pytest.raises(ActorNotAllowed):
        case.record_federation_review(True, Role.TOWNSHIP)
    confirmed = case.record_federation_review(True, Role.FEDERATION)
    assert confirmed.decide(True, date(2025, 4, 10), Role.COUNTY, P).step is Step.APPROVED
    with pytest.raises(IllegalTransition, match="again"):
        confirmed.record_federation_review(False, Role.COUNTY)


def test_a_review_that_does_not_confirm_allows_only_a_refusal_which_never_waits_for_it() -> None:
    case = subsidy_at_county()
    assert case.decide(False, date(2025, 4, 10), Role.COUNTY, P).step is Step.REJECTED
    not_confirmed = case.record_federation_review(False, Role.COUNTY)
    with pytest.raises(IllegalTransition, match="did not confirm"):
        not_confirmed.decide(True, date(2025, 4, 10), Role.COUNTY, P)
    assert not_confirmed.decide(False, date(2025, 4, 10), Role.COUNTY, P).step is Step.REJECTED


def test_a_returned_subsidy_file_goes_to_the_federation_again_and_other_cases_never_do() -> None:
    confirmed = subsidy_at_county().record_federation_review(True, Role.COUNTY)
    returned = confirmed.return_for_investigation(Role.COUNTY, P)
    assert returned.federation_confirmed is None
    with pytest.raises(IllegalTransition, match="has not"):
        at_confirmation().record_federation_review(True, Role.COUNTY)
