"""Counted income and per-capita monthly income, exactly (DOMAIN §4.3–4.6).

    G = Σ counted income of counted members over P months          (§4.3, minus §4.4)
    X = min(Σ allowed deductions, cap × G)                          (§4.5)
    y = (G − X) / P / n                                             (§4.6, exact)

Excluded income never reaches G; deductions never exceed the cap; nothing is a float.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from doudi_common.income_items import DEDUCTION_KINDS, INCOME_KINDS, Kind
from doudi_verification.domain.policy import IncomeRules
from doudi_verification.domain.records import Item


class IncomeBand(StrEnum):
    """Where y stands against the standard S (strictly below, never "at or below": DOMAIN §12.3)."""

    BELOW_STANDARD = "BELOW_STANDARD"  # y < S
    MARGINAL = "MARGINAL"  # S ≤ y < multiplier × S
    ABOVE_MARGIN = "ABOVE_MARGIN"  # y ≥ multiplier × S


@dataclass(frozen=True)
class IncomeAssessment:
    counted_members: int
    period_months: int
    gross_fen: int
    wage_fen: int
    employment_deduction_fen: Fraction
    rigid_deductions_fen: int
    deductions_fen: Fraction
    per_capita_monthly_fen: Fraction
    #: The computation line by line, for the report and the household's notice.
    lines: tuple[str, ...]


def yuan(amount_fen: Fraction | int) -> str:
    """A display of an exact amount in yuan with two decimals; for people, never for decisions."""
    value = Fraction(amount_fen) / 100
    cents = round(value * 100)
    return f"{cents // 100}.{cents % 100:02d}" if cents >= 0 else f"-{yuan(-amount_fen)}"


def assess_income(items: Iterable[Item], counted_members: int, rules: IncomeRules) -> IncomeAssessment:
    if counted_members < 1:
        raise ValueError("a household has at least one counted member")
    by_kind: dict[Kind, int] = {}
    for item in items:
        kind = item.kind
        if kind is not None:
            by_kind[kind] = by_kind.get(kind, 0) + item.amount_fen
    gross = sum(by_kind.get(kind, 0) for kind in INCOME_KINDS)
    wage = by_kind.get(Kind.WAGE, 0)
    employment = rules.employment_deduction * wage
    rigid = sum(by_kind.get(kind, 0) for kind in DEDUCTION_KINDS)
    allowed = employment + rigid
    cap = rules.deduction_cap * gross
    deductions = min(allowed, cap)
    per_capita = (gross - deductions) / rules.period_months / counted_members
    business, property_income = by_kind.get(Kind.BUSINESS, 0), by_kind.get(Kind.PROPERTY, 0)
    transfer, excluded = by_kind.get(Kind.TRANSFER, 0), by_kind.get(Kind.EXCLUDED, 0)
    lines = (
        f"G = 工资性 {yuan(wage)} + 经营净 {yuan(business)} + 财产净 {yuan(property_income)}"
        f" + 转移净 {yuan(transfer)} = {yuan(gross)} 元（不计入 {yuan(excluded)} 元）",
        f"扣减 = 就业成本 {rules.employment_deduction} × {yuan(wage)} + 刚性支出 {yuan(rigid)}"
        f" = {yuan(allowed)} 元",
        f"X = min({yuan(allowed)}, {rules.deduction_cap} × {yuan(gross)}) = {yuan(deductions)} 元",
        f"y = ({yuan(gross)} − {yuan(deductions)}) / {rules.period_months} / {counted_members}"
        f" = {yuan(per_capita)} 元/人/月",
    )
    return IncomeAssessment(
        counted_members=counted_members,
        period_months=rules.period_months,
        gross_fen=gross,
        wage_fen=wage,
        employment_deduction_fen=employment,
        rigid_deductions_fen=rigid,
        deductions_fen=deductions,
        per_capita_monthly_fen=per_capita,
        lines=lines,
    )


def income_band(per_capita_fen: Fraction, standard_fen: Fraction, margin_multiplier: Fraction) -> IncomeBand:
    if per_capita_fen < standard_fen:
        return IncomeBand.BELOW_STANDARD
    if per_capita_fen < margin_multiplier * standard_fen:
        return IncomeBand.MARGINAL
    return IncomeBand.ABOVE_MARGIN
