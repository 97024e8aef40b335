"""Tekun K0–K4, self-care and amount (DOMAIN §5.2), and its precedence over Dibao (§5.2.2)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from doudi_eligibility.domain.explain import Outcome
from doudi_eligibility.domain.rules.facts import HouseholdType, Income, Person
from doudi_eligibility.domain.rules.tekun import (
    Relation,
    Relative,
    SelfCare,
    SupportMode,
    TekunFacts,
    assess_tekun,
    owes_support,
    self_care_level,
)

from .builders import assets_pass, ex_gy, fen, income

P = ex_gy()
RURAL = HouseholdType.RURAL


def ma(*relatives: Relative) -> TekunFacts:
    return TekunFacts(
        Person("ma", 67), RURAL, income(1500), assets_pass(), relatives, 0, SupportMode.DISPERSED
    )


def test_h04_a_single_man_of_67_with_only_adult_brothers_is_tekun_with_607() -> None:
    brothers = (
        Relative("b1", Relation.SIBLING, 72, older=True),
        Relative("b2", Relation.SIBLING, 70, older=True),
    )
    result = assess_tekun(ma(*brothers), P)
    assert result.decision.approved
    assert result.self_care is SelfCare.SELF
    assert (result.basic_fen, result.care_fen) == (fen(412), fen(195))
    assert result.decision.monthly_amount_fen == fen(607)
    assert all(c.outcome is not Outcome.FAIL for c in result.decision.checks)


def test_h04b_a_capable_daughter_fails_k3_so_he_is_not_tekun() -> None:
    daughter = Relative("d", Relation.CHILD, 40)
    result = assess_tekun(ma(daughter), P)
    assert not result.decision.approved
    assert result.decision.check_for("K3").outcome is Outcome.FAIL
    assert result.decision.monthly_amount_fen == 0


def test_h07_the_grandmother_is_tekun_with_partial_care_737() -> None:
    grandson = Relative("boy", Relation.GRANDCHILD, 12, duty_condition_met=True)
    hu = TekunFacts(Person("hu", 74), RURAL, Income(), assets_pass(), (grandson,), 2)
    result = assess_tekun(hu, P)
    assert result.self_care is SelfCare.PARTIAL
    assert result.decision.monthly_amount_fen == fen(737)


def test_h07_the_boy_meets_tekun_at_607_but_choosing_the_orphan_allowance_makes_him_not_tekun() -> None:
    grandmother = Relative(
        "hu",
        Relation.GRANDPARENT,
        74,
        duty_condition_met=True,
        income_below_disposable=True,
        assets_within_limits=True,
    )
    boy = TekunFacts(Person("boy", 12), RURAL, Income(), assets_pass(), (grandmother,))
    offered = assess_tekun(boy, P)
    assert offered.decision.approved and offered.decision.monthly_amount_fen == fen(607)
    chose = assess_tekun(TekunFacts(**{**boy.__dict__, "chose_child_allowance": True}), P)
    assert not chose.decision.approved
    assert chose.decision.check_for("K4").outcome is Outcome.FAIL


def test_h14_complete_loss_of_self_care_gives_1062() -> None:
    zhou = TekunFacts(Person("zhou", 81), RURAL, Income(), assets_pass(), (), 5, SupportMode.DISPERSED)
    result = assess_tekun(zhou, P)
    assert result.self_care is SelfCare.COMPLETE
    assert result.decision.monthly_amount_fen == fen(1062)


def test_an_urban_tekun_basic_standard_is_728() -> None:
    result = assess_tekun(TekunFacts(Person("u", 70), HouseholdType.URBAN, Income(), assets_pass()), P)
    assert result.basic_fen == fen(728)


def test_an_able_bodied_adult_is_not_tekun_and_the_reason_is_k0_and_k1() -> None:
    result = assess_tekun(TekunFacts(Person("x", 40), RURAL, Income(), assets_pass()), P)
    assert {c.code for c in result.decision.failed} == {"K0", "K1"}


def test_income_at_the_standard_fails_k2() -> None:
    at_standard = TekunFacts(Person("x", 70), RURAL, Income(fen(3800)), assets_pass())
    assert assess_tekun(at_standard, P).decision.check_for("K2").outcome is Outcome.FAIL


def test_a_minor_sixteen_or_seventeen_in_school_meets_k1() -> None:
    student = TekunFacts(Person("s", 17, in_school=True), RURAL, Income(), assets_pass())
    assert assess_tekun(student, P).decision.check_for("K1").outcome is Outcome.PASS


def test_obligors_that_cannot_perform_do_not_block_tekun() -> None:
    son_on_dibao = Relative("s", Relation.CHILD, 62, on_dibao=True)
    son_in_prison = Relative("p", Relation.CHILD, 45, imprisoned=True, assets_within_limits=True)
    result = assess_tekun(ma(son_on_dibao, son_in_prison), P)
    assert result.decision.approved


def test_minors_owe_no_support_and_grandchildren_only_under_the_statutory_condition() -> None:
    elder = Person("e", 80)
    assert not owes_support(Relative("g", Relation.GRANDCHILD, 12, duty_condition_met=True), elder, P)
    assert not owes_support(Relative("g", Relation.GRANDCHILD, 30), elder, P)
    assert owes_support(Relative("g", Relation.GRANDCHILD, 30, duty_condition_met=True), elder, P)


@settings(max_examples=20, deadline=None)
@given(st.integers(min_value=0, max_value=6))
def test_the_self_care_level_follows_the_six_items(lost: int) -> None:
    expected = SelfCare.SELF if lost == 0 else SelfCare.PARTIAL if lost <= 3 else SelfCare.COMPLETE
    assert self_care_level(lost, P) is expected
