"""What the departments said about each counted member, classified for the check (DOMAIN §4.2–4.5).

Department items arrive as (item name, amount over the reference period, attributes). The table
below says what each item is to the household economic check; an item nobody classified is never
guessed at: it is reported as a gap for the caseworker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class Kind(StrEnum):
    WAGE = "WAGE"  # §4.3.1 wage income: the employment-cost deduction applies
    BUSINESS = "BUSINESS"  # §4.3.2 net business income
    PROPERTY = "PROPERTY"  # §4.3.3 net property income
    TRANSFER = "TRANSFER"  # §4.3.4 net transfer income
    EXCLUDED = "EXCLUDED"  # §4.4 not counted
    MEDICAL_COST = "MEDICAL_COST"  # §4.5 rigid expenditure: medical out-of-pocket
    EDUCATION_COST = "EDUCATION_COST"  # §4.5 rigid expenditure: education
    FINANCIAL_ASSET = "FINANCIAL_ASSET"  # §4.7 deposits, securities, cash values
    VEHICLE = "VEHICLE"  # §4.7 vehicle rule
    PROPERTY_TITLE = "PROPERTY_TITLE"  # §4.7 housing rule
    BUSINESS_REGISTRATION = "BUSINESS_REGISTRATION"  # §4.7 business rule
    FACT = "FACT"  # status facts (hukou, disability, student status): reported, not summed


INCOME_KINDS = frozenset({Kind.WAGE, Kind.BUSINESS, Kind.PROPERTY, Kind.TRANSFER})
DEDUCTION_KINDS = frozenset({Kind.MEDICAL_COST, Kind.EDUCATION_COST})

#: Item names the department adapters deliver, and what they are (DOMAIN §4.3, §4.4, §4.7).
ITEM_KINDS: dict[str, Kind] = {
    "wage_income": Kind.WAGE,
    "labour_income": Kind.WAGE,
    "business_net_income": Kind.BUSINESS,
    "farming_net_income": Kind.BUSINESS,
    "land_rent": Kind.PROPERTY,
    "rent_income": Kind.PROPERTY,
    "interest": Kind.PROPERTY,
    "dividends": Kind.PROPERTY,
    "pension": Kind.TRANSFER,
    "maintenance_received": Kind.TRANSFER,
    "compensation": Kind.TRANSFER,
    "gifts_and_inheritance": Kind.TRANSFER,
    "residents_basic_pension": Kind.EXCLUDED,
    "preferential_pension": Kind.EXCLUDED,
    "family_planning_reward": Kind.EXCLUDED,
    "scholarship": Kind.EXCLUDED,
    "bravery_reward": Kind.EXCLUDED,
    "assistance_received": Kind.EXCLUDED,
    "disability_subsidy": Kind.EXCLUDED,
    "child_allowance": Kind.EXCLUDED,
    "old_age_allowance": Kind.EXCLUDED,
    "out_of_pocket": Kind.MEDICAL_COST,
    "education_cost": Kind.EDUCATION_COST,
    "deposits": Kind.FINANCIAL_ASSET,
    "securities": Kind.FINANCIAL_ASSET,
    "insurance_cash_value": Kind.FINANCIAL_ASSET,
    "vehicle": Kind.VEHICLE,
    "property_title": Kind.PROPERTY_TITLE,
    "business_registration": Kind.BUSINESS_REGISTRATION,
    "hukou": Kind.FACT,
    "disability_certificate": Kind.FACT,
    "student_status": Kind.FACT,
    "taxable_income": Kind.FACT,
    "marriage": Kind.FACT,
    "death": Kind.FACT,
    "detention": Kind.FACT,
    "provident_fund_contributions": Kind.FACT,
    "monitoring_object": Kind.FACT,
    "disaster_affected": Kind.FACT,
}


@dataclass(frozen=True)
class Item:
    """One fact a source holds about one member; amounts in fen over the reference period."""

    member_index: int
    source: str
    item: str
    amount_fen: int = 0
    attributes: tuple[tuple[str, str], ...] = ()
    as_of: date | None = None
    #: Set when a home survey replaced the department's value (DOMAIN §4.6: data beats declarations,
    #: but a documented survey may override it).
    overridden_by: str = ""

    @property
    def kind(self) -> Kind | None:
        return ITEM_KINDS.get(self.item)

    def attribute(self, name: str, default: str = "") -> str:
        return dict(self.attributes).get(name, default)


@dataclass(frozen=True)
class SourceOutcome:
    """Whether one source answered for one member."""

    member_index: int
    source: str
    answered: bool
    error: str = ""
    items: tuple[Item, ...] = field(default=())
