"""What a Dibao change does to the entitlements resting on it (DOMAIN §5.4, §5.5, §7.5, H08)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from doudi_eligibility.domain.explain import Programme
from doudi_eligibility.domain.rules.dibao_dependents import Dependent, Effect, dibao_consequences

from .builders import ex_gy, fen

P = ex_gy()
EXTENDED = P.override({"dls.extend_to_marginal": True})
GIRL_FUC = Dependent("fuc", "girl", Programme.UNSUPPORTED_CHILD_ALLOWANCE, 150_150)


def test_h08_the_top_up_is_recomputed_against_the_girls_new_share() -> None:
    [recomputed] = dibao_consequences(fen(150), False, 2, [GIRL_FUC], P)
    assert (recomputed.effect, recomputed.monthly_amount_fen) == (Effect.RECOMPUTE, fen("1525"))


def test_h08_the_top_up_is_the_full_allowance_once_the_dibao_ends() -> None:
    [recomputed] = dibao_consequences(fen(197), True, 2, [GIRL_FUC], P)
    assert (recomputed.effect, recomputed.monthly_amount_fen) == (Effect.RECOMPUTE, fen(1600))


def test_an_unchanged_share_changes_nothing() -> None:
    assert dibao_consequences(fen(197), False, 2, [GIRL_FUC], P) == ()


def test_the_living_subsidy_ends_with_the_dibao_and_no_longer_counts_against_the_top_up() -> None:
    dls = Dependent("dls", "girl", Programme.DISABILITY_LIVING_SUBSIDY, fen(100))
    fuc = Dependent("fuc", "girl", Programme.UNSUPPORTED_CHILD_ALLOWANCE, fen("1401.50"))
    found = {c.entitlement_id: c for c in dibao_consequences(fen(197), True, 2, [dls, fuc], P)}
    assert found["dls"].effect is Effect.END
    assert (found["fuc"].effect, found["fuc"].monthly_amount_fen) == (Effect.RECOMPUTE, fen(1600))


def test_where_the_living_subsidy_extends_to_marginal_households_it_goes_under_review_instead() -> None:
    dls = Dependent("dls", "p", Programme.DISABILITY_LIVING_SUBSIDY, fen(100))
    [reviewed] = dibao_consequences(fen(672), True, 1, [dls], EXTENDED)
    assert reviewed.effect is Effect.REVIEW


def test_a_change_of_amount_does_not_touch_the_living_subsidy_nor_other_programmes() -> None:
    others = [
        Dependent("dls", "p", Programme.DISABILITY_LIVING_SUBSIDY, fen(100)),
        Dependent("dcs", "p", Programme.SEVERE_DISABILITY_CARE_SUBSIDY, fen(100)),
        Dependent("tekun", "q", Programme.TEKUN, fen(607)),
    ]
    assert dibao_consequences(fen(500), False, 2, others, P) == ()
    assert [c.entitlement_id for c in dibao_consequences(fen(500), True, 2, others, P)] == ["dls"]


@given(
    st.integers(min_value=0, max_value=fen(5000)),
    st.integers(min_value=1, max_value=8),
    st.integers(min_value=0, max_value=fen(300)),
)
def test_a_top_up_never_goes_below_zero_and_shrinks_as_the_dibao_grows(
    amount: int, persons: int, dls: int
) -> None:
    def topup(household: int) -> int:
        held = [
            Dependent("fuc", "c", Programme.UNSUPPORTED_CHILD_ALLOWANCE, -1),
            Dependent("dls", "c", Programme.DISABILITY_LIVING_SUBSIDY, dls),
        ]
        [fuc] = [
            c for c in dibao_consequences(household, False, persons, held, P) if c.entitlement_id == "fuc"
        ]
        return fuc.monthly_amount_fen

    assert 0 <= topup(amount + persons) <= topup(amount) <= fen(1600)
