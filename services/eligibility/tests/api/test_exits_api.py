"""How a Dibao entitlement leaves, through the API (DOMAIN §5.1.6, §7.3, §13 H06): the gradual exit ends by
itself after its frozen months, and a voluntary exit pays its one-off bonus.

H06's Liu household (rural, 4 persons: 45, 43, 12, 9; category C) with y = 200: (316.6667 − 200) × 4 = 466.67
→ 467/month. The example's calendar is moved by a year to fit the fixtures' clock: approved in March 2025
and paid from April 2025, so the gradual exit decided in July 2025 freezes 467 from August 2025 to July 2026,
and TERMINATED (INCOME_ABOVE_STD) follows from August 2026; branch (b) exits voluntarily in August 2025
with a bonus of 3 × 467 = 1,401.
"""

from __future__ import annotations

import grpc
import pytest

from doudi.common.v1 import types_pb2
from doudi.eligibility.v1 import eligibility_pb2 as pb
from doudi.eligibility.v1 import events_pb2
from doudi.intake.v1 import intake_pb2
from doudi_eligibility.app.exits import Exits
from doudi_eligibility.store import records as store
from doudi_runtime.grpc.errors import field_violations_from

from .conftest import (
    ASSETS_PASS,
    AUTH,
    COUNTY_OFFICER,
    TOWNSHIP_OFFICER,
    VILLAGE_CADRE,
    Eligibility,
    Example,
    open_case,
)
from .test_procedure_api import assess, decide, survey_and_review

H06 = Example(
    "app_h06",
    intake_pb2.HOUSEHOLD_TYPE_RURAL,
    (
        ("640402198005101135", "刘建军"),
        ("640402198203152240", "张秀英"),
        ("64040220130420135X", "刘小明"),
        ("640402201606011463", "刘小红"),
    ),
    ((0, "land_rent", 960_000, {}),),
    ASSETS_PASS,
)


def approved_h06(e: Eligibility) -> str:
    open_case(e, H06)
    e.clock.on(2025, 3, 6)
    survey_and_review(e, H06)
    e.clock.on(2025, 3, 11)
    assert assess(e, H06.application_id).monthly_amount.amount_fen == 46_700
    e.clock.on(2025, 3, 19)
    e.app.procedure.close_due_notices()
    e.clock.on(2025, 3, 31)
    decide(e, H06.application_id)
    e.clock.on(2025, 4, 1)
    assert e.app.entitlements.activate_due() == 1
    [entitlement] = e.stub.ListEntitlements(
        pb.ListEntitlementsRequest(), metadata=AUTH, timeout=10
    ).entitlements
    return entitlement.entitlement_id


def exit_voluntarily(
    e: Eligibility,
    entitlement_id: str,
    *,
    request_id: str = "exit-1",
    actor: pb.Actor = TOWNSHIP_OFFICER,
    reason: str = "本户父亲已稳定就业，书面申请自愿退出低保",
    **fields: object,
) -> pb.ExitVoluntarilyResponse:
    return e.stub.ExitVoluntarily(
        pb.ExitVoluntarilyRequest(
            request_id=request_id, entitlement_id=entitlement_id, reason=reason, actor=actor, **fields
        ),
        metadata=AUTH,
        timeout=10,
    )


def terminated_events(e: Eligibility) -> list[events_pb2.EntitlementTerminated]:
    return [
        events_pb2.EntitlementTerminated.FromString(env.payload.value)  # type: ignore[attr-defined]
        for env in e.envelopes("EntitlementTerminated")
    ]


def gradual_exit_from_august_2025(e: Eligibility, entitlement_id: str) -> pb.Entitlement:
    e.clock.on(2025, 7, 15)
    e.stub.StartReview(
        pb.StartReviewRequest(
            request_id="review-1",
            entitlement_id=entitlement_id,
            reason="人社数据显示父亲参保就业",
            actor=TOWNSHIP_OFFICER,
        ),
        metadata=AUTH,
        timeout=10,
    )
    return e.stub.CompleteReview(
        pb.CompleteReviewRequest(
            request_id="review-2",
            entitlement_id=entitlement_id,
            result=pb.REVIEW_RESULT_GRADUAL_EXIT,
            reason="因就业收入超过保障标准，给予渐退期",
            actor=COUNTY_OFFICER,
        ),
        metadata=AUTH,
        timeout=10,
    ).entitlement


