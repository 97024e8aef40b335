"""Temporary assistance from report to follow-up through the gRPC API (DOMAIN §7.4): the grant is paid when
disbursement announces its payment settled (never because the month's run closed, nor when the payment came
back), the township's follow-up closes the case with its monitoring flag and Dibao referral, the county
meeting may grant in part, triage refers incidents out, and the post-check after advance aid records what is
recovered."""

from __future__ import annotations

import grpc
import pytest
from sqlalchemy import select

from doudi.common.v1 import programme_pb2, types_pb2
from doudi.disbursement.v1 import disbursement_pb2
from doudi.disbursement.v1 import events_pb2 as disbursement_events
from doudi.eligibility.v1 import eligibility_pb2 as pb
from doudi.eligibility.v1 import events_pb2
from doudi_eligibility.store.tables import audit_log
from doudi_runtime.events.envelope import unpack
from doudi_runtime.grpc.errors import field_violations_from

from .conftest import AUTH, COUNTY_OFFICER, TOWNSHIP, TOWNSHIP_OFFICER
from .test_temporary_assistance_api import CHEN_WIFE, FIRE, H09, H10, LEUKAEMIA, decide, pay_advance, prepare

COUNTY = "640402000000"


def get(e, reference: str) -> pb.TemporaryAssistance:  # type: ignore[no-untyped-def]
    return e.stub.GetTemporaryAssistance(
        pb.GetTemporaryAssistanceRequest(reference=reference), metadata=AUTH, timeout=10
    ).temporary_assistance


def payment(
    granted: pb.TemporaryAssistance, amount_fen: int | None = None, **fields: object
) -> disbursement_pb2.Payment:
    return disbursement_pb2.Payment(
        payment_id="pay_h09",
        entitlement_id=granted.entitlement_id,
        programme=programme_pb2.PROGRAMME_TEMPORARY_ASSISTANCE_URGENT,
        period=granted.payment_month,
        amount=types_pb2.Money(amount_fen=granted.remaining.amount_fen if amount_fen is None else amount_fen),
        township=types_pb2.RegionCode(code=TOWNSHIP),
        **fields,
    )


def settled(e, granted: pb.TemporaryAssistance, amount_fen: int | None = None) -> None:  # type: ignore[no-untyped-def]
    e.deliver(disbursement_events.PaymentSettled(payment=payment(granted, amount_fen)), "ben", "disbursement")


def payroll_closed(e, month: str) -> None:  # type: ignore[no-untyped-def]
    run = disbursement_pb2.Run(
        run_id=f"run_{month}",
        period=types_pb2.Period(month=month),
        region=types_pb2.RegionCode(code=COUNTY),
        state=disbursement_pb2.RUN_STATE_CLOSED,
    )
    e.deliver(disbursement_events.PayrollClosed(run=run), run.run_id, "disbursement")


def close(e, reference: str, hardship: bool, request_id: str = "close-1") -> pb.TemporaryAssistance:  # type: ignore[no-untyped-def]
    return e.stub.CloseTemporaryAssistance(
        pb.CloseTemporaryAssistanceRequest(
            request_id=request_id,
            reference=reference,
            hardship_persists=hardship,
            findings="乡镇回访：房屋仍在重建",
            actor=TOWNSHIP_OFFICER,
        ),
        metadata=AUTH,
        timeout=10,
    ).temporary_assistance


def audit_actions(e, subject: str) -> list[str]:  # type: ignore[no-untyped-def]
    with e.context.database.read() as session:
        rows = session.execute(
            select(audit_log.c.action).where(audit_log.c.subject_id == subject).order_by(audit_log.c.id)
        ).all()
    return [r.action for r in rows]


def granted_h09(e) -> pb.TemporaryAssistance:  # type: ignore[no-untyped-def]
    e.clock.on(2025, 3, 3)
    pay_advance(e, H09.application_id, CHEN_WIFE, 112_000, "adv_h09")
    e.clock.on(2025, 3, 7)
    prepare(e, H09, FIRE)
    assert get(e, H09.application_id).state == pb.TA_STATE_ASSESSED
    e.clock.on(2025, 3, 10)
    decide(e, H09, COUNTY_OFFICER)
    return get(e, H09.application_id)


