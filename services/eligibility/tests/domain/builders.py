"""Builders of EX-GY facts for the worked examples of DOMAIN §13: yuan in, integer fen out."""

from __future__ import annotations

from datetime import date

from doudi_common.parameters import Parameters, shipped_registry
from doudi_eligibility.domain.explain import Outcome
from doudi_eligibility.domain.rules.facts import AssetTest, Household, HouseholdType, Income, Member, Person

#: A village of the example county (Yuanzhou district, Guyuan): it resolves province + city + county sets.
EX_GY_VILLAGE = "640402100201"


def ex_gy(on: date = date(2025, 3, 3)) -> Parameters:
    return shipped_registry().resolve(EX_GY_VILLAGE, on)


def fen(yuan: int | str) -> int:
    """Whole or two-decimal yuan as fen, for readable fixtures."""
    whole, _, cents = str(yuan).partition(".")
    return int(whole) * 100 + int(cents.ljust(2, "0") or 0)


def income(gross: int | str = 0, *, wage: int | str = 0, rigid: int | str = 0) -> Income:
    """Yearly amounts in yuan (the EX-GY reference period is 12 months)."""
    return Income(fen(gross), fen(wage), fen(rigid))


def wages(monthly: int | str) -> Income:
    yearly = fen(monthly) * 12
    return Income(yearly, yearly, 0)


def member(person_id: str, age: int, earning: Income | None = None, **person: object) -> Member:
    return Member(Person(person_id, age, **person), earning or Income())  # type: ignore[arg-type]


def assets_pass(*rules: str) -> tuple[AssetTest, ...]:
    return tuple(AssetTest(rule, Outcome.PASS) for rule in (rules or ("financial", "housing", "vehicle")))


def household(
    household_id: str,
    kind: HouseholdType,
    *members: Member,
    stable: bool,
    assets: tuple[AssetTest, ...] | None = None,
    **extra: object,
) -> Household:
    return Household(
        household_id,
        kind,
        members,
        stable,
        assets if assets is not None else assets_pass(),
        **extra,  # type: ignore[arg-type]
    )
