"""Overpayments ↔ protos, and the OverpaymentDetected event announced when one is recorded."""

from __future__ import annotations

from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from doudi.common.v1 import types_pb2
from doudi.disbursement.v1 import disbursement_pb2, events_pb2
from doudi_disbursement.events.payroll import TOPIC_PAYMENTS
from doudi_runtime.grpc.convert import money, programme_pb

__all__ = ["TOPIC_PAYMENTS", "overpayment_detected", "overpayment_to_proto"]


def overpayment_detected(row: Any) -> events_pb2.OverpaymentDetected:
    return events_pb2.OverpaymentDetected(
        beneficiary_id=row.beneficiary_id,
        amount_fen=int(row.amount_fen),
        reason=row.reason,
        overpayment_id=row.overpayment_id,
        decision_reference=row.decision_reference,
    )


def overpayment_to_proto(
    row: Any, recovered_fen: int, offsets: list[Any], repaid_fen: int
) -> disbursement_pb2.Overpayment:
    recorded = Timestamp()
    recorded.FromDatetime(row.recorded_at)
    balance = int(row.amount_fen) - recovered_fen
    return disbursement_pb2.Overpayment(
        overpayment_id=row.overpayment_id,
        beneficiary_id=row.beneficiary_id,
        programme=programme_pb(row.programme),
        amount=money(int(row.amount_fen)),
        recovered=money(recovered_fen),
        repaid=money(repaid_fen),
        balance=money(balance),
        reason=row.reason,
        decision_reference=row.decision_reference,
        township=types_pb2.RegionCode(code=row.township),
        recorded_by=row.recorded_by,
        recorded_at=recorded,
        state=disbursement_pb2.OVERPAYMENT_STATE_OPEN
        if balance > 0
        else disbursement_pb2.OVERPAYMENT_STATE_RECOVERED,
        offsets=[
            disbursement_pb2.Offset(
                payment_id=o.payment_id,
                period=types_pb2.Period(month=o.period),
                amount=money(int(o.amount_fen)),
                run_id=o.run_id,
            )
            for o in offsets
        ],
    )
