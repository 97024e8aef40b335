"""Per-capita monthly income y of a household or of one person, exactly (DOMAIN §4.5–4.6).

Keys read: ``dibao.income.period_months``, ``dibao.deduct.employment``, ``dibao.deduct.cap``.

    G = Σ counted income of the counted members over P months
    X = min(employment share × wages + rigid expenditure, cap × G)
    y = (G − X) / P / n

The cap keeps large medical costs from making any income qualify (§4.5, §14.4). Only counted members'
income enters; the caller passes exactly those.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from doudi_common.parameters import Parameters, ParameterUse
from doudi_eligibility.domain.explain import ratio_text, yuan_text
from doudi_eligibility.domain.rules.facts import Income

KEYS = ("dibao.income.period_months", "dibao.deduct.employment", "dibao.deduct.cap")


@dataclass(frozen=True)
class IncomeComputation:
    members: int
    period_months: int
    gross_fen: int
    employment_deduction_fen: Fraction
    rigid_deduction_fen: int
    deductions_fen: Fraction
    per_capita_monthly_fen: Fraction
    lines: tuple[str, ...]
    parameters: tuple[ParameterUse, ...]


def per_capita_income(incomes: Sequence[Income], params: Parameters) -> IncomeComputation:
    """y for the persons whose incomes are given (one entry per counted member)."""
    n = len(incomes)
    if n < 1:
        raise ValueError("a household has at least one counted member")
    period = params.integer("dibao.income.period_months")
    share = params.ratio("dibao.deduct.employment")
    cap = params.ratio("dibao.deduct.cap")
    gross = sum(i.gross_fen for i in incomes)
    wages = sum(i.wage_fen for i in incomes)
    rigid = sum(i.rigid_expenditure_fen for i in incomes)
    employment = share * wages
    claimed = employment + rigid
    deductions = min(claimed, cap * gross)
    y = (gross - deductions) / period / n
    lines = (
        f"G = counted income over {period} months = {yuan_text(gross)}",
        f"employment cost = {ratio_text(share)} × wages {yuan_text(wages)} = {yuan_text(employment)}",
        f"rigid expenditure = {yuan_text(rigid)}",
        f"X = min({yuan_text(claimed)}, {ratio_text(cap)} × G = {yuan_text(cap * gross)})"
        f" = {yuan_text(deductions)}",
        f"y = (G − X) / {period} / {n} = {yuan_text(y)} per person per month",
    )
    return IncomeComputation(n, period, gross, employment, rigid, deductions, y, lines, params.cite(*KEYS))
