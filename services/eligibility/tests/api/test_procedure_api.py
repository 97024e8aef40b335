"""The six-step procedure through eligibility's gRPC API (DOMAIN §5.1.7, §7.2, §13): a case opens when the
accepted application and its complete report are both in, each step is taken by the role allowed to take
it, a positive opinion is posted for 7 days with masked details, and the decision explains itself."""

from __future__ import annotations

import grpc
import pytest
from prometheus_client import REGISTRY

from doudi.common.v1 import programme_pb2
from doudi.eligibility.v1 import eligibility_pb2 as pb
from doudi_runtime.grpc.errors import field_violations_from

from .conftest import (
    AUTH,
    COUNTY_OFFICER,
    H01,
    H02,
    H03,
    NEIGHBOUR,
    TOWNSHIP_OFFICER,
    VILLAGE_CADRE,
    Eligibility,
    Example,
    accepted_event,
    open_case,
    verified_event,
)


def case_of(e: Eligibility, application_id: str) -> pb.Case:
    return e.stub.GetCase(pb.GetCaseRequest(application_id=application_id), metadata=AUTH, timeout=10).case


def survey_and_review(e: Eligibility, example: Example, *, stable: bool = False) -> None:
    e.stub.RecordHomeSurvey(
        pb.RecordHomeSurveyRequest(
            request_id=f"survey-{example.application_id}",
            application_id=example.application_id,
            surveyor_ids=["township-07", "village-01"],
            findings="入户核实家庭成员、收入与居住情况",
            income_stable=stable,
            actor=TOWNSHIP_OFFICER,
        ),
        metadata=AUTH,
        timeout=10,
    )
    e.stub.RecordDemocraticReview(
        pb.RecordDemocraticReviewRequest(
            request_id=f"review-{example.application_id}",
            application_id=example.application_id,
            minutes="村民代表 15 人出席，同意 14 人",
            actor=VILLAGE_CADRE,
        ),
        metadata=AUTH,
        timeout=10,
    )


def assess(e: Eligibility, application_id: str, request_id: str = "assess-1") -> pb.Decision:
    return e.stub.Assess(
        pb.AssessRequest(request_id=request_id, application_id=application_id, actor=TOWNSHIP_OFFICER),
        metadata=AUTH,
        timeout=10,
    ).proposed


def decide(
    e: Eligibility,
    application_id: str,
    outcome: int = pb.DECISION_OUTCOME_APPROVED,
    request_id: str = "decide-1",
    actor: pb.Actor = COUNTY_OFFICER,
) -> pb.Decision:
    return e.stub.Decide(
        pb.DecideRequest(
            request_id=request_id,
            application_id=application_id,
            outcome=outcome,
            reason="经审核确认",
            actor=actor,
        ),
        metadata=AUTH,
        timeout=10,
    ).decision


def run_h01_to_decision(e: Eligibility) -> pb.Decision:
    """H01's timeline: accepted Mon 3 March 2025, survey 6 March, opinion 11 March, notice 12–18 March,
    the county confirms on Mon 31 March."""
    open_case(e, H01)
    e.clock.on(2025, 3, 6)
    survey_and_review(e, H01)
    e.clock.on(2025, 3, 11)
    assess(e, H01.application_id)
    e.clock.on(2025, 3, 19)
    assert e.app.procedure.close_due_notices() == 1
    e.clock.on(2025, 3, 31)
    return decide(e, H01.application_id)


