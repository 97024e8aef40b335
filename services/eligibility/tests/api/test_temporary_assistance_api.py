"""Temporary assistance through eligibility's gRPC API (DOMAIN §5.3, §7.4; worked examples H09 and H10 of
§13): the tier of the event, the approver set by the event total (advance included, never the instalment),
一事一议 above the cap with its minutes, the advance the township paid from its reserve fund counted and only
the rest paid once by the roster, and one application per event per 12 months."""

from __future__ import annotations

import grpc
import pytest

from doudi.common.v1 import programme_pb2, types_pb2
from doudi.disbursement.v1 import events_pb2 as disbursement_events
from doudi.disbursement.v1 import reserve_pb2
from doudi.eligibility.v1 import eligibility_pb2 as pb
from doudi.eligibility.v1 import events_pb2
from doudi.intake.v1 import intake_pb2
from doudi_common.masking import mask_id_number
from doudi_runtime.events.envelope import unpack
from doudi_runtime.grpc.errors import field_violations_from

from .conftest import (
    ASSETS_PASS,
    AUTH,
    COUNTY_OFFICER,
    TOWNSHIP,
    TOWNSHIP_OFFICER,
    Eligibility,
    Example,
    open_case,
)

CHEN_WIFE = ("640402198704043245", "林秀梅")
#: H09: the Chen household, rural, 4 persons, not on Dibao (y ≈ 600); a fire destroys the house at 02:00.
H09 = Example(
    "app_h09",
    intake_pb2.HOUSEHOLD_TYPE_RURAL,
    (
        ("640402198503033139", "陈志强"),
        CHEN_WIFE,
        ("640402201005053158", "陈小明"),
        ("640402201406063269", "陈小丽"),
    ),
    ((0, "wage_income", 2_880_000, {}),),
    ASSETS_PASS,
    programme_pb2.PROGRAMME_TEMPORARY_ASSISTANCE_URGENT,
)
FIRE = pb.TemporaryAssistanceFindings(
    event_key="inc_h09_fire", dwelling_uninhabitable=True, breadwinner_incapacitated_over_a_month=True
)
#: H10: the Sun household, urban (wages 3,000 and 1,500/month), a child with leukaemia: out-of-pocket 120,000.
H10 = Example(
    "app_h10",
    intake_pb2.HOUSEHOLD_TYPE_URBAN,
    (
        ("640402198701013139", "孙建华"),
        ("640402198902023245", "周敏"),
        ("640402201803033151", "孙乐乐"),
    ),
    ((0, "wage_income", 3_600_000, {}), (1, "wage_income", 1_800_000, {})),
    ASSETS_PASS,
    programme_pb2.PROGRAMME_TEMPORARY_ASSISTANCE_EXPENDITURE,
)
LEUKAEMIA = pb.TemporaryAssistanceFindings(
    event_key="h10_leukaemia_2025", out_of_pocket=types_pb2.Money(amount_fen=12_000_000)
)


def pay_advance(e: Eligibility, reference: str, person: tuple[str, str], fen: int, advance_id: str) -> None:
    """Disbursement's AdvancePaid, as it announces it: the person's ID number masked."""
    event = disbursement_events.AdvancePaid(
        advance=reserve_pb2.Advance(
            advance_id=advance_id,
            township=types_pb2.RegionCode(code=TOWNSHIP),
            person=types_pb2.Person(
                id_number=types_pb2.IdNumber(value=mask_id_number(person[0])), name=person[1]
            ),
            amount=types_pb2.Money(amount_fen=fen),
            method=reserve_pb2.ADVANCE_METHOD_BANK,
            reason="房屋失火",
            case_reference=reference,
            state=reserve_pb2.ADVANCE_STATE_PAID,
        )
    )
    e.deliver(event, reference, "disbursement")


def survey(e: Eligibility, example: Example, findings: pb.TemporaryAssistanceFindings) -> pb.Case:
    return e.stub.RecordHomeSurvey(
        pb.RecordHomeSurveyRequest(
            request_id=f"survey-{example.application_id}",
            application_id=example.application_id,
            surveyor_ids=["township-07", "village-01"],
            findings="入户核实：事故证明、家庭情况",
            actor=TOWNSHIP_OFFICER,
            temporary_assistance=findings,
        ),
        metadata=AUTH,
        timeout=10,
    ).case


def assess(e: Eligibility, example: Example) -> pb.Decision:
    return e.stub.Assess(
        pb.AssessRequest(
            request_id=f"assess-{example.application_id}",
            application_id=example.application_id,
            actor=TOWNSHIP_OFFICER,
        ),
        metadata=AUTH,
        timeout=10,
    ).proposed


