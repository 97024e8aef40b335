"""The EX-GY values of DOMAIN §3 / §13 as check policies, for the rule tests."""

from __future__ import annotations

from fractions import Fraction

from doudi_verification.domain.policy import AssetRules, CheckPolicy, HouseholdType, IncomeRules

URBAN_STANDARD = Fraction(56_000)  # 560.00 yuan a month
RURAL_STANDARD = Fraction(380_000, 12)  # 3,800 yuan a year

INCOME = IncomeRules(period_months=12, employment_deduction=Fraction(1, 10), deduction_cap=Fraction(1, 2))


def policy(household_type: HouseholdType) -> CheckPolicy:
    standard = URBAN_STANDARD if household_type is HouseholdType.URBAN else RURAL_STANDARD
    return CheckPolicy(
        version="EX-GY-test",
        household_type=household_type,
        monthly_standard_fen=standard,
        margin_multiplier=Fraction(3, 2),
        income=INCOME,
        assets=AssetRules(
            financial_per_capita_fen=36 * standard,
            max_properties=1,
            small_floor_area_per_capita_m2=Fraction(15),
            exempt_vehicle_types=frozenset({"motorcycle", "e-bike", "disabled_vehicle"}),
            exempt_vehicle_uses=frozenset({"livelihood", "disability", "serious_illness"}),
            exempt_business_kinds=frozenset({"micro_stall"}),
        ),
        report_validity_days=30,
    )


URBAN = policy(HouseholdType.URBAN)
RURAL = policy(HouseholdType.RURAL)
