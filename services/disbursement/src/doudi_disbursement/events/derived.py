"""Derived payment declarations ↔ protos, and the DerivedPaymentDeclared event."""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp

from doudi.common.v1 import types_pb2
from doudi.disbursement.v1 import disbursement_pb2, events_pb2
from doudi_disbursement.domain.derived import Declaration
from doudi_disbursement.events.payroll import TOPIC_PAYROLL
from doudi_runtime.grpc.convert import money, programme_pb

__all__ = ["TOPIC_PAYROLL", "declaration_to_proto", "declared"]


def declaration_to_proto(declaration: Declaration) -> disbursement_pb2.DerivedPayment:
    declared_at = Timestamp()
    declared_at.FromDatetime(declaration.declared_at)
    return disbursement_pb2.DerivedPayment(
        declaration_id=declaration.declaration_id,
        kind=disbursement_pb2.DerivedKind.Value(f"DERIVED_KIND_{declaration.kind.value}"),
        region=types_pb2.RegionCode(code=declaration.region),
        period=types_pb2.Period(month=str(declaration.period)),
        amounts=[
            disbursement_pb2.DerivedAmount(
                programme=programme_pb(programme),
                amount=money(fen),
            )
            for programme, fen in sorted(declaration.amounts.items())
        ],
        reference=declaration.reference,
        declared_by=declaration.declared_by,
        declared_at=declared_at,
    )


def declared(declaration: Declaration) -> events_pb2.DerivedPaymentDeclared:
    return events_pb2.DerivedPaymentDeclared(declaration=declaration_to_proto(declaration))
