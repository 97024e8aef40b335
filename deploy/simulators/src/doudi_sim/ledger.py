"""The simulated bank's books: each idempotency key is paid at most once, whatever is resubmitted."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import NamedTuple

from doudi_common.errors import FieldViolation, InvalidArgument, NotFound


class Order(NamedTuple):
    idempotency_key: str
    account_name: str
    account_number: str
    amount_fen: int


class Outcome(NamedTuple):
    idempotency_key: str
    result: str  # SETTLED | RETURNED
    reason: str = ""


@dataclass(frozen=True)
class Booking:
    """What the books hold for one idempotency key, and how doudi ordered it."""

    idempotency_key: str
    amount_fen: int
    account_number: str
    result: str
    #: Orders with this key that reached the bank, resubmissions of a batch included.
    times_ordered: int
    #: The distinct batch request ids that carried the key, in order of arrival.
    batch_request_ids: tuple[str, ...]


@dataclass(frozen=True)
class Accepted:
    batch_id: str
    duplicate_keys: tuple[str, ...]


class Ledger:
    def __init__(self, *, return_accounts_ending: str = "0000") -> None:
        self._return_ending = return_accounts_ending
        self._lock = threading.Lock()
        self._outcomes: dict[str, Outcome] = {}
        self._batches: dict[str, list[str]] = {}
        self._batch_of_request: dict[str, Accepted] = {}
        self._first_order: dict[str, Order] = {}
        self._arrivals: dict[str, list[str]] = {}

    @staticmethod
    def validate(request_id: str, orders: list[Order], control_count: int, control_total_fen: int) -> None:
        if plainly_valid(request_id, orders, control_count, control_total_fen):
            return
        violations = batch_violations(request_id, orders, control_count, control_total_fen)
        if violations:
            raise InvalidArgument(violations)

    def submit(
        self, request_id: str, orders: list[Order], control_count: int, control_total_fen: int
    ) -> Accepted:
        self.validate(request_id, orders, control_count, control_total_fen)
        first_order, arrivals, outcomes = self._first_order, self._arrivals, self._outcomes
        with self._lock:
            for order in orders:
                key = order.idempotency_key
                if key not in first_order:
                    first_order[key] = order
                    arrivals[key] = [request_id]
                else:
                    arrivals[key].append(request_id)
            if request_id in self._batch_of_request:
                return self._batch_of_request[request_id]
            batch_id = f"batch-{len(self._batches) + 1:06d}"
            # A batch names each key once (validate), so a key booked before this batch is a duplicate.
            duplicates = []
            returning = self._return_ending
            new = tuple.__new__  # each Outcome made without a call through its __new__
            for order in orders:
                key = order.idempotency_key
                if key in outcomes:
                    duplicates.append(key)
                elif returning and order.account_number.endswith(returning):
                    outcomes[key] = new(Outcome, (key, "RETURNED", "account closed"))
                else:
                    outcomes[key] = new(Outcome, (key, "SETTLED", ""))
            self._batches[batch_id] = [o.idempotency_key for o in orders]
            accepted = Accepted(batch_id, tuple(duplicates))
            self._batch_of_request[request_id] = accepted
            return accepted

    def status(self, batch_id: str) -> list[Outcome]:
        with self._lock:
            keys = self._batches.get(batch_id)
            if keys is None:
                raise NotFound(f"no batch {batch_id!r}")
            return [self._outcomes[key] for key in keys]

    def bookings(self, key_contains: str = "") -> list[Booking]:
        """Every booked key (containing ``key_contains``), with the first order's amount and account."""
        with self._lock:
            return [
                Booking(
                    key,
                    self._first_order[key].amount_fen,
                    self._first_order[key].account_number,
                    outcome.result,
                    len(self._arrivals[key]),
                    tuple(dict.fromkeys(self._arrivals[key])),
                )
                for key, outcome in sorted(self._outcomes.items())
                if key_contains in key
            ]

    def paid_count(self) -> int:
        with self._lock:
            return len(self._outcomes)


def plainly_valid(request_id: str, orders: list[Order], control_count: int, control_total_fen: int) -> bool:
    """True when :func:`batch_violations` would find nothing, found in a few passes over the batch."""
    return (
        bool(request_id)
        and bool(orders)
        and control_count == len(orders)
        and all(order.amount_fen > 0 and order.account_number for order in orders)
        and sum(order.amount_fen for order in orders) == control_total_fen
        and "" not in (keys := {order.idempotency_key for order in orders})
        and len(keys) == len(orders)
    )


def batch_violations(
    request_id: str, orders: list[Order], control_count: int, control_total_fen: int
) -> list[FieldViolation]:
    """Every field of the batch the bank refuses, and why."""
    violations: list[FieldViolation] = []
    if not request_id:
        violations.append(FieldViolation("request_id", "is required"))
    if not orders:
        violations.append(FieldViolation("orders", "must hold at least one payment"))
    seen: set[str] = set()
    for index, order in enumerate(orders):
        if not order.idempotency_key:
            violations.append(FieldViolation(f"orders[{index}].idempotency_key", "is required"))
        elif order.idempotency_key in seen:
            violations.append(
                FieldViolation(f"orders[{index}].idempotency_key", "appears twice in the batch")
            )
        seen.add(order.idempotency_key)
        if order.amount_fen <= 0:
            violations.append(FieldViolation(f"orders[{index}].amount_fen", "must be positive"))
        if not order.account_number:
            violations.append(FieldViolation(f"orders[{index}].account_number", "is required"))
    if control_count != len(orders):
        violations.append(
            FieldViolation("control_count", f"declares {control_count}, the batch holds {len(orders)}")
        )
    total = sum(order.amount_fen for order in orders)
    if control_total_fen != total:
        violations.append(
            FieldViolation("control_total_fen", f"declares {control_total_fen}, the orders sum to {total}")
        )
    return violations
