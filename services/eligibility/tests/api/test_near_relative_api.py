"""Near-relative registration through the API (DOMAIN §12.2, §7.2 rows 17 and 21–23): a registered household
is decided only after the county's own home survey, the registered staff member is refused on the case's
steps and on the reviews of the entitlement the case makes, an existing beneficiary is registered while its
entitlement runs, the registration is kept in a separate archive the county lists, and a complaint (an
objection during the notice) makes the county survey mandatory as well."""

from __future__ import annotations

import grpc
import pytest
from sqlalchemy import func, select

from doudi.common.v1 import types_pb2
from doudi.eligibility.v1 import eligibility_pb2 as pb
from doudi_eligibility.store.tables import near_relatives
from doudi_runtime.grpc.errors import field_violations_from

from .conftest import (
    AUTH,
    COUNTY_OFFICER,
    H01,
    NEIGHBOUR,
    TOWNSHIP,
    TOWNSHIP_OFFICER,
    VILLAGE_CADRE,
    Eligibility,
    open_case,
)
from .test_procedure_api import assess, case_of, decide, survey_and_review
from .test_supervision_api import county_survey, trail

OTHER_TOWNSHIP_OFFICER = pb.Actor(role=pb.ACTOR_ROLE_TOWNSHIP, user_id="township-08")
OTHER_COUNTY_OFFICER = pb.Actor(role=pb.ACTOR_ROLE_COUNTY, user_id="county-04")


def register(
    e: Eligibility,
    request_id: str = "nr-1",
    application_id: str = H01.application_id,
    **fields: object,
) -> pb.RegisterNearRelativeResponse:
    request = pb.RegisterNearRelativeRequest(
        request_id=request_id,
        application_id=application_id,
        staff_user_id="village-05",
        staff_position=pb.NEAR_RELATIVE_STAFF_POSITION_VILLAGE_COMMITTEE_MEMBER,
        organisation="某村村民委员会",
        relation=pb.NEAR_RELATION_SIBLING,
        note="申请人系村委会委员之兄",
        actor=TOWNSHIP_OFFICER,
    )
    for name, value in fields.items():
        if isinstance(value, pb.Actor):
            request.actor.CopyFrom(value)
        else:
            setattr(request, name, value)
    return e.stub.RegisterNearRelative(request, metadata=AUTH, timeout=10)


def listed(e: Eligibility, **fields: object) -> pb.ListNearRelativeRegistrationsResponse:
    return e.stub.ListNearRelativeRegistrations(
        pb.ListNearRelativeRegistrationsRequest(**fields), metadata=AUTH, timeout=10
    )


def to_confirmation(e: Eligibility) -> None:
    """H01 from an open case to the county's desk: notice 12–18 March, closed on 19 March."""
    e.clock.on(2025, 3, 6)
    survey_and_review(e, H01)
    e.clock.on(2025, 3, 11)
    assess(e, H01.application_id)
    e.clock.on(2025, 3, 19)
    assert e.app.procedure.close_due_notices() == 1


def refused(call: object) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call()  # type: ignore[operator]
    return caught.value


# -- registration → confirmation waits for the county survey ------------------------------------------------