def test_h06_the_gradual_exit_ends_by_itself_after_its_twelve_frozen_months(eligibility: Eligibility) -> None:
    entitlement_id = approved_h06(eligibility)
    frozen = gradual_exit_from_august_2025(eligibility, entitlement_id)
    assert frozen.state == pb.ENTITLEMENT_STATE_GRADUAL_EXIT
    assert frozen.gradual_exit_last_month.month == "2026-07"
    assert frozen.monthly_amount.amount_fen == 46_700
    [changed] = [
        events_pb2.EntitlementChanged.FromString(env.payload.value)  # type: ignore[attr-defined]
        for env in eligibility.envelopes("EntitlementChanged")
    ]
    assert changed.after.gradual_exit_last_month.month == "2026-07", "disbursement learns the end month"

    exits = Exits(eligibility.app.entitlements)
    eligibility.clock.on(2026, 7, 31)
    assert exits.end_due_gradual_exits() == 0, "July 2026 is still a frozen month"
    eligibility.clock.on(2026, 8, 1)
    assert exits.end_due_gradual_exits() == 1
    assert exits.end_due_gradual_exits() == 0, "a second pass finds nothing left to end"

    ended = eligibility.stub.GetEntitlement(
        pb.GetEntitlementRequest(entitlement_id=entitlement_id), metadata=AUTH, timeout=10
    ).entitlement
    assert (ended.state, ended.termination_reason, ended.last_month.month) == (
        pb.ENTITLEMENT_STATE_TERMINATED,
        "INCOME_ABOVE_STD",
        "2026-07",
    )
    [terminated] = terminated_events(eligibility)
    assert (terminated.reason, terminated.last_month.month, terminated.exit_bonus.amount_fen) == (
        "INCOME_ABOVE_STD",
        "2026-07",
        0,
    )
    assert terminated.monitored_until.month == "2027-07", "monitored for 12 months after the last paid one"
    with eligibility.context.database.read() as session:  # type: ignore[union-attr]
        detail = store.last_audit_detail(session, entitlement_id, "gradual exit ended")
    assert detail is not None and detail["monitored_until"] == "2027-07"


def review_in_gradual_exit(
    e: Eligibility, entitlement_id: str, result: int, request_id: str, amount_fen: int = 0
) -> pb.Entitlement:
    return e.stub.CompleteReview(
        pb.CompleteReviewRequest(
            request_id=request_id,
            entitlement_id=entitlement_id,
            result=result,
            monthly_amount=types_pb2.Money(amount_fen=amount_fen),
            termination_reason="ASSETS_EXCEED" if result == pb.REVIEW_RESULT_TERMINATE else "",
            reason="父亲务工合同到期失业，家庭人均收入回落至保障标准以下",
            actor=COUNTY_OFFICER,
        ),
        metadata=AUTH,
        timeout=10,
    ).entitlement


def test_h06a_income_falling_back_during_the_gradual_exit_returns_it_to_active_without_a_new_application(
    eligibility: Eligibility,
) -> None:
    entitlement_id = approved_h06(eligibility)
    gradual_exit_from_august_2025(eligibility, entitlement_id)
    eligibility.clock.on(2025, 11, 20)
    with pytest.raises(grpc.RpcError) as review:
        eligibility.stub.StartReview(
            pb.StartReviewRequest(
                request_id="review-3", entitlement_id=entitlement_id, reason="失业", actor=TOWNSHIP_OFFICER
            ),
            metadata=AUTH,
            timeout=10,
        )
    assert review.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert "CompleteReview" in (review.value.details() or "")
    for result in (pb.REVIEW_RESULT_GRADUAL_EXIT, pb.REVIEW_RESULT_TERMINATE):
        with pytest.raises(grpc.RpcError) as other:
            review_in_gradual_exit(eligibility, entitlement_id, result, f"other-{result}")
        assert other.value.code() is grpc.StatusCode.FAILED_PRECONDITION

    back = review_in_gradual_exit(eligibility, entitlement_id, pb.REVIEW_RESULT_CONTINUE, "back", 52_000)
    assert (back.state, back.monthly_amount.amount_fen) == (pb.ENTITLEMENT_STATE_ACTIVE, 52_000)
    assert not back.HasField("gradual_exit_last_month")
    assert (
        review_in_gradual_exit(eligibility, entitlement_id, pb.REVIEW_RESULT_CONTINUE, "back", 52_000) == back
    ), "a retry answers the same"
    frozen, returned = [
        events_pb2.EntitlementChanged.FromString(env.payload.value)  # type: ignore[attr-defined]
        for env in eligibility.envelopes("EntitlementChanged")
    ]
    assert frozen.after.state == pb.ENTITLEMENT_STATE_GRADUAL_EXIT
    assert (returned.before.state, returned.after.state) == (
        pb.ENTITLEMENT_STATE_GRADUAL_EXIT,
        pb.ENTITLEMENT_STATE_ACTIVE,
    ), "disbursement learns the frozen months no longer end it"
    assert (returned.effective_month.month, returned.after.monthly_amount.amount_fen) == ("2025-12", 52_000)

    eligibility.clock.on(2026, 8, 1)
    assert Exits(eligibility.app.entitlements).end_due_gradual_exits() == 0, "no longer in gradual exit"


