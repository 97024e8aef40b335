"""The work-refusal sanction through the API (DOMAIN §5.1.6, §7.3, H13): three consecutive unjustified
refusals of suitable work stop the refusing member's share from next month, announced as EntitlementChanged;
an appeal that finds a referral unsuitable revokes it and owes the months paid less.

H13's Wu household (urban, category C): father 55, not working; mother 53, part-time cleaner 900/month;
son 25, able-bodied and unemployed. y = (10,800 − 1,080) / 12 / 3 = 270; amount (560 − 270) × 3 = 870.
The example's entitlement starts in April 2025 here, so the sanction decided in April stops the son's share
from May and the appeal revoked in June owes May and June: 2 × 290 = 580, as in H13.
"""

from __future__ import annotations

import grpc
import pytest

from doudi.eligibility.v1 import eligibility_pb2 as pb
from doudi.eligibility.v1 import events_pb2
from doudi.intake.v1 import intake_pb2
from doudi_runtime.grpc.errors import field_violations_from

from .conftest import (
    APPLICANT,
    ASSETS_PASS,
    AUTH,
    COUNTY_OFFICER,
    REVIEWING_BODY,
    TOWNSHIP_OFFICER,
    Eligibility,
    Example,
    open_case,
)
from .test_entitlements_api import get
from .test_procedure_api import assess, decide, survey_and_review

H13 = Example(
    "app_h13",
    intake_pb2.HOUSEHOLD_TYPE_URBAN,
    (("640402197001152133", "吴建华"), ("640402197206082247", "陈玉梅"), ("640402200003202151", "吴强")),
    ((1, "wage_income", 1_080_000, {}),),
    ASSETS_PASS,
)
SON = 2
REFUSED = pb.REFERRAL_OUTCOME_REFUSED_WITHOUT_GOOD_REASON


def approved_h13(e: Eligibility) -> str:
    open_case(e, H13)
    e.clock.on(2025, 3, 6)
    survey_and_review(e, H13)
    e.clock.on(2025, 3, 11)
    assert assess(e, H13.application_id).monthly_amount.amount_fen == 87_000
    e.clock.on(2025, 3, 19)
    e.app.procedure.close_due_notices()
    e.clock.on(2025, 3, 31)
    decide(e, H13.application_id)
    e.clock.on(2025, 4, 1)
    assert e.app.entitlements.activate_due() == 1
    [entitlement] = e.stub.ListEntitlements(
        pb.ListEntitlementsRequest(), metadata=AUTH, timeout=10
    ).entitlements
    return entitlement.entitlement_id


def sanction(
    e: Eligibility,
    entitlement_id: str,
    referrals: list[int],
    *,
    member_index: int = SON,
    actor: pb.Actor = COUNTY_OFFICER,
    request_id: str = "sanction-1",
) -> pb.ApplyWorkRefusalSanctionResponse:
    return e.stub.ApplyWorkRefusalSanction(
        pb.ApplyWorkRefusalSanctionRequest(
            request_id=request_id,
            entitlement_id=entitlement_id,
            member_index=member_index,
            referrals=referrals,
            reason="人社部门记录：1月至3月连续三次无正当理由拒绝推荐的适合工作",
            actor=actor,
        ),
        metadata=AUTH,
        timeout=10,
    )


