"""The roster pays what was due each month; payments are unique by key; release needs a second person."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi_common.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from doudi_common.period import Period
from doudi_disbursement.domain import roster, runs
from doudi_disbursement.domain.payments import lines_for

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
JAN, FEB, MAR, APR, MAY = (Period(2026, m) for m in range(1, 6))


def entry(**components: int) -> roster.RosterEntry:
    return roster.activated(
        entitlement_id="ent_1",
        beneficiary_id="hh_1",
        programme="DIBAO",
        township="640402100000",
        payee_name="李建军",
        payee_account="6228480000000001",
        start=FEB,
        components=components or {"BASE": 6_000},
        existing=None,
    )


def test_nothing_is_paid_before_the_start_month() -> None:
    assert entry().amounts_for(JAN) == {}
    assert entry().amounts_for(FEB) == {"BASE": 6_000}


def test_a_change_applies_from_its_month_and_earlier_months_keep_their_amount() -> None:
    changed = roster.changed(entry(), APR, {"BASE": 46_700}, "渐退：金额冻结")
    assert changed.amounts_for(MAR) == {"BASE": 6_000}
    assert changed.amounts_for(APR) == {"BASE": 46_700}
    assert changed.amounts_for(MAY) == {"BASE": 46_700}


def test_suspension_and_termination_stop_payment_from_their_month() -> None:
    assert roster.suspended(entry(), APR).amounts_for(MAR) == {"BASE": 6_000}
    assert roster.suspended(entry(), APR).amounts_for(APR) == {}
    assert roster.terminated(entry(), MAR).amounts_for(MAR) == {"BASE": 6_000}
    assert roster.terminated(entry(), MAR).amounts_for(APR) == {}


def test_resuming_after_a_suspension_pays_again() -> None:
    held = roster.suspended(entry(), MAR)
    resumed = roster.activated(
        entitlement_id="ent_1",
        beneficiary_id="hh_1",
        programme="DIBAO",
        township="640402100000",
        payee_name="",
        payee_account="",
        start=MAY,
        components={"BASE": 6_000},
        existing=held,
    )
    assert resumed.amounts_for(APR) == {}, "the held month is paid as arrears, not here"
    assert resumed.amounts_for(MAY) == {"BASE": 6_000}
    assert resumed.payee_account == "6228480000000001"


def test_tekun_pays_basic_and_care_as_separate_payments_with_distinct_keys() -> None:
    tekun = entry(BASE=41_200, CARE=19_500)
    lines = list(lines_for([tekun], MAR))
    assert [(line.component, line.amount_fen) for line in lines] == [("BASE", 41_200), ("CARE", 19_500)]
    assert len({line.idempotency_key for line in lines}) == 2


@given(st.lists(st.tuples(st.integers(1, 12), st.integers(0, 10**7)), max_size=8), st.integers(1, 12))
def test_the_amount_in_force_is_the_latest_change_not_after_the_month(
    changes: list[tuple[int, int]], month: int
) -> None:
    current = entry()
    for change_month, amount in changes:
        current = roster.changed(current, Period(2026, change_month), {"BASE": amount}, "change")
    period = Period(2026, month)
    expected = None if period < FEB else 6_000
    for change_month, amount in changes:
        if Period(2026, change_month) <= period and period >= FEB:
            expected = amount
    paid = current.amounts_for(period).get("BASE")
    assert paid == (expected or None)


def a_run() -> runs.Run:
    return runs.generated(
        runs.Run("run_1", MAR, "640402000000", runs.RunState.GENERATING, "county-clerk", NOW, NOW),
        runs.Totals(2, 12_000, held_count=1, held_fen=50_000),
        NOW,
    )


def test_the_creator_cannot_release_their_own_run() -> None:
    with pytest.raises(PermissionDenied):
        runs.approve(a_run(), "county-clerk", 2, 12_000, NOW)


def test_release_confirms_the_control_totals() -> None:
    with pytest.raises(InvalidArgument) as raised:
        runs.approve(a_run(), "finance-officer", 2, 12_001, NOW)
    assert raised.value.violations[0].field == "expected_total_fen"
    released = runs.approve(a_run(), "finance-officer", 2, 12_000, NOW)
    assert (released.state, released.approved_by) == (runs.RunState.RELEASED, "finance-officer")


def test_held_lines_are_no_part_of_the_totals_the_approver_confirms() -> None:
    waiting = a_run()
    assert (waiting.held_count, waiting.held_fen) == (1, 50_000)
    with pytest.raises(InvalidArgument):
        runs.approve(waiting, "finance-officer", 3, 62_000, NOW)


@given(
    st.lists(
        st.tuples(
            st.integers(0, 10**6), st.integers(0, 10**12), st.integers(0, 10**6), st.integers(0, 10**12)
        ),
        max_size=8,
    )
)
def test_a_runs_totals_are_the_sum_of_its_shards(shards: list[tuple[int, int, int, int]]) -> None:
    total = sum((runs.Totals(*shard) for shard in shards), runs.Totals())
    columns = [sum(column) for column in zip(*shards, strict=True)] if shards else [0, 0, 0, 0]
    assert total == runs.Totals(*columns)


def test_a_released_run_can_no_longer_be_recounted() -> None:
    released = runs.approve(a_run(), "finance-officer", 2, 12_000, NOW)
    with pytest.raises(FailedPrecondition):
        runs.recounted(released, runs.Totals(3, 62_000), NOW)


def test_a_held_line_reissued_after_release_leaves_the_held_lines_and_the_approved_totals_stay() -> None:
    released = runs.approve(a_run(), "finance-officer", 2, 12_000, NOW)
    paid = runs.reissued(released, 1, 50_000, NOW)
    assert runs.totals_of(paid) == runs.Totals(2, 12_000, 0, 0, 1, 50_000)
    closed = runs.close(released, NOW)
    assert runs.totals_of(runs.reissued(closed, 1, 50_000, NOW)) == runs.totals_of(paid)
    with pytest.raises(FailedPrecondition):
        runs.reissued(a_run(), 1, 50_000, NOW)  # before release it moves into the totals instead


def test_a_run_released_before_held_lines_were_counted_apart_keeps_them_in_its_totals() -> None:
    before = runs.Totals(3, 62_000)
    assert runs.reissued_after_release(before, 1, 50_000) == before


@given(
    st.lists(st.integers(-(10**6), 10**9), min_size=1, max_size=8),
    st.lists(st.tuples(st.integers(1, 3), st.integers(-(10**6), 10**9)), max_size=10),
    st.integers(0, 10**6),
    st.integers(0, 10**12),
)
def test_every_line_counts_once_whatever_is_reissued_after_release(
    held: list[int], reissues: list[tuple[int, int]], count: int, fen: int
) -> None:
    start = runs.Totals(count, fen, len(held), sum(held))
    totals = start
    for lines, amount in reissues:
        totals = runs.reissued_after_release(totals, lines, amount)
        assert totals.held_count >= 0 and totals.reissued_count >= 0
    assert (totals.payment_count, totals.total_fen) == (count, fen)
    assert totals.held_count + totals.reissued_count == len(held)
    assert totals.held_fen + totals.reissued_fen == sum(held)


def test_a_released_run_can_no_longer_be_held_or_cancelled() -> None:
    released = runs.approve(a_run(), "finance-officer", 2, 12_000, NOW)
    with pytest.raises(FailedPrecondition):
        runs.hold(released, "核对", NOW)
    with pytest.raises(FailedPrecondition):
        runs.cancel(released, "核对", NOW)
    held = runs.hold(a_run(), "核对名单", NOW)
    assert runs.resume(held, NOW).state is runs.RunState.AWAITING_APPROVAL


def test_a_run_not_released_after_its_pay_date_is_late_and_a_released_one_never_is() -> None:
    waiting = a_run()
    assert not runs.is_late(waiting, date(2026, 3, 10), pay_day_of_month=10)
    assert runs.is_late(waiting, date(2026, 3, 11), pay_day_of_month=10)
    assert runs.is_late(runs.hold(waiting, "核对名单", NOW), date(2026, 4, 1), pay_day_of_month=10)
    released = runs.approve(waiting, "finance-officer", 2, 12_000, NOW)
    assert not runs.is_late(released, date(2026, 12, 31), pay_day_of_month=10)


@given(st.integers(1, 31), st.integers(1, 12))
def test_the_pay_date_falls_inside_its_month(pay_day: int, month: int) -> None:
    due = runs.pay_date(Period(2024, month), pay_day)
    assert (due.year, due.month) == (2024, month)
    assert due.day == pay_day or due.day < pay_day


def test_h06_the_gradual_exit_pays_467_frozen_for_twelve_months_then_nothing() -> None:
    liu = roster.activated(
        entitlement_id="ent_liu",
        beneficiary_id="hh_liu",
        programme="DIBAO",
        township="640402100000",
        payee_name="刘",
        payee_account="6228480000000006",
        start=Period(2024, 1),
        components={"BASE": 46_700},
        existing=None,
    )
    frozen = roster.changed(liu, Period(2024, 8), {"BASE": 46_700}, "渐退：金额冻结")
    ended = roster.terminated(frozen, Period(2025, 7))
    months = [Period(2024, 8).plus(n) for n in range(12)]
    assert {m: ended.amounts_for(m)["BASE"] for m in months} == dict.fromkeys(months, 46_700)
    assert ended.amounts_for(Period(2025, 8)) == {}