def test_a_registered_household_is_confirmed_only_after_the_countys_own_home_survey(
    eligibility: Eligibility,
) -> None:
    open_case(eligibility, H01)

    answer = register(eligibility)

    registration = answer.registration
    assert registration.registration_id.startswith("nrr_")
    assert (registration.application_id, registration.staff_user_id) == (H01.application_id, "village-05")
    assert registration.staff_position == pb.NEAR_RELATIVE_STAFF_POSITION_VILLAGE_COMMITTEE_MEMBER
    assert registration.relation == pb.NEAR_RELATION_SIBLING
    assert (registration.organisation, registration.registered_by) == ("某村村民委员会", "township-07")
    assert answer.case.near_relative_registered
    assert answer.case.county_survey_required and answer.case.county_survey_mandatory
    shown = case_of(eligibility, H01.application_id)
    assert shown.near_relative_registered and shown.county_survey_mandatory
    action, role, detail = trail(eligibility, H01.application_id)[-1]
    assert (action, role) == ("near relative registered", "TOWNSHIP")
    assert registration.registration_id in detail and '"relation": "SIBLING"' in detail
    assert "村委会委员之兄" not in detail  # the note stays in the sealed archive

    to_confirmation(eligibility)
    eligibility.clock.on(2025, 3, 31)
    early = refused(lambda: decide(eligibility, H01.application_id, request_id="decide-early"))
    assert early.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert "mandatory county survey" in (early.details() or "")
    refusal = refused(
        lambda: decide(eligibility, H01.application_id, pb.DECISION_OUTCOME_REJECTED, "refuse-early")
    )
    assert refusal.code() is grpc.StatusCode.FAILED_PRECONDITION

    surveyed = county_survey(eligibility, basis=pb.COUNTY_SURVEY_BASIS_MANDATORY)
    assert surveyed.county_survey_done and surveyed.step == pb.CASE_STEP_CONFIRMATION_REVIEW
    action, _, detail = trail(eligibility, H01.application_id)[-1]
    assert action == "county home survey recorded"
    assert '"basis": "MANDATORY"' in detail and '"was_mandatory": true' in detail

    assert decide(eligibility, H01.application_id).outcome == pb.DECISION_OUTCOME_APPROVED


# -- recusal ----------------------------------------------------------------------------------------------


def test_the_registered_staff_members_are_refused_on_the_cases_steps_and_their_colleagues_are_not(
    eligibility: Eligibility,
) -> None:
    open_case(eligibility, H01)
    register(
        eligibility,
        "nr-township",
        staff_user_id="township-07",
        staff_position=pb.NEAR_RELATIVE_STAFF_POSITION_TOWNSHIP_STAFF,
        organisation="某乡民政办",
        relation=pb.NEAR_RELATION_SPOUSE,
    )
    register(
        eligibility,
        "nr-county",
        staff_user_id="county-03",
        staff_position=pb.NEAR_RELATIVE_STAFF_POSITION_COUNTY_STAFF,
        organisation="县民政局",
        relation=pb.NEAR_RELATION_PARENT_SIBLING,
        actor=OTHER_COUNTY_OFFICER,
    )
    eligibility.clock.on(2025, 3, 6)

    def home_survey(request_id: str, actor: pb.Actor, surveyors: list[str]) -> pb.RecordHomeSurveyResponse:
        return eligibility.stub.RecordHomeSurvey(
            pb.RecordHomeSurveyRequest(
                request_id=request_id,
                application_id=H01.application_id,
                surveyor_ids=surveyors,
                findings="入户核实家庭成员、收入与居住情况",
                actor=actor,
            ),
            metadata=AUTH,
            timeout=10,
        )

    own = refused(lambda: home_survey("svy-1", TOWNSHIP_OFFICER, ["township-08", "village-01"]))
    assert own.code() is grpc.StatusCode.PERMISSION_DENIED
    assert "township-07 is registered as a near relative" in (own.details() or "")
    assert "record the home survey" in (own.details() or "")
    as_surveyor = refused(lambda: home_survey("svy-2", OTHER_TOWNSHIP_OFFICER, ["township-07", "village-01"]))
    assert as_surveyor.code() is grpc.StatusCode.PERMISSION_DENIED
    home_survey("svy-3", OTHER_TOWNSHIP_OFFICER, ["township-08", "village-01"])
    eligibility.stub.RecordDemocraticReview(
        pb.RecordDemocraticReviewRequest(
            request_id="review-1", application_id=H01.application_id, minutes="同意", actor=VILLAGE_CADRE
        ),
        metadata=AUTH,
        timeout=10,
    )
    eligibility.clock.on(2025, 3, 11)
    opinion = refused(
        lambda: eligibility.stub.Assess(
            pb.AssessRequest(
                request_id="assess-own", application_id=H01.application_id, actor=TOWNSHIP_OFFICER
            ),
            metadata=AUTH,
            timeout=10,
        )
    )
    assert opinion.code() is grpc.StatusCode.PERMISSION_DENIED
    assert "give an initial opinion" in (opinion.details() or "")
    eligibility.stub.Assess(
        pb.AssessRequest(
            request_id="assess-1", application_id=H01.application_id, actor=OTHER_TOWNSHIP_OFFICER
        ),
        metadata=AUTH,
        timeout=10,
    )
    eligibility.clock.on(2025, 3, 19)
    assert eligibility.app.procedure.close_due_notices() == 1

    by_relative = refused(
        lambda: county_survey(eligibility, "cs-own", basis=pb.COUNTY_SURVEY_BASIS_MANDATORY)
    )
    assert by_relative.code() is grpc.StatusCode.PERMISSION_DENIED
    county_survey(
        eligibility,
        "cs-1",
        basis=pb.COUNTY_SURVEY_BASIS_MANDATORY,
        surveyor_ids=["county-04", "county-05"],
        actor=OTHER_COUNTY_OFFICER,
    )
    eligibility.clock.on(2025, 3, 31)
    decision = refused(lambda: decide(eligibility, H01.application_id, request_id="decide-own"))
    assert decision.code() is grpc.StatusCode.PERMISSION_DENIED
    assert "may not decide" in (decision.details() or "")
    assert case_of(eligibility, H01.application_id).step == pb.CASE_STEP_CONFIRMATION_REVIEW
    approved = decide(eligibility, H01.application_id, actor=OTHER_COUNTY_OFFICER)
    assert approved.outcome == pb.DECISION_OUTCOME_APPROVED


