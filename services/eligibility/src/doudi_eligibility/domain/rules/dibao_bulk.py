"""The Dibao decision of many households under one parameter set, fast (DOMAIN §3, §5.1.2, §5.1.4, §5.1.5).

Re-determination after a new standard needs, per household, only what ``assess_dibao`` decides: approved or
not, the payable monthly amount, the category and the marginal status; not the explanation. This module
reads every parameter once (``DibaoRates.of``) and evaluates flattened facts (``DibaoFacts``) in exact
integer arithmetic: every rational the rule uses is brought onto one common denominator per household
type, so no ``Fraction`` is built per household. It must decide exactly as ``assess_dibao`` does; its
property test compares the two on random households and parameter sets.

Keys read: those of ``dibao`` (via ``standard``, ``income``, ``dibao_category``, ``labour``).

With share = a/b, cap = c/d, K = b·d, P months and n counted members (all integers):

    K·X   = min(a·d·W + K·R, c·b·G)          y = (K·G − K·X) / (K·P·n)
    E3    : y < S                             ⇔ (K·G − K·X)·sd < n·sn·K·P          (S = sn/sd)
    L·pay = max(L·n·(S − y), L·n·f·S) + L·n·u·S   with L = sd·K·P·fd·ud
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import lcm
from typing import NamedTuple

from doudi_common.disability import DisabilityType, GradeThreshold
from doudi_common.parameters import ParameterError, Parameters
from doudi_eligibility.domain.explain import Category, Outcome
from doudi_eligibility.domain.rules.dibao_category import uplift_key
from doudi_eligibility.domain.rules.facts import Household, HouseholdType
from doudi_eligibility.domain.rules.standard import monthly_standard

#: One counted member as the category rule reads it: age, disability type (or ""), grade (0 when none or
#: not valid), on the serious-illness list, certified loss of labour capacity.
MemberFacts = tuple[int, str, int, bool, bool]


class DibaoFacts(NamedTuple):
    """A household flattened to what the Dibao decision reads; built once, evaluated under any set."""

    urban: bool
    #: Counted members (n ≥ 1).
    counted: int
    #: Sums over the counted members for the reference period, in fen.
    gross_fen: int
    wage_fen: int
    rigid_fen: int
    #: E4: no asset rule of the report failed.
    assets_hold: bool
    #: E1, E2, E5 and E6 hold (they read no parameter).
    other_conditions_hold: bool
    income_stable: bool
    override: Category | None
    members: tuple[MemberFacts, ...]


class DibaoOutcome(NamedTuple):
    approved: bool
    monthly_amount_fen: int
    category: Category | None
    marginal: bool


def facts_of(household: Household) -> DibaoFacts:
    """The flattened facts of a household (the same reading of it as ``assess_dibao``'s)."""
    counted = household.counted
    if not counted:
        raise ValueError("a household has at least one counted member")
    members = []
    gross = wages = rigid = 0
    for m in counted:
        gross += m.income.gross_fen
        wages += m.income.wage_fen
        rigid += m.income.rigid_expenditure_fen
        p = m.person
        d = p.disability
        valid = d is not None and d.certificate_valid
        members.append(
            (
                p.age,
                d.type.value if valid else "",  # type: ignore[union-attr]
                d.grade if valid else 0,  # type: ignore[union-attr]
                p.seriously_ill,
                p.lost_labour_capacity,
            )
        )
    duplicate_blocked = any(m.active_dibao_elsewhere and not m.transfer_pending for m in counted)
    return DibaoFacts(
        urban=household.type is HouseholdType.URBAN,
        counted=len(counted),
        gross_fen=gross,
        wage_fen=wages,
        rigid_fen=rigid,
        assets_hold=not any(t.outcome is Outcome.FAIL for t in household.assets),
        other_conditions_hold=household.admissible
        and household.consents_complete
        and household.local_disqualifier is None
        and not duplicate_blocked,
        income_stable=household.income_stable,
        override=household.category_override.category if household.category_override else None,
        members=tuple(members),
    )


def _limits(threshold: GradeThreshold) -> dict[str, int]:
    """Highest covered grade per disability type ("" — no valid certificate — covers nothing)."""
    return {kind.value: threshold.limit_for(kind) for kind in DisabilityType} | {"": 0}


class _TypeRates(NamedTuple):
    """Integer coefficients for one household type (its standard S = sn/sd)."""

    e3_left: int  # sd
    e3_right: int  # sn·K·P
    margin_left: int  # sd·md
    margin_right: int  # mn·sn·K·P
    gap: int  # sn·K·P·fd·ud  (× n)
    gap_income: int  # sd·fd·ud    (× K·(G − X))
    floor: int  # fn·sn·K·P·ud (× n)
    uplift: dict[Category, int]  # u·ud·sn·K·P·fd (× n)
    rounding_unit: int  # L, or 100·L for whole yuan
    fen_per_unit: int  # 100 for whole yuan, 1 for whole fen


@dataclass(frozen=True)
class DibaoRates:
    """One parameter set, read once, as the integers the evaluation multiplies by."""

    version: str
    share_w: int  # a·d
    share_r: int  # K
    cap_g: int  # c·b
    urban: _TypeRates
    rural: _TypeRates
    age_from: int
    age_below: int
    no_capacity: dict[str, int]
    severe: dict[str, int]

    @classmethod
    def of(cls, params: Parameters) -> DibaoRates:
        comparison = params.text("dibao.income.comparison")
        if comparison != "<":
            raise ParameterError(f"dibao.income.comparison must be '<', got {comparison!r}")
        period = params.integer("dibao.income.period_months")
        share = params.ratio("dibao.deduct.employment")
        cap = params.ratio("dibao.deduct.cap")
        margin = params.ratio("margin.multiplier")
        floor = params.ratio("dibao.min_benefit.ratio")
        uplifts = {c: params.ratio(uplift_key(c)) for c in Category}
        rule = params.text("dibao.rounding")
        if rule not in ("yuan_half_up", "fen_half_up"):
            raise ParameterError(f"dibao.rounding names an unknown rounding rule {rule!r}")
        k = share.denominator * cap.denominator
        ud = lcm(*(u.denominator for u in uplifts.values()))

        def rates(standard: Fraction) -> _TypeRates:
            sn, sd = standard.numerator, standard.denominator
            skp = sn * k * period
            fd = floor.denominator
            big_l = sd * k * period * fd * ud
            return _TypeRates(
                e3_left=sd,
                e3_right=skp,
                margin_left=sd * margin.denominator,
                margin_right=margin.numerator * skp,
                gap=skp * fd * ud,
                gap_income=sd * fd * ud,
                floor=floor.numerator * skp * ud,
                uplift={c: int(u * ud) * skp * fd for c, u in uplifts.items()},
                rounding_unit=big_l * 100 if rule == "yuan_half_up" else big_l,
                fen_per_unit=100 if rule == "yuan_half_up" else 1,
            )

        return cls(
            version=params.version,
            share_w=share.numerator * cap.denominator,
            share_r=k,
            cap_g=cap.numerator * share.denominator,
            urban=rates(monthly_standard(params, HouseholdType.URBAN)),
            rural=rates(monthly_standard(params, HouseholdType.RURAL)),
            age_from=params.integer("labour.no_capacity.age_from"),
            age_below=params.integer("labour.no_capacity.age_below"),
            no_capacity=_limits(params.grades("labour.no_capacity.disability")),
            severe=_limits(params.grades("dibao.category.severe_disability")),
        )

    def category(self, facts: DibaoFacts) -> Category:
        """§5.1.5 as ``classify`` computes it, then the officer's override."""
        if facts.override is not None:
            return facts.override
        return self._computed_category(facts.members, facts.income_stable)

    def _computed_category(self, members: tuple[MemberFacts, ...], income_stable: bool) -> Category:
        able = severe = False
        age_from, age_below, no_capacity, severe_limits = (
            self.age_from,
            self.age_below,
            self.no_capacity,
            self.severe,
        )
        for age, kind, grade, ill, lost in members:
            if (
                not able
                and age_below <= age < age_from
                and not lost
                and not (grade and grade <= no_capacity[kind])
            ):
                able = True
            if not severe and (ill or (grade and grade <= severe_limits[kind])):
                severe = True
        if (not able or severe) and income_stable:
            return Category.A
        if able and not income_stable:
            return Category.C
        return Category.B

    def evaluate(self, facts: DibaoFacts) -> DibaoOutcome:
        urban, n, gross, wages, rigid, assets_hold, others_hold, stable, override, members = facts
        if n < 1:
            raise ValueError("a household has at least one counted member")
        k = self.share_r
        claimed = self.share_w * wages + k * rigid
        capped = self.cap_g * gross
        net = k * gross - (claimed if claimed < capped else capped)  # K·(G − X)
        e3_left, e3_right, margin_left, margin_right, gap_n, gap_y, floor_n, uplift, unit, fen_per_unit = (
            self.urban if urban else self.rural
        )
        below = net * e3_left < n * e3_right
        if not (below and assets_hold and others_hold):
            marginal = not below and assets_hold and net * margin_left < n * margin_right
            return DibaoOutcome(False, 0, None, marginal)
        category = override if override is not None else self._computed_category(members, stable)
        gap = n * gap_n - net * gap_y
        floor = n * floor_n
        total = (gap if gap > floor else floor) + n * uplift[category]
        # Half away from zero (the everyday 四舍五入) on total / unit, as ``round_payable`` does.
        rounded = (2 * total + unit) // (2 * unit) if total >= 0 else -((unit - 2 * total) // (2 * unit))
        return DibaoOutcome(True, rounded * fen_per_unit, category, False)
