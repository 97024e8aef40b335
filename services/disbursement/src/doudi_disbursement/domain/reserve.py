"""A township's reserve fund (备用金) for urgent temporary assistance (DOMAIN §11.3, §7.4).

The township pays urgent aid from the fund within hours, before the case is decided; the county tops
the fund up, and replenishes it once the advance is regularised by the temporary-assistance decision.
The ledger keeps every movement with the balance after it. An advance that would take the balance
below zero is refused: the township must escalate to the county for a direct payment. Cash leaves the
fund only against a signed receipt, two staff signatures and a photo.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from doudi_common.errors import FailedPrecondition
from doudi_common.money import MAX_FEN
from doudi_common.region import RegionLevel
from doudi_common.validation import Violations

MAX_TEXT = 500
MAX_REFERENCE = 200


class EntryKind(StrEnum):
    OPENING = "OPENING"
    TOP_UP = "TOP_UP"
    ADVANCE = "ADVANCE"
    #: The bank returned a bank advance (e.g. a closed account): the money is back in the fund.
    RETURNED = "RETURNED"
    REPLENISHMENT = "REPLENISHMENT"


class Method(StrEnum):
    BANK = "BANK"
    CASH = "CASH"


class AdvanceState(StrEnum):
    """A bank advance waits for the bank; cash is paid at the counter."""

    PENDING_BANK = "PENDING_BANK"
    SUBMITTED = "SUBMITTED"
    PAID = "PAID"
    RETURNED = "RETURNED"
    REGULARISED = "REGULARISED"


@dataclass(frozen=True)
class Fund:
    township: str
    balance_fen: int
    #: Advances paid and not yet regularised.
    outstanding_fen: int
    opened_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Advance:
    """What the township pays one household from the fund, before the case is decided."""

    advance_id: str
    township: str
    person_id: str
    person_name: str
    amount_fen: int
    method: Method
    reason: str
    case_reference: str
    paid_by: tuple[str, ...]
    payee_account: str = ""
    receipt_reference: str = ""
    photo_reference: str = ""
    state: AdvanceState = AdvanceState.PENDING_BANK
    approved_fen: int | None = None
    decision_reference: str = ""
    bank_batch_id: str = ""


@dataclass(frozen=True)
class Entry:
    kind: EntryKind
    amount_fen: int
    balance_after_fen: int
    advance_id: str = ""
    note: str = ""


class InsufficientReserve(FailedPrecondition):
    """The advance would overdraw the fund: escalate to the county for a direct payment."""


def _text(v: Violations, value: str, field: str, limit: int, *, required: bool) -> None:
    if required and not value.strip():
        v.add(field, "is required")
    elif len(value) > limit:
        v.add(field, f"must be at most {limit} characters")


def validate_township(v: Violations, township: str, field: str = "township") -> None:
    v.require_region(township, field, level=RegionLevel.TOWNSHIP)


def open_fund(township: str, opening_fen: int, now: datetime) -> tuple[Fund, Entry]:
    v = Violations()
    validate_township(v, township)
    v.require_fen(opening_fen, "opening_balance")
    v.raise_if_any()
    fund = Fund(township, opening_fen, 0, now, now)
    return fund, Entry(EntryKind.OPENING, opening_fen, opening_fen, note="opening balance")


def top_up(fund: Fund, amount_fen: int, note: str, now: datetime) -> tuple[Fund, Entry]:
    """The county adds money to the fund."""
    v = Violations()
    if v.require_fen(amount_fen, "amount") is not None:
        if amount_fen == 0:
            v.add("amount", "must be more than zero")
        elif amount_fen > MAX_FEN - fund.balance_fen:
            v.add("amount", "would take the fund's balance beyond the largest amount a ledger records")
    _text(v, note, "note", MAX_TEXT, required=True)
    v.raise_if_any()
    changed = replace(fund, balance_fen=fund.balance_fen + amount_fen, updated_at=now)
    return changed, Entry(EntryKind.TOP_UP, amount_fen, changed.balance_fen, note=note.strip())


def validate_advance(advance: Advance, today: date, into: Violations | None = None) -> None:
    """Every field at fault at once, the money rules of cash (DOMAIN §11.3) included; raised, or added
    to ``into`` (under its nesting) for the caller to raise with its own."""
    v = into if into is not None else Violations()
    validate_township(v, advance.township)
    v.require_id_number(advance.person_id, "person.id_number", today=today)
    _text(v, advance.person_name, "person.name", 100, required=True)
    if v.require_fen(advance.amount_fen, "amount") is not None and advance.amount_fen == 0:
        v.add("amount", "must be more than zero")
    _text(v, advance.reason, "reason", MAX_TEXT, required=True)
    _text(v, advance.case_reference, "case_reference", MAX_REFERENCE, required=True)
    staff = [name.strip() for name in advance.paid_by if name.strip()]
    if advance.method is Method.CASH:
        _text(v, advance.receipt_reference, "receipt_reference", MAX_REFERENCE, required=True)
        _text(v, advance.photo_reference, "photo_reference", MAX_REFERENCE, required=True)
        if len(set(staff)) < 2:
            v.add("paid_by", "cash needs the signatures of two different staff members")
    else:
        account = advance.payee_account
        if not (account.isdigit() and 8 <= len(account) <= 32):
            v.add("payee_account", "must be the household's bank account number (8–32 digits)")
        if not staff:
            v.add("paid_by", "is required: who ordered the payment")
    if into is None:
        v.raise_if_any()


def pay_advance(fund: Fund, advance: Advance, now: datetime) -> tuple[Fund, Advance, Entry]:
    """Take the advance from the fund; refused if the balance would go below zero."""
    if advance.township != fund.township:
        raise FailedPrecondition(f"the advance is for {advance.township}, the fund is {fund.township}'s")
    if advance.amount_fen > fund.balance_fen:
        raise InsufficientReserve(
            f"the reserve fund of {fund.township} holds {fund.balance_fen} fen, less than the "
            f"{advance.amount_fen} fen asked: escalate to the county for a direct payment"
        )
    changed = replace(
        fund,
        balance_fen=fund.balance_fen - advance.amount_fen,
        outstanding_fen=fund.outstanding_fen + advance.amount_fen,
        updated_at=now,
    )
    state = AdvanceState.PAID if advance.method is Method.CASH else AdvanceState.PENDING_BANK
    paid = replace(advance, state=state)
    entry = Entry(
        EntryKind.ADVANCE, -advance.amount_fen, changed.balance_fen, advance.advance_id, advance.reason
    )
    return changed, paid, entry


def submitted(advance: Advance, bank_batch_id: str) -> Advance:
    if advance.state is not AdvanceState.PENDING_BANK:
        return advance
    return replace(advance, state=AdvanceState.SUBMITTED, bank_batch_id=bank_batch_id)


def beneficiary_of(advance: Advance) -> str:
    """Who an overpayment of the advance is owed by, as overpayments name it: the advance itself (its person
    is known by an ID number, which is never announced in full)."""
    return f"advance:{advance.advance_id}"


def bank_key(advance: Advance) -> str:
    """The advance's idempotency key at the bank, distinct from every payroll key."""
    return f"advance/{advance.advance_id}"


