"""Payment lines (DOMAIN §11.2 step 6): one per (beneficiary, programme, period, component).

That identity is the payment's unique key in the store and its idempotency key at the bank, so
generating a month twice, restarting mid-run or hearing an event twice can never pay anyone twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from enum import StrEnum
from functools import cached_property

from doudi_common.errors import FailedPrecondition
from doudi_common.period import Period
from doudi_common.records import frozen
from doudi_disbursement.domain.roster import RosterEntry


class PaymentState(StrEnum):
    PENDING = "PENDING"
    SUBMITTED = "SUBMITTED"
    SETTLED = "SETTLED"
    RETURNED = "RETURNED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    HELD = "HELD"


#: States from which the bank's answer is still awaited.
OPEN_STATES = frozenset({PaymentState.PENDING, PaymentState.SUBMITTED})
#: Payments that did not reach the account and wait for a caseworker (DOMAIN §11.2 step 5).
TO_RESOLVE = frozenset({PaymentState.RETURNED, PaymentState.FAILED, PaymentState.HELD})

#: One-off programmes (temporary assistance, DOMAIN §5.3, §7.4): the case waits on its payment, so each
#: settled payment is announced on its own; a recurring month's settled payments are counted per batch.
ONE_OFF_PROGRAMMES = frozenset({"TEMPORARY_ASSISTANCE_URGENT", "TEMPORARY_ASSISTANCE_EXPENDITURE"})


def settlement_announced(programme: str, offsets_key: str) -> bool:
    """A settled payment announced one by one: a one-off programme's own line (a RECOVERY line deducted
    from it is no payment to the beneficiary and follows it silently)."""
    return programme in ONE_OFF_PROGRAMMES and not offsets_key


@frozen
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
    #: For a RECOVERY line: the idempotency key of the line of the same month it is deducted from.
    offsets_key: str = ""

    @cached_property
    def idempotency_key(self) -> str:
        return idempotency_key(self.beneficiary_id, self.programme, self.period, self.component)


#: Why a line is held at generation: nobody can be paid without an account (DOMAIN §11.1); the township
#: records one (eligibility's ChangePayeeAccount, or CorrectPaymentAccount here), then re-issues.
NO_ACCOUNT_REASON = "no payee account on record (DOMAIN §11.1): record the account, then re-issue"


def without_account(line: PaymentLine) -> bool:
    """The line names no account to pay into; it is held rather than sent to the bank empty."""
    return not line.payee_account.strip()


def idempotency_key(beneficiary_id: str, programme: str, period: Period, component: str) -> str:
    return f"{programme}:{beneficiary_id}:{period}:{component}"


def bank_key(key: str, attempt: int) -> str:
    """The key an attempt carries to the bank: a re-issue is a new attempt of the same payment, which the
    bank (paying each key at most once) must pay, while a retried submission of one attempt stays one."""
    return key if attempt <= 1 else f"{key}@{attempt}"


def identity_of(bank_key_: str) -> str:
    """The payment's idempotency key from the key the bank answers with (keys end with a component name,
    never with ``@<digits>``)."""
    head, at, attempt = bank_key_.rpartition("@")
    return head if at and attempt.isascii() and attempt.isdigit() else bank_key_


def _require(state: PaymentState, allowed: frozenset[PaymentState], action: str) -> None:
    if state not in allowed:
        names = ", ".join(sorted(s.value for s in allowed))
        raise FailedPrecondition(f"the payment is {state.value}; it can be {action} only when {names}")


def check_hold(state: PaymentState) -> None:
    _require(state, frozenset({PaymentState.RETURNED, PaymentState.FAILED}), "held")


def check_correct(state: PaymentState) -> None:
    _require(state, TO_RESOLVE, "given a corrected account")


def check_reissue(state: PaymentState) -> None:
    _require(state, TO_RESOLVE, "re-issued")


def net_amounts(lines: Iterable[tuple[str, str, int]]) -> dict[str, int]:
    """(key, offsets_key, amount) lines → what the bank is sent for each carrier: its amount less the
    RECOVERY lines deducted from it. The bank's total equals the lines' total."""
    net: dict[str, int] = {}
    deducted: dict[str, int] = {}
    for key, offsets_key, amount in lines:
        if offsets_key:
            deducted[offsets_key] = deducted.get(offsets_key, 0) + amount
        else:
            net[key] = net.get(key, 0) + amount
    missing = sorted(set(deducted) - set(net))
    if missing:
        raise ValueError(f"RECOVERY lines without their carrier in the batch: {missing}")
    return {key: amount + deducted.get(key, 0) for key, amount in net.items()}


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
