"""What a temporary-assistance post-check recovers (DOMAIN §7.4, §11.4): a misrepresentation what was paid,
never more; good faith nothing; an amount that cannot be is refused, never recorded."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi_disbursement.domain.ta_recovery import PostCheck, UnusablePostCheck, recovery_owed

fen = st.integers(min_value=0, max_value=10**12)


@given(paid=fen, data=st.data())
def test_a_misrepresentation_recovers_what_it_names_up_to_what_was_paid(
    paid: int, data: st.DataObject
) -> None:
    named = data.draw(st.integers(min_value=0, max_value=paid))
    assert recovery_owed("c", PostCheck.MISREPRESENTED, named, paid) == named


@given(paid=fen, extra=st.integers(min_value=1, max_value=10**9))
def test_more_than_was_paid_is_refused(paid: int, extra: int) -> None:
    with pytest.raises(UnusablePostCheck, match="more than"):
        recovery_owed("c", PostCheck.MISREPRESENTED, paid + extra, paid)


@given(paid=fen)
def test_good_faith_recovers_nothing(paid: int) -> None:
    assert recovery_owed("c", PostCheck.GOOD_FAITH, 0, paid) == 0


@given(named=st.integers(min_value=1, max_value=10**12), paid=fen)
def test_good_faith_naming_an_amount_is_refused(named: int, paid: int) -> None:
    with pytest.raises(UnusablePostCheck, match="good faith"):
        recovery_owed("c", PostCheck.GOOD_FAITH, named, paid)


@given(named=st.integers(max_value=-1), paid=fen, outcome=st.sampled_from([*PostCheck, None]))
def test_a_negative_recovery_is_refused_whatever_the_outcome(
    named: int, paid: int, outcome: PostCheck | None
) -> None:
    with pytest.raises(UnusablePostCheck, match="negative"):
        recovery_owed("c", outcome, named, paid)


def test_a_post_check_without_an_outcome_is_refused() -> None:
    with pytest.raises(UnusablePostCheck, match="no outcome"):
        recovery_owed("c", None, 0, 0)
