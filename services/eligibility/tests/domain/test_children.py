"""Orphan and de facto unsupported child (FUC) allowances, with the FUC top-up (DOMAIN §5.5)."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from doudi_common.disability import Disability, DisabilityType
from doudi_eligibility.domain.explain import Outcome
from doudi_eligibility.domain.rules.children import (
    ChildFacts,
    Parent,
    ParentStatus,
    assess_fuc,
    assess_orphan,
)
from doudi_eligibility.domain.rules.facts import Person

from .builders import ex_gy, fen

P = ex_gy()
S = ParentStatus


def test_h07_the_boy_whose_parents_are_dead_or_declared_dead_is_an_orphan_with_1600() -> None:
    boy = ChildFacts(Person("boy", 12), Parent(S.DEAD), Parent(S.DECLARED_DEAD))
    decision = assess_orphan(boy, P)
    assert decision.approved
    assert decision.monthly_amount_fen == fen(1600)


def test_h07_at_18_the_orphan_allowance_ends_unless_he_is_still_in_school() -> None:
    adult = ChildFacts(Person("boy", 18), Parent(S.DEAD), Parent(S.DEAD))
    assert not assess_orphan(adult, P).approved
    student = ChildFacts(Person("boy", 18, in_school=True), Parent(S.DEAD), Parent(S.DEAD))
    assert assess_orphan(student, P).approved


def h08(dibao_amount: int = fen(197)) -> ChildFacts:
    return ChildFacts(
        Person("girl", 8),
        father=Parent(S.DEPRIVED_OF_LIBERTY, months=60),
        mother=Parent(S.LOST_CONTACT, months=36),
        dibao_household_amount_fen=dibao_amount,
        dibao_counted_members=2,
    )


def test_h08_a_girl_with_a_father_in_prison_and_a_mother_lost_is_fuc_topped_up_to_1501_50() -> None:
    result = assess_fuc(h08(), P)
    assert result.decision.approved
    assert result.dibao_share_fen == fen("98.50")
    assert result.topup_fen == fen("1501.50")
    assert result.decision.monthly_amount_fen == fen("1501.50")


def test_h08_the_top_up_follows_a_change_in_the_household_dibao_amount() -> None:
    assert assess_fuc(h08(fen(300)), P).topup_fen == fen(1450)


def test_a_parent_absent_for_less_than_six_months_does_not_make_the_child_fuc() -> None:
    facts = ChildFacts(
        Person("c", 5), Parent(S.DEPRIVED_OF_LIBERTY, months=5), Parent(S.LOST_CONTACT, months=12)
    )
    assert assess_fuc(facts, P).decision.check_for("FUC").outcome is Outcome.FAIL


def test_one_dead_parent_and_one_severely_disabled_parent_make_the_child_fuc() -> None:
    facts = ChildFacts(
        Person("c", 5),
        Parent(S.DEAD),
        Parent(S.SEVERE_DISABILITY, disability=Disability(DisabilityType.MENTAL, 4)),
    )
    assert assess_fuc(facts, P).decision.approved


def test_a_child_whose_parents_are_both_dead_is_an_orphan_not_fuc() -> None:
    facts = ChildFacts(Person("c", 5), Parent(S.DEAD), Parent(S.DEAD))
    assert not assess_fuc(facts, P).decision.approved


def test_guardianship_revoked_counts_only_where_the_province_adds_it() -> None:
    facts = ChildFacts(Person("c", 5), Parent(S.GUARDIANSHIP_REVOKED), Parent(S.GUARDIANSHIP_REVOKED))
    assert not assess_fuc(facts, P).decision.approved
    guangdong = P.override({"fuc.local_conditions": "GUARDIANSHIP_REVOKED,DEPORTED"})
    assert assess_fuc(facts, guangdong).decision.approved


@settings(max_examples=60, deadline=None)
@given(
    amount=st.integers(min_value=0, max_value=fen(5000)),
    members=st.integers(min_value=1, max_value=8),
    dls=st.integers(min_value=0, max_value=fen(300)),
)
def test_the_top_up_is_the_shortfall_never_negative_and_never_below_it(
    amount: int, members: int, dls: int
) -> None:
    facts = ChildFacts(
        Person("c", 9),
        Parent(S.DEPRIVED_OF_LIBERTY, months=12),
        Parent(S.LOST_CONTACT, months=12),
        dibao_household_amount_fen=amount,
        dibao_counted_members=members,
        dls_fen=dls,
    )
    result = assess_fuc(facts, P)
    shortfall = fen(1600) - Fraction(amount, members) - dls
    assert result.topup_fen >= 0
    assert result.topup_fen >= shortfall
    assert result.topup_fen - max(shortfall, 0) < 1
