"""Months paid before a change made them due for less (DOMAIN §11.4, §12.1; H11 "if the overlap is found
late").

Eligibility's change, stop or suspension of an entitlement can take effect from a month whose payment has
already gone to the bank: a person's move to another county found after the old household was paid for the
overlap, a death or a gradual exit recorded after the month's run was released. What the monthly lines paid
beyond what the entitlement now makes due is an overpayment: the difference, month by month, recovered like
any other (offset against later months, or repaid). A month found overpaid once is never counted again: a
later change finds only what it adds."""

from __future__ import annotations

from collections.abc import Mapping

from doudi_common.money import format_yuan
from doudi_common.period import Period
from doudi_disbursement.domain.roster import RosterEntry


def monthly_components(entry: RosterEntry) -> frozenset[str]:
    """The components ``entry`` pays as monthly lines, now or at any time in its history (arrears, bonuses,
    derived and recovery lines are none of them)."""
    return frozenset(component for change in entry.changes for component, _ in change.components)


def overpaid_by_month(
    entry: RosterEntry, paid: Mapping[Period, int], found: Mapping[Period, int]
) -> dict[Period, int]:
    """For each month of ``paid`` (what its monthly lines paid or are paying, in fen): what it paid beyond
    what ``entry`` now makes due for it, less what earlier findings already counted overpaid for it
    (``found``). Months with nothing newly overpaid are left out."""
    overpaid: dict[Period, int] = {}
    for month in sorted(paid):
        newly = paid[month] - sum(entry.amounts_for(month).values()) - found.get(month, 0)
        if newly > 0:
            overpaid[month] = newly
    return overpaid


def overpaid_reason(overpaid: Mapping[Period, int], cause: str) -> str:
    """The reason an overpayment found this way is recorded with: what changed, and each month's share."""
    months = ", ".join(f"{month} {format_yuan(amount)} yuan" for month, amount in sorted(overpaid.items()))
    return f"paid before {cause} took effect (DOMAIN §11.4): {months}"