def test_h09_is_paid_when_its_payment_settles_and_the_follow_up_closes_it_with_a_dibao_referral(
    eligibility,
) -> None:  # type: ignore[no-untyped-def]
    granted = granted_h09(eligibility)
    assert granted.state == pb.TA_STATE_APPROVED
    assert (granted.advance_paid.amount_fen, granted.remaining.amount_fen) == (112_000, 224_000)
    assert granted.payment_month.month == "2025-04" and granted.entitlement_id

    payroll_closed(eligibility, "2025-04")
    assert get(eligibility, H09.application_id).state == pb.TA_STATE_APPROVED, "a run's close pays no case"

    with pytest.raises(grpc.RpcError) as early:
        close(eligibility, H09.application_id, True, request_id="too-early")
    assert early.value.code() is grpc.StatusCode.FAILED_PRECONDITION

    eligibility.clock.on(2025, 4, 20)
    settled(eligibility, granted)
    settled(eligibility, granted)  # redelivered: nothing more
    paid = get(eligibility, H09.application_id)
    assert paid.state == pb.TA_STATE_PAID and paid.HasField("paid_on"), "the day it settled"

    eligibility.clock.on(2025, 5, 6)
    closed = close(eligibility, H09.application_id, True)
    assert closed.state == pb.TA_STATE_CLOSED
    assert closed.monitored and closed.refer_to_dibao and closed.hardship_persists
    assert closed.locked_until.month == "2026-04"
    assert close(eligibility, H09.application_id, True) == closed  # a retry answers the same
    settled(eligibility, granted)  # redelivered after the close: still closed
    assert get(eligibility, H09.application_id) == closed

    [envelope] = eligibility.envelopes("TemporaryAssistanceClosed")
    announced = unpack(envelope, events_pb2.TemporaryAssistanceClosed).temporary_assistance
    assert announced.refer_to_dibao and announced.reference == H09.application_id
    actions = audit_actions(eligibility, H09.application_id)
    assert [a for a in actions if a.startswith("temporary assistance")] == [
        "temporary assistance: opened",
        "temporary assistance: assessed",
        "temporary assistance: decided",
        "temporary assistance: paid",
        "temporary assistance: closed",
    ]


def test_a_returned_payment_keeps_the_grant_unpaid_until_its_reissue_settles(eligibility) -> None:  # type: ignore[no-untyped-def]
    granted = granted_h09(eligibility)
    returned = payment(granted, reason="账户已销户")
    eligibility.deliver(disbursement_events.PaymentReturned(payment=returned), "ben", "disbursement")
    payroll_closed(eligibility, "2025-04")
    held = get(eligibility, H09.application_id)
    assert (held.state, held.payment_problem) == (pb.TA_STATE_APPROVED, "账户已销户")

    eligibility.clock.on(2025, 5, 12)
    settled(eligibility, granted)  # the re-issue to the corrected account
    paid = get(eligibility, H09.application_id)
    assert (paid.state, paid.payment_problem) == (pb.TA_STATE_PAID, "")


def test_a_settlement_of_another_amount_than_the_rest_does_not_pay_the_case(eligibility) -> None:  # type: ignore[no-untyped-def]
    granted = granted_h09(eligibility)
    settled(eligibility, granted, amount_fen=100_000)
    odd = get(eligibility, H09.application_id)
    assert odd.state == pb.TA_STATE_APPROVED
    assert odd.payment_problem == "payment pay_h09 settled 100000 fen, 224000 due"


def test_news_of_a_payment_no_case_waits_on_changes_nothing(eligibility) -> None:  # type: ignore[no-untyped-def]
    granted = granted_h09(eligibility)
    other = disbursement_pb2.Payment(payment_id="pay_x", entitlement_id="ent_dibao", amount=granted.remaining)
    eligibility.deliver(disbursement_events.PaymentSettled(payment=other), "ben", "disbursement")
    eligibility.deliver(
        disbursement_events.PaymentSettled(payment=disbursement_pb2.Payment(payment_id="pay_fee")),
        "provider",
        "disbursement",
    )
    assert get(eligibility, H09.application_id) == granted


