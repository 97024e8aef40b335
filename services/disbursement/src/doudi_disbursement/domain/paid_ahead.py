"""Months paid before a change made them due for a different amount (DOMAIN §11.4, §12.1; H11 "if the overlap
is found late"; §11.1 a quarter paid ahead).

Eligibility's change, stop or suspension of an entitlement can take effect from a month whose payment has
already gone to the bank: a person's move to another county found after the old household was paid for the
overlap, a death or a gradual exit recorded after the month's run was released, a rise in a month a
quarterly township was paid ahead. What the monthly lines paid beyond what the entitlement now makes due is
an overpayment: the difference, month by month, recovered like any other (offset against later months, or
repaid). What they paid short of it is owed, and paid as the month's ARREARS line. Each month keeps what
earlier changes found (``adjusted``: overpaid positive, owed negative), so a later change finds only what
it adds."""

from __future__ import annotations

from collections.abc import Mapping

from doudi_common.money import format_yuan
from doudi_common.period import Period
from doudi_disbursement.domain.roster import RosterEntry


def monthly_components(entry: RosterEntry) -> frozenset[str]:
    """The components ``entry`` pays as monthly lines, now or at any time in its history (arrears, bonuses,
    derived and recovery lines are none of them)."""
    return frozenset(component for change in entry.changes for component, _ in change.components)


def differences_by_month(
    entry: RosterEntry, paid: Mapping[Period, int], adjusted: Mapping[Period, int]
) -> dict[Period, int]:
    """For each month of ``paid`` (what its monthly lines paid or are paying, in fen): what it paid beyond
    what ``entry`` now makes due for it (negative: short of it), less what earlier changes already found
    (``adjusted``). Months that differ by nothing new are left out."""
    differences: dict[Period, int] = {}
    for month in sorted(paid):
        newly = paid[month] - sum(entry.amounts_for(month).values()) - adjusted.get(month, 0)
        if newly:
            differences[month] = newly
    return differences


def overpaid_by_month(
    entry: RosterEntry, paid: Mapping[Period, int], adjusted: Mapping[Period, int]
) -> dict[Period, int]:
    """The months of :func:`differences_by_month` newly paid beyond what is due, and by how much."""
    return {m: d for m, d in differences_by_month(entry, paid, adjusted).items() if d > 0}


def owed_by_month(
    entry: RosterEntry, paid: Mapping[Period, int], adjusted: Mapping[Period, int]
) -> dict[Period, int]:
    """The months of :func:`differences_by_month` newly paid short of what is due, and what is owed."""
    return {m: -d for m, d in differences_by_month(entry, paid, adjusted).items() if d < 0}


def _months(amounts: Mapping[Period, int]) -> str:
    return ", ".join(f"{month} {format_yuan(amount)} yuan" for month, amount in sorted(amounts.items()))


def overpaid_reason(overpaid: Mapping[Period, int], cause: str) -> str:
    """The reason an overpayment found this way is recorded with: what changed, and each month's share."""
    return f"paid before {cause} took effect (DOMAIN §11.4): {_months(overpaid)}"


def owed_reason(owed: Mapping[Period, int], cause: str) -> str:
    """The reason the ARREARS lines of months paid short are owed with."""
    return f"paid short before {cause} took effect (DOMAIN §11.4): {_months(owed)}"