def decide(
    e: Eligibility,
    example: Example,
    actor: pb.Actor,
    *,
    addition: int = 0,
    minutes: str = "",
    request_id: str = "",
    outcome: int = pb.DECISION_OUTCOME_APPROVED,
) -> pb.Decision:
    return e.stub.Decide(
        pb.DecideRequest(
            request_id=request_id or f"decide-{example.application_id}",
            application_id=example.application_id,
            outcome=outcome,
            reason="经审批",
            actor=actor,
            meeting_addition=types_pb2.Money(amount_fen=addition),
            meeting_minutes=minutes,
        ),
        metadata=AUTH,
        timeout=10,
    ).decision


def prepare(e: Eligibility, example: Example, findings: pb.TemporaryAssistanceFindings) -> pb.Decision:
    open_case(e, example)
    assert survey(e, example, findings).step == pb.CASE_STEP_INITIAL_OPINION
    proposed = assess(e, example)
    case = e.stub.GetCase(
        pb.GetCaseRequest(application_id=example.application_id), metadata=AUTH, timeout=10
    ).case
    assert case.step == pb.CASE_STEP_CONFIRMATION_REVIEW and case.notice.notice_id == ""
    return proposed


def roster_events(e: Eligibility) -> list[object]:
    found: list[object] = []
    for envelope in e.outbox_envelopes():
        kind = envelope.event_type.rsplit(".", 1)[1]
        if kind == "EntitlementActivated":
            found.append(unpack(envelope, events_pb2.EntitlementActivated))
        elif kind == "EntitlementTerminated":
            found.append(unpack(envelope, events_pb2.EntitlementTerminated))
    return found


def test_h09_the_fire_is_t3_3360_approved_by_the_county_with_the_1120_advance_counted(eligibility) -> None:  # type: ignore[no-untyped-def]
    eligibility.clock.on(2025, 3, 3)
    pay_advance(eligibility, "inc_h09_fire", CHEN_WIFE, 112_000, "adv_h09")
    pay_advance(eligibility, "inc_h09_fire", CHEN_WIFE, 112_000, "adv_h09")  # redelivered: counted once
    eligibility.clock.on(2025, 3, 7)
    proposed = prepare(eligibility, H09, FIRE)

    assert proposed.outcome == pb.DECISION_OUTCOME_APPROVED
    assert proposed.one_off_amount.amount_fen == 336_000
    assert proposed.approver == "COUNTY"
    assert proposed.advance_paid.amount_fen == 112_000
    assert proposed.remaining.amount_fen == 224_000
    assert "T3 = 6 × base = 3,360.00" in proposed.computation
    assert next(c for c in proposed.conditions if c.code == "APPROVAL").inputs[:2] == [
        "total=3,360.00",
        "approver=COUNTY",
    ]

    advance = next(c for c in proposed.conditions if c.code == "ADVANCE")
    assert advance.outcome == pb.CONDITION_OUTCOME_PASS
    assert advance.inputs[:2] == ["advance paid=1,120.00", "advance limit=1,120.00"]

    with pytest.raises(grpc.RpcError) as township:
        decide(eligibility, H09, TOWNSHIP_OFFICER, request_id="township-try")
    assert township.value.code() is grpc.StatusCode.PERMISSION_DENIED

    eligibility.clock.on(2025, 3, 10)
    decision = decide(eligibility, H09, COUNTY_OFFICER)
    assert decision.outcome == pb.DECISION_OUTCOME_APPROVED
    assert (decision.one_off_amount.amount_fen, decision.remaining.amount_fen) == (336_000, 224_000)
    assert "临时救助（急难型）" in decision.notice_text and "一次性3,360.00元" in decision.notice_text

    activated, ended = roster_events(eligibility)
    assert activated.entitlement.programme == programme_pb2.PROGRAMME_TEMPORARY_ASSISTANCE_URGENT
    assert activated.entitlement.state == pb.ENTITLEMENT_STATE_ACTIVE
    assert activated.entitlement.start_month.month == "2025-04"
    assert [(c.component, c.monthly_amount.amount_fen) for c in activated.entitlement.components] == [
        (programme_pb2.BENEFIT_COMPONENT_ONE_OFF, 224_000)
    ]
    assert ended.last_month.month == "2025-04"
    assert ended.entitlement.entitlement_id == activated.entitlement.entitlement_id