def test_h01_is_approved_category_c_at_60_yuan_from_april_with_every_condition_explained(eligibility) -> None:  # type: ignore[no-untyped-def]
    before = (
        REGISTRY.get_sample_value(
            "doudi_eligibility_decisions_total", {"programme": "DIBAO", "outcome": "APPROVED"}
        )
        or 0
    )
    decision = run_h01_to_decision(eligibility)

    assert decision.outcome == pb.DECISION_OUTCOME_APPROVED
    assert decision.monthly_amount.amount_fen == 6_000
    assert decision.category == programme_pb2.HOUSEHOLD_CATEGORY_C
    assert decision.start_month.month == "2025-04"
    assert decision.review_months == 3
    assert decision.parameter_version == "NX-2024-01+GY-2024-01+EX-GY-2024-01"
    outcomes = {c.code: c.outcome for c in decision.conditions}
    assert outcomes["E3"] == pb.CONDITION_OUTCOME_PASS
    assert outcomes["E4.vehicle"] == pb.CONDITION_OUTCOME_EXEMPT
    e3 = next(c for c in decision.conditions if c.code == "E3")
    assert "y=540.00" in e3.inputs and "S=560.00" in e3.inputs
    assert {(p.key, p.value, p.set_id) for p in e3.parameters} >= {
        ("dibao.std.urban.monthly", "560", "GY-2024-01"),
        ("dibao.deduct.employment", "1/10", "NX-2024-01"),
    }
    assert any("y = (G − X) / 12 / 3 = 540.00" in line for line in decision.computation)
    assert any("= 60.00 per month" in line for line in decision.computation)
    assert "予以批准" in decision.notice_text and "每月60.00元" in decision.notice_text
    assert "2025年4月起" in decision.notice_text

    fetched = eligibility.stub.GetDecision(
        pb.GetDecisionRequest(decision_id=decision.decision_id), metadata=AUTH, timeout=10
    ).decision
    assert fetched == decision

    case = case_of(eligibility, H01.application_id)
    assert case.step == pb.CASE_STEP_APPROVED
    assert (case.deadline.month, case.deadline.day) == (4, 15)  # 30 working days after 3 March 2025
    assert not case.overdue
    entitlement = eligibility.stub.GetEntitlement(
        pb.GetEntitlementRequest(entitlement_id=case.entitlement_id), metadata=AUTH, timeout=10
    ).entitlement
    assert entitlement.state == pb.ENTITLEMENT_STATE_PENDING_START
    assert entitlement.monthly_amount.amount_fen == 6_000
    assert entitlement.start_month.month == "2025-04"
    assert entitlement.region.code == "640402100000"

    kinds = [kind for _, _, kind in eligibility.outbox()]
    assert kinds == ["PublicNoticeStarted", "DecisionMade", "EntitlementActivated"]
    after = REGISTRY.get_sample_value(
        "doudi_eligibility_decisions_total", {"programme": "DIBAO", "outcome": "APPROVED"}
    )
    assert after == before + 1
    assert REGISTRY.get_sample_value("doudi_eligibility_time_to_decision_seconds_count") >= 1


def test_h01_public_notice_runs_12_to_18_march_and_masks_the_id_number(eligibility) -> None:  # type: ignore[no-untyped-def]
    open_case(eligibility, H01)
    survey_and_review(eligibility, H01)
    eligibility.clock.on(2025, 3, 11)
    proposed = assess(eligibility, H01.application_id)
    assert proposed.outcome == pb.DECISION_OUTCOME_APPROVED
    notice = eligibility.stub.PublishNotice(
        pb.PublishNoticeRequest(request_id="post-1", application_id=H01.application_id, actor=VILLAGE_CADRE),
        metadata=AUTH,
        timeout=10,
    ).notice
    assert (notice.starts_on.day, notice.ends_on.day) == (12, 18)
    [entry] = notice.entries
    assert entry.name == "李明" and entry.household_size == 3 and entry.proposed_amount.amount_fen == 6_000
    assert "640402198403091139" not in str(notice)
    assert entry.masked_id_number.startswith("6404") and "*" in entry.masked_id_number

    eligibility.clock.on(2025, 3, 18)
    assert eligibility.app.procedure.close_due_notices() == 0  # the last day of the notice is still running
    with pytest.raises(grpc.RpcError) as early:
        decide(eligibility, H01.application_id)
    assert early.value.code() is grpc.StatusCode.FAILED_PRECONDITION


