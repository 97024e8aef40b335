"""Single-person Dibao (单人保, DOMAIN §5.1.3) for a marginal household's severely disabled or ill member."""

from __future__ import annotations

from doudi_common.disability import Disability, DisabilityType
from doudi_eligibility.domain.explain import Category, Outcome
from doudi_eligibility.domain.rules.dibao import assess_dibao
from doudi_eligibility.domain.rules.facts import Household, HouseholdType, Income
from doudi_eligibility.domain.rules.single_person import assess_single_person

from .builders import ex_gy, fen, household, member, wages

P = ex_gy()
GRADE_1_INTELLECTUAL = Disability(DisabilityType.INTELLECTUAL, 1)


def zhao(father_monthly_wage: int) -> Household:
    return household(
        "H05",
        HouseholdType.URBAN,
        member("zhao", 52, wages(father_monthly_wage)),
        member("wife", 50),
        member("daughter", 24, disability=GRADE_1_INTELLECTUAL),
        member("son", 19, in_school=True),
        stable=True,
    )


def test_h05_the_household_is_marginal_and_the_disabled_daughter_gets_672_in_category_a() -> None:
    whole = assess_dibao(zhao(3200), P)
    assert whole.income.per_capita_monthly_fen == fen(720)
    assert not whole.decision.approved and whole.marginal
    result = assess_single_person(zhao(3200), whole, "daughter", P)
    assert result.decision.approved
    assert result.decision.category is Category.A
    assert result.decision.monthly_amount_fen == fen(672)


def test_h05_boundary_a_household_above_the_marginal_ceiling_gets_no_single_person_dibao() -> None:
    whole = assess_dibao(zhao(3800), P)
    assert whole.income.per_capita_monthly_fen == fen(855)
    assert not whole.marginal
    result = assess_single_person(zhao(3800), whole, "daughter", P)
    assert not result.decision.approved
    assert result.decision.check_for("U1").outcome is Outcome.FAIL


def test_h02_no_member_with_a_severe_disability_or_serious_illness_means_no_single_person_dibao() -> None:
    wang = household(
        "H02", HouseholdType.URBAN, member("wang", 58, Income(fen(13440))), member("wife", 57), stable=True
    )
    whole = assess_dibao(wang, P)
    result = assess_single_person(wang, whole, "wife", P)
    assert whole.marginal
    assert result.decision.check_for("U2").outcome is Outcome.FAIL
    assert not result.decision.approved


def test_h10_the_child_with_leukaemia_gets_672_in_category_a() -> None:
    sun = household(
        "H10",
        HouseholdType.URBAN,
        member("father", 38, Income(fen(36000), fen(36000), fen(120000))),
        member("mother", 36, wages(1500)),
        member("child", 7, seriously_ill=True),
        stable=False,
    )
    whole = assess_dibao(sun, P)
    assert whole.income.deductions_fen == fen(27000)
    assert whole.income.per_capita_monthly_fen == fen(750)
    assert whole.marginal
    result = assess_single_person(sun, whole, "child", P)
    assert (result.decision.category, result.decision.monthly_amount_fen) == (Category.A, fen(672))


def test_a_person_who_qualifies_for_tekun_is_not_given_single_person_dibao() -> None:
    whole = assess_dibao(zhao(3200), P)
    result = assess_single_person(zhao(3200), whole, "daughter", P, tekun_eligible=True)
    assert not result.decision.approved


def test_the_floor_of_sixty_percent_applies_when_own_income_is_close_to_the_standard() -> None:
    h = household(
        "floor",
        HouseholdType.URBAN,
        member("head", 50, wages(800)),
        member("p", 30, Income(fen(500 * 12)), seriously_ill=True),
        stable=True,
    )
    whole = assess_dibao(h, P)
    assert whole.marginal
    result = assess_single_person(h, whole, "p", P)
    assert result.decision.monthly_amount_fen == fen(336 + 112)
