"""The bank simulator's own API (doudi.simulator.v1.BankSimulatorService): its books, and its faults."""

from __future__ import annotations

import grpc

from doudi.bank.v1 import bank_pb2
from doudi.simulator.v1 import bank_pb2 as simulator_pb2
from doudi.simulator.v1 import bank_pb2_grpc as simulator_pb2_grpc
from doudi_common.errors import FieldViolation, InvalidArgument
from doudi_sim.bank import Bank

PER_MILLE = 1000


class BankSimulator(simulator_pb2_grpc.BankSimulatorServiceServicer):
    def __init__(self, bank: Bank) -> None:
        self._bank = bank

    def ListBookedPayments(
        self, request: simulator_pb2.ListBookedPaymentsRequest, context: grpc.ServicerContext
    ) -> simulator_pb2.ListBookedPaymentsResponse:
        return simulator_pb2.ListBookedPaymentsResponse(
            payments=[
                simulator_pb2.BookedPayment(
                    idempotency_key=booking.idempotency_key,
                    amount_fen=booking.amount_fen,
                    account_number=booking.account_number,
                    result=bank_pb2.PaymentResult.Value(f"PAYMENT_RESULT_{booking.result}"),
                    times_ordered=booking.times_ordered,
                    batch_request_ids=list(booking.batch_request_ids),
                )
                for booking in self._bank.ledger.bookings(request.idempotency_key_contains)
            ]
        )

    def SetFaults(
        self, request: simulator_pb2.SetFaultsRequest, context: grpc.ServicerContext
    ) -> simulator_pb2.SetFaultsResponse:
        faults = request.faults
        violations = [] if request.request_id else [FieldViolation("request_id", "is required")]
        violations.extend(
            FieldViolation(f"faults.{name}", "must be between 0 and 1000")
            for name, permille in (
                ("error_permille", faults.error_permille),
                ("timeout_after_commit_permille", faults.timeout_after_commit_permille),
            )
            if not 0 <= permille <= PER_MILLE
        )
        if faults.latency_ms < 0:
            violations.append(FieldViolation("faults.latency_ms", "must not be negative"))
        if violations:
            raise InvalidArgument(violations)
        settings = self._bank.set_faults(
            sim_down=faults.down,
            sim_error_rate=faults.error_permille / PER_MILLE,
            sim_timeout_after_commit_rate=faults.timeout_after_commit_permille / PER_MILLE,
            sim_latency_ms=faults.latency_ms,
            sim_seed=faults.seed,
        )
        return simulator_pb2.SetFaultsResponse(
            faults=simulator_pb2.Faults(
                down=settings.sim_down,
                error_permille=round(settings.sim_error_rate * PER_MILLE),
                timeout_after_commit_permille=round(settings.sim_timeout_after_commit_rate * PER_MILLE),
                latency_ms=settings.sim_latency_ms,
                seed=settings.sim_seed,
            )
        )
