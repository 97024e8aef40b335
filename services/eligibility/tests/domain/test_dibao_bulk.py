"""The fast Dibao evaluation decides exactly as the single-household rule (DOMAIN §5.1.2, §5.1.4, §5.1.5):
approval, payable amount, category and marginal status, for any household under any parameter set."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doudi_common.disability import Disability, DisabilityType
from doudi_common.parameters import ParameterError, Parameters
from doudi_eligibility.domain.explain import Category, Outcome
from doudi_eligibility.domain.rules.dibao import assess_dibao
from doudi_eligibility.domain.rules.dibao_bulk import DibaoRates, facts_of
from doudi_eligibility.domain.rules.facts import (
    AssetTest,
    CategoryOverride,
    Household,
    HouseholdType,
    Income,
    Member,
    Person,
)

from .builders import ex_gy, fen, household, member, wages


def _fraction(low: int, high: int, denominator: int) -> st.SearchStrategy[Fraction]:
    return st.fractions(min_value=low, max_value=high, max_denominator=denominator)


grades = st.sampled_from(["", "ANY:1", "ANY:2", "ANY:4", "PHYSICAL:2,VISUAL:1", "INTELLECTUAL:3,MENTAL:3"])

parameter_changes = st.fixed_dictionaries(
    {},
    optional={
        "dibao.std.urban.monthly": _fraction(100, 3_000, 300),
        "dibao.std.rural.annual": _fraction(1_000, 30_000, 300),
        "dibao.income.period_months": st.integers(1, 24).map(Fraction),
        "dibao.deduct.employment": _fraction(0, 1, 1_000),
        "dibao.deduct.cap": _fraction(0, 1, 1_000),
        "dibao.min_benefit.ratio": _fraction(0, 1, 100),
        "dibao.category.uplift.A": _fraction(0, 1, 100),
        "dibao.category.uplift.B": _fraction(0, 1, 60),
        "dibao.category.uplift.C": _fraction(0, 1, 7),
        "margin.multiplier": _fraction(1, 3, 50),
        "dibao.rounding": st.sampled_from(["yuan_half_up", "fen_half_up"]),
        "labour.no_capacity.age_from": st.integers(45, 75).map(Fraction),
        "labour.no_capacity.age_below": st.integers(10, 20).map(Fraction),
        "labour.no_capacity.disability": grades,
        "dibao.category.severe_disability": grades,
    },
)

disabilities = st.none() | st.builds(
    Disability, st.sampled_from(list(DisabilityType)), st.integers(1, 4), st.booleans()
)


@st.composite
def members(draw: st.DrawFn, index: int) -> Member:
    # Mostly incomes near the standards (most households qualify and the amount rule runs), some far above.
    gross = draw(st.integers(0, fen(8_000)) | st.integers(0, fen(2_000)) | st.integers(0, fen(80_000)))
    return Member(
        Person(
            f"p{index}",
            draw(st.integers(0, 100)),
            disability=draw(disabilities),
            seriously_ill=draw(st.booleans()),
            lost_labour_capacity=draw(st.booleans()),
        ),
        Income(gross, draw(st.integers(0, gross)), draw(st.integers(0, fen(60_000)))),
        counted=index == 0 or draw(st.booleans()),
        active_dibao_elsewhere=draw(st.sampled_from([None] * 9 + ["ent_elsewhere"])),
        transfer_pending=draw(st.booleans()),
    )


@st.composite
def households(draw: st.DrawFn) -> Household:
    size = draw(st.integers(1, 7))
    return Household(
        "h",
        draw(st.sampled_from(list(HouseholdType))),
        tuple(draw(members(i)) for i in range(size)),
        draw(st.booleans()),
        tuple(
            AssetTest(rule, draw(st.sampled_from([Outcome.PASS] * 6 + [Outcome.EXEMPT, Outcome.FAIL])))
            for rule in ("financial", "housing", "vehicle")
        ),
        admissible=draw(st.sampled_from([True] * 9 + [False])),
        consents_complete=draw(st.sampled_from([True] * 9 + [False])),
        local_disqualifier=draw(st.sampled_from([None] * 9 + ["虚报"])),
        category_override=draw(
            st.none() | st.builds(CategoryOverride, st.sampled_from(list(Category)), st.just("核实"))
        ),
    )


def single(h: Household, params: Parameters) -> tuple[bool, int, Category | None, bool]:
    assessment = assess_dibao(h, params)
    d = assessment.decision
    return d.approved, d.monthly_amount_fen if d.approved else 0, d.category, assessment.marginal


def bulk(h: Household, params: Parameters) -> tuple[bool, int, Category | None, bool]:
    return tuple(DibaoRates.of(params).evaluate(facts_of(h)))  # type: ignore[return-value]


@settings(max_examples=600, deadline=None)
@given(h=households(), changes=parameter_changes)
def test_bulk_decides_as_the_single_household_rule_for_any_household_and_parameter_set(h, changes) -> None:  # type: ignore[no-untyped-def]
    params = ex_gy().override(changes)
    assert bulk(h, params) == single(h, params)


@settings(max_examples=300, deadline=None)
@given(
    standard=st.integers(300, 1_200),
    size=st.integers(1, 5),
    kind=st.sampled_from(list(HouseholdType)),
    off_by=st.integers(-3, 3),
    stable=st.booleans(),
    rounding=st.sampled_from(["yuan_half_up", "fen_half_up"]),
    at_margin=st.booleans(),
)
def test_households_on_and_next_to_the_standard_and_the_margin_are_decided_alike(  # type: ignore[no-untyped-def]
    standard, size, kind, off_by, stable, rounding, at_margin
) -> None:
    """y = S or y = margin × S exactly (both tests are strictly below) and a few fen either side of them."""
    params = ex_gy().override(
        {
            "dibao.std.urban.monthly": Fraction(standard),
            "dibao.std.rural.annual": Fraction(standard * 12),
            "dibao.rounding": rounding,
        }
    )
    period = params.integer("dibao.income.period_months")
    times = params.ratio("margin.multiplier") if at_margin else Fraction(1)
    pension = Income(int(fen(standard) * times) * period * size + off_by)
    h = household(
        "near",
        kind,
        Member(Person("a", 70), pension),
        *(member(f"m{i}", 30 + i) for i in range(1, size)),
        stable=stable,
    )
    assert bulk(h, params) == single(h, params)
    approved, _, _, marginal = bulk(h, params)
    assert (marginal if at_margin else approved) is (off_by < 0)


def test_h01_under_the_ex_gy_set_is_category_c_with_60_yuan() -> None:
    h01 = household(
        "h01",
        HouseholdType.URBAN,
        member("li", 42, wages(1_800)),
        member("wang", 40),
        member("son", 15),
        stable=False,
    )
    assert tuple(DibaoRates.of(ex_gy()).evaluate(facts_of(h01))) == (True, fen(60), Category.C, False)


def test_a_set_that_weakens_the_strict_income_test_or_names_an_unknown_rounding_is_refused() -> None:
    with pytest.raises(ParameterError, match="comparison"):
        DibaoRates.of(ex_gy().override({"dibao.income.comparison": "<="}))
    with pytest.raises(ParameterError, match="rounding"):
        DibaoRates.of(ex_gy().override({"dibao.rounding": "yuan_down"}))