def test_a_payment_returned_after_it_settled_is_recorded_beside_the_paid_state(eligibility) -> None:  # type: ignore[no-untyped-def]
    granted = granted_h09(eligibility)
    settled(eligibility, granted)
    failed = payment(granted, reason="户名不符")
    eligibility.deliver(disbursement_events.PaymentFailed(payment=failed), "ben", "disbursement")
    late = get(eligibility, H09.application_id)
    assert (late.state, late.payment_problem) == (pb.TA_STATE_PAID, "户名不符")


def test_h10_the_county_meeting_granting_less_than_asked_is_partial_with_its_minutes(eligibility) -> None:  # type: ignore[no-untyped-def]
    eligibility.clock.on(2025, 3, 7)
    prepare(eligibility, H10, LEUKAEMIA)
    minutes = "县社会救助联席会议纪要〔2025〕3号"

    def meeting(requested: int, granted: int, minutes: str, request_id: str) -> pb.Decision:
        return eligibility.stub.Decide(
            pb.DecideRequest(
                request_id=request_id,
                application_id=H10.application_id,
                outcome=pb.DECISION_OUTCOME_APPROVED,
                reason="一事一议",
                actor=COUNTY_OFFICER,
                meeting_addition=types_pb2.Money(amount_fen=granted),
                meeting_requested=types_pb2.Money(amount_fen=requested),
                meeting_minutes=minutes,
            ),
            metadata=AUTH,
            timeout=10,
        ).decision

    for requested, granted, text, field in (
        (100_000, 200_000, minutes, "meeting_requested"),
        (440_000, 0, "", "meeting_minutes"),
    ):
        with pytest.raises(grpc.RpcError) as bad:
            meeting(requested, granted, text, f"bad-{field}")
        assert bad.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert field in {f for f, _ in field_violations_from(bad.value)}

    decision = meeting(440_000, 200_000, minutes, "meeting")
    assert decision.one_off_amount.amount_fen == 760_000
    partial = get(eligibility, H10.application_id)
    assert partial.state == pb.TA_STATE_PARTIAL
    assert (partial.minutes_reference, partial.meeting_requested.amount_fen) == (minutes, 440_000)
    assert partial.granted.amount_fen == 760_000


def test_triage_refers_a_vagrant_to_the_relief_station_naming_the_receiving_body(eligibility) -> None:  # type: ignore[no-untyped-def]
    def triage(reference: str, triage: int, body: int = 0) -> pb.TemporaryAssistance:
        return eligibility.stub.TriageTemporaryAssistance(
            pb.TriageTemporaryAssistanceRequest(
                request_id=f"triage-{reference}",
                reference=reference,
                region=types_pb2.RegionCode(code=TOWNSHIP),
                triage=triage,
                receiving_body=body,
                reason="火车站流浪人员",
                actor=TOWNSHIP_OFFICER,
            ),
            metadata=AUTH,
            timeout=10,
        ).temporary_assistance

    for reference, kind, body, field in (
        ("inc_a", pb.TA_TRIAGE_REFERRED_OUT, 0, "receiving_body"),
        ("inc_b", pb.TA_TRIAGE_URGENT, pb.TA_RECEIVING_BODY_RELIEF_STATION, "receiving_body"),
        ("inc_c", pb.TA_TRIAGE_UNSPECIFIED, 0, "triage"),
    ):
        with pytest.raises(grpc.RpcError) as bad:
            triage(reference, kind, body)
        assert bad.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert field in {f for f, _ in field_violations_from(bad.value)}

    out = triage("inc_vagrant", pb.TA_TRIAGE_REFERRED_OUT, pb.TA_RECEIVING_BODY_RELIEF_STATION)
    assert (out.state, out.receiving_body) == (pb.TA_STATE_REFERRED_OUT, pb.TA_RECEIVING_BODY_RELIEF_STATION)
    assert audit_actions(eligibility, "inc_vagrant") == [
        "temporary assistance: reported",
        "temporary assistance: triaged",
    ]


