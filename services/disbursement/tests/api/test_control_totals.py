"""A run's control totals (DOMAIN §11.2 step 4) are what goes to the bank: a line held at generation for want
of a payee account (§11.1) is never sent, so it is reported apart — held count and sum, on the run and on its
shard — and the approver confirms only what the bank will be sent. A held line re-issued before release moves
into those totals; one re-issued after release is paid outside them and reported as re-issued, no longer
held: every line counts once."""

from __future__ import annotations

import grpc
import pytest

from doudi.common.v1 import types_pb2
from doudi.disbursement.v1 import disbursement_pb2
from doudi.eligibility.v1 import events_pb2 as eligibility_events
from doudi_runtime.grpc.errors import field_violations_from

from .test_payee_accounts import ACCOUNT, without_account
from .test_payroll_api import (
    AS_CLERK,
    TOWNSHIPS,
    Payroll,
    activated,
    all_payments,
    approve,
    deliver,
    disbursement,
    generate,
    get_run,
)

__all__ = ["disbursement"]


def generated(p: Payroll) -> disbursement_pb2.Run:
    run = generate(p)
    p.use_cases.generate_shards()
    return get_run(p, run.run_id)


def test_held_lines_are_reported_apart_from_the_control_totals_the_bank_is_sent(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    deliver(p, activated(1, TOWNSHIPS[0], 6_000))
    deliver(p, activated(3, TOWNSHIPS[1], 24_000))
    deliver(p, without_account(2))
    run = generated(p)
    assert (run.payment_count, run.total_fen, run.held_count, run.held_fen) == (2, 30_000, 1, 50_000)
    shards = {s.township.code: s for s in run.shards}
    assert [
        (shards[t].payment_count, shards[t].total_fen, shards[t].held_count, shards[t].held_fen)
        for t in TOWNSHIPS
    ] == [(1, 6_000, 1, 50_000), (1, 24_000, 0, 0)]

    # Totals that count the held line are not what the bank will be sent: the release is refused.
    with pytest.raises(grpc.RpcError) as refused:
        p.stub.ApproveRun(
            disbursement_pb2.ApproveRunRequest(
                request_id="approve-with-held",
                run_id=run.run_id,
                expected_payment_count=3,
                expected_total_fen=80_000,
            ),
            metadata=(("authorization", "Bearer finance-token"),),
            timeout=10,
        )
    assert [f for f, _ in field_violations_from(refused.value)] == ["expected_total_fen"]

    approve(p, run)
    while p.use_cases.send_to_bank():
        pass
    sent = p.bank.ledger.paid_count()
    p.use_cases.reconcile()
    closed = get_run(p, run.run_id)
    assert (sent, closed.payment_count, closed.total_fen) == (2, 2, 30_000)
    assert dict(closed.payments_by_state) == {"SETTLED": 2, "HELD": 1}
    assert (closed.held_count, closed.held_fen) == (1, 50_000)


def test_a_held_line_reissued_before_release_moves_into_the_control_totals(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    deliver(p, activated(1, TOWNSHIPS[0], 6_000))
    deliver(p, without_account(2))
    run = generated(p)
    assert (run.payment_count, run.total_fen, run.held_count, run.held_fen) == (1, 6_000, 1, 50_000)
    [held] = [x for x in all_payments(p, run.run_id) if x.beneficiary_id == "hh_002"]

    deliver(
        p,
        eligibility_events.EntitlementChanged(
            before=without_account(2).entitlement,
            after=activated(2, TOWNSHIPS[0], 50_000, account=ACCOUNT).entitlement,
            effective_month=types_pb2.Period(month="2026-11"),
            reason="payee",
        ),
    )
    p.stub.ReissuePayment(
        disbursement_pb2.ReissuePaymentRequest(request_id="again-1", payment_id=held.payment_id),
        metadata=AS_CLERK,
        timeout=10,
    )
    run = get_run(p, run.run_id)
    assert (run.payment_count, run.total_fen, run.held_count, run.held_fen) == (2, 56_000, 0, 0)
    assert [(s.payment_count, s.held_count) for s in run.shards] == [(2, 0)]
    approve(p, run)
    while p.use_cases.send_to_bank():
        pass
    p.use_cases.reconcile()
    closed = get_run(p, run.run_id)
    assert (closed.state, dict(closed.payments_by_state)) == (
        disbursement_pb2.RUN_STATE_CLOSED,
        {"SETTLED": 2},
    )
    assert p.bank.ledger.paid_count() == 2


def test_a_cancelled_runs_held_lines_are_withdrawn_with_it_and_paid_by_the_run_made_again(
    disbursement,
) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    deliver(p, activated(1, TOWNSHIPS[0], 6_000))
    deliver(p, without_account(2))
    run = generated(p)
    assert (run.payment_count, run.held_count) == (1, 1)
    p.stub.CancelRun(
        disbursement_pb2.CancelRunRequest(
            request_id="cancel-1", run_id=run.run_id, reason="名单有误，重新生成"
        ),
        metadata=AS_CLERK,
        timeout=10,
    )
    assert all_payments(p, run.run_id) == [], "nothing of a cancelled run stays to block the month"

    deliver(
        p,
        eligibility_events.EntitlementChanged(
            before=without_account(2).entitlement,
            after=activated(2, TOWNSHIPS[0], 50_000, account=ACCOUNT).entitlement,
            effective_month=types_pb2.Period(month="2026-11"),
            reason="payee",
        ),
    )
    again = generate(p, "gen-again")
    p.use_cases.generate_shards()
    again = get_run(p, again.run_id)
    assert (again.payment_count, again.total_fen, again.held_count) == (2, 56_000, 0)
    approve(p, again)
    while p.use_cases.send_to_bank():
        pass
    p.use_cases.reconcile()
    assert p.bank.ledger.paid_count() == 2


def pay_out(p: Payroll) -> None:
    while p.use_cases.send_to_bank():
        pass
    p.use_cases.reconcile()


def reissue(p: Payroll, payment_id: str, request_id: str) -> None:
    p.stub.ReissuePayment(
        disbursement_pb2.ReissuePaymentRequest(request_id=request_id, payment_id=payment_id),
        metadata=AS_CLERK,
        timeout=10,
    )


def give_account(p: Payroll, payment_id: str, request_id: str) -> None:
    p.stub.CorrectPaymentAccount(
        disbursement_pb2.CorrectPaymentAccountRequest(
            request_id=request_id, payment_id=payment_id, account_number=ACCOUNT
        ),
        metadata=AS_CLERK,
        timeout=10,
    )


def counts(run_or_shard: disbursement_pb2.Run | disbursement_pb2.Shard) -> tuple[int, ...]:
    """Sent under the release, held, and re-issued after it: (count, fen) of each."""
    return (
        run_or_shard.payment_count,
        run_or_shard.total_fen,
        run_or_shard.held_count,
        run_or_shard.held_fen,
        run_or_shard.reissued_count,
        run_or_shard.reissued_fen,
    )


@pytest.mark.parametrize("paid_out_first", [False, True], ids=["run-released", "run-closed"])
def test_a_held_line_reissued_after_release_is_paid_outside_the_totals_and_no_longer_held(
    disbursement, paid_out_first: bool
) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    deliver(p, activated(1, TOWNSHIPS[0], 6_000))
    deliver(p, without_account(2))
    run = generated(p)
    approve(p, run)
    if paid_out_first:
        pay_out(p)
        assert get_run(p, run.run_id).state == disbursement_pb2.RUN_STATE_CLOSED
    [held] = [x for x in all_payments(p, run.run_id) if x.beneficiary_id == "hh_002"]
    give_account(p, held.payment_id, "fix-1")
    for _ in range(2):  # asked twice under one request id: re-issued, and counted, once
        reissue(p, held.payment_id, "again-1")

    reissued = get_run(p, run.run_id)
    assert (reissued.held_count, reissued.held_fen) == (0, 0), "a line paid is held no longer"
    assert counts(reissued) == (1, 6_000, 0, 0, 1, 50_000)
    assert [counts(s) for s in reissued.shards] == [(1, 6_000, 0, 0, 1, 50_000)]
    [again] = [x for x in all_payments(p, run.run_id) if x.beneficiary_id == "hh_002"]
    assert (again.state, again.attempt) == (disbursement_pb2.PAYMENT_STATE_PENDING, 2)
    assert reissued.state == (
        disbursement_pb2.RUN_STATE_CLOSED if paid_out_first else disbursement_pb2.RUN_STATE_RELEASED
    )

    pay_out(p)
    closed = get_run(p, run.run_id)
    assert closed.state == disbursement_pb2.RUN_STATE_CLOSED
    assert dict(closed.payments_by_state) == {"SETTLED": 2}
    assert counts(closed) == (1, 6_000, 0, 0, 1, 50_000), "the approved totals never change"
    assert [(b.account_number, b.result) for b in p.bank.ledger.bookings("hh_002")] == [(ACCOUNT, "SETTLED")]
    assert p.bank.ledger.paid_count() == 2
    lines = all_payments(p, run.run_id)
    assert closed.payment_count + closed.held_count + closed.reissued_count == len(lines)
    assert closed.total_fen + closed.held_fen + closed.reissued_fen == sum(x.amount.amount_fen for x in lines)


def test_a_returned_line_held_and_reissued_after_release_stays_in_the_totals_it_was_sent_under(
    disbursement,
) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    deliver(p, activated(1, TOWNSHIPS[0], 6_000, account="6228480000000000"))  # the bank returns it
    deliver(p, without_account(2))
    run = generated(p)
    approve(p, run)
    pay_out(p)
    [returned] = [
        x for x in all_payments(p, run.run_id) if x.state == disbursement_pb2.PAYMENT_STATE_RETURNED
    ]
    p.stub.HoldPayment(
        disbursement_pb2.HoldPaymentRequest(
            request_id="hold-1", payment_id=returned.payment_id, reason="核实"
        ),
        metadata=AS_CLERK,
        timeout=10,
    )
    give_account(p, returned.payment_id, "fix-1")
    reissue(p, returned.payment_id, "again-1")
    pay_out(p)
    run = get_run(p, run.run_id)
    assert counts(run) == (1, 6_000, 1, 50_000, 0, 0), "a line sent under the release is no held line"

    [held] = [x for x in all_payments(p, run.run_id) if x.beneficiary_id == "hh_002"]
    give_account(p, held.payment_id, "fix-2")
    reissue(p, held.payment_id, "again-2")
    pay_out(p)
    run = get_run(p, run.run_id)
    assert counts(run) == (1, 6_000, 0, 0, 1, 50_000)
    assert dict(run.payments_by_state) == {"SETTLED": 2}
    assert [b.result for b in p.bank.ledger.bookings("hh_001")] == ["RETURNED", "SETTLED"]
    assert [b.result for b in p.bank.ledger.bookings("hh_002")] == ["SETTLED"]
