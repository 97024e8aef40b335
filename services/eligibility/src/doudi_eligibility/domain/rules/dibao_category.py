"""Dibao household categories A/B/C, their uplift and review cadence (DOMAIN §5.1.4–5.1.5).

Keys read: ``labour.no_capacity.*`` (via ``labour``), ``dibao.category.severe_disability``,
``dibao.category.uplift.{A,B,C}``, ``dibao.category.review_months.{A,B,C.urban,C.rural}``.

    (no member has labour capacity, or a member is seriously ill or severely disabled) and income stable → A
    else a member has labour capacity and income is unstable                                          → C
    else                                                                                               → B

An officer may override the result with a reason; the override and its reason stay in the explanation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from doudi_common.parameters import Parameters
from doudi_eligibility.domain.explain import Category, Check, Outcome
from doudi_eligibility.domain.rules.facts import CategoryOverride, HouseholdType, Person
from doudi_eligibility.domain.rules.labour import KEYS as LABOUR_KEYS
from doudi_eligibility.domain.rules.labour import has_labour_capacity


@dataclass(frozen=True)
class Classification:
    category: Category
    check: Check


def is_severe(person: Person, params: Parameters) -> bool:
    """重病 or 重残: on the serious-illness list, or a disability within the severe threshold."""
    return person.seriously_ill or params.grades("dibao.category.severe_disability").covers(person.disability)


def classify(
    persons: Sequence[Person],
    income_stable: bool,
    params: Parameters,
    override: CategoryOverride | None = None,
) -> Classification:
    able = [p.person_id for p in persons if has_labour_capacity(p, params)]
    severe = [p.person_id for p in persons if is_severe(p, params)]
    if (not able or severe) and income_stable:
        computed = Category.A
    elif able and not income_stable:
        computed = Category.C
    else:
        computed = Category.B
    category = override.category if override else computed
    inputs: tuple[tuple[str, str], ...] = (
        ("members with labour capacity", ", ".join(able) or "none"),
        ("seriously ill or severely disabled", ", ".join(severe) or "none"),
        ("income stable", "yes" if income_stable else "no"),
        ("computed category", computed.value),
    )
    if override:
        inputs += (("officer override", f"{override.category.value}: {override.reason}"),)
    return Classification(
        category,
        Check(
            "CATEGORY",
            "Household category A/B/C (§5.1.5)",
            Outcome.PASS,
            f"家庭分类为{category.value}类。",
            inputs,
            params.cite(*LABOUR_KEYS, "dibao.category.severe_disability"),
        ),
    )


def uplift_key(category: Category) -> str:
    return f"dibao.category.uplift.{category.value}"


def review_key(category: Category, household_type: HouseholdType) -> str:
    if category is Category.C:
        return f"dibao.category.review_months.C.{household_type.value.lower()}"
    return f"dibao.category.review_months.{category.value}"


def review_months(category: Category, household_type: HouseholdType, params: Parameters) -> int:
    return params.integer(review_key(category, household_type))
