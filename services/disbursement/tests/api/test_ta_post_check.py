"""Eligibility's post-check after advance aid (DOMAIN §7.4, §11.4) through disbursement's inbox: a
misrepresentation records what the household must pay back as an overpayment of the case's advance, once
per case, announced as OverpaymentDetected and recovered by repayment; good faith records nothing; an event
disbursement cannot act on is retried and dead-lettered, never recorded."""

from __future__ import annotations

from datetime import date

import pytest
from kafka.consumer.fetcher import ConsumerRecord
from sqlalchemy import func, select

from doudi.common.v1 import programme_pb2, types_pb2
from doudi.disbursement.v1 import disbursement_pb2, events_pb2
from doudi.eligibility.v1 import eligibility_pb2
from doudi.eligibility.v1 import events_pb2 as eligibility_events
from doudi_common.testing import make_resident_id
from doudi_contracts.topics import topic
from doudi_disbursement.domain.reserve import Advance, Method
from doudi_disbursement.domain.ta_recovery import UnusablePostCheck
from doudi_disbursement.main import DEFINITION, reserve_funds
from doudi_disbursement.store.tables import overpayments
from doudi_runtime.events.consumer import EventConsumer
from doudi_runtime.events.envelope import encode, new_envelope

from .test_derived_payments_api import announced
from .test_payroll_api import AS_CLERK, TOWNSHIPS, Payroll, disbursement

__all__ = ["disbursement"]

DECISIONS = topic("doudi.eligibility.decision.v1").name
TOWNSHIP = TOWNSHIPS[0]
CASE = "app_ta_fire_07"
MISREPRESENTED = eligibility_pb2.TA_POST_CHECK_OUTCOME_MISREPRESENTED
GOOD_FAITH = eligibility_pb2.TA_POST_CHECK_OUTCOME_GOOD_FAITH


def money(fen: int) -> types_pb2.Money:
    return types_pb2.Money(amount_fen=fen)


def open_fund(p: Payroll) -> None:
    reserve_funds(p.context).open_fund("open-1", TOWNSHIP, 1_000_000, "county")


def pay_advance(p: Payroll, amount_fen: int = 200_000, case: str = CASE, person_seq: int = 33) -> str:
    """The township pays urgent aid in cash from its reserve fund under the case's reference."""
    funds = reserve_funds(p.context)
    advance = Advance(
        advance_id="",
        township=TOWNSHIP,
        person_id=make_resident_id(date(1979, 5, 6), person_seq),
        person_name="马有福",
        amount_fen=amount_fen,
        method=Method.CASH,
        reason="房屋失火，临时安置",
        case_reference=case,
        paid_by=("民政助理 李", "副乡长 王"),
        receipt_reference="收据 2026-118",
        photo_reference="photo/118.jpg",
    )
    paid, _fund = funds.pay_advance(f"adv-{case}-{person_seq}", advance, "township")
    return paid.advance_id


def post_checked(
    recovery_fen: int = 200_000, outcome: int = MISREPRESENTED, reference: str = CASE, region: str = TOWNSHIP
) -> eligibility_events.TemporaryAssistancePostChecked:
    return eligibility_events.TemporaryAssistancePostChecked(
        temporary_assistance=eligibility_pb2.TemporaryAssistance(
            reference=reference,
            region=types_pb2.RegionCode(code=region),
            state=eligibility_pb2.TA_STATE_ADVANCE_PAID,
            advance_paid=money(200_000),
            post_check=outcome,
            recovery=money(recovery_fen),
        ),
        findings="申报时隐瞒在外务工收入",
    )


class Inbox:
    """Hands eligibility's decision events to disbursement's consumer as Kafka would, through the inbox."""

    def __init__(self, p: Payroll) -> None:
        self.consumer = EventConsumer(
            p.context.database,
            p.context.store.messaging,
            p.context.settings,
            group_id="doudi-disbursement",
            subscriptions=list(DEFINITION.subscriptions(p.context)),
        )
        self.consumer._dead_letter = self._dead_letter  # type: ignore[method-assign]
        self.consumer._sleep = lambda _seconds: None  # type: ignore[attr-defined]
        self.dead_lettered: list[str] = []
        self.offset = 0

    def _dead_letter(self, record: ConsumerRecord, error: str, *, attempts: int) -> None:
        self.dead_lettered.append(error)

    def deliver(self, event: eligibility_events.TemporaryAssistancePostChecked, event_id: str = "") -> str:
        envelope = new_envelope(event, producer="eligibility", subject_key=CASE)
        if event_id:
            envelope.event_id = event_id
        data = encode(envelope)
        self.offset += 1
        record = ConsumerRecord(DECISIONS, 0, -1, self.offset, 0, 0, b"k", data, [], None, 1, len(data), 0)
        return self.consumer.handle_record(record)


def overpayments_of(p: Payroll, beneficiary_id: str) -> list[disbursement_pb2.Overpayment]:
    return list(
        p.stub.ListOverpayments(
            disbursement_pb2.ListOverpaymentsRequest(beneficiary_id=beneficiary_id),
            metadata=AS_CLERK,
            timeout=10,
        ).overpayments
    )


