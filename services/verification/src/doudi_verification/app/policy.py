"""The check policy for a household, resolved from the one parameter registry (DOMAIN §3)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from doudi_common.parameters import Parameters, Registry, shipped_registry
from doudi_verification.domain.policy import AssetRules, CheckPolicy, HouseholdType, IncomeRules
from doudi_verification.domain.review import Cadence


def monthly_standard(parameters: Parameters, household_type: HouseholdType) -> Fraction:
    """S per person per month, exact: the rural standard is annual and divided by 12 unrounded."""
    if household_type is HouseholdType.URBAN:
        return parameters.money("dibao.std.urban.monthly")
    return parameters.money("dibao.std.rural.annual") / 12


class RegistryPolicies:
    """Resolves a CheckPolicy per (region, household type, day) from the registry."""

    def __init__(self, registry: Registry | None = None) -> None:
        self._registry = registry or shipped_registry()

    def __call__(self, region: str, household_type: HouseholdType, on: date) -> CheckPolicy:
        p = self._registry.resolve(region, on)
        standard = monthly_standard(p, household_type)
        return CheckPolicy(
            version=p.version,
            household_type=household_type,
            monthly_standard_fen=standard,
            margin_multiplier=p.ratio("margin.multiplier"),
            income=IncomeRules(
                period_months=p.integer("dibao.income.period_months"),
                employment_deduction=p.ratio("dibao.deduct.employment"),
                deduction_cap=p.ratio("dibao.deduct.cap"),
            ),
            assets=AssetRules(
                financial_per_capita_fen=p.integer("dibao.assets.financial_pc.months_of_standard") * standard,
                max_properties=p.integer("dibao.assets.housing.max_properties"),
                small_floor_area_per_capita_m2=p.ratio("dibao.assets.housing.small_area_pc_m2"),
                exempt_vehicle_types=p.texts("dibao.assets.vehicle.exempt_types"),
                exempt_vehicle_uses=p.texts("dibao.assets.vehicle.exempt_uses"),
                exempt_business_kinds=p.texts("dibao.assets.business.exempt_kinds"),
            ),
            report_validity_days=p.integer("verification.report.validity_days"),
        )


class RegistryCadences:
    """Review cadence by category per region and day (DOMAIN §5.1.5, dibao.category.review_months.*)."""

    def __init__(self, registry: Registry | None = None) -> None:
        self._registry = registry or shipped_registry()

    def __call__(self, region: str, on: date) -> Cadence:
        p = self._registry.resolve(region, on)
        return Cadence(
            a_months=p.integer("dibao.category.review_months.A"),
            b_months=p.integer("dibao.category.review_months.B"),
            c_urban_months=p.integer("dibao.category.review_months.C.urban"),
            c_rural_months=p.integer("dibao.category.review_months.C.rural"),
        )