# -- validation, idempotency, the open case ---------------------------------------------------------------


def test_a_registration_names_every_field_at_fault(eligibility: Eligibility) -> None:
    open_case(eligibility, H01)
    bad = refused(
        lambda: register(
            eligibility,
            application_id="",
            staff_user_id=" ",
            staff_position=pb.NEAR_RELATIVE_STAFF_POSITION_UNSPECIFIED,
            organisation="",
            relation=pb.NEAR_RELATION_UNSPECIFIED,
        )
    )
    assert bad.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert {name for name, _ in field_violations_from(bad)} == {
        "application_id",
        "staff_user_id",
        "staff_position",
        "organisation",
        "relation",
    }
    unknown = refused(lambda: register(eligibility, "nr-2", relation=99))
    assert unknown.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert [name for name, _ in field_violations_from(unknown)] == ["relation"]
    assert not case_of(eligibility, H01.application_id).near_relative_registered


def test_a_retried_registration_answers_the_same_and_registers_once(eligibility: Eligibility) -> None:
    open_case(eligibility, H01)
    first = register(eligibility)
    assert register(eligibility) == first

    reused = refused(lambda: register(eligibility, relation=pb.NEAR_RELATION_CHILD))
    assert reused.code() is grpc.StatusCode.ALREADY_EXISTS
    twice = refused(lambda: register(eligibility, "nr-again"))
    assert twice.code() is grpc.StatusCode.ALREADY_EXISTS
    assert first.registration.registration_id in (twice.details() or "")

    with eligibility.context.database.read() as session:  # type: ignore[union-attr]
        assert session.execute(select(func.count()).select_from(near_relatives)).scalar() == 1
    actions = [a for a, _, _ in trail(eligibility, H01.application_id)]
    assert actions.count("near relative registered") == 1


def test_a_refused_case_is_not_registered(eligibility: Eligibility) -> None:
    missing = refused(lambda: register(eligibility, application_id="app_unknown"))
    assert missing.code() is grpc.StatusCode.NOT_FOUND
    open_case(eligibility, H01)
    to_confirmation(eligibility)
    eligibility.clock.on(2025, 3, 31)
    decide(eligibility, H01.application_id, pb.DECISION_OUTCOME_REJECTED)
    late = refused(lambda: register(eligibility))
    assert late.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert "REJECTED cannot register a near relative" in (late.details() or "")
    assert archived(eligibility) == 0
    assert not case_of(eligibility, H01.application_id).near_relative_registered


