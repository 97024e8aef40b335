"""Near-relative registration and the county's mandatory home survey (DOMAIN §12.2, §7.2 rows 17, 21–23): a
registered household or a complaint makes the county survey mandatory before the decision, either way; the
registered staff member recuses; the county's sample still waits for its survey as before. An existing
beneficiary (an approved case whose entitlement still runs) is registered too, its decided case unchanged but
for the staff member listed."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi_common.calendar import load_cn_calendar
from doudi_common.errors import InvalidArgument
from doudi_common.period import Period
from doudi_eligibility.domain.explain import Programme
from doudi_eligibility.domain.machines.entitlement import Entitlement, State
from doudi_eligibility.domain.machines.procedure import Case, Step
from doudi_eligibility.domain.machines.roles import ActorNotAllowed, IllegalTransition, Role
from doudi_eligibility.domain.near_relative import (
    NearRelation,
    Recused,
    StaffPosition,
    staff_relation,
)

from .builders import ex_gy

P = ex_gy()
CAL = load_cn_calendar()
ACCEPTED = date(2025, 3, 3)


def opened(**flags: bool) -> Case:
    case = Case.accepted("nr", ACCEPTED, **flags).start_investigation(Role.SYSTEM)
    return case.record_report(Role.VERIFICATION_CENTRE, P)


def posted(case: Case) -> Case:
    """Survey, review and a positive opinion posted 12–18 March."""
    case = case.record_home_survey(Role.TOWNSHIP, P).record_democratic_review(Role.VILLAGE)
    return case.give_opinion(True, date(2025, 3, 11), Role.TOWNSHIP, P, CAL)


def at_confirmation(case: Case) -> Case:
    return posted(case).close_notice(date(2025, 3, 19), Role.SYSTEM)


# -- the registration makes the county survey mandatory -------------------------------------------------


def test_a_registered_near_relative_waits_for_the_county_survey_before_confirmation_then_is_confirmed() -> (
    None
):
    case = opened().register_near_relative("township-09", Role.TOWNSHIP)
    assert case.county_survey_required and case.county_survey_mandatory
    assert case.near_relative_registered and case.recused == ("township-09",)

    case = at_confirmation(case)
    with pytest.raises(IllegalTransition, match="mandatory county survey"):
        case.decide(True, date(2025, 3, 25), Role.COUNTY, P)

    surveyed = case.record_county_survey(Role.COUNTY)
    assert surveyed.decide(True, date(2025, 3, 25), Role.COUNTY, P).step is Step.APPROVED


def test_a_refusal_of_a_registered_household_also_waits_for_the_county_survey() -> None:
    case = opened().register_near_relative("village-05", Role.TOWNSHIP)
    case = case.record_home_survey(Role.TOWNSHIP, P).record_democratic_review(Role.VILLAGE)
    case = case.give_opinion(False, date(2025, 3, 11), Role.TOWNSHIP, P, CAL)
    assert case.step is Step.CONFIRMATION_REVIEW
    with pytest.raises(IllegalTransition, match="mandatory county survey"):
        case.decide(False, date(2025, 3, 14), Role.COUNTY, P)
    refused = case.record_county_survey(Role.COUNTY).decide(False, date(2025, 3, 14), Role.COUNTY, P)
    assert refused.step is Step.REJECTED


def test_a_county_survey_recorded_before_the_registration_still_counts() -> None:
    case = at_confirmation(opened()).record_county_survey(Role.COUNTY)
    case = case.register_near_relative("county-11", Role.COUNTY)
    assert case.county_survey_mandatory and case.county_survey_done
    assert case.decide(True, date(2025, 3, 25), Role.COUNTY, P).step is Step.APPROVED


def test_the_township_or_the_county_registers_an_open_or_approved_case_never_a_refused_or_withdrawn_one() -> (
    None
):
    with pytest.raises(ActorNotAllowed):
        opened().register_near_relative("township-09", Role.VILLAGE)
    refused = at_confirmation(opened()).decide(False, date(2025, 3, 25), Role.COUNTY, P)
    with pytest.raises(IllegalTransition, match="REJECTED cannot register a near relative"):
        refused.register_near_relative("township-09", Role.COUNTY)
    withdrawn = opened().withdraw(Role.APPLICANT)
    with pytest.raises(IllegalTransition, match="WITHDRAWN cannot register a near relative"):
        withdrawn.register_near_relative("township-09", Role.TOWNSHIP)
    approved = at_confirmation(opened()).decide(True, date(2025, 3, 25), Role.COUNTY, P)
    with pytest.raises(ActorNotAllowed):
        approved.register_near_relative("township-09", Role.VILLAGE)


def test_an_existing_beneficiarys_decided_case_lists_the_staff_member_and_keeps_its_county_survey_flags() -> (
    None
):
    approved = at_confirmation(opened()).decide(True, date(2025, 3, 25), Role.COUNTY, P)
    assert not approved.county_survey_required

    registered = approved.register_near_relative(" township-09 ", Role.TOWNSHIP)

    assert registered.step is Step.APPROVED and registered.decided_on == approved.decided_on
    assert registered.recused == ("township-09",) and registered.near_relative_registered
    assert not registered.county_survey_required and not registered.county_survey_mandatory
    with pytest.raises(Recused, match="may not decide"):
        registered.require_not_recused("decide", "township-09")


def _entitlement_in(state: State) -> Entitlement:
    return Entitlement("ent_nr", Programme.DIBAO, state, 56000, Period(2025, 4))


@pytest.mark.parametrize("state", [s for s in State if s is not State.TERMINATED])
def test_an_existing_beneficiary_is_registered_while_its_entitlement_runs(state: State) -> None:
    entitlement = _entitlement_in(state)
    entitlement.register_near_relative(Role.TOWNSHIP)
    entitlement.register_near_relative(Role.COUNTY)
    with pytest.raises(ActorNotAllowed):
        entitlement.register_near_relative(Role.VILLAGE)


def test_a_terminated_entitlement_is_no_longer_registered() -> None:
    with pytest.raises(IllegalTransition, match="TERMINATED cannot register a near relative"):
        _entitlement_in(State.TERMINATED).register_near_relative(Role.COUNTY)


# -- a complaint (an objection during the notice) makes it mandatory too ------------------------------------


def test_an_objection_makes_the_county_survey_mandatory() -> None:
    case = posted(opened())
    assert not case.county_survey_required
    objected = case.raise_objection(date(2025, 3, 14), Role.PUBLIC)
    assert objected.county_survey_required and objected.county_survey_mandatory
    assert not objected.near_relative_registered

    again = objected.conclude_objection(Role.TOWNSHIP, P)
    again = again.give_opinion(True, date(2025, 3, 17), Role.TOWNSHIP, P, CAL)
    again = again.close_notice(date(2025, 3, 25), Role.SYSTEM)
    with pytest.raises(IllegalTransition, match="mandatory county survey"):
        again.decide(True, date(2025, 3, 26), Role.COUNTY, P)
    assert again.record_county_survey(Role.COUNTY).decide(True, date(2025, 3, 26), Role.COUNTY, P).step is (
        Step.APPROVED
    )


def test_a_complaint_after_a_county_survey_needs_a_new_one() -> None:
    case = at_confirmation(opened()).record_county_survey(Role.COUNTY)
    # The file is returned, posted again, and objected to this time.
    case = case.return_for_investigation(Role.COUNTY, P)
    case = case.give_opinion(True, date(2025, 3, 24), Role.TOWNSHIP, P, CAL)
    objected = case.raise_objection(date(2025, 3, 26), Role.PUBLIC)
    assert objected.county_survey_mandatory and not objected.county_survey_done


# -- the sample is unchanged ------------------------------------------------------------------------------


def test_a_sampled_case_waits_for_its_county_survey_without_being_mandatory() -> None:
    case = at_confirmation(opened(county_survey_required=True))
    assert case.county_survey_required and not case.county_survey_mandatory
    with pytest.raises(IllegalTransition, match="county survey"):
        case.decide(True, date(2025, 3, 25), Role.COUNTY, P)
    assert case.record_county_survey(Role.COUNTY).decide(True, date(2025, 3, 25), Role.COUNTY, P).step is (
        Step.APPROVED
    )


def test_a_case_neither_sampled_nor_registered_nor_objected_to_needs_no_county_survey() -> None:
    case = at_confirmation(opened())
    assert not case.county_survey_required and not case.county_survey_mandatory
    assert case.decide(True, date(2025, 3, 25), Role.COUNTY, P).step is Step.APPROVED


# -- recusal --------------------------------------------------------------------------------------------


def test_the_registered_staff_member_recuses_as_actor_or_as_surveyor_and_others_do_not() -> None:
    case = opened().register_near_relative("township-09", Role.TOWNSHIP)
    with pytest.raises(Recused, match="township-09 is registered as a near relative") as caught:
        case.require_not_recused("record the home survey", "township-09")
    assert caught.value.step == "record the home survey"
    with pytest.raises(Recused):
        case.require_not_recused("record the home survey", "township-07", " township-09 ")
    case.require_not_recused("record the home survey", "township-07", "village-01")
    opened().require_not_recused("decide", "township-09")  # no registration: nobody recuses


@given(st.lists(st.text(min_size=1, max_size=8).filter(str.strip), min_size=1, max_size=6))
def test_every_registered_staff_member_recuses_once_listed_whatever_the_order(staff: list[str]) -> None:
    case = opened()
    for member in staff:
        case = case.register_near_relative(member, Role.COUNTY)
    assert case.recused == tuple(sorted({m.strip() for m in staff}))
    for member in staff:
        with pytest.raises(Recused):
            case.require_not_recused("decide", member)
    case.require_not_recused("decide", "\x00not-registered")


# -- the registration's facts ----------------------------------------------------------------------------


def test_a_registration_names_every_missing_or_bad_field_at_once() -> None:
    with pytest.raises(InvalidArgument) as caught:
        staff_relation(" ", None, "", None, "x" * 4001)
    fields = [v.field for v in caught.value.violations]
    assert fields == ["staff_user_id", "staff_position", "organisation", "relation", "note"]


def test_a_registration_is_trimmed_and_its_note_is_optional() -> None:
    staff = staff_relation(
        " township-09 ", StaffPosition.TOWNSHIP_STAFF, " 某乡民政办 ", NearRelation.SPOUSE_SIBLING, ""
    )
    assert (staff.staff_user_id, staff.organisation, staff.note) == ("township-09", "某乡民政办", "")


def test_the_near_relatives_are_those_of_section_12_2() -> None:
    assert {r.value for r in NearRelation} == {
        "SPOUSE",
        "PARENT",
        "SPOUSE_PARENT",
        "SIBLING",
        "SPOUSE_SIBLING",
        "CHILD",
        "CHILD_SPOUSE",
        "GRANDPARENT",
        "GRANDCHILD",
        "PARENT_SIBLING",
        "ADOPTIVE_OR_STEP_WITH_SUPPORT",
    }
