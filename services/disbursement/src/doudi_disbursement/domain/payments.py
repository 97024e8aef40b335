"""Payment lines (DOMAIN §11.2 step 6): one per (beneficiary, programme, period, component).

That identity is the payment's unique key in the store and its idempotency key at the bank, so
generating a month twice, restarting mid-run or hearing an event twice can never pay anyone twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from doudi_common.period import Period
from doudi_disbursement.domain.roster import RosterEntry


class PaymentState(StrEnum):
    PENDING = "PENDING"
    SUBMITTED = "SUBMITTED"
    SETTLED = "SETTLED"
    RETURNED = "RETURNED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


#: States from which the bank's answer is still awaited.
OPEN_STATES = frozenset({PaymentState.PENDING, PaymentState.SUBMITTED})


@dataclass(frozen=True)
class PaymentLine:
    beneficiary_id: str
    programme: str
    period: Period
    component: str
    amount_fen: int
    entitlement_id: str
    township: str
    payee_name: str
    payee_account: str

    @property
    def idempotency_key(self) -> str:
        return idempotency_key(self.beneficiary_id, self.programme, self.period, self.component)


def idempotency_key(beneficiary_id: str, programme: str, period: Period, component: str) -> str:
    return f"{programme}:{beneficiary_id}:{period}:{component}"


def lines_for(entries: Iterable[RosterEntry], period: Period) -> Iterator[PaymentLine]:
    """Every payment due for ``period`` from the given roster entries, streamed."""
    for entry in entries:
        for component, amount in sorted(entry.amounts_for(period).items()):
            yield PaymentLine(
                beneficiary_id=entry.beneficiary_id,
                programme=entry.programme,
                period=period,
                component=component,
                amount_fen=amount,
                entitlement_id=entry.entitlement_id,
                township=entry.township,
                payee_name=entry.payee_name,
                payee_account=entry.payee_account,
            )
