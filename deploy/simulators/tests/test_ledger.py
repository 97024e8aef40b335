"""The simulated bank pays each idempotency key at most once and checks control totals."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from doudi_common.errors import InvalidArgument, NotFound
from doudi_sim.ledger import Ledger, Order, batch_violations, plainly_valid


def orders(*keys_and_amounts: tuple[str, int], account: str = "6222020000001234") -> list[Order]:
    return [Order(key, "张三", account, amount) for key, amount in keys_and_amounts]


def test_a_key_is_paid_once_across_batches() -> None:
    ledger = Ledger()
    first = ledger.submit("r1", orders(("k1", 100), ("k2", 200)), 2, 300)
    second = ledger.submit("r2", orders(("k2", 200), ("k3", 300)), 2, 500)
    assert first.duplicate_keys == ()
    assert second.duplicate_keys == ("k2",)
    assert ledger.paid_count() == 3


def test_resubmitting_a_batch_returns_the_same_batch() -> None:
    ledger = Ledger()
    first = ledger.submit("r1", orders(("k1", 100)), 1, 100)
    assert ledger.submit("r1", orders(("k1", 100)), 1, 100) == first
    assert ledger.paid_count() == 1


def test_control_totals_and_amounts_are_checked() -> None:
    with pytest.raises(InvalidArgument) as raised:
        Ledger().submit("r1", orders(("k1", 100), ("k2", 0)), 3, 999)
    fields = {v.field for v in raised.value.violations}
    assert fields == {"orders[1].amount_fen", "control_count", "control_total_fen"}


def test_a_closed_account_comes_back_returned() -> None:
    ledger = Ledger(return_accounts_ending="0000")
    batch = ledger.submit("r1", orders(("k1", 100), account="6222020000000000"), 1, 100)
    (outcome,) = ledger.status(batch.batch_id)
    assert (outcome.result, outcome.reason) == ("RETURNED", "account closed")


def test_an_unknown_batch_is_not_found() -> None:
    with pytest.raises(NotFound):
        Ledger().status("batch-missing")


def test_the_books_show_each_key_once_with_every_order_that_carried_it() -> None:
    ledger = Ledger(return_accounts_ending="0000")
    ledger.submit("r1", orders(("k1", 100), ("k2", 200)), 2, 300)
    ledger.submit("r1", orders(("k1", 100), ("k2", 200)), 2, 300)  # the same batch again
    ledger.submit("r2", orders(("k2", 999), account="6222020000000000"), 1, 999)
    k1, k2 = ledger.bookings()
    assert (k1.idempotency_key, k1.amount_fen, k1.result) == ("k1", 100, "SETTLED")
    assert (k1.times_ordered, k1.batch_request_ids) == (2, ("r1",))
    # The key was paid by its first order: neither the later amount nor the later account counts.
    assert (k2.amount_fen, k2.account_number, k2.result) == (200, "6222020000001234", "SETTLED")
    assert (k2.times_ordered, k2.batch_request_ids) == (3, ("r1", "r2"))
    assert [b.idempotency_key for b in ledger.bookings("2")] == ["k2"]


def test_an_invalid_batch_books_nothing() -> None:
    ledger = Ledger()
    with pytest.raises(InvalidArgument):
        ledger.submit("r1", orders(("k1", 100)), 2, 100)
    assert ledger.bookings() == []


batches = st.lists(
    st.builds(
        Order,
        st.sampled_from(["", "k1", "k2", "k3", "k4"]),
        st.just("张三"),
        st.sampled_from(["", "6222020000001234"]),
        st.integers(min_value=-1, max_value=3),
    ),
    max_size=5,
)


@given(st.sampled_from(["", "r1"]), batches, st.integers(0, 6), st.integers(-2, 12))
@example("r1", [Order("k1", "张三", "6222020000001234", 3), Order("k2", "张三", "6222020000001234", 1)], 2, 4)
def test_a_batch_passes_the_quick_check_exactly_when_the_detailed_one_finds_nothing(
    request_id: str, batch: list[Order], control_count: int, control_total_fen: int
) -> None:
    assert plainly_valid(request_id, batch, control_count, control_total_fen) == (
        not batch_violations(request_id, batch, control_count, control_total_fen)
    )
