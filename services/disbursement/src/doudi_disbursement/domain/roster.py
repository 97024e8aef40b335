"""The payroll roster (DOMAIN §11.2, §7.3): what each entitlement pays, month by month.

An entitlement's amounts change over time; every change is kept with the month it takes effect, so
the amount in force for any benefit month (and the reason it changed) can be answered without asking
eligibility again, and a run for an earlier month pays what was due then.
"""

from __future__ import annotations

from dataclasses import replace

from doudi_common.errors import FailedPrecondition
from doudi_common.period import Period
from doudi_common.records import frozen


@frozen
class AmountChange:
    """From ``from_period`` on, the entitlement pays these components (fen per month)."""

    from_period: Period
    components: tuple[tuple[str, int], ...]
    reason: str


@frozen
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
    #: The persons covered (a household's counted members), 0 when eligibility did not say.
    persons: int = 0
    #: Eligibility's opaque keys of the covered persons (never an ID number), each person's
    #: ``person_digests`` consecutive (a digest under every key of eligibility's lookup-key ring when it
    #: named them, the primary key's first); empty when it did not say.
    person_keys: tuple[str, ...] = ()
    #: Eligibility's opaque key of each co-resident member the application declared, counted or not (a Tekun
    #: person living with a Dibao household is one, §5.8): entries whose keys meet are one household for the
    #: electricity subsidy (§5.7). Empty when eligibility did not say.
    household_keys: tuple[str, ...] = ()
    #: How many consecutive ``person_keys`` are one person's.
    person_digests: int = 1
    #: The month the person of a person's entitlement was born (eligibility reads it from the ID number);
    #: None for a household, or when eligibility did not say.
    birth_month: Period | None = None

    def adult_throughout(self, period: Period, adult_age: int) -> bool:
        """The person is of ``adult_age`` on every day of ``period``: from the month after the birthday's
        (the day is not known). False when the birth month is not known."""
        return self.birth_month is not None and period > self.birth_month.plus(12 * adult_age)

    def covered(self) -> tuple[tuple[str, ...], ...]:
        """Each covered person's keys: two entries share a person when any of their keys meet."""
        return _chunks(self.person_keys, self.person_digests)

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


def with_birth_month(entry: RosterEntry, birth_month: Period | None) -> RosterEntry:
    """The birth month eligibility named for a person's entitlement; an event naming none leaves the one on
    record."""
    if birth_month is None or birth_month == entry.birth_month:
        return entry
    return replace(entry, birth_month=birth_month)


def with_payee(entry: RosterEntry, payee_name: str, payee_account: str) -> RosterEntry:
    """Eligibility named the account to pay into (DOMAIN §11.1); runs from now on pay into it. An event
    naming no account leaves the one on record (a caseworker's correction, say) in place."""
    if not payee_account:
        return entry
    return replace(entry, payee_name=payee_name or entry.payee_name, payee_account=payee_account)


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
    persons: int = 0,
    person_keys: tuple[str, ...] = (),
    household_keys: tuple[str, ...] = (),
    digests_per_person: int = 1,
) -> RosterEntry:
    """An entitlement starts (or resumes after a suspension): from ``start`` it pays ``components``.
    ``person_keys`` come ``digests_per_person`` to a person, as eligibility announced them."""
    change = AmountChange(start, _components(components), "activated")
    if existing is not None:
        existing = _withheld_until(existing, start)
    if existing is None:
        entry = RosterEntry(
            entitlement_id,
            beneficiary_id,
            programme,
            township,
            payee_name,
            payee_account,
            start,
            (change,),
            persons=persons,
        )
        return _named(entry, person_keys, household_keys, digests_per_person)
    changes = (*(c for c in existing.changes if c.from_period < start), change)
    resumed = replace(
        existing,
        payee_name=payee_name or existing.payee_name,
        payee_account=payee_account or existing.payee_account,
        changes=changes,
        suspended_from=None,
        last=None,
        start=min(existing.start, start),
        persons=persons or existing.persons,
    )
    return _named(resumed, person_keys, household_keys, digests_per_person)


def _chunks(keys: tuple[str, ...], size: int) -> tuple[tuple[str, ...], ...]:
    if size < 1 or len(keys) % size:
        raise ValueError(f"{len(keys)} person keys do not come {size} to a person")
    return tuple(keys[at : at + size] for at in range(0, len(keys), size))