def test_h09_a_second_application_for_the_same_fire_within_12_months_is_refused(eligibility) -> None:  # type: ignore[no-untyped-def]
    eligibility.clock.on(2025, 3, 7)
    prepare(eligibility, H09, FIRE)
    decide(eligibility, H09, COUNTY_OFFICER)

    again = Example("app_h09_again", H09.household_type, H09.members, H09.items, H09.assets, H09.programme)
    eligibility.clock.on(2025, 9, 1)
    proposed = prepare(eligibility, again, FIRE)
    assert proposed.outcome == pb.DECISION_OUTCOME_REJECTED
    same = next(c for c in proposed.conditions if c.code == "SAME_EVENT")
    assert same.outcome == pb.CONDITION_OUTCOME_FAIL
    assert "previous application=2025-03" in same.inputs


def test_a_small_urgent_event_is_approved_by_the_township_and_paid_in_full(eligibility) -> None:  # type: ignore[no-untyped-def]
    eligibility.clock.on(2025, 3, 7)
    small = pb.TemporaryAssistanceFindings(event_key="inc_small", short_hospitalisation=True)
    proposed = prepare(eligibility, H09, small)
    assert (proposed.one_off_amount.amount_fen, proposed.approver) == (112_000, "TOWNSHIP")

    decision = decide(eligibility, H09, TOWNSHIP_OFFICER)
    assert decision.remaining.amount_fen == 112_000


def test_h10_expenditure_at_the_cap_plus_4400_by_the_county_meeting_is_10000_with_minutes(
    eligibility,
) -> None:  # type: ignore[no-untyped-def]
    eligibility.clock.on(2025, 3, 7)
    proposed = prepare(eligibility, H10, LEUKAEMIA)

    assert proposed.outcome == pb.DECISION_OUTCOME_APPROVED
    assert (proposed.one_off_amount.amount_fen, proposed.approver) == (560_000, "COUNTY")
    income = next(c for c in proposed.conditions if c.code == "TA_INCOME")
    assert income.outcome == pb.CONDITION_OUTCOME_PASS and "per-capita income=1,500.00" in income.inputs

    with pytest.raises(grpc.RpcError) as no_minutes:
        decide(eligibility, H10, COUNTY_OFFICER, addition=440_000, request_id="no-minutes")
    assert no_minutes.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "meeting_minutes" in {field for field, _ in field_violations_from(no_minutes.value)}

    decision = decide(
        eligibility, H10, COUNTY_OFFICER, addition=440_000, minutes="县社会救助联席会议一事一议：增发4,400元"
    )
    assert decision.outcome == pb.DECISION_OUTCOME_APPROVED
    assert decision.one_off_amount.amount_fen == 1_000_000
    assert decision.approver == "COUNTY_MEETING"
    assert decision.remaining.amount_fen == 1_000_000
    assert "经县级“一事一议”研究决定" in decision.notice_text
    [activated, _] = roster_events(eligibility)
    assert activated.entitlement.monthly_amount.amount_fen == 1_000_000

    retried = decide(
        eligibility, H10, COUNTY_OFFICER, addition=440_000, minutes="县社会救助联席会议一事一议：增发4,400元"
    )
    assert retried == decision
    assert len(roster_events(eligibility)) == 2  # a retried decision pays nothing twice


def test_expenditure_assistance_is_refused_when_income_is_at_or_above_the_ceiling(eligibility) -> None:  # type: ignore[no-untyped-def]
    richer = Example(
        "app_h10_richer",
        H10.household_type,
        H10.members,
        ((0, "wage_income", 5_400_000, {}), (1, "wage_income", 1_800_000, {})),
        H10.assets,
        H10.programme,
    )
    eligibility.clock.on(2025, 3, 7)
    proposed = prepare(eligibility, richer, LEUKAEMIA)
    assert proposed.outcome == pb.DECISION_OUTCOME_REJECTED
    assert proposed.one_off_amount.amount_fen == 0
    assert next(c for c in proposed.conditions if c.code == "TA_INCOME").outcome == pb.CONDITION_OUTCOME_FAIL


def test_a_temporary_assistance_case_needs_the_events_findings(eligibility) -> None:  # type: ignore[no-untyped-def]
    open_case(eligibility, H09)
    with pytest.raises(grpc.RpcError) as missing:
        eligibility.stub.RecordHomeSurvey(
            pb.RecordHomeSurveyRequest(
                request_id="s-1",
                application_id=H09.application_id,
                surveyor_ids=["township-07", "village-01"],
                findings="入户",
                actor=TOWNSHIP_OFFICER,
            ),
            metadata=AUTH,
            timeout=10,
        )
    assert missing.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "temporary_assistance" in {field for field, _ in field_violations_from(missing.value)}
