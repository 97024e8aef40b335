"""The entitlement lifecycle through the API (DOMAIN §7.3, §7.6): activation, review with an amount change,
an appeal that revokes the change and owes the difference (H13's arrears rule), suspension and resumption
with arrears for the held months, termination; each change announced once, on the entitlement topic."""

from __future__ import annotations

import grpc
import pytest

from doudi.common.v1 import types_pb2
from doudi.eligibility.v1 import eligibility_pb2 as pb
from doudi.eligibility.v1 import events_pb2
from doudi.verification.v1 import verification_pb2

from .conftest import (
    APPLICANT,
    AUTH,
    COUNTY_OFFICER,
    H01,
    REVIEWING_BODY,
    TOWNSHIP_OFFICER,
    Eligibility,
    verified_event,
)
from .test_procedure_api import run_h01_to_decision


def approved_h01(e: Eligibility) -> str:
    decision = run_h01_to_decision(e)
    case = e.stub.GetCase(
        pb.GetCaseRequest(application_id=decision.application_id), metadata=AUTH, timeout=10
    )
    e.clock.on(2025, 4, 1)
    assert e.app.entitlements.activate_due() == 1
    return case.case.entitlement_id


def get(e: Eligibility, entitlement_id: str) -> pb.Entitlement:
    return e.stub.GetEntitlement(
        pb.GetEntitlementRequest(entitlement_id=entitlement_id), metadata=AUTH, timeout=10
    ).entitlement


def test_a_revoked_reduction_restores_the_amount_with_arrears_for_the_months_paid_less(eligibility) -> None:  # type: ignore[no-untyped-def]
    entitlement_id = approved_h01(eligibility)
    assert get(eligibility, entitlement_id).state == pb.ENTITLEMENT_STATE_ACTIVE
    eligibility.stub.StartReview(
        pb.StartReviewRequest(
            request_id="r-1", entitlement_id=entitlement_id, reason="季度复核", actor=TOWNSHIP_OFFICER
        ),
        metadata=AUTH,
        timeout=10,
    )
    reduced = eligibility.stub.CompleteReview(
        pb.CompleteReviewRequest(
            request_id="r-2",
            entitlement_id=entitlement_id,
            result=pb.REVIEW_RESULT_CONTINUE,
            monthly_amount=types_pb2.Money(amount_fen=3_000),
            reason="就业收入增加",
            actor=COUNTY_OFFICER,
        ),
        metadata=AUTH,
        timeout=10,
    ).entitlement
    assert reduced.monthly_amount.amount_fen == 3_000
    [changed] = [
        events_pb2.EntitlementChanged.FromString(e.payload.value)
        for e in eligibility.envelopes("EntitlementChanged")
    ]
    assert changed.effective_month.month == "2025-05"
    assert (changed.before.monthly_amount.amount_fen, changed.after.monthly_amount.amount_fen) == (
        6_000,
        3_000,
    )

    appeal_id = eligibility.stub.FileAppeal(
        pb.FileAppealRequest(
            request_id="a-1",
            decision_id=reduced.decision_id,
            kind="reconsideration",
            grounds="收入核算有误",
            actor=APPLICANT,
        ),
        metadata=AUTH,
        timeout=10,
    ).appeal_id
    assert get(eligibility, entitlement_id).monthly_amount.amount_fen == 3_000  # in force while pending
    eligibility.clock.on(2025, 6, 20)
    with pytest.raises(grpc.RpcError) as county:
        eligibility.stub.DecideAppeal(
            pb.DecideAppealRequest(
                request_id="d-0",
                appeal_id=appeal_id,
                outcome=pb.APPEAL_OUTCOME_REVOKED,
                reason="x",
                actor=COUNTY_OFFICER,
            ),
            metadata=AUTH,
            timeout=10,
        )
    assert county.value.code() is grpc.StatusCode.PERMISSION_DENIED
    request = pb.DecideAppealRequest(
        request_id="d-1",
        appeal_id=appeal_id,
        outcome=pb.APPEAL_OUTCOME_REVOKED,
        reason="撤销减发决定",
        actor=REVIEWING_BODY,
    )
    decided = eligibility.stub.DecideAppeal(request, metadata=AUTH, timeout=10)
    assert decided.entitlement.monthly_amount.amount_fen == 6_000
    assert decided.arrears.amount_fen == 2 * 3_000  # May and June were paid 30 short
    again = eligibility.stub.DecideAppeal(request, metadata=AUTH, timeout=10)
    assert again.arrears.amount_fen == 6_000
    reversal = events_pb2.EntitlementChanged.FromString(
        eligibility.envelopes("EntitlementChanged")[-1].payload.value
    )
    assert (reversal.reversed_decision_id, reversal.arrears.amount_fen) == (reduced.decision_id, 6_000)
    kinds = [kind for _, _, kind in eligibility.outbox()]
    assert kinds.count("EntitlementChanged") == 2 and kinds.count("AppealFiled") == 1


