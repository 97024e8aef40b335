"""The bank (doudi.bank.v1): submit a batch under its deterministic request id, and ask for results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from doudi.bank.v1 import bank_pb2, bank_pb2_grpc
from doudi_runtime.grpc.client import ChannelFactory


class Order(NamedTuple):
    idempotency_key: str
    account_name: str
    account_number: str
    amount_fen: int


class Result(NamedTuple):
    idempotency_key: str
    result: str  # PENDING | SETTLED | RETURNED | FAILED
    reason: str


class BankGateway:
    def __init__(self, channels: ChannelFactory, target: str, *, deadline_seconds: float) -> None:
        self._channels = channels
        self._stub = bank_pb2_grpc.BankServiceStub(channels.channel(target))
        self._deadline = deadline_seconds

    def submit(self, request_id: str, orders: Sequence[Order]) -> str:
        """Returns the bank's batch id. Safe to repeat: the bank answers a known request id with the same
        batch, and pays each idempotency key at most once."""
        request = bank_pb2.SubmitBatchRequest(
            request_id=request_id,
            orders=[
                bank_pb2.PaymentOrder(
                    idempotency_key=o.idempotency_key,
                    account_name=o.account_name,
                    account_number=o.account_number,
                    amount_fen=o.amount_fen,
                )
                for o in orders
            ],
            control_count=len(orders),
            control_total_fen=sum(o.amount_fen for o in orders),
        )
        response = self._channels.call(
            self._stub.SubmitBatch, request, idempotent=True, timeout=self._deadline
        )
        return str(response.batch_id)

    def status(self, batch_id: str) -> list[Result]:
        response = self._channels.call(
            self._stub.GetBatchStatus,
            bank_pb2.GetBatchStatusRequest(batch_id=batch_id),
            idempotent=True,
            timeout=self._deadline,
        )
        return [
            Result(
                p.idempotency_key,
                bank_pb2.PaymentResult.Name(p.result).removeprefix("PAYMENT_RESULT_"),
                p.reason,
            )
            for p in response.payments
        ]
