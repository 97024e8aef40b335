"""Arrears (DOMAIN §11.4): the months a reversed decision or a lifted suspension withheld, month by month,
and the roster that stops paying those months as monthly lines once arrears pay them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from doudi_common.period import Period
from doudi_disbursement.domain import arrears, roster

JAN, FEB, MAR, APR, MAY, JUN, JUL = (Period(2026, m) for m in range(1, 8))


def h13_entry() -> roster.RosterEntry:
    """H13: 870 from January, the son's share (290) cut from April by the work-refusal sanction."""
    entry = roster.activated(
        entitlement_id="ent_wu",
        beneficiary_id="hh_wu",
        programme="DIBAO",
        township="640402100000",
        payee_name="吴",
        payee_account="6228480000000013",
        start=JAN,
        components={"BASE": 87_000},
        existing=None,
    )
    return roster.changed(entry, APR, {"BASE": 58_000}, "拒绝就业三次：停发子女份额")


def test_h13_the_revoked_sanction_owes_290_for_april_and_may() -> None:
    owed = arrears.owed_by_month(h13_entry(), 87_000, JUN)
    assert owed == {APR: 29_000, MAY: 29_000}
    assert arrears.arrears_lines(58_000, owed, JUN) == {APR: 29_000, MAY: 29_000}


def test_after_the_reversal_april_and_may_pay_580_as_monthly_lines_and_june_870() -> None:
    restored = roster.reinstated(h13_entry(), JUN, {"BASE": 87_000}, "appeal revoked")
    assert restored.amounts_for(APR) == {"BASE": 58_000}, "the arrears line adds the rest"
    assert restored.amounts_for(JUN) == {"BASE": 87_000}


def test_a_lifted_suspension_owes_the_whole_amount_of_each_held_month() -> None:
    held = roster.suspended(h13_entry(), MAY)
    assert arrears.withheld_from(held, JUL) == MAY
    assert arrears.owed_by_month(held, 58_000, JUL) == {MAY: 58_000, JUN: 58_000}


def test_held_months_are_paid_only_as_arrears_after_a_resumption_or_reversal() -> None:
    held = roster.suspended(h13_entry(), MAY)
    resumed = roster.activated(
        entitlement_id="ent_wu",
        beneficiary_id="hh_wu",
        programme="DIBAO",
        township="640402100000",
        payee_name="",
        payee_account="",
        start=JUL,
        components={"BASE": 58_000},
        existing=held,
    )
    assert [resumed.amounts_for(m) for m in (APR, MAY, JUN, JUL)] == [
        {"BASE": 58_000},
        {},
        {},
        {"BASE": 58_000},
    ]
    reinstated = roster.reinstated(roster.terminated(h13_entry(), APR), JUL, {"BASE": 87_000}, "revoked")
    assert [reinstated.amounts_for(m) for m in (APR, MAY, JUN, JUL)] == [
        {"BASE": 58_000},
        {},
        {},
        {"BASE": 87_000},
    ]


def test_a_termination_reversed_owes_the_months_after_the_last_paid() -> None:
    ended = roster.terminated(h13_entry(), APR)
    assert arrears.owed_by_month(ended, 87_000, JUL) == {MAY: 87_000, JUN: 87_000}


def test_months_that_paid_as_much_as_the_restored_amount_owe_nothing() -> None:
    assert arrears.owed_by_month(h13_entry(), 58_000, JUN) == {}


@given(
    st.integers(0, 10**7),
    st.dictionaries(st.integers(1, 12).map(lambda m: Period(2026, m)), st.integers(1, 10**6), max_size=12),
)
def test_the_stated_arrears_are_always_paid_in_full_once(stated: int, owed: dict[Period, int]) -> None:
    lines = arrears.arrears_lines(stated, owed, Period(2027, 1))
    assert sum(lines.values()) == max(stated, 0)
    assert all(amount > 0 for amount in lines.values())
    assert all(month < Period(2027, 1) for month in lines)


@given(
    st.integers(1, 10**6),
    st.integers(0, 10**6),
    st.integers(2, 6),
    st.integers(1, 6),
    st.sampled_from(["changed", "suspended", "terminated"]),
)
def test_each_withheld_month_pays_the_restored_amount_once_lines_and_arrears_together(
    restored: int, reduced: int, cut: int, held_for: int, how: str
) -> None:
    start, cut_from = JAN, Period(2026, cut)
    restore_from = cut_from.plus(held_for)
    entry = roster.activated(
        entitlement_id="ent",
        beneficiary_id="hh",
        programme="DIBAO",
        township="640402100000",
        payee_name="x",
        payee_account="6228480000000001",
        start=start,
        components={"BASE": restored},
        existing=None,
    )
    if how == "changed":
        entry = roster.changed(entry, cut_from, {"BASE": reduced}, "cut")
    elif how == "suspended":
        entry = roster.suspended(entry, cut_from)
    else:
        entry = roster.terminated(entry, cut_from.previous())
    owed = arrears.owed_by_month(entry, restored, restore_from)
    lines = arrears.arrears_lines(sum(owed.values()), owed, restore_from)
    after = roster.reinstated(entry, restore_from, {"BASE": restored}, "revoked")
    month = cut_from
    while month < restore_from:
        monthly = sum(after.amounts_for(month).values())
        assert monthly + lines.get(month, 0) == max(restored, monthly)
        month = month.next()
    assert sum(after.amounts_for(restore_from).values()) == restored