def recorded(p: Payroll) -> int:
    with p.context.database.read() as session:
        return int(session.execute(select(func.count()).select_from(overpayments)).scalar_one())


def test_a_misrepresentation_is_owed_once_announced_and_recovered_by_repayment(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    open_fund(p)
    advance_id = pay_advance(p)
    inbox = Inbox(p)
    assert inbox.deliver(post_checked(), event_id="evt-1") == "handled"
    assert inbox.deliver(post_checked(), event_id="evt-1") == "duplicate"
    assert inbox.deliver(post_checked(), event_id="evt-2") == "handled", "the same case heard again"

    (owed,) = overpayments_of(p, f"advance:{advance_id}")
    assert (owed.amount.amount_fen, owed.balance.amount_fen, owed.state) == (
        200_000,
        200_000,
        disbursement_pb2.OVERPAYMENT_STATE_OPEN,
    )
    assert owed.programme == programme_pb2.PROGRAMME_TEMPORARY_ASSISTANCE_URGENT
    assert (owed.decision_reference, owed.township.code) == (CASE, TOWNSHIP)
    assert "申报时隐瞒在外务工收入" in owed.reason
    (detected,) = announced(p, events_pb2.OverpaymentDetected)
    assert (detected.overpayment_id, detected.beneficiary_id, detected.amount_fen) == (
        owed.overpayment_id,
        f"advance:{advance_id}",
        200_000,
    )
    assert recorded(p) == 1

    repaid = p.stub.RecordRepayment(
        disbursement_pb2.RecordRepaymentRequest(
            request_id="rp-1",
            overpayment_id=owed.overpayment_id,
            amount=money(200_000),
            reference="退款收据 7",
        ),
        metadata=AS_CLERK,
        timeout=10,
    ).overpayment
    assert (repaid.balance.amount_fen, repaid.state) == (0, disbursement_pb2.OVERPAYMENT_STATE_RECOVERED)
    got = p.stub.GetOverpayment(
        disbursement_pb2.GetOverpaymentRequest(overpayment_id=owed.overpayment_id),
        metadata=AS_CLERK,
        timeout=10,
    ).overpayment
    assert got.repaid.amount_fen == 200_000


def test_good_faith_recovers_nothing_and_records_nothing(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    open_fund(p)
    pay_advance(p)
    inbox = Inbox(p)
    assert inbox.deliver(post_checked(0, GOOD_FAITH)) == "handled"
    assert recorded(p) == 0
    assert announced(p, events_pb2.OverpaymentDetected) == []


@pytest.mark.parametrize(
    ("event", "why"),
    [
        (post_checked(-1), "negative recovery"),
        (post_checked(5_000, GOOD_FAITH), "good faith recovers nothing"),
        (post_checked(reference="app_unknown"), "no advance paid"),
        (post_checked(region=""), "names no township"),
        (post_checked(reference=""), "names no case"),
        (post_checked(200_001), "more than the 200000 fen paid"),
        (post_checked(outcome=eligibility_pb2.TA_POST_CHECK_OUTCOME_UNSPECIFIED), "no outcome"),
    ],
)
def test_an_unusable_post_check_is_dead_lettered_and_records_nothing(disbursement, event, why) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    open_fund(p)
    pay_advance(p)
    inbox = Inbox(p)
    assert inbox.deliver(event) == "dead_lettered"
    (error,) = inbox.dead_lettered
    assert error.startswith("UnusablePostCheck") and why in error
    assert recorded(p) == 0


def test_a_case_whose_advances_paid_different_people_names_no_beneficiary(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    open_fund(p)
    pay_advance(p, 100_000)
    pay_advance(p, 100_000, person_seq=34)
    (subscription,) = [s for s in DEFINITION.subscriptions(p.context) if s.topic == DECISIONS]
    envelope = new_envelope(post_checked(), producer="eligibility", subject_key=CASE)
    with pytest.raises(UnusablePostCheck, match="different people"), p.context.database.transaction() as s:
        subscription.handler(s, envelope)
    assert recorded(p) == 0


def test_a_second_post_check_of_the_case_with_another_amount_is_refused(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    open_fund(p)
    pay_advance(p)
    inbox = Inbox(p)
    assert inbox.deliver(post_checked(200_000)) == "handled"
    assert inbox.deliver(post_checked(150_000)) == "dead_lettered"
    assert [o.amount.amount_fen for o in overpayments_of_case(p)] == [200_000]


def overpayments_of_case(p: Payroll) -> list[disbursement_pb2.Overpayment]:
    with p.context.database.read() as session:
        (beneficiary,) = session.execute(select(overpayments.c.beneficiary_id).distinct()).scalars().all()
    return overpayments_of(p, beneficiary)


def test_other_decision_events_are_not_disbursements_to_act_on(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    closed = eligibility_events.TemporaryAssistanceClosed(
        temporary_assistance=eligibility_pb2.TemporaryAssistance(reference=CASE)
    )
    envelope = new_envelope(closed, producer="eligibility", subject_key=CASE)
    data = encode(envelope)
    record = ConsumerRecord(DECISIONS, 0, -1, 1, 0, 0, b"k", data, [], None, 1, len(data), 0)
    assert Inbox(p).consumer.handle_record(record) == "handled"
    assert recorded(p) == 0
