"""Recovery of overpayments by offset against later payments (DOMAIN §11.4; H11).

Each month at most ``recovery.offset.max_share`` of the beneficiary's payment under the programme is
withheld (EX-GY: 30%), shared among the open overpayments oldest first. The offset is a RECOVERY line of
the month (a negative amount, identity (beneficiary, programme, month, RECOVERY)) deducted from the
month's largest line, which always keeps at least one fen, since a bank order is never empty.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

from doudi_disbursement.domain.payments import PaymentLine

RECOVERY = "RECOVERY"


@dataclass(frozen=True)
class OpenBalance:
    overpayment_id: str
    balance_fen: int


def offset_cap(month_fen: int, carrier_fen: int, max_share: Fraction) -> int:
    """The most a month may give up: its share of the month's payment, and less than the carrier line."""
    if month_fen <= 0 or carrier_fen <= 0:
        return 0
    return max(0, min(math.floor(month_fen * max_share), carrier_fen - 1))


def allocate(cap: int, balances: Sequence[OpenBalance]) -> list[tuple[str, int]]:
    """Up to ``cap`` fen spread over the balances in the order given (oldest first), none beyond its own."""
    left = max(0, cap)
    taken: list[tuple[str, int]] = []
    for balance in balances:
        if left == 0:
            break
        part = min(left, max(0, balance.balance_fen))
        if part:
            taken.append((balance.overpayment_id, part))
            left -= part
    return taken


def recovery_line(
    lines: Sequence[PaymentLine], balances: Sequence[OpenBalance], max_share: Fraction
) -> tuple[PaymentLine | None, list[tuple[str, int]]]:
    """The RECOVERY line for one beneficiary's month under one programme, and which overpayments it
    recovers; ``lines`` are that month's monthly lines (the payment the cap is a share of)."""
    positive = [line for line in lines if line.amount_fen > 0]
    if not positive or not balances:
        return None, []
    carrier = max(positive, key=lambda line: (line.amount_fen, line.component))
    cap = offset_cap(sum(line.amount_fen for line in positive), carrier.amount_fen, max_share)
    taken = allocate(cap, balances)
    total = sum(part for _, part in taken)
    if total == 0:
        return None, []
    line = replace(carrier, component=RECOVERY, amount_fen=-total, offsets_key=carrier.idempotency_key)
    return line, taken