def test_the_post_check_after_advance_aid_recovers_on_misrepresentation_only(eligibility) -> None:  # type: ignore[no-untyped-def]
    granted_h09(eligibility)

    def check(outcome: int, actor: pb.Actor, request_id: str) -> pb.TemporaryAssistance:
        return eligibility.stub.RecordTemporaryAssistancePostCheck(
            pb.RecordTemporaryAssistancePostCheckRequest(
                request_id=request_id,
                reference=H09.application_id,
                outcome=outcome,
                findings="事后核查：火灾系本人故意所致，隐瞒事实",
                actor=actor,
            ),
            metadata=AUTH,
            timeout=10,
        ).temporary_assistance

    with pytest.raises(grpc.RpcError) as missing:
        check(pb.TA_POST_CHECK_OUTCOME_UNSPECIFIED, COUNTY_OFFICER, "no-outcome")
    assert missing.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "outcome" in {f for f, _ in field_violations_from(missing.value)}
    with pytest.raises(grpc.RpcError) as township:
        check(pb.TA_POST_CHECK_OUTCOME_MISREPRESENTED, TOWNSHIP_OFFICER, "township")
    assert township.value.code() is grpc.StatusCode.PERMISSION_DENIED

    checked = check(pb.TA_POST_CHECK_OUTCOME_MISREPRESENTED, COUNTY_OFFICER, "county")
    assert checked.post_check == pb.TA_POST_CHECK_OUTCOME_MISREPRESENTED
    assert checked.recovery.amount_fen == 112_000  # the advance: the rest is not paid yet
    assert "temporary assistance: post-check" in audit_actions(eligibility, H09.application_id)
    [envelope] = eligibility.envelopes("TemporaryAssistancePostChecked")
    announced = unpack(envelope, events_pb2.TemporaryAssistancePostChecked)
    assert envelope.subject_key == H09.application_id
    assert announced.temporary_assistance == checked and announced.findings.startswith("事后核查")
    with pytest.raises(grpc.RpcError) as twice:
        check(pb.TA_POST_CHECK_OUTCOME_GOOD_FAITH, COUNTY_OFFICER, "again")
    assert twice.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert len(eligibility.envelopes("TemporaryAssistancePostChecked")) == 1


def test_good_faith_after_advance_aid_recovers_nothing(eligibility) -> None:  # type: ignore[no-untyped-def]
    granted_h09(eligibility)
    checked = eligibility.stub.RecordTemporaryAssistancePostCheck(
        pb.RecordTemporaryAssistancePostCheckRequest(
            request_id="good-faith",
            reference=H09.application_id,
            outcome=pb.TA_POST_CHECK_OUTCOME_GOOD_FAITH,
            findings="事后核查：如实申报",
            actor=TOWNSHIP_OFFICER,
        ),
        metadata=AUTH,
        timeout=10,
    ).temporary_assistance
    assert (checked.post_check, checked.recovery.amount_fen) == (pb.TA_POST_CHECK_OUTCOME_GOOD_FAITH, 0)


def test_an_incident_referred_out_does_not_stop_an_application_under_the_same_reference(eligibility) -> None:  # type: ignore[no-untyped-def]
    eligibility.stub.TriageTemporaryAssistance(
        pb.TriageTemporaryAssistanceRequest(
            request_id="triage-h09",
            reference=H09.application_id,
            region=types_pb2.RegionCode(code=TOWNSHIP),
            triage=pb.TA_TRIAGE_REFERRED_OUT,
            receiving_body=pb.TA_RECEIVING_BODY_EMERGENCY_MANAGEMENT,
            reason="山洪灾害，转应急管理部门",
            actor=TOWNSHIP_OFFICER,
        ),
        metadata=AUTH,
        timeout=10,
    )
    eligibility.clock.on(2025, 3, 7)
    assert prepare(eligibility, H09, FIRE).outcome == pb.DECISION_OUTCOME_APPROVED
    assert decide(eligibility, H09, COUNTY_OFFICER).outcome == pb.DECISION_OUTCOME_APPROVED
    assert get(eligibility, H09.application_id).state == pb.TA_STATE_REFERRED_OUT
