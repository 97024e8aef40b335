"""The Dibao standard S, the strict income test and payable rounding (DOMAIN §3, §4.6, §5.1.4, §12.3).

Keys read: ``dibao.std.urban.monthly``, ``dibao.std.rural.annual``, ``dibao.income.comparison``,
``dibao.rounding`` / ``tekun.rounding``.

S is exact: a rural standard of 3,800 yuan a year is 31,666⅔ fen a month, never 316.67 yuan. Comparisons
use unrounded values (H02's engineering note); only payable amounts are rounded.
"""

from __future__ import annotations

from fractions import Fraction

from doudi_common.money import Fen, round_half_up_to_fen, round_half_up_to_yuan_fen
from doudi_common.parameters import ParameterError, Parameters, ParameterUse
from doudi_eligibility.domain.rules.facts import HouseholdType

_MONTHS_PER_YEAR = 12


def standard_key(household_type: HouseholdType) -> str:
    return "dibao.std.urban.monthly" if household_type is HouseholdType.URBAN else "dibao.std.rural.annual"


def monthly_standard(params: Parameters, household_type: HouseholdType) -> Fraction:
    """S in fen per person per month, exact (the rural annual standard divided by 12, unrounded)."""
    if household_type is HouseholdType.URBAN:
        return params.money("dibao.std.urban.monthly")
    return params.money("dibao.std.rural.annual") / _MONTHS_PER_YEAR


def standard_cited(params: Parameters, household_type: HouseholdType) -> tuple[ParameterUse, ...]:
    return params.cite(standard_key(household_type))


def below_standard(income: Fraction, standard: Fraction, params: Parameters) -> bool:
    """``income < standard``: the national test is strictly below; no parameter set may make it "≤"."""
    comparison = params.text("dibao.income.comparison")
    if comparison != "<":
        raise ParameterError(f"dibao.income.comparison must be '<', got {comparison!r}")
    return income < standard


def round_payable(amount_fen: Fraction, params: Parameters, key: str = "dibao.rounding") -> Fen:
    """Round a payable amount by the rule the parameter names (whole yuan or whole fen, half up)."""
    rule = params.text(key)
    if rule == "yuan_half_up":
        return round_half_up_to_yuan_fen(amount_fen)
    if rule == "fen_half_up":
        return round_half_up_to_fen(amount_fen)
    raise ParameterError(f"{key} names an unknown rounding rule {rule!r}")