# -- the entitlement's reviews (§12.2 "decision and reviews"), an existing beneficiary ----------------------


def archived(e: Eligibility) -> int:
    with e.context.database.read() as session:  # type: ignore[union-attr]
        return int(session.execute(select(func.count()).select_from(near_relatives)).scalar() or 0)


def approved_entitlement(e: Eligibility, *, county_survey_first: bool = False) -> str:
    """H01 decided by the county on 31 March; its entitlement active from April."""
    to_confirmation(e)
    if county_survey_first:
        county_survey(e, basis=pb.COUNTY_SURVEY_BASIS_MANDATORY)
    e.clock.on(2025, 3, 31)
    assert decide(e, H01.application_id).outcome == pb.DECISION_OUTCOME_APPROVED
    e.clock.on(2025, 4, 1)
    assert e.app.entitlements.activate_due() == 1
    return case_of(e, H01.application_id).entitlement_id


def start_review(e: Eligibility, entitlement_id: str, request_id: str, actor: pb.Actor) -> pb.Entitlement:
    return e.stub.StartReview(
        pb.StartReviewRequest(
            request_id=request_id, entitlement_id=entitlement_id, reason="季度复核", actor=actor
        ),
        metadata=AUTH,
        timeout=10,
    ).entitlement


def suspend(e: Eligibility, entitlement_id: str, request_id: str, actor: pb.Actor) -> pb.Entitlement:
    return e.stub.Suspend(
        pb.SuspendRequest(
            request_id=request_id, entitlement_id=entitlement_id, reason="联系不上", actor=actor
        ),
        metadata=AUTH,
        timeout=10,
    ).entitlement


def entitlement_state(e: Eligibility, entitlement_id: str) -> int:
    return e.stub.GetEntitlement(
        pb.GetEntitlementRequest(entitlement_id=entitlement_id), metadata=AUTH, timeout=10
    ).entitlement.state


def test_the_entitlement_of_a_registered_case_refuses_the_registered_staff_member_on_its_reviews(
    eligibility: Eligibility,
) -> None:
    open_case(eligibility, H01)
    register(
        eligibility,
        staff_user_id="township-08",
        staff_position=pb.NEAR_RELATIVE_STAFF_POSITION_TOWNSHIP_STAFF,
        organisation="某乡民政办",
        relation=pb.NEAR_RELATION_CHILD,
    )
    entitlement_id = approved_entitlement(eligibility, county_survey_first=True)
    eligibility.clock.on(2025, 5, 6)

    review = refused(lambda: start_review(eligibility, entitlement_id, "r-own", OTHER_TOWNSHIP_OFFICER))
    assert review.code() is grpc.StatusCode.PERMISSION_DENIED
    assert "township-08 is registered as a near relative" in (review.details() or "")
    assert "may not start a review" in (review.details() or "")
    held = refused(lambda: suspend(eligibility, entitlement_id, "s-own", OTHER_TOWNSHIP_OFFICER))
    assert held.code() is grpc.StatusCode.PERMISSION_DENIED and "may not suspend" in (held.details() or "")
    assert entitlement_state(eligibility, entitlement_id) == pb.ENTITLEMENT_STATE_ACTIVE
    assert [a for a, _, _ in trail(eligibility, entitlement_id)] == ["activated"]

    reviewed = start_review(eligibility, entitlement_id, "r-1", TOWNSHIP_OFFICER)
    assert reviewed.state == pb.ENTITLEMENT_STATE_UNDER_REVIEW
    assert reviewed.near_relative_registered, "the entitlement shows that someone recuses from it"
    complete = refused(
        lambda: eligibility.stub.CompleteReview(
            pb.CompleteReviewRequest(
                request_id="c-own",
                entitlement_id=entitlement_id,
                result=pb.REVIEW_RESULT_CONTINUE,
                monthly_amount=types_pb2.Money(amount_fen=6_000),
                reason="收入未变",
                actor=OTHER_TOWNSHIP_OFFICER,
            ),
            metadata=AUTH,
            timeout=10,
        )
    )
    assert complete.code() is grpc.StatusCode.PERMISSION_DENIED
    assert "may not complete a review" in (complete.details() or "")