def test_an_objection_sends_the_case_back_and_a_new_opinion_posts_a_new_seven_day_notice(eligibility) -> None:  # type: ignore[no-untyped-def]
    open_case(eligibility, H01)
    survey_and_review(eligibility, H01)
    eligibility.clock.on(2025, 3, 11)
    assess(eligibility, H01.application_id)
    first = case_of(eligibility, H01.application_id).notice
    eligibility.clock.on(2025, 3, 14)
    objected = eligibility.stub.RaiseObjection(
        pb.RaiseObjectionRequest(
            request_id="obj-1", notice_id=first.notice_id, content="其家中有一辆面包车", actor=NEIGHBOUR
        ),
        metadata=AUTH,
        timeout=10,
    )
    assert objected.case.step == pb.CASE_STEP_OBJECTION_INVESTIGATION
    assert objected.case.objections == 1
    concluded = eligibility.stub.ConcludeObjection(
        pb.ConcludeObjectionRequest(
            request_id="conclude-1",
            application_id=H01.application_id,
            findings="车辆为亲属所有，不属本户",
            actor=TOWNSHIP_OFFICER,
        ),
        metadata=AUTH,
        timeout=10,
    ).case
    assert concluded.step == pb.CASE_STEP_INITIAL_OPINION
    eligibility.clock.on(2025, 3, 17)
    assess(eligibility, H01.application_id, "assess-2")
    second = case_of(eligibility, H01.application_id).notice
    assert second.notice_id != first.notice_id
    assert (second.starts_on.day, second.ends_on.day) == (18, 24)
    kinds = [kind for _, _, kind in eligibility.outbox()]
    assert kinds == ["PublicNoticeStarted", "ObjectionRaised", "PublicNoticeStarted"]


def test_h02_at_exactly_the_standard_is_rejected_with_reasons_and_the_marginal_status(eligibility) -> None:  # type: ignore[no-untyped-def]
    open_case(eligibility, H02)
    eligibility.clock.on(2025, 3, 6)
    survey_and_review(eligibility, H02, stable=True)
    proposed = assess(eligibility, H02.application_id)
    assert proposed.outcome == pb.DECISION_OUTCOME_REJECTED
    assert case_of(eligibility, H02.application_id).step == pb.CASE_STEP_CONFIRMATION_REVIEW
    with pytest.raises(grpc.RpcError) as against_opinion:
        decide(eligibility, H02.application_id, request_id="approve-anyway")
    assert against_opinion.value.code() is grpc.StatusCode.FAILED_PRECONDITION

    decision = decide(eligibility, H02.application_id, pb.DECISION_OUTCOME_REJECTED)
    assert decision.outcome == pb.DECISION_OUTCOME_REJECTED
    assert decision.monthly_amount.amount_fen == 0
    e3 = next(c for c in decision.conditions if c.code == "E3")
    assert e3.outcome == pb.CONDITION_OUTCOME_FAIL
    assert "y=560.00" in e3.inputs
    assert "MARGINAL_HOUSEHOLD" in decision.statuses
    assert "不予批准" in decision.notice_text and "不低于当地低保标准560.00元" in decision.notice_text
    assert "低保边缘家庭" in decision.notice_text and "行政复议" in decision.notice_text
    assert (decision.refusal_letter_due.month, decision.refusal_letter_due.day) == (3, 11)
    assert not case_of(eligibility, H02.application_id).entitlement_id


def test_h03_rural_elderly_couple_category_a_gets_560(eligibility) -> None:  # type: ignore[no-untyped-def]
    open_case(eligibility, H03)
    survey_and_review(eligibility, H03, stable=True)
    proposed = assess(eligibility, H03.application_id)
    assert proposed.outcome == pb.DECISION_OUTCOME_APPROVED
    assert proposed.category == programme_pb2.HOUSEHOLD_CATEGORY_A
    assert proposed.monthly_amount.amount_fen == 56_000


def test_each_step_belongs_to_its_role(eligibility) -> None:  # type: ignore[no-untyped-def]
    open_case(eligibility, H01)
    with pytest.raises(grpc.RpcError) as village_survey:
        eligibility.stub.RecordHomeSurvey(
            pb.RecordHomeSurveyRequest(
                request_id="s-v",
                application_id=H01.application_id,
                surveyor_ids=["a", "b"],
                findings="x",
                actor=VILLAGE_CADRE,
            ),
            metadata=AUTH,
            timeout=10,
        )
    assert village_survey.value.code() is grpc.StatusCode.PERMISSION_DENIED
    survey_and_review(eligibility, H01)
    with pytest.raises(grpc.RpcError) as village_opinion:
        eligibility.stub.Assess(
            pb.AssessRequest(request_id="a-v", application_id=H01.application_id, actor=VILLAGE_CADRE),
            metadata=AUTH,
            timeout=10,
        )
    assert village_opinion.value.code() is grpc.StatusCode.PERMISSION_DENIED
    eligibility.clock.on(2025, 3, 11)
    assess(eligibility, H01.application_id)
    eligibility.clock.on(2025, 3, 19)
    eligibility.app.procedure.close_due_notices()
    with pytest.raises(grpc.RpcError) as township_decides:
        decide(eligibility, H01.application_id, request_id="d-t", actor=TOWNSHIP_OFFICER)
    assert township_decides.value.code() is grpc.StatusCode.PERMISSION_DENIED
    assert "COUNTY" in township_decides.value.details()


