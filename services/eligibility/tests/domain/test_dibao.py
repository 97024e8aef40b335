"""Dibao eligibility E1–E7 and the amount (DOMAIN §5.1.2–5.1.5), with the §13 households it decides."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from doudi_common.disability import Disability, DisabilityType
from doudi_eligibility.domain.explain import Category, Outcome
from doudi_eligibility.domain.rules.dibao import (
    ACTIVATION_PENDING_TRANSFER,
    MARGINAL_HOUSEHOLD,
    assess_dibao,
    household_without,
)
from doudi_eligibility.domain.rules.facts import (
    AssetTest,
    CategoryOverride,
    HouseholdType,
    Income,
    Member,
    Person,
)

from .builders import assets_pass, ex_gy, fen, household, income, member, wages

URBAN, RURAL = HouseholdType.URBAN, HouseholdType.RURAL
P = ex_gy()


def test_h01_the_employment_cost_deduction_makes_the_household_eligible_in_category_c() -> None:
    li = household(
        "H01",
        URBAN,
        member("li", 42, wages(1800)),
        member("wife", 40),
        member("son", 15, in_school=True),
        stable=False,
    )
    result = assess_dibao(li, P)
    assert result.income.deductions_fen == fen(2160)
    assert result.income.per_capita_monthly_fen == fen(540)
    assert result.decision.approved
    assert result.decision.category is Category.C
    assert result.decision.monthly_amount_fen == fen(60)
    assert result.decision.review_months == 3
    without_deduction = assess_dibao(li, P.override({"dibao.deduct.employment": Fraction(0)}))
    assert without_deduction.income.per_capita_monthly_fen == fen(600)
    assert not without_deduction.decision.approved


def test_h02_income_exactly_at_the_standard_is_refused_and_the_household_is_marginal() -> None:
    wang = household("H02", URBAN, member("wang", 58, income(1120 * 12)), member("wife", 57), stable=True)
    result = assess_dibao(wang, P)
    assert result.income.per_capita_monthly_fen == fen(560)
    assert not result.decision.approved
    assert result.decision.check_for("E3").outcome is Outcome.FAIL
    assert "不低于" in result.decision.check_for("E3").reason
    assert result.decision.monthly_amount_fen == 0
    assert MARGINAL_HOUSEHOLD in result.decision.statuses


def test_h02_a_household_a_hair_below_the_standard_is_eligible_although_it_displays_as_560() -> None:
    just_below = household(
        "H02b", URBAN, member("wang", 58, Income(fen(1120 * 12) - 1)), member("w", 57), stable=True
    )
    result = assess_dibao(just_below, P)
    assert result.income.per_capita_monthly_fen < fen(560)
    assert result.decision.approved


def test_h03_rural_elderly_couple_category_a_receives_560() -> None:
    zhang = household(
        "H03",
        RURAL,
        member("zhang", 72, income(2400), disability=Disability(DisabilityType.PHYSICAL, 2)),
        member("wife", 68),
        stable=True,
    )
    result = assess_dibao(zhang, P)
    assert result.income.per_capita_monthly_fen == fen(100)
    assert result.decision.category is Category.A
    assert result.base_fen == Fraction(130_000, 3)
    assert result.uplift_fen == Fraction(38_000, 3)
    assert result.decision.monthly_amount_fen == fen(560)
    assert result.decision.review_months == 12


def test_h04b_a_man_with_a_capable_daughter_elsewhere_is_a_one_person_dibao_household_of_255() -> None:
    ma = household("H04b", RURAL, member("ma", 67, income(1500)), stable=True)
    result = assess_dibao(ma, P)
    assert result.decision.category is Category.A
    assert result.decision.monthly_amount_fen == fen(255)


def test_h06_rural_family_of_four_in_category_c_receives_467() -> None:
    liu = household(
        "H06",
        RURAL,
        member("father", 45, income(200 * 12 * 4)),
        member("mother", 43),
        member("child1", 12),
        member("child2", 9),
        stable=False,
    )
    result = assess_dibao(liu, P)
    assert result.decision.category is Category.C
    assert result.decision.monthly_amount_fen == fen(467)
    assert result.decision.review_months == 6


def test_h08_grandfather_farming_his_own_land_is_category_b_with_197() -> None:
    yang = household("H08", RURAL, member("yang", 58, income(6000)), member("girl", 8), stable=True)
    result = assess_dibao(yang, P)
    assert result.decision.category is Category.B
    assert result.decision.monthly_amount_fen == fen(197)


def gao_parents(*, with_gao: bool = True) -> list[Member]:
    parents = [member("father", 75, income(3000)), member("mother", 73)]
    return [*parents, member("gao", 45)] if with_gao else parents


def test_h11_county_x_pays_795_with_gao_and_510_after_she_moves() -> None:
    x = household("H11-X", RURAL, *gao_parents(), stable=True)
    before = assess_dibao(x, P)
    assert (before.decision.category, before.decision.monthly_amount_fen) == (Category.B, fen(795))
    after = assess_dibao(household_without(x, "gao", "MOVED_OUT"), P)
    assert (after.decision.category, after.decision.monthly_amount_fen) == (Category.A, fen(510))


def test_h11_county_y_approves_240_with_activation_pending_the_transfer() -> None:
    gao = Member(Person("gao", 45), active_dibao_elsewhere="ent-X", transfer_pending=True)
    y = household("H11-Y", URBAN, member("zhou", 47, wages(1600)), gao, member("son", 10), stable=False)
    result = assess_dibao(y, P)
    assert result.income.per_capita_monthly_fen == fen(480)
    assert result.decision.approved
    assert (result.decision.category, result.decision.monthly_amount_fen) == (Category.C, fen(240))
    assert result.decision.check_for("E5").outcome is Outcome.EXEMPT
    assert ACTIVATION_PENDING_TRANSFER in result.decision.statuses


def test_a_member_still_counted_elsewhere_without_a_transfer_request_blocks_the_decision() -> None:
    gao = Member(Person("gao", 45), active_dibao_elsewhere="ent-X")
    y = household("dup", URBAN, member("zhou", 47, wages(1600)), gao, stable=False)
    result = assess_dibao(y, P)
    assert not result.decision.approved
    assert result.decision.check_for("E5").outcome is Outcome.FAIL


def test_h13_wu_household_in_category_c_receives_870() -> None:
    wu = household(
        "H13",
        URBAN,
        member("father", 55, seriously_ill=True),
        member("mother", 53, wages(900)),
        member("son", 25),
        stable=False,
    )
    result = assess_dibao(wu, P)
    assert result.income.per_capita_monthly_fen == fen(270)
    assert (result.decision.category, result.decision.monthly_amount_fen) == (Category.C, fen(870))


def test_h15_a_private_car_fails_the_vehicle_rule_and_the_household_is_refused_and_not_marginal() -> None:
    members = [
        member("husband", 48, income(15000)),
        member("wife", 46, seriously_ill=True),
        member("c16", 16),
        member("c13", 13),
        member("c9", 9),
    ]
    tests = (*assets_pass("financial", "housing"), AssetTest("vehicle", Outcome.FAIL, "私家车，非生计工具"))
    result = assess_dibao(household("H15a", RURAL, *members, stable=False, assets=tests), P)
    assert not result.decision.approved
    assert result.decision.check_for("E4").outcome is Outcome.FAIL
    assert result.decision.check_for("E4.vehicle").outcome is Outcome.FAIL
    assert MARGINAL_HOUSEHOLD not in result.decision.statuses


def test_h15_the_only_livelihood_vehicle_is_exempt_and_the_household_receives_333_in_category_c() -> None:
    members = [
        member("husband", 48, income(15000)),
        member("wife", 46, seriously_ill=True),
        member("c16", 16),
        member("c13", 13),
        member("c9", 9),
    ]
    tests = (*assets_pass("financial", "housing"), AssetTest("vehicle", Outcome.EXEMPT, "唯一生计车辆"))
    result = assess_dibao(household("H15b", RURAL, *members, stable=False, assets=tests), P)
    assert result.decision.approved
    assert result.decision.check_for("E4.vehicle").outcome is Outcome.EXEMPT
    assert (result.decision.category, result.decision.monthly_amount_fen) == (Category.C, fen(333))
    assert result.decision.review_months == 6


def test_identity_grounds_raised_against_a_household_are_recorded_and_disregarded() -> None:
    h = household(
        "E7", URBAN, member("a", 40, wages(500)), stable=False, identity_grounds_raised=("公务员亲属",)
    )
    result = assess_dibao(h, P)
    assert result.decision.approved
    e7 = result.decision.check_for("E7")
    assert e7.outcome is Outcome.PASS
    assert ("ground raised and disregarded", "公务员亲属") in e7.inputs


def test_every_condition_lists_its_parameters_with_the_set_they_came_from() -> None:
    h = household("x", URBAN, member("a", 40, wages(500)), stable=False)
    e3 = assess_dibao(h, P).decision.check_for("E3")
    used = {use.key: use for use in e3.parameters}
    assert used["dibao.std.urban.monthly"].value == "560"
    assert used["dibao.std.urban.monthly"].set_id == "GY-2024-01"
    assert used["dibao.deduct.employment"].set_id == "NX-2024-01"
    assert assess_dibao(h, P).decision.parameter_version == "NX-2024-01+GY-2024-01+EX-GY-2024-01"


def test_officer_override_of_the_category_is_applied_and_kept_in_the_explanation() -> None:
    h = household(
        "ov",
        URBAN,
        member("a", 40, wages(500)),
        stable=False,
        category_override=CategoryOverride(Category.B, "病情"),
    )
    result = assess_dibao(h, P)
    assert result.decision.category is Category.B
    assert ("officer override", "B: 病情") in result.decision.check_for("CATEGORY").inputs


yearly_income = st.integers(min_value=0, max_value=fen(40_000))
ages = st.integers(min_value=0, max_value=95)


@settings(max_examples=60, deadline=None)
@given(
    incomes=st.lists(st.tuples(yearly_income, st.booleans(), ages), min_size=1, max_size=6),
    kind=st.sampled_from(list(HouseholdType)),
    stable=st.booleans(),
)
def test_the_gap_is_never_negative_and_never_above_the_standard_times_the_members(
    incomes: list[tuple[int, bool, int]], kind: HouseholdType, stable: bool
) -> None:
    members = [
        Member(Person(f"m{i}", age), Income(amount, amount if is_wage else 0))
        for i, (amount, is_wage, age) in enumerate(incomes)
    ]
    result = assess_dibao(household("prop", kind, *members, stable=stable), P)
    n = len(members)
    assert 0 <= result.base_fen <= result.standard_fen * n
    if result.decision.approved:
        assert result.income.per_capita_monthly_fen < result.standard_fen
        ceiling = (1 + P.ratio("dibao.category.uplift.A")) * result.standard_fen * n
        assert 0 <= result.decision.monthly_amount_fen <= ceiling + 50
    else:
        assert result.decision.monthly_amount_fen == 0