def bank_answered(
    fund: Fund, advance: Advance, settled: bool, now: datetime
) -> tuple[Fund, Advance, Entry | None]:
    """The bank paid the advance, or returned it; returned money is back in the fund, and the
    household needs a new advance to a corrected account."""
    if advance.state is not AdvanceState.SUBMITTED:
        return fund, advance, None
    if settled:
        return fund, replace(advance, state=AdvanceState.PAID), None
    changed = replace(
        fund,
        balance_fen=fund.balance_fen + advance.amount_fen,
        outstanding_fen=fund.outstanding_fen - advance.amount_fen,
        updated_at=now,
    )
    entry = Entry(
        EntryKind.RETURNED,
        advance.amount_fen,
        changed.balance_fen,
        advance.advance_id,
        "returned by the bank",
    )
    return changed, replace(advance, state=AdvanceState.RETURNED), entry


@dataclass(frozen=True)
class Regularisation:
    fund: Fund
    advance: Advance
    entry: Entry
    #: What the household received beyond what the decision grants; recovered under DOMAIN §11.4.
    overpaid_fen: int


def regularise(
    fund: Fund, advance: Advance, approved_fen: int, decision_reference: str, now: datetime
) -> Regularisation:
    """The case is decided: the county replenishes the fund with the advance, and any part of the
    advance the decision does not grant becomes an overpayment to recover."""
    v = Violations()
    v.require_fen(approved_fen, "approved")
    _text(v, decision_reference, "decision_reference", MAX_REFERENCE, required=True)
    v.raise_if_any()
    if advance.state is not AdvanceState.PAID:
        raise FailedPrecondition(
            f"advance {advance.advance_id} is {advance.state.value}; only a paid advance is regularised"
        )
    changed = replace(
        fund,
        balance_fen=fund.balance_fen + advance.amount_fen,
        outstanding_fen=fund.outstanding_fen - advance.amount_fen,
        updated_at=now,
    )
    done = replace(
        advance,
        state=AdvanceState.REGULARISED,
        approved_fen=approved_fen,
        decision_reference=decision_reference.strip(),
    )
    entry = Entry(
        EntryKind.REPLENISHMENT,
        advance.amount_fen,
        changed.balance_fen,
        advance.advance_id,
        f"regularised by {decision_reference.strip()}",
    )
    return Regularisation(changed, done, entry, max(advance.amount_fen - approved_fen, 0))