def test_missing_fields_and_actor_are_named(eligibility) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as caught:
        eligibility.stub.Decide(pb.DecideRequest(), metadata=AUTH, timeout=10)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    fields = {field for field, _ in field_violations_from(caught.value)}
    assert {"request_id", "application_id", "reason", "outcome", "actor.role", "actor.user_id"} <= fields


def test_a_survey_needs_two_staff(eligibility) -> None:  # type: ignore[no-untyped-def]
    open_case(eligibility, H01)
    with pytest.raises(grpc.RpcError) as caught:
        eligibility.stub.RecordHomeSurvey(
            pb.RecordHomeSurveyRequest(
                request_id="s-1",
                application_id=H01.application_id,
                surveyor_ids=["one"],
                findings="x",
                actor=TOWNSHIP_OFFICER,
            ),
            metadata=AUTH,
            timeout=10,
        )
    assert [field for field, _ in field_violations_from(caught.value)] == ["surveyor_ids"]


def test_a_retried_decision_returns_the_first_answer_and_announces_once(eligibility) -> None:  # type: ignore[no-untyped-def]
    first = run_h01_to_decision(eligibility)
    again = decide(eligibility, H01.application_id)
    assert again == first
    assert [kind for _, _, kind in eligibility.outbox()].count("DecisionMade") == 1
    with pytest.raises(grpc.RpcError) as reused:
        decide(eligibility, H01.application_id, pb.DECISION_OUTCOME_REJECTED)
    assert reused.value.code() is grpc.StatusCode.ALREADY_EXISTS


def test_redelivered_and_reordered_events_open_one_case(eligibility) -> None:  # type: ignore[no-untyped-def]
    eligibility.deliver(verified_event(H01), H01.application_id, "verification")
    assert eligibility.app.procedure.list_cases(None, False, None, 10) == []
    eligibility.deliver(accepted_event(H01), H01.application_id, "intake")
    eligibility.deliver(accepted_event(H01), H01.application_id, "intake")
    eligibility.deliver(verified_event(H01), H01.application_id, "verification")
    [case] = eligibility.app.procedure.list_cases(None, False, None, 10)
    assert case.case.report_done and not case.case.survey_done
    eligibility.deliver(verified_event(H01, "rep_2"), H01.application_id, "verification")
    assert case_of(eligibility, H01.application_id).report_id == "rep_2"


def test_cases_past_30_working_days_are_flagged_overdue_and_listed(eligibility) -> None:  # type: ignore[no-untyped-def]
    open_case(eligibility, H01)
    open_case(eligibility, H02)
    eligibility.clock.on(2025, 4, 15)
    assert not case_of(eligibility, H01.application_id).overdue
    eligibility.clock.on(2025, 4, 16)
    assert case_of(eligibility, H01.application_id).overdue
    page = eligibility.stub.ListCases(
        pb.ListCasesRequest(overdue_only=True, page={"page_size": 1}), metadata=AUTH, timeout=10
    )
    assert [c.application_id for c in page.cases] == ["app_h01"]
    rest = eligibility.stub.ListCases(
        pb.ListCasesRequest(
            overdue_only=True, page={"page_size": 1, "page_token": page.page.next_page_token}
        ),
        metadata=AUTH,
        timeout=10,
    )
    assert [c.application_id for c in rest.cases] == ["app_h02"] and not rest.page.next_page_token


def test_a_withdrawn_application_closes_its_case(eligibility) -> None:  # type: ignore[no-untyped-def]
    from doudi.intake.v1 import events_pb2 as intake_events

    open_case(eligibility, H01)
    eligibility.deliver(
        intake_events.ApplicationWithdrawn(application_id=H01.application_id, reason="申请人撤回"),
        H01.application_id,
        "intake",
    )
    assert case_of(eligibility, H01.application_id).step == pb.CASE_STEP_WITHDRAWN