def test_suspension_holds_payments_and_resuming_owes_the_held_months(eligibility) -> None:  # type: ignore[no-untyped-def]
    entitlement_id = approved_h01(eligibility)
    eligibility.clock.on(2025, 5, 10)
    suspended = eligibility.stub.Suspend(
        pb.SuspendRequest(
            request_id="s-1", entitlement_id=entitlement_id, reason="联系不上", actor=TOWNSHIP_OFFICER
        ),
        metadata=AUTH,
        timeout=10,
    ).entitlement
    assert suspended.state == pb.ENTITLEMENT_STATE_SUSPENDED
    eligibility.clock.on(2025, 8, 5)
    resumed = eligibility.stub.Resume(
        pb.ResumeRequest(
            request_id="s-2", entitlement_id=entitlement_id, reason="已核实", actor=TOWNSHIP_OFFICER
        ),
        metadata=AUTH,
        timeout=10,
    )
    assert resumed.entitlement.state == pb.ENTITLEMENT_STATE_ACTIVE
    assert resumed.arrears.amount_fen == 3 * 6_000  # June, July and August were held
    activated = events_pb2.EntitlementActivated.FromString(
        eligibility.envelopes("EntitlementActivated")[-1].payload.value
    )
    assert activated.arrears.amount_fen == 3 * 6_000, "disbursement learns what it owes from the event"
    kinds = [kind for _, _, kind in eligibility.outbox()]
    assert kinds[-2:] == ["EntitlementSuspended", "EntitlementActivated"]


def test_termination_needs_its_path_and_is_announced_with_the_last_month(eligibility) -> None:  # type: ignore[no-untyped-def]
    entitlement_id = approved_h01(eligibility)
    with pytest.raises(grpc.RpcError) as direct:
        eligibility.stub.Terminate(
            pb.TerminateRequest(
                request_id="t-0",
                entitlement_id=entitlement_id,
                reason="INCOME_ABOVE_STD",
                actor=COUNTY_OFFICER,
            ),
            metadata=AUTH,
            timeout=10,
        )
    assert direct.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(grpc.RpcError) as unknown:
        eligibility.stub.Terminate(
            pb.TerminateRequest(
                request_id="t-1", entitlement_id=entitlement_id, reason="BORED", actor=COUNTY_OFFICER
            ),
            metadata=AUTH,
            timeout=10,
        )
    assert unknown.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    eligibility.clock.on(2025, 6, 3)
    ended = eligibility.stub.Terminate(
        pb.TerminateRequest(
            request_id="t-2", entitlement_id=entitlement_id, reason="FRAUD", actor=COUNTY_OFFICER
        ),
        metadata=AUTH,
        timeout=10,
    ).entitlement
    assert ended.state == pb.ENTITLEMENT_STATE_TERMINATED
    assert ended.last_month.month == "2025-06"
    [terminated] = eligibility.envelopes("EntitlementTerminated")
    assert events_pb2.EntitlementTerminated.FromString(terminated.payload.value).last_month.month == "2025-06"
    listed = eligibility.stub.ListEntitlements(
        pb.ListEntitlementsRequest(state=pb.ENTITLEMENT_STATE_TERMINATED), metadata=AUTH, timeout=10
    )
    assert [e.entitlement_id for e in listed.entitlements] == [entitlement_id]


def review_report(report_id: str, review_id: str, state: int = verification_pb2.REPORT_STATE_COMPLETE):  # type: ignore[no-untyped-def]
    event = verified_event(H01, report_id)
    event.report.purpose = verification_pb2.CHECK_PURPOSE_PERIODIC_REVIEW
    event.report.review_id = review_id
    event.report.state = state
    return event


def test_a_periodic_review_report_puts_the_entitlement_under_review_once_and_payments_go_on(
    eligibility,
) -> None:  # type: ignore[no-untyped-def]
    entitlement_id = approved_h01(eligibility)
    before = get(eligibility, entitlement_id)
    announced = len(eligibility.outbox())

    eligibility.deliver(
        review_report("rep_r1", "rev_1", verification_pb2.REPORT_STATE_INCOMPLETE), H01.application_id, "v"
    )
    assert get(eligibility, entitlement_id).state == pb.ENTITLEMENT_STATE_ACTIVE, "an incomplete check waits"

    eligibility.deliver(review_report("rep_r1", "rev_1"), H01.application_id, "verification")
    reviewed = get(eligibility, entitlement_id)
    assert reviewed.state == pb.ENTITLEMENT_STATE_UNDER_REVIEW
    assert reviewed.monthly_amount.amount_fen == before.monthly_amount.amount_fen
    assert len(eligibility.outbox()) == announced, "under review the roster pays on; nothing to announce"

    eligibility.deliver(review_report("rep_r1", "rev_1"), H01.application_id, "verification")
    assert get(eligibility, entitlement_id).state == pb.ENTITLEMENT_STATE_UNDER_REVIEW
    case = eligibility.stub.GetCase(
        pb.GetCaseRequest(application_id=H01.application_id), metadata=AUTH, timeout=10
    ).case
    assert case.step == pb.CASE_STEP_APPROVED, "the decided case keeps the report it was decided on"

    concluded = eligibility.stub.CompleteReview(
        pb.CompleteReviewRequest(
            request_id="rv-1",
            entitlement_id=entitlement_id,
            result=pb.REVIEW_RESULT_CONTINUE,
            monthly_amount=before.monthly_amount,
            reason="复核后家庭情况未变",
            actor=COUNTY_OFFICER,
        ),
        metadata=AUTH,
        timeout=10,
    ).entitlement
    assert concluded.state == pb.ENTITLEMENT_STATE_ACTIVE