def test_a_gradual_exit_past_its_last_frozen_month_does_not_return_even_before_the_sweep(
    eligibility: Eligibility,
) -> None:
    entitlement_id = approved_h06(eligibility)
    gradual_exit_from_august_2025(eligibility, entitlement_id)
    eligibility.clock.on(2026, 8, 1)
    with pytest.raises(grpc.RpcError) as late:
        review_in_gradual_exit(eligibility, entitlement_id, pb.REVIEW_RESULT_CONTINUE, "late", 52_000)
    assert late.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert "2026-07" in (late.value.details() or "")


def test_h06b_a_voluntary_exit_in_august_pays_a_one_off_bonus_of_3_x_467_1401(
    eligibility: Eligibility,
) -> None:
    entitlement_id = approved_h06(eligibility)
    eligibility.clock.on(2025, 8, 12)

    answer = exit_voluntarily(eligibility, entitlement_id)

    assert (answer.bonus.amount_fen, answer.bonus_months) == (140_100, 3)
    assert answer.entitlement.state == pb.ENTITLEMENT_STATE_TERMINATED
    assert answer.entitlement.termination_reason == "VOLUNTARY"
    assert answer.entitlement.last_month.month == "2025-08"
    [terminated] = terminated_events(eligibility)
    assert (terminated.reason, terminated.last_month.month) == ("VOLUNTARY", "2025-08")
    assert not terminated.HasField("monitored_until")
    assert (terminated.exit_bonus.amount_fen, terminated.exit_bonus_months) == (140_100, 3)

    # A retry answers the same and announces nothing more.
    again = exit_voluntarily(eligibility, entitlement_id)
    assert (again.bonus.amount_fen, again.bonus_months) == (140_100, 3)
    assert len(terminated_events(eligibility)) == 1
    # A second request is a step the ended entitlement no longer takes.
    with pytest.raises(grpc.RpcError) as raised:
        exit_voluntarily(eligibility, entitlement_id, request_id="exit-2")
    assert raised.value.code() is grpc.StatusCode.FAILED_PRECONDITION

    audit = eligibility.context.audit_log()
    calls = [r for r in audit.page(0, 1000) if r.method.endswith("/ExitVoluntarily")]
    assert calls and {r.subject_id for r in calls} == {entitlement_id}
    with eligibility.context.database.read() as session:  # type: ignore[union-attr]
        detail = store.last_audit_detail(session, entitlement_id, "voluntary exit")
    assert detail is not None
    assert (detail["bonus_fen"], detail["bonus_months"], detail["state"]) == (140_100, 3, "TERMINATED")


def test_the_household_may_take_fewer_months_and_may_exit_during_its_gradual_exit(
    eligibility: Eligibility,
) -> None:
    entitlement_id = approved_h06(eligibility)
    gradual_exit_from_august_2025(eligibility, entitlement_id)
    eligibility.clock.on(2025, 9, 3)
    answer = exit_voluntarily(eligibility, entitlement_id, actor=COUNTY_OFFICER, bonus_months=1)
    assert (answer.bonus.amount_fen, answer.bonus_months) == (46_700, 1)
    assert answer.entitlement.last_month.month == "2025-09"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"bonus_months": 4}, "bonus_months"),
        ({"bonus_months": -1}, "bonus_months"),
        ({"reason": " "}, "reason"),
        ({"entitlement_id": ""}, "entitlement_id"),
    ],
)
def test_a_bad_request_is_refused_naming_its_field(
    eligibility: Eligibility, fields: dict[str, object], field: str
) -> None:
    entitlement_id = approved_h06(eligibility)
    eligibility.clock.on(2025, 8, 12)
    request = {"entitlement_id": entitlement_id, **fields}
    with pytest.raises(grpc.RpcError) as raised:
        exit_voluntarily(eligibility, **request)  # type: ignore[arg-type]
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field in [name for name, _ in field_violations_from(raised.value)]
    assert terminated_events(eligibility) == []


def test_a_village_may_not_record_an_exit_and_terminate_points_a_voluntary_exit_to_its_rpc(
    eligibility: Eligibility,
) -> None:
    entitlement_id = approved_h06(eligibility)
    with pytest.raises(grpc.RpcError) as raised:
        exit_voluntarily(eligibility, entitlement_id, actor=VILLAGE_CADRE)
    assert raised.value.code() is grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as raised:
        eligibility.stub.Terminate(
            pb.TerminateRequest(
                request_id="t-1", entitlement_id=entitlement_id, reason="VOLUNTARY", actor=COUNTY_OFFICER
            ),
            metadata=AUTH,
            timeout=10,
        )
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert [name for name, _ in field_violations_from(raised.value)] == ["reason"]
