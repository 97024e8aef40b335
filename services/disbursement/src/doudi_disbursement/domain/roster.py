"""The payroll roster (DOMAIN §11.2, §7.3): what each entitlement pays, month by month.

An entitlement's amounts change over time; every change is kept with the month it takes effect, so
the amount in force for any benefit month (and the reason it changed) can be answered without asking
eligibility again, and a run for an earlier month pays what was due then.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from doudi_common.errors import FailedPrecondition
from doudi_common.period import Period


@dataclass(frozen=True)
class AmountChange:
    """From ``from_period`` on, the entitlement pays these components (fen per month)."""

    from_period: Period
    components: tuple[tuple[str, int], ...]
    reason: str


@dataclass(frozen=True)
class RosterEntry:
    entitlement_id: str
    beneficiary_id: str
    programme: str
    township: str
    payee_name: str
    payee_account: str
    start: Period
    changes: tuple[AmountChange, ...]
    last: Period | None = None
    suspended_from: Period | None = None

    def amounts_for(self, period: Period) -> dict[str, int]:
        """The components payable for ``period``; empty when nothing is due that month."""
        if period < self.start or (self.last is not None and period > self.last):
            return {}
        if self.suspended_from is not None and period >= self.suspended_from:
            return {}
        in_force = [change for change in self.changes if change.from_period <= period]
        if not in_force:
            return {}
        return {component: amount for component, amount in in_force[-1].components if amount != 0}


def _components(components: dict[str, int]) -> tuple[tuple[str, int], ...]:
    if any(amount < 0 for amount in components.values()):
        raise ValueError("a monthly component is never negative; recoveries are separate lines")
    return tuple(sorted(components.items()))


def activated(
    *,
    entitlement_id: str,
    beneficiary_id: str,
    programme: str,
    township: str,
    payee_name: str,
    payee_account: str,
    start: Period,
    components: dict[str, int],
    existing: RosterEntry | None,
) -> RosterEntry:
    """An entitlement starts (or resumes after a suspension): from ``start`` it pays ``components``."""
    change = AmountChange(start, _components(components), "activated")
    if existing is None:
        return RosterEntry(
            entitlement_id, beneficiary_id, programme, township, payee_name, payee_account, start, (change,)
        )
    changes = (*(c for c in existing.changes if c.from_period < start), change)
    return replace(
        existing,
        payee_name=payee_name or existing.payee_name,
        payee_account=payee_account or existing.payee_account,
        changes=changes,
        suspended_from=None,
        last=None,
        start=min(existing.start, start),
    )


def changed(entry: RosterEntry, effective: Period, components: dict[str, int], reason: str) -> RosterEntry:
    """A new amount from ``effective`` on; a later change for the same month replaces an earlier one."""
    kept = tuple(c for c in entry.changes if c.from_period < effective)
    return replace(entry, changes=(*kept, AmountChange(effective, _components(components), reason)))


def suspended(entry: RosterEntry, from_period: Period) -> RosterEntry:
    """Payment holds from ``from_period`` (the month after the decision, DOMAIN §11.2)."""
    return replace(entry, suspended_from=from_period)


def terminated(entry: RosterEntry, last: Period) -> RosterEntry:
    if last < entry.start.previous():
        raise FailedPrecondition(f"entitlement {entry.entitlement_id} cannot end before it started")
    return replace(entry, last=last)
