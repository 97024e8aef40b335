"""Arrears (DOMAIN §11.4, §7.3, §7.6): the months a reversed decision or a lifted suspension withheld, and
the months before its first a new entitlement owes when it was approved after its deadline.

Eligibility states the total owed; the roster knows, month by month, what was payable while the decision
stood. Arrears become one ARREARS line per withheld benefit month, so the payment identity
(beneficiary, programme, month, ARREARS) stays unique and a repeated event can never pay a month twice;
that month's lines then add up to what was due for it (H13: April pays 580 BASE + 290 ARREARS = 870).
"""

from __future__ import annotations

from collections.abc import Mapping

from doudi_common.period import Period, periods
from doudi_disbursement.domain.roster import RosterEntry

ARREARS = "ARREARS"


def withheld_from(entry: RosterEntry, restore_from: Period) -> Period | None:
    """The first month the reversed state withheld money: the suspension's first month, the month after
    the last one paid before a termination, or else the month the last amount change took effect."""
    if entry.suspended_from is not None and entry.suspended_from < restore_from:
        return entry.suspended_from
    if entry.last is not None and entry.last.next() < restore_from:
        return entry.last.next()
    changes = [c.from_period for c in entry.changes if c.from_period < restore_from]
    return changes[-1] if changes else None


def owed_by_month(entry: RosterEntry, restored_fen: int, restore_from: Period) -> dict[Period, int]:
    """For each withheld month up to ``restore_from`` (excluded), the restored monthly amount less what the
    roster paid for it under the reversed state; months that paid as much or more owe nothing."""
    start = withheld_from(entry, restore_from)
    owed: dict[Period, int] = {}
    month = start
    while month is not None and month < restore_from:
        paid = sum(entry.amounts_for(month).values())
        if restored_fen > paid:
            owed[month] = restored_fen - paid
        month = month.next()
    return owed


def delay_owed(monthly_fen: int, first: Period, start: Period) -> dict[Period, int]:
    """A new entitlement approved after its deadline (§11.4, administrative delay): the monthly amount for
    each month from ``first``, the month after the deadline, to the month before ``start``, its first month
    paid; nothing when ``first`` is not before ``start``."""
    if monthly_fen <= 0:
        return {}
    return dict.fromkeys(periods(first, start.previous()), monthly_fen)


def arrears_lines(stated_fen: int, owed: Mapping[Period, int], restore_from: Period) -> dict[Period, int]:
    """What to pay per month. The stated total is the decision's figure and is always paid in full: when the
    roster's months add up to it they are used as they are; when they do not (the roster missed an event),
    the whole amount is one line on the last withheld month, for a caseworker to see in that month."""
    if stated_fen <= 0:
        return {}
    if sum(owed.values()) == stated_fen:
        return dict(sorted(owed.items()))
    return {restore_from.previous(): stated_fen}
