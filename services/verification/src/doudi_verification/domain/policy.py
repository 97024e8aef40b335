"""The parameters the household economic check reads (DOMAIN §3), as exact values.

Amounts are fen as ``Fraction`` so that a rural standard of 3,800 yuan a year is exactly 31,666⅔ fen a
month; nothing here is a float, and nothing is rounded (DOMAIN §4.6, §13 H02's engineering note).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction


class HouseholdType(StrEnum):
    URBAN = "URBAN"
    RURAL = "RURAL"


@dataclass(frozen=True)
class IncomeRules:
    """§4.3–4.6: the reference period and the deductions (keys dibao.income.period_months,
    dibao.deduct.employment, dibao.deduct.cap)."""

    period_months: int
    employment_deduction: Fraction
    deduction_cap: Fraction

    def __post_init__(self) -> None:
        if self.period_months < 1:
            raise ValueError("dibao.income.period_months must be at least 1")
        for name in ("employment_deduction", "deduction_cap"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ValueError(f"{name} must be a share between 0 and 1")


@dataclass(frozen=True)
class AssetRules:
    """§4.7 (keys dibao.assets.*): limits are per capita, in fen, exact."""

    financial_per_capita_fen: Fraction
    max_properties: int
    small_floor_area_per_capita_m2: Fraction
    #: Vehicle kinds that never count (motorcycles, e-bikes, disabled persons' vehicles).
    exempt_vehicle_types: frozenset[str]
    #: Vehicle uses that exempt one vehicle: the only livelihood vehicle, or one needed for an ill or
    #: disabled member.
    exempt_vehicle_uses: frozenset[str]
    #: Business kinds that are exempt (a verified micro family stall with no employees).
    exempt_business_kinds: frozenset[str]


@dataclass(frozen=True)
class CheckPolicy:
    """Everything one assessment needs, resolved for the household's region, type and date."""

    version: str
    household_type: HouseholdType
    #: S: the monthly standard per person, exact (rural: annual / 12).
    monthly_standard_fen: Fraction
    #: margin.multiplier: a household with S ≤ y < multiplier × S is marginal.
    margin_multiplier: Fraction
    income: IncomeRules
    assets: AssetRules
    #: How long a report stays valid (DOMAIN §4.8, EX 30 days).
    report_validity_days: int
