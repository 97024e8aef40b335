"""The temporary price subsidy once per person and month (DOMAIN §5.7: "one subsidy per person per month even
with several statuses"; §5.8): which of the entitlements counting a person pays for that person.

A person may be counted by more than one entitlement that receives the price subsidy: a de facto unsupported
child counted in the household's Dibao and topped up by her own FUC allowance (§5.5, H08), say. Each
entitlement names its persons by eligibility's opaque key; the household's Dibao line pays for every person it
counts, and a person's own entitlement pays only for a person no line ahead of it pays for. The choice is the
same whichever entitlement's event, page or run comes first: a person a line already paid for (in any run) is
never paid again, and a person an entitlement ahead of this one still has to pay for is left to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from doudi_disbursement.domain.derived import Declaration, DerivedKind
from doudi_disbursement.domain.payments import idempotency_key
from doudi_disbursement.domain.roster import RosterEntry

#: Which entitlement pays for a person several count: the household's Dibao first (the amount the household
#: is told is per counted person), then 单人保, Tekun and the child allowances; ties by entitlement id.
PRECEDENCE: tuple[str, ...] = (
    "DIBAO",
    "SINGLE_PERSON_DIBAO",
    "TEKUN",
    "ORPHAN_ALLOWANCE",
    "UNSUPPORTED_CHILD_ALLOWANCE",
)


def precedence(entry: RosterEntry) -> tuple[int, str]:
    """The entry's place when several count one person: lower goes first."""
    rank = PRECEDENCE.index(entry.programme) if entry.programme in PRECEDENCE else len(PRECEDENCE)
    return rank, entry.entitlement_id


def receives(entry: RosterEntry, declaration: Declaration) -> bool:
    """Whether ``entry`` is paid under ``declaration``: its programme is listed and it pays that month."""
    return bool(declaration.amounts.get(entry.programme)) and bool(entry.amounts_for(declaration.period))


def line_key(entry: RosterEntry, declaration: Declaration) -> str:
    """The identity of the line ``entry`` would receive from ``declaration``."""
    return idempotency_key(entry.beneficiary_id, entry.programme, declaration.period, declaration.kind.value)


def persons_to_pay(
    entry: RosterEntry,
    declaration: Declaration,
    rivals: Iterable[RosterEntry],
    paid: Mapping[str, str],
) -> tuple[str, ...]:
    """The keys of the persons ``entry`` pays the price subsidy for in the declared month (every key of
    each, see :meth:`RosterEntry.covered`).

    ``paid`` maps a person's key to the line that already paid for the person this month; ``rivals`` are the
    other entries counting any of the entry's persons whose line for the month is still to be generated. A
    person is left out when another line paid for them, or when a rival ahead of ``entry`` receives the
    declaration and counts them (that rival's line will pay for them), under any of the person's keys: an
    entitlement eligibility announced before its lookup keys rotated names the person by fewer of them.
    """
    if declaration.kind is not DerivedKind.PRICE_SUBSIDY or not receives(entry, declaration):
        return ()
    own = line_key(entry, declaration)
    mine = precedence(entry)
    ahead = {
        key
        for rival in rivals
        if rival.entitlement_id != entry.entitlement_id
        and precedence(rival) < mine
        and receives(rival, declaration)
        for key in rival.person_keys
    }
    return tuple(
        key
        for person in entry.covered()
        if all(paid.get(key, own) == own and key not in ahead for key in person)
        for key in person
    )
