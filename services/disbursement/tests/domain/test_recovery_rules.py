"""Recovery by offset (DOMAIN §11.4, H11) and the payments the bank is sent: an offset never takes more
than its share of a month, never more than is owed, and the bank pays exactly the lines' total."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi_common.errors import FailedPrecondition
from doudi_common.period import Period
from doudi_disbursement.domain.payments import (
    PaymentLine,
    PaymentState,
    bank_key,
    check_hold,
    check_reissue,
    identity_of,
    net_amounts,
)
from doudi_disbursement.domain.recovery import OpenBalance, allocate, offset_cap, recovery_line

THIRTY_PERCENT = Fraction(3, 10)
JULY = Period(2026, 7)


def line(amount: int, component: str = "BASE", period: Period = JULY) -> PaymentLine:
    return PaymentLine(
        beneficiary_id="hh_gao_parents",
        programme="DIBAO",
        period=period,
        component=component,
        amount_fen=amount,
        entitlement_id="ent_x",
        township="640402100000",
        payee_name="高",
        payee_account="6228480000000011",
    )


def test_h11_570_overpaid_is_recovered_from_510_a_month_in_four_months() -> None:
    balance = [OpenBalance("ovp_h11", 57_000)]
    offsets = []
    for month in range(7, 11):
        recovery, taken = recovery_line([line(51_000, period=Period(2026, month))], balance, THIRTY_PERCENT)
        assert recovery is not None
        offsets.append(-recovery.amount_fen)
        left = balance[0].balance_fen - sum(part for _, part in taken)
        balance = [OpenBalance("ovp_h11", left)] if left else []
    assert offsets == [15_300, 15_300, 15_300, 11_100]
    assert sum(offsets) == 57_000


def test_the_recovery_line_has_its_own_identity_and_names_the_line_it_is_deducted_from() -> None:
    base, care = line(41_200), line(19_500, "CARE")
    recovery, _ = recovery_line([base, care], [OpenBalance("ovp", 10**6)], THIRTY_PERCENT)
    assert recovery is not None
    assert recovery.component == "RECOVERY"
    assert recovery.amount_fen == -(60_700 * 3 // 10), "the cap is a share of the whole month"
    assert recovery.offsets_key == base.idempotency_key
    assert recovery.idempotency_key not in {base.idempotency_key, care.idempotency_key}


def test_nothing_is_offset_without_a_balance_or_a_payment() -> None:
    assert recovery_line([line(51_000)], [], THIRTY_PERCENT) == (None, [])
    assert recovery_line([], [OpenBalance("ovp", 100)], THIRTY_PERCENT) == (None, [])


@given(
    st.integers(0, 10**8),
    st.integers(0, 10**8),
    st.fractions(min_value=0, max_value=1),
)
def test_an_offset_never_exceeds_its_share_and_always_leaves_the_carrier_a_fen(
    month: int, carrier: int, share: Fraction
) -> None:
    carrier = min(carrier, month)
    cap = offset_cap(month, carrier, share)
    assert 0 <= cap <= month * share
    assert carrier == 0 or cap <= carrier - 1


@given(
    st.integers(0, 10**7),
    st.lists(st.integers(-10, 10**6), max_size=6),
)
def test_allocation_takes_at_most_the_cap_and_at_most_each_balance_oldest_first(
    cap: int, owed: list[int]
) -> None:
    balances = [OpenBalance(f"ovp_{i}", fen) for i, fen in enumerate(owed)]
    taken = allocate(cap, balances)
    total = sum(part for _, part in taken)
    assert total == min(cap, sum(max(0, fen) for fen in owed))
    by_id = {b.overpayment_id: b.balance_fen for b in balances}
    assert all(0 < part <= by_id[o] for o, part in taken)
    ids = [o for o, _ in taken]
    assert ids == sorted(ids, key=lambda o: int(o.split("_")[1])), "oldest first"
    assert all(by_id[o] == part for o, part in taken[:-1]), "an older one is cleared before a newer"


@given(
    st.lists(st.tuples(st.integers(1, 10**6), st.integers(0, 10**6)), min_size=1, max_size=8),
)
def test_the_bank_is_sent_the_total_of_the_lines_net_of_recoveries(pairs: list[tuple[int, int]]) -> None:
    rows = []
    for i, (amount, offset) in enumerate(pairs):
        rows.append((f"k{i}", "", amount))
        if offset:
            rows.append((f"k{i}:R", f"k{i}", -min(offset, amount - 1)))
    net = net_amounts(rows)
    assert sum(net.values()) == sum(amount for _, _, amount in rows)
    assert all(value >= 1 for value in net.values())
    assert set(net) == {f"k{i}" for i in range(len(pairs))}


def test_a_recovery_without_its_carrier_in_the_batch_is_refused() -> None:
    with pytest.raises(ValueError):
        net_amounts([("k:R", "k", -10)])


@given(st.text(min_size=1).map(lambda s: f"DIBAO:{s}:2026-07:BASE"), st.integers(1, 50))
def test_each_attempt_has_its_own_bank_key_and_all_lead_back_to_the_payment(key: str, attempt: int) -> None:
    assert identity_of(bank_key(key, attempt)) == key
    assert bank_key(key, 1) == key
    assert len({bank_key(key, n) for n in range(1, attempt + 1)}) == attempt


def test_only_a_payment_that_did_not_arrive_can_be_held_or_reissued() -> None:
    check_hold(PaymentState.RETURNED)
    check_reissue(PaymentState.HELD)
    for state in (PaymentState.SETTLED, PaymentState.PENDING, PaymentState.SUBMITTED):
        with pytest.raises(FailedPrecondition):
            check_reissue(state)
    with pytest.raises(FailedPrecondition):
        check_hold(PaymentState.HELD)
