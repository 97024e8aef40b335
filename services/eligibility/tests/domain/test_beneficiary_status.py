"""A current beneficiary is someone an entitlement pays now: active, under review or in gradual exit."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from doudi_eligibility.domain.beneficiary_status import CURRENT_STATES, current_programmes
from doudi_eligibility.domain.explain import Programme
from doudi_eligibility.domain.machines.entitlement import State

held = st.lists(st.tuples(st.sampled_from(Programme), st.sampled_from(State)), max_size=8)


def test_paid_states_make_a_current_beneficiary_and_the_others_do_not() -> None:
    assert current_programmes([(Programme.DIBAO, State.ACTIVE)]) == (Programme.DIBAO,)
    assert current_programmes([(Programme.TEKUN, State.UNDER_REVIEW)]) == (Programme.TEKUN,)
    assert current_programmes([(Programme.DIBAO, State.GRADUAL_EXIT)]) == (Programme.DIBAO,)
    for state in (State.PENDING_START, State.SUSPENDED, State.TERMINATION_PENDING, State.TERMINATED):
        assert current_programmes([(Programme.DIBAO, state)]) == ()


@given(held)
def test_each_programme_with_a_paid_entitlement_is_named_once_in_a_fixed_order(
    entitlements: list[tuple[Programme, State]],
) -> None:
    answer = current_programmes(entitlements)
    assert set(answer) == {p for p, s in entitlements if s in CURRENT_STATES}
    assert len(answer) == len(set(answer))
    assert answer == current_programmes(reversed(entitlements))