def _named(
    entry: RosterEntry,
    person_keys: tuple[str, ...],
    household_keys: tuple[str, ...],
    digests_per_person: int,
) -> RosterEntry:
    """The persons covered and the household's members as eligibility last named them; an event naming none
    leaves them as they were. A person named twice is one; the household's keys only ever meet, so each is
    kept once."""
    if person_keys:
        persons = sorted(set(_chunks(person_keys, digests_per_person)))
        entry = replace(
            entry,
            person_keys=tuple(key for person in persons for key in person),
            person_digests=digests_per_person,
        )
    if household_keys:
        entry = replace(entry, household_keys=tuple(sorted(set(household_keys))))
    return entry


def changed(
    entry: RosterEntry,
    effective: Period,
    components: dict[str, int],
    reason: str,
    persons: int = 0,
    person_keys: tuple[str, ...] = (),
    household_keys: tuple[str, ...] = (),
    digests_per_person: int = 1,
) -> RosterEntry:
    """A new amount from ``effective`` on; a later change for the same month replaces an earlier one. The
    persons covered and the household's members are the latest eligibility named (an event naming none
    leaves them as they were)."""
    kept = tuple(c for c in entry.changes if c.from_period < effective)
    change = AmountChange(effective, _components(components), reason)
    amended = replace(entry, changes=(*kept, change), persons=persons or entry.persons)
    return _named(amended, person_keys, household_keys, digests_per_person)


def reannounced(
    entry: RosterEntry,
    *,
    payee_name: str,
    payee_account: str,
    persons: int,
    person_keys: tuple[str, ...],
    household_keys: tuple[str, ...],
    digests_per_person: int,
) -> RosterEntry:
    """Eligibility announced the entitlement again as it stands, changing nothing (after a lookup-key
    rotation, or for one approved before a field existed): the persons covered and the household's members
    are taken as it names them now (under every key of its ring), so the entry meets the same person on
    entitlements announced before and after the rotation. Its amounts, months and state stay as they are: a
    re-announcement pays nothing and stops nothing. The payee fills only an entry without an account: one on
    record is eligibility's last change of it or a correction made here after a returned payment, which a
    repetition must not undo."""
    refreshed = replace(entry, persons=persons or entry.persons)
    if not entry.payee_account:
        refreshed = with_payee(refreshed, payee_name, payee_account)
    return _named(refreshed, person_keys, household_keys, digests_per_person)


def suspended(entry: RosterEntry, from_period: Period) -> RosterEntry:
    """Payment holds from ``from_period`` (the month after the decision, DOMAIN §11.2)."""
    return replace(entry, suspended_from=from_period)


def terminated(entry: RosterEntry, last: Period) -> RosterEntry:
    if last < entry.start.previous():
        raise FailedPrecondition(f"entitlement {entry.entitlement_id} cannot end before it started")
    return replace(entry, last=last)


def in_gradual_exit(entry: RosterEntry, last_frozen: Period) -> RosterEntry:
    """渐退 (DOMAIN §5.1.6, §7.3): the frozen amount is paid up to ``last_frozen`` and nothing after, whether
    or not eligibility has announced the termination that follows by the time a later month's run is made."""
    return replace(entry, last=last_frozen)


def back_from_gradual_exit(entry: RosterEntry) -> RosterEntry:
    """Income fell back below the standard during 渐退: the entitlement pays on, with no end month."""
    return replace(entry, last=None)


def _stopped_from(entry: RosterEntry) -> Period | None:
    if entry.suspended_from is not None:
        return entry.suspended_from
    return entry.last.next() if entry.last is not None else None


def _withheld_until(entry: RosterEntry, resume_from: Period) -> RosterEntry:
    """The months between a stop and ``resume_from`` pay nothing as monthly lines, whenever their run is
    generated: what they are owed is paid as arrears, once."""
    stopped = _stopped_from(entry)
    if stopped is None or stopped >= resume_from:
        return entry
    return changed(entry, stopped, {}, "withheld; owed as arrears")


def reinstated(
    entry: RosterEntry,
    effective: Period,
    components: dict[str, int],
    reason: str,
    persons: int = 0,
    person_keys: tuple[str, ...] = (),
    household_keys: tuple[str, ...] = (),
    digests_per_person: int = 1,
) -> RosterEntry:
    """A decision reversed in the household's favour (DOMAIN §7.6): the state before it pays again from
    ``effective``, so a suspension or an end it had set no longer stops payment."""
    restored = changed(
        _withheld_until(entry, effective),
        effective,
        components,
        reason,
        persons,
        person_keys,
        household_keys,
        digests_per_person,
    )
    return replace(restored, suspended_from=None, last=None)
