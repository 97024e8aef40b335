"""The stacking and exclusivity matrix (DOMAIN §5.8), with Tekun's precedence over Dibao (§5.2.2)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from doudi_eligibility.domain.rules.dibao import assess_dibao, household_without
from doudi_eligibility.domain.rules.facts import HouseholdType
from doudi_eligibility.domain.rules.stacking import EXCLUSIVE_PAIRS, Benefit, stack

from .builders import ex_gy, fen, household, income, member

P = ex_gy()
B = Benefit


def test_tekun_takes_precedence_over_dibao_and_over_the_two_subsidies_in_ex_gy() -> None:
    result = stack(frozenset({B.TEKUN, B.DIBAO, B.DLS, B.DCS}), P)
    assert result.paid == {B.TEKUN}
    assert {b for b, _ in result.refused} == {B.DIBAO, B.DLS, B.DCS}


def test_a_province_that_pays_the_care_subsidy_to_tekun_persons_is_configured_by_parameter() -> None:
    result = stack(frozenset({B.TEKUN, B.DCS}), P.override({"stacking.tekun_with_dcs": True}))
    assert result.paid == {B.TEKUN, B.DCS}


def test_h07_the_boy_must_choose_between_tekun_and_the_orphan_allowance_and_neither_is_paid_before() -> None:
    undecided = stack(frozenset({B.TEKUN, B.ORPHAN}), P)
    assert undecided.choice_required == {B.TEKUN, B.ORPHAN}
    assert undecided.paid == frozenset()
    chose = stack(frozenset({B.TEKUN, B.ORPHAN, B.DIBAO}), P, chosen=B.ORPHAN)
    assert chose.paid == {B.ORPHAN}


def test_h08_dibao_and_fuc_are_both_paid_with_the_fuc_topped_up() -> None:
    result = stack(frozenset({B.DIBAO, B.FUC}), P)
    assert result.paid == {B.DIBAO, B.FUC}
    assert result.topped_up == {B.FUC}


def test_an_orphan_gets_the_care_subsidy_but_not_the_living_subsidy() -> None:
    result = stack(frozenset({B.ORPHAN, B.DLS, B.DCS}), P)
    assert result.paid == {B.ORPHAN, B.DCS}


def test_h12_a_work_injury_care_allowance_excludes_both_subsidies() -> None:
    result = stack(frozenset({B.WORK_INJURY_CARE, B.DCS, B.DLS, B.DIBAO}), P)
    assert B.DCS not in result.paid and B.DLS not in result.paid
    assert B.DIBAO in result.paid


def test_h04_ma_as_tekun_leaves_the_dibao_count_and_the_rest_of_a_household_is_assessed_alone() -> None:
    h = household(
        "mixed",
        HouseholdType.RURAL,
        member("ma", 67, income(1500)),
        member("nephew", 30, income(2400)),
        stable=True,
    )
    rest = assess_dibao(household_without(h, "ma", "TEKUN"), P)
    assert rest.income.members == 1
    assert rest.income.per_capita_monthly_fen == fen(200)


@settings(max_examples=80, deadline=None)
@given(
    qualifies=st.frozensets(st.sampled_from(list(Benefit))),
    chosen=st.sampled_from([None, B.TEKUN, B.ORPHAN, B.FUC]),
    tekun_dls=st.booleans(),
    tekun_dcs=st.booleans(),
)
def test_no_exclusive_pair_is_ever_paid_and_temporary_assistance_always_is(
    qualifies: frozenset[Benefit], chosen: Benefit | None, tekun_dls: bool, tekun_dcs: bool
) -> None:
    params = P.override({"stacking.tekun_with_dls": tekun_dls, "stacking.tekun_with_dcs": tekun_dcs})
    result = stack(qualifies, params, chosen=chosen)
    assert result.paid <= qualifies
    for pair in EXCLUSIVE_PAIRS:
        assert not pair <= result.paid
    assert (B.TEMPORARY_ASSISTANCE in result.paid) == (B.TEMPORARY_ASSISTANCE in qualifies)
    assert result.paid.isdisjoint(result.choice_required)