def test_h13_three_refusals_stop_the_sons_share_870_to_580_and_the_revoking_appeal_owes_580(
    eligibility: Eligibility,
) -> None:
    entitlement_id = approved_h13(eligibility)
    eligibility.clock.on(2025, 4, 15)

    applied = sanction(eligibility, entitlement_id, [REFUSED, REFUSED, REFUSED])

    assert applied.entitlement.monthly_amount.amount_fen == 58_000
    assert applied.entitlement.state == pb.ENTITLEMENT_STATE_ACTIVE
    assert applied.member_share.amount_fen == 29_000
    assert applied.condition.code == "WORK_REFUSAL"
    assert applied.condition.outcome == pb.CONDITION_OUTCOME_FAIL
    assert "连续3次" in applied.condition.reason
    assert {p.key for p in applied.condition.parameters} >= {
        "dibao.work_refusal.count",
        "dibao.work_refusal.share_cut",
    }
    [changed] = [
        events_pb2.EntitlementChanged.FromString(env.payload.value)
        for env in eligibility.envelopes("EntitlementChanged")
    ]
    assert changed.effective_month.month == "2025-05"
    assert (changed.before.monthly_amount.amount_fen, changed.after.monthly_amount.amount_fen) == (
        87_000,
        58_000,
    )
    assert "拒绝" in changed.reason
    assert sanction(eligibility, entitlement_id, [REFUSED, REFUSED, REFUSED]) == applied  # a retry

    appeal_id = eligibility.stub.FileAppeal(
        pb.FileAppealRequest(
            request_id="appeal-1",
            decision_id=applied.entitlement.decision_id,
            kind="RECONSIDERATION",
            grounds="第三次推荐为夜班工作，与照顾患病父亲冲突",
            actor=APPLICANT,
        ),
        metadata=AUTH,
        timeout=10,
    ).appeal_id
    eligibility.clock.on(2025, 6, 20)
    decided = eligibility.stub.DecideAppeal(
        pb.DecideAppealRequest(
            request_id="appeal-decided",
            appeal_id=appeal_id,
            outcome=pb.APPEAL_OUTCOME_REVOKED,
            reason="第三次推荐的工作不适合，不构成连续三次拒绝",
            actor=REVIEWING_BODY,
        ),
        metadata=AUTH,
        timeout=10,
    )
    assert decided.entitlement.monthly_amount.amount_fen == 87_000
    assert decided.arrears.amount_fen == 58_000  # May and June at 290 each


def test_fewer_than_three_consecutive_refusals_apply_no_sanction(eligibility: Eligibility) -> None:
    entitlement_id = approved_h13(eligibility)
    with pytest.raises(grpc.RpcError) as caught:
        sanction(
            eligibility,
            entitlement_id,
            [REFUSED, REFUSED, pb.REFERRAL_OUTCOME_UNSUITABLE],
        )
    assert caught.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert get(eligibility, entitlement_id).monthly_amount.amount_fen == 87_000
    assert eligibility.envelopes("EntitlementChanged") == []


def test_a_member_without_labour_capacity_is_not_sanctioned(eligibility: Eligibility) -> None:
    entitlement_id = approved_h13(eligibility)
    eligibility.clock.on(2030, 2, 1)  # the father is 60 now
    with pytest.raises(grpc.RpcError) as caught:
        sanction(eligibility, entitlement_id, [REFUSED] * 3, member_index=0)
    assert caught.value.code() is grpc.StatusCode.FAILED_PRECONDITION


def test_only_the_county_sanctions_and_bad_requests_name_their_fields(eligibility: Eligibility) -> None:
    entitlement_id = approved_h13(eligibility)
    with pytest.raises(grpc.RpcError) as township:
        sanction(eligibility, entitlement_id, [REFUSED] * 3, actor=TOWNSHIP_OFFICER)
    assert township.value.code() is grpc.StatusCode.PERMISSION_DENIED

    with pytest.raises(grpc.RpcError) as empty:
        eligibility.stub.ApplyWorkRefusalSanction(
            pb.ApplyWorkRefusalSanctionRequest(
                request_id="s-empty",
                entitlement_id=entitlement_id,
                member_index=-1,
                referrals=[pb.REFERRAL_OUTCOME_UNSPECIFIED],
                actor=COUNTY_OFFICER,
            ),
            metadata=AUTH,
            timeout=10,
        )
    assert empty.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert {name for name, _ in field_violations_from(empty.value)} == {"member_index", "referrals", "reason"}

    with pytest.raises(grpc.RpcError) as stranger:
        sanction(eligibility, entitlement_id, [REFUSED] * 3, member_index=7, request_id="s-7")
    assert stranger.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert [name for name, _ in field_violations_from(stranger.value)] == ["member_index"]


def test_an_entitlement_under_review_is_not_sanctioned(eligibility: Eligibility) -> None:
    entitlement_id = approved_h13(eligibility)
    eligibility.stub.StartReview(
        pb.StartReviewRequest(
            request_id="review-1", entitlement_id=entitlement_id, reason="季度复核", actor=TOWNSHIP_OFFICER
        ),
        metadata=AUTH,
        timeout=10,
    )
    with pytest.raises(grpc.RpcError) as caught:
        sanction(eligibility, entitlement_id, [REFUSED] * 3)
    assert caught.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert "UNDER_REVIEW" in (caught.value.details() or "")
