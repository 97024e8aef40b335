"""What a change of a Dibao entitlement does to the entitlements that rest on it (DOMAIN §5.4, §5.5, §7.5).

Keys read: ``dls.extend_to_marginal``, ``fuc.monthly``.

- The disability living subsidy (DLS) is targeted at members of a Dibao household: it stops when the Dibao
  stops (§5.4, §7.5 "loss of Dibao (DLS only)"). Where the locality extends the DLS to marginal households
  the end of the Dibao does not by itself end it: it goes under review, payments continuing, so the
  township can check whether the household is marginal.
- The FUC allowance pays only the shortfall against the child's Dibao share (household amount ÷ the persons
  it pays for) and the DLS received: "the top-up amount is recomputed whenever the household's Dibao amount
  changes" (§7.5, H08), from the month the Dibao change applies. A DLS that ends with the Dibao no longer
  counts against the top-up.
- Nothing else rests on the Dibao: an orphan is neither counted in nor paid with it, Tekun excludes it, and
  the care subsidy (DCS) does not need it (§5.8).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from doudi_common.parameters import Parameters
from doudi_eligibility.domain.explain import Programme, yuan_text


class Effect(StrEnum):
    END = "END"
    REVIEW = "REVIEW"
    RECOMPUTE = "RECOMPUTE"


@dataclass(frozen=True)
class Dependent:
    """An entitlement of one of the persons the Dibao pays for."""

    entitlement_id: str
    person_id: str
    programme: Programme
    monthly_amount_fen: int


@dataclass(frozen=True)
class Consequence:
    entitlement_id: str
    effect: Effect
    #: The amount from the month the Dibao change applies (the current one for END and REVIEW).
    monthly_amount_fen: int
    #: In plain Chinese, for the notice and the EntitlementChanged/Terminated reason.
    reason: str


def dibao_consequences(
    amount_fen: int, ended: bool, persons: int, dependents: Sequence[Dependent], params: Parameters
) -> tuple[Consequence, ...]:
    """The consequences for ``dependents`` of a Dibao now paying ``amount_fen`` for ``persons`` persons, or
    ending (``ended``); a dependent whose amount stays the same and that does not end is left alone."""
    extended = params.flag("dls.extend_to_marginal")
    dls_ends = ended and not extended
    found: list[Consequence] = []
    dls_after: dict[str, int] = {}
    for d in dependents:
        if d.programme is not Programme.DISABILITY_LIVING_SUBSIDY:
            continue
        if dls_ends:
            found.append(Consequence(d.entitlement_id, Effect.END, d.monthly_amount_fen, _DLS_ENDS))
            continue
        dls_after[d.person_id] = dls_after.get(d.person_id, 0) + d.monthly_amount_fen
        if ended:
            found.append(Consequence(d.entitlement_id, Effect.REVIEW, d.monthly_amount_fen, _DLS_REVIEW))
    share = Fraction(0) if ended or persons <= 0 else Fraction(amount_fen, persons)
    full = params.money("fuc.monthly")
    for d in dependents:
        if d.programme is not Programme.UNSUPPORTED_CHILD_ALLOWANCE:
            continue
        topup = max(0, math.ceil(full - share - dls_after.get(d.person_id, 0)))
        if topup != d.monthly_amount_fen:
            reason = (
                f"家庭低保金变更，儿童低保份额为{yuan_text(share)}元，"
                f"事实无人抚养儿童基本生活补贴按差额调整为每月{yuan_text(topup)}元。"
            )
            found.append(Consequence(d.entitlement_id, Effect.RECOMPUTE, topup, reason))
    return tuple(found)


_DLS_ENDS = "所在家庭已不再享受最低生活保障，困难残疾人生活补贴随之停发。"
_DLS_REVIEW = "所在家庭已不再享受最低生活保障，复核是否符合低保边缘家庭困难残疾人生活补贴条件。"
