"""Disbursement's events and protos: runs and payments → doudi.disbursement.v1 messages."""

from __future__ import annotations

from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from doudi.common.v1 import programme_pb2, types_pb2
from doudi.disbursement.v1 import disbursement_pb2, events_pb2
from doudi_common.masking import mask_bank_account
from doudi_contracts.topics import topic
from doudi_disbursement.domain.payments import bank_key
from doudi_disbursement.domain.runs import Run
from doudi_runtime.grpc.convert import money, programme_pb

TOPIC_PAYROLL = topic("doudi.disbursement.payroll.v1").name
TOPIC_PAYMENTS = topic("doudi.disbursement.payment.v1").name


def run_to_proto(
    run: Run, shards: list[Any] = (), by_state: dict[str, int] | None = None
) -> disbursement_pb2.Run:  # type: ignore[assignment]
    created = Timestamp()
    created.FromDatetime(run.created_at)
    return disbursement_pb2.Run(
        run_id=run.run_id,
        period=types_pb2.Period(month=str(run.period)),
        state=disbursement_pb2.RunState.Value(f"RUN_STATE_{run.state.value}"),
        payment_count=run.payment_count,
        total_fen=run.total_fen,
        region=types_pb2.RegionCode(code=run.region),
        created_by=run.created_by,
        approved_by=run.approved_by,
        shards=[
            disbursement_pb2.Shard(
                township=types_pb2.RegionCode(code=s.township),
                generated=s.state == "DONE",
                payment_count=int(s.payment_count),
                total_fen=int(s.total_fen),
                held_count=int(s.held_count),
                held_fen=int(s.held_fen),
                reissued_count=int(s.reissued_count),
                reissued_fen=int(s.reissued_fen),
            )
            for s in shards
        ],
        payments_by_state=by_state or {},
        created_at=created,
        state_reason=run.state_reason,
        held_count=run.held_count,
        held_fen=run.held_fen,
        reissued_count=run.reissued_count,
        reissued_fen=run.reissued_fen,
    )


def payment_to_proto(row: Any) -> disbursement_pb2.Payment:
    return disbursement_pb2.Payment(
        payment_id=row.payment_id,
        beneficiary_id=row.beneficiary_id,
        programme=programme_pb(row.programme),
        period=types_pb2.Period(month=row.period),
        component=programme_pb2.BenefitComponent.Value(f"BENEFIT_COMPONENT_{row.component}"),
        amount=money(int(row.amount_fen)),
        state=disbursement_pb2.PaymentState.Value(f"PAYMENT_STATE_{row.state}"),
        reason=row.reason,
        idempotency_key=row.idempotency_key,
        run_id=row.run_id,
        entitlement_id=row.entitlement_id,
        township=types_pb2.RegionCode(code=row.township),
        masked_account=mask_bank_account(row.payee_account),
        attempt=int(row.attempt),
        bank_key=bank_key(row.idempotency_key, int(row.attempt)),
        offsets_key=row.offsets_key,
    )


def payroll_opened(run: Run) -> events_pb2.PayrollOpened:
    return events_pb2.PayrollOpened(run=run_to_proto(run))


def payroll_closed(run: Run, by_state: dict[str, int]) -> events_pb2.PayrollClosed:
    return events_pb2.PayrollClosed(run=run_to_proto(run, by_state=by_state))


PAYMENT_EVENTS = {
    "SETTLED": events_pb2.PaymentSettled,
    "RETURNED": events_pb2.PaymentReturned,
    "FAILED": events_pb2.PaymentFailed,
}


def payment_event(row: Any):  # type: ignore[no-untyped-def]
    return PAYMENT_EVENTS[row.state](payment=payment_to_proto(row))


def bank_batch_reconciled(
    run_id: str, batch_request_id: str, settled: int, settled_fen: int, returned: int, failed: int
) -> events_pb2.BankBatchReconciled:
    return events_pb2.BankBatchReconciled(
        run_id=run_id,
        batch_request_id=batch_request_id,
        settled_count=settled,
        settled_fen=settled_fen,
        returned_count=returned,
        failed_count=failed,
    )
