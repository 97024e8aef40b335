"""Which benefits one person may receive together (DOMAIN §5.8, stacking and exclusivity matrix).

Keys read: ``stacking.tekun_with_dls``, ``stacking.tekun_with_dcs``.

The matrix is applied in a fixed order so the result never depends on how the input was listed:
1. Tekun + orphan/FUC: the person (guardian) chooses (K4); until a choice is recorded neither is paid, so a
   switch never creates an overpayment to recover.
2. Dibao + Tekun, Dibao + orphan: the more specific benefit is kept and the person leaves the Dibao count.
3. Dibao + FUC: both, with the FUC allowance topped up (only the shortfall is paid, ``children.py``).
4. Tekun + DLS/DCS: only where the parameters allow it.
5. Orphan + DLS: no; orphan + DCS: yes.
6. A work-injury care allowance excludes both disability subsidies.
7. Temporary assistance stacks with everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from doudi_common.parameters import Parameters


class Benefit(StrEnum):
    DIBAO = "DIBAO"
    TEKUN = "TEKUN"
    ORPHAN = "ORPHAN"
    FUC = "FUC"
    DLS = "DLS"
    DCS = "DCS"
    TEMPORARY_ASSISTANCE = "TEMPORARY_ASSISTANCE"
    #: Paid by work-injury insurance, not by this system; listed because it excludes the two subsidies.
    WORK_INJURY_CARE = "WORK_INJURY_CARE"


@dataclass(frozen=True)
class Stacking:
    paid: frozenset[Benefit]
    refused: tuple[tuple[Benefit, str], ...]
    #: Paid only as the shortfall against what the person already receives.
    topped_up: frozenset[Benefit]
    #: Benefits between which the person must choose before either is paid.
    choice_required: frozenset[Benefit]


def stack(qualifies: frozenset[Benefit], params: Parameters, *, chosen: Benefit | None = None) -> Stacking:
    """The benefits paid to a person who qualifies for ``qualifies``; ``chosen`` records the K4 choice."""
    paid = set(qualifies)
    refused: list[tuple[Benefit, str]] = []
    choice: set[Benefit] = set()

    def refuse(benefit: Benefit, why: str) -> None:
        if benefit in paid:
            paid.discard(benefit)
            refused.append((benefit, why))

    child = {Benefit.ORPHAN, Benefit.FUC} & paid
    if Benefit.TEKUN in paid and child:
        if chosen is Benefit.TEKUN:
            for benefit in sorted(child):
                refuse(benefit, "K4: Tekun chosen over the child allowance")
        elif chosen in child:
            refuse(Benefit.TEKUN, f"K4: {chosen.value} chosen over Tekun")
        else:
            choice = {Benefit.TEKUN, *child}
            paid -= choice
    if Benefit.TEKUN in paid:
        refuse(Benefit.DIBAO, "Tekun takes precedence; the person is not counted in a Dibao household")
        if not params.flag("stacking.tekun_with_dls"):
            refuse(Benefit.DLS, "Tekun persons do not receive the living subsidy here")
        if not params.flag("stacking.tekun_with_dcs"):
            refuse(Benefit.DCS, "Tekun persons do not receive the care subsidy here")
    if Benefit.ORPHAN in paid:
        refuse(Benefit.DIBAO, "an orphan is not counted in a Dibao household")
        refuse(Benefit.DLS, "orphans receive the care subsidy only")
    if Benefit.WORK_INJURY_CARE in qualifies:
        refuse(Benefit.DLS, "a work-injury care allowance excludes the two subsidies")
        refuse(Benefit.DCS, "a work-injury care allowance excludes the two subsidies")
    topped = (
        frozenset({Benefit.FUC})
        if {Benefit.FUC, Benefit.DIBAO} <= paid or {Benefit.FUC, Benefit.DLS} <= paid
        else frozenset()
    )
    return Stacking(frozenset(paid), tuple(refused), topped, frozenset(choice))


#: Pairs that must never both be paid to one person, whatever the parameters (§5.8).
EXCLUSIVE_PAIRS = (
    frozenset({Benefit.DIBAO, Benefit.TEKUN}),
    frozenset({Benefit.DIBAO, Benefit.ORPHAN}),
    frozenset({Benefit.TEKUN, Benefit.ORPHAN}),
    frozenset({Benefit.TEKUN, Benefit.FUC}),
    frozenset({Benefit.ORPHAN, Benefit.DLS}),
    frozenset({Benefit.WORK_INJURY_CARE, Benefit.DLS}),
    frozenset({Benefit.WORK_INJURY_CARE, Benefit.DCS}),
)
