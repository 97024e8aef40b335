"""The electricity subsidy once per household and year (DOMAIN §5.7: "one per household per year, even if the
household has both Dibao and Tekun members"; §5.8): which of a household's entitlements is paid it.

A Tekun person living with a Dibao household is declared in the household's application but not counted in
it, and holds her own Tekun entitlement: both entitlements receive the electricity subsidy. Eligibility names
the co-resident members each application declared by their opaque keys; entitlements whose members meet
(directly or through another such entitlement) are one household. A household is paid by one line a year:
none when a line already paid any of its members this year, else the line of its first entitlement in the
order of :func:`doudi_disbursement.domain.price_subsidy.precedence` (the household's Dibao before a Tekun
person's; ties by entitlement id), which then stands for every member of the household. The choice is the
same whichever entitlement's event, page, shard or run comes first.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

from doudi_disbursement.domain.derived import Declaration, DerivedKind
from doudi_disbursement.domain.price_subsidy import line_key, precedence, receives
from doudi_disbursement.domain.roster import RosterEntry


def households(entries: Iterable[RosterEntry]) -> list[list[RosterEntry]]:
    """The entries grouped into households (members meeting, directly or through another entry), each in
    precedence order; entries naming no member are left out."""
    named = sorted((entry for entry in entries if entry.household_keys), key=precedence)
    parent = {entry.entitlement_id: entry.entitlement_id for entry in named}

    def root(entitlement_id: str) -> str:
        while parent[entitlement_id] != entitlement_id:
            parent[entitlement_id] = parent[parent[entitlement_id]]
            entitlement_id = parent[entitlement_id]
        return entitlement_id

    holder: dict[str, str] = {}
    for entry in named:
        for key in entry.household_keys:
            first, this = root(holder.setdefault(key, entry.entitlement_id)), root(entry.entitlement_id)
            if first != this:
                parent[this] = first
    grouped: dict[str, list[RosterEntry]] = {}
    for entry in named:
        grouped.setdefault(root(entry.entitlement_id), []).append(entry)
    return list(grouped.values())


def members_of(household: Sequence[RosterEntry]) -> tuple[str, ...]:
    return tuple(sorted({key for entry in household for key in entry.household_keys}))


def households_to_pay(
    entries: Iterable[RosterEntry],
    declaration: Declaration,
    paid: Mapping[str, str],
    generated: Collection[str],
) -> dict[str, tuple[str, ...]]:
    """Entitlement id → the members of the household its line pays the electricity subsidy for.

    ``entries`` are every entry whose household meets another's among them (the app gathers them through the
    members they name); only those receiving ``declaration`` count, and an entry naming no member is not
    decided here. ``paid`` maps a member's key to the line that already paid the household's subsidy this
    year; ``generated`` are the keys of lines already made for ``declaration`` (a household with one is paid).
    """
    if declaration.kind is not DerivedKind.ELECTRICITY:
        return {}
    paying: dict[str, tuple[str, ...]] = {}
    for household in households(entry for entry in entries if receives(entry, declaration)):
        members = members_of(household)
        if any(key in paid for key in members):
            continue
        if any(line_key(entry, declaration) in generated for entry in household):
            continue
        paying[household[0].entitlement_id] = members
    return paying
