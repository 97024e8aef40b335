"""Temporary assistance's settled payments (DOMAIN §7.4, §11.2 step 5): each one is announced on its own as
`PaymentSettled`, keyed by its beneficiary on the payment topic, in the transaction that records the bank's
answer — a re-issued one when it settles at last — while a recurring month's settled payments stay counted
in the batch's `BankBatchReconciled`."""

from __future__ import annotations

from sqlalchemy import select

from doudi.common.v1 import programme_pb2
from doudi.disbursement.v1 import disbursement_pb2
from doudi.disbursement.v1 import events_pb2 as disbursement_events
from doudi_contracts.topics import topic
from doudi_runtime.events.envelope import decode, unpack

from .test_payee_accounts import run_month
from .test_payroll_api import AS_CLERK, TOWNSHIPS, Payroll, activated, all_payments, deliver, disbursement

__all__ = ["disbursement"]

RETURNED_ACCOUNT = "6228480000000000"
PAYMENTS_TOPIC = topic("doudi.disbursement.payment.v1").name


def one_off(index: int, programme: int, account: str | None = None):  # type: ignore[no-untyped-def]
    event = activated(index, TOWNSHIPS[index % 2], 150_000 + index, account=account)
    event.entitlement.programme = programme
    return event


def settled_announced(p: Payroll) -> list[tuple[str, str, disbursement_pb2.Payment]]:
    """(topic, message key, payment) of every PaymentSettled in the outbox, in the order written."""
    outbox = p.context.store.messaging.outbox
    with p.context.database.read() as session:
        rows = session.execute(
            select(outbox.c.topic, outbox.c.message_key, outbox.c.envelope).order_by(outbox.c.created_at)
        ).all()
    found = []
    for row in rows:
        envelope = decode(row.envelope)
        if envelope.event_type == disbursement_events.PaymentSettled.DESCRIPTOR.full_name:
            found.append(
                (row.topic, row.message_key, unpack(envelope, disbursement_events.PaymentSettled).payment)
            )
    return found


def reconciled_counts(p: Payroll) -> int:
    outbox = p.context.store.messaging.outbox
    with p.context.database.read() as session:
        rows = session.execute(select(outbox.c.envelope)).scalars().all()
    return sum(
        unpack(e, disbursement_events.BankBatchReconciled).settled_count
        for e in map(decode, rows)
        if e.event_type == disbursement_events.BankBatchReconciled.DESCRIPTOR.full_name
    )


def test_each_settled_temporary_assistance_payment_is_announced_a_monthly_one_not(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    deliver(p, activated(1, TOWNSHIPS[0], 6_000))
    deliver(p, one_off(2, programme_pb2.PROGRAMME_TEMPORARY_ASSISTANCE_URGENT))
    deliver(p, one_off(3, programme_pb2.PROGRAMME_TEMPORARY_ASSISTANCE_EXPENDITURE))
    deliver(p, one_off(4, programme_pb2.PROGRAMME_TEMPORARY_ASSISTANCE_URGENT, account=RETURNED_ACCOUNT))
    run = run_month(p)
    assert dict(run.payments_by_state) == {"SETTLED": 3, "RETURNED": 1}

    announced = settled_announced(p)
    assert sorted((t, key, x.beneficiary_id) for t, key, x in announced) == [
        (PAYMENTS_TOPIC, "hh_002", "hh_002"),
        (PAYMENTS_TOPIC, "hh_003", "hh_003"),
    ], "the Dibao payment settles silently and the returned one is announced as returned"
    by_beneficiary = {x.beneficiary_id: x for _, _, x in announced}
    assert by_beneficiary["hh_003"].programme == programme_pb2.PROGRAMME_TEMPORARY_ASSISTANCE_EXPENDITURE
    assert (by_beneficiary["hh_002"].state, by_beneficiary["hh_002"].amount.amount_fen) == (
        disbursement_pb2.PAYMENT_STATE_SETTLED,
        150_002,
    )
    assert reconciled_counts(p) == 3, "every settled payment is still counted in its batch"

    # Asking the bank again after every answer is recorded announces nothing twice.
    p.use_cases.reconcile()
    assert len(settled_announced(p)) == 2


def test_a_returned_temporary_assistance_payment_is_announced_when_its_reissue_settles(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    deliver(p, one_off(4, programme_pb2.PROGRAMME_TEMPORARY_ASSISTANCE_URGENT, account=RETURNED_ACCOUNT))
    run = run_month(p)
    [returned] = all_payments(p, run.run_id)
    assert returned.state == disbursement_pb2.PAYMENT_STATE_RETURNED
    assert settled_announced(p) == []

    p.stub.CorrectPaymentAccount(
        disbursement_pb2.CorrectPaymentAccountRequest(
            request_id="fix-1", payment_id=returned.payment_id, account_number="6222021001123456789"
        ),
        metadata=AS_CLERK,
        timeout=10,
    )
    p.stub.ReissuePayment(
        disbursement_pb2.ReissuePaymentRequest(request_id="again-1", payment_id=returned.payment_id),
        metadata=AS_CLERK,
        timeout=10,
    )
    while p.use_cases.send_to_bank():
        pass
    p.use_cases.reconcile()
    [(_, key, settled)] = settled_announced(p)
    assert (key, settled.payment_id, settled.attempt, settled.state) == (
        "hh_004",
        returned.payment_id,
        2,
        disbursement_pb2.PAYMENT_STATE_SETTLED,
    )