def test_an_existing_beneficiary_is_registered_and_the_staff_member_recuses_from_the_entitlements_reviews(
    eligibility: Eligibility,
) -> None:
    open_case(eligibility, H01)
    entitlement_id = approved_entitlement(eligibility)
    before = start_review(eligibility, entitlement_id, "r-before", OTHER_TOWNSHIP_OFFICER)
    assert not before.near_relative_registered, "nobody recuses yet"
    eligibility.stub.CompleteReview(
        pb.CompleteReviewRequest(
            request_id="c-before",
            entitlement_id=entitlement_id,
            result=pb.REVIEW_RESULT_CONTINUE,
            monthly_amount=types_pb2.Money(amount_fen=6_000),
            reason="收入未变",
            actor=COUNTY_OFFICER,
        ),
        metadata=AUTH,
        timeout=10,
    )
    eligibility.clock.on(2025, 5, 6)

    grandchild = {
        "staff_user_id": "township-08",
        "staff_position": pb.NEAR_RELATIVE_STAFF_POSITION_TOWNSHIP_STAFF,
        "organisation": "某乡民政办",
        "relation": pb.NEAR_RELATION_GRANDCHILD,
    }
    answer = register(eligibility, "nr-beneficiary", **grandchild)

    assert answer.registration.staff_user_id == "township-08"
    assert answer.case.step == pb.CASE_STEP_APPROVED and answer.case.near_relative_registered
    assert not answer.case.county_survey_mandatory  # decided already: no county survey to wait for
    shown = eligibility.stub.GetEntitlement(
        pb.GetEntitlementRequest(entitlement_id=entitlement_id), metadata=AUTH, timeout=10
    ).entitlement
    assert shown.near_relative_registered
    assert register(eligibility, "nr-beneficiary", **grandchild) == answer
    assert archived(eligibility) == 1
    action, role, detail = trail(eligibility, H01.application_id)[-1]
    assert (action, role) == ("near relative registered", "TOWNSHIP")
    assert entitlement_id in detail and "county_survey" not in detail
    action, _, detail = trail(eligibility, entitlement_id)[-1]
    assert action == "near relative registered"
    assert answer.registration.registration_id in detail and '"state": "ACTIVE"' in detail

    review = refused(lambda: start_review(eligibility, entitlement_id, "r-own", OTHER_TOWNSHIP_OFFICER))
    assert review.code() is grpc.StatusCode.PERMISSION_DENIED
    assert "may not start a review" in (review.details() or "")
    assert entitlement_state(eligibility, entitlement_id) == pb.ENTITLEMENT_STATE_ACTIVE
    held = refused(lambda: suspend(eligibility, entitlement_id, "s-own", OTHER_TOWNSHIP_OFFICER))
    assert held.code() is grpc.StatusCode.PERMISSION_DENIED
    assert suspend(eligibility, entitlement_id, "s-1", TOWNSHIP_OFFICER).state == (
        pb.ENTITLEMENT_STATE_SUSPENDED
    )


def test_an_existing_beneficiary_whose_entitlement_is_terminated_is_not_registered(
    eligibility: Eligibility,
) -> None:
    open_case(eligibility, H01)
    entitlement_id = approved_entitlement(eligibility)
    eligibility.clock.on(2025, 6, 3)
    eligibility.stub.Terminate(
        pb.TerminateRequest(
            request_id="t-1", entitlement_id=entitlement_id, reason="FRAUD", actor=COUNTY_OFFICER
        ),
        metadata=AUTH,
        timeout=10,
    )
    assert entitlement_state(eligibility, entitlement_id) == pb.ENTITLEMENT_STATE_TERMINATED

    ended = refused(lambda: register(eligibility))

    assert ended.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert "TERMINATED cannot register a near relative" in (ended.details() or "")
    assert archived(eligibility) == 0
    assert not case_of(eligibility, H01.application_id).near_relative_registered
    assert "near relative registered" not in [a for a, _, _ in trail(eligibility, entitlement_id)]


