"""What each item the departments report is to the household economic check (DOMAIN §4.3–4.5, §4.7).

The one vocabulary of report items: verification classifies what the sources said with it, and eligibility
reads the per-member wages and rigid expenditure of a report with it, so the two never disagree on an item.
An item nobody classified is never guessed at.
"""

from __future__ import annotations

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
