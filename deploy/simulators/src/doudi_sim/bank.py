"""The bank simulator's gRPC servicer (doudi.bank.v1.BankService)."""

from __future__ import annotations

import time

import grpc

from doudi.bank.v1 import bank_pb2, bank_pb2_grpc
from doudi_sim.faults import before_answer, chance
from doudi_sim.ledger import Ledger, Order
from doudi_sim.settings import BankSettings


class Bank(bank_pb2_grpc.BankServiceServicer):
    def __init__(self, settings: BankSettings, ledger: Ledger | None = None) -> None:
        self._settings = settings
        self.ledger = ledger or Ledger(return_accounts_ending=settings.sim_return_accounts_ending)

    def set_faults(self, **faults: object) -> BankSettings:
        """Replace the injected faults (``sim_down``, ``sim_error_rate``, …) while the books stay."""
        self._settings = self._settings.model_copy(update=faults)
        return self._settings

    def SubmitBatch(
        self, request: bank_pb2.SubmitBatchRequest, context: grpc.ServicerContext
    ) -> bank_pb2.SubmitBatchResponse:
        before_answer(self._settings, "bank", request.request_id)
        orders = [
            Order(o.idempotency_key, o.account_name, o.account_number, o.amount_fen) for o in request.orders
        ]
        accepted = self.ledger.submit(
            request.request_id, orders, request.control_count, request.control_total_fen
        )
        rate = self._settings.sim_timeout_after_commit_rate
        if rate and chance(self._settings.sim_seed, "timeout", request.request_id) < rate:
            # The batch is booked; the answer arrives after the caller has given up.
            remaining = context.time_remaining()
            time.sleep(min(remaining + 0.5, 30) if remaining is not None else 30)
        return bank_pb2.SubmitBatchResponse(
            batch_id=accepted.batch_id, duplicate_keys=list(accepted.duplicate_keys)
        )

    def GetBatchStatus(
        self, request: bank_pb2.GetBatchStatusRequest, context: grpc.ServicerContext
    ) -> bank_pb2.GetBatchStatusResponse:
        before_answer(self._settings, "bank-status", request.batch_id)
        return bank_pb2.GetBatchStatusResponse(
            payments=[
                bank_pb2.PaymentStatus(
                    idempotency_key=o.idempotency_key,
                    result=bank_pb2.PaymentResult.Value(f"PAYMENT_RESULT_{o.result}"),
                    reason=o.reason,
                )
                for o in self.ledger.status(request.batch_id)
            ]
        )