def test_a_village_committee_does_not_register(eligibility: Eligibility) -> None:
    open_case(eligibility, H01)
    village = refused(lambda: register(eligibility, actor=VILLAGE_CADRE))
    assert village.code() is grpc.StatusCode.PERMISSION_DENIED


# -- the separate archive -----------------------------------------------------------------------------------


def test_the_archive_lists_registrations_by_region_and_case_a_page_at_a_time(
    eligibility: Eligibility,
) -> None:
    open_case(eligibility, H01)
    first = register(eligibility, "nr-1").registration
    second = register(eligibility, "nr-2", staff_user_id="township-09").registration

    page = listed(
        eligibility, region=types_pb2.RegionCode(code=TOWNSHIP), page=types_pb2.PageRequest(page_size=1)
    )
    assert [r.registration_id for r in page.registrations] == [first.registration_id]
    assert page.registrations[0].note == "申请人系村委会委员之兄"
    rest = listed(
        eligibility,
        region=types_pb2.RegionCode(code=TOWNSHIP),
        page=types_pb2.PageRequest(page_size=1, page_token=page.page.next_page_token),
    )
    assert [r.registration_id for r in rest.registrations] == [second.registration_id]
    assert [r.registration_id for r in listed(eligibility, application_id="app_other").registrations] == []
    elsewhere = listed(eligibility, region=types_pb2.RegionCode(code="640403000000"))
    assert list(elsewhere.registrations) == []


# -- a complaint --------------------------------------------------------------------------------------------


def test_an_objection_during_the_notice_makes_the_county_survey_mandatory(eligibility: Eligibility) -> None:
    open_case(eligibility, H01)
    eligibility.clock.on(2025, 3, 6)
    survey_and_review(eligibility, H01)
    eligibility.clock.on(2025, 3, 11)
    assess(eligibility, H01.application_id)
    notice = case_of(eligibility, H01.application_id).notice
    assert not case_of(eligibility, H01.application_id).county_survey_required
    eligibility.clock.on(2025, 3, 14)

    objected = eligibility.stub.RaiseObjection(
        pb.RaiseObjectionRequest(
            request_id="obj-1", notice_id=notice.notice_id, content="其家中有一辆面包车", actor=NEIGHBOUR
        ),
        metadata=AUTH,
        timeout=10,
    ).case

    assert objected.county_survey_required and objected.county_survey_mandatory
    assert not objected.near_relative_registered
    action, _, detail = trail(eligibility, H01.application_id)[-1]
    assert action == "objection raised" and '"county_survey": "MANDATORY"' in detail
    eligibility.stub.ConcludeObjection(
        pb.ConcludeObjectionRequest(
            request_id="conclude-1",
            application_id=H01.application_id,
            findings="车辆为亲属所有，不属本户",
            actor=TOWNSHIP_OFFICER,
        ),
        metadata=AUTH,
        timeout=10,
    )
    eligibility.clock.on(2025, 3, 17)
    assess(eligibility, H01.application_id, "assess-2")
    eligibility.clock.on(2025, 3, 25)
    assert eligibility.app.procedure.close_due_notices() == 1
    early = refused(lambda: decide(eligibility, H01.application_id, request_id="decide-early"))
    assert early.code() is grpc.StatusCode.FAILED_PRECONDITION
    county_survey(eligibility, basis=pb.COUNTY_SURVEY_BASIS_MANDATORY)
    assert decide(eligibility, H01.application_id).outcome == pb.DECISION_OUTCOME_APPROVED
