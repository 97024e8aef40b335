"""Months paid before a change made them due for less (DOMAIN §11.4, §12.1): each month's overpayment is
what its monthly lines paid beyond what is now due, and a month is never counted overpaid twice."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from doudi_common.period import Period
from doudi_disbursement.domain import roster
from doudi_disbursement.domain.paid_ahead import (
    differences_by_month,
    monthly_components,
    overpaid_by_month,
    overpaid_reason,
    owed_by_month,
    owed_reason,
)

MAY, JUNE, JULY = Period(2026, 5), Period(2026, 6), Period(2026, 7)


def household_x(monthly_fen: int = 79_500) -> roster.RosterEntry:
    return roster.activated(
        entitlement_id="ent_x",
        beneficiary_id="hh_gao_parents",
        programme="DIBAO",
        township="640402100000",
        payee_name="高父",
        payee_account="6228480000000011",
        start=Period(2026, 1),
        components={"BASE": monthly_fen},
        existing=None,
    )


def test_h11_x_recomputed_from_may_after_may_and_june_were_paid_overpaid_570() -> None:
    recomputed = roster.changed(household_x(), MAY, {"BASE": 51_000}, "member moved to county Y")
    paid = {Period(2026, 4): 79_500, MAY: 79_500, JUNE: 79_500}
    assert overpaid_by_month(recomputed, paid, {}) == {MAY: 28_500, JUNE: 28_500}
    assert sum(overpaid_by_month(recomputed, paid, {}).values()) == 57_000


def test_a_month_found_overpaid_before_counts_only_what_a_later_change_adds() -> None:
    recomputed = roster.changed(household_x(), MAY, {"BASE": 51_000}, "member moved")
    cut_again = roster.changed(recomputed, JUNE, {"BASE": 40_000}, "income rose")
    found = {MAY: 28_500, JUNE: 28_500}
    assert overpaid_by_month(cut_again, {MAY: 79_500, JUNE: 79_500}, found) == {JUNE: 11_000}
    assert overpaid_by_month(recomputed, {MAY: 79_500, JUNE: 79_500}, found) == {}


def test_a_stop_or_suspension_makes_every_paid_month_after_it_overpaid_whole() -> None:
    paid = {MAY: 79_500, JUNE: 79_500, JULY: 79_500}
    assert overpaid_by_month(roster.terminated(household_x(), MAY), paid, {}) == {JUNE: 79_500, JULY: 79_500}
    assert overpaid_by_month(roster.suspended(household_x(), JULY), paid, {}) == {JULY: 79_500}


def test_a_change_in_the_household_s_favour_owes_each_paid_month_the_difference() -> None:
    raised = roster.changed(household_x(), MAY, {"BASE": 90_000}, "standard raised")
    paid = {MAY: 79_500, JUNE: 79_500}
    assert overpaid_by_month(raised, paid, {}) == {}
    assert owed_by_month(raised, paid, {}) == {MAY: 10_500, JUNE: 10_500}
    assert owed_by_month(raised, paid, {MAY: -10_500, JUNE: -10_500}) == {}, "owed once"


def test_a_month_owed_a_top_up_and_then_cut_is_overpaid_by_what_it_received_beyond_due() -> None:
    raised = roster.changed(household_x(), MAY, {"BASE": 90_000}, "standard raised")
    cut = roster.changed(raised, MAY, {"BASE": 60_000}, "income rose")
    assert overpaid_by_month(cut, {MAY: 79_500}, {MAY: -10_500}) == {MAY: 30_000}


def test_the_monthly_components_are_those_of_the_whole_history() -> None:
    tekun = roster.changed(household_x(), MAY, {"BASIC": 60_000, "CARE": 19_500}, "now Tekun")
    assert monthly_components(tekun) == {"BASE", "BASIC", "CARE"}


def test_the_reason_names_what_changed_and_each_month_s_share() -> None:
    reason = overpaid_reason({JUNE: 28_500, MAY: 28_500}, "the change effective 2026-05")
    assert reason == (
        "paid before the change effective 2026-05 took effect (DOMAIN §11.4): 2026-05 285.00 yuan,"
        " 2026-06 285.00 yuan"
    )
    assert owed_reason({MAY: 10_500}, "the change effective 2026-05") == (
        "paid short before the change effective 2026-05 took effect (DOMAIN §11.4): 2026-05 105.00 yuan"
    )


amounts = st.integers(min_value=0, max_value=200_000)


@given(
    before=amounts,
    after=amounts,
    effective=st.integers(min_value=0, max_value=11),
    paid_months=st.lists(st.integers(min_value=0, max_value=11), unique=True, max_size=12),
    already=st.dictionaries(
        st.integers(min_value=0, max_value=11),
        st.integers(min_value=-200_000, max_value=200_000),
        max_size=12,
    ),
)
def test_each_paid_month_is_found_overpaid_or_owed_by_exactly_what_earlier_changes_left(
    before: int, after: int, effective: int, paid_months: list[int], already: dict[int, int]
) -> None:
    january = Period(2026, 1)
    entry = roster.changed(household_x(before), january.plus(effective), {"BASE": after}, "changed")
    paid = {january.plus(month): before for month in paid_months}
    found = {january.plus(month): amount for month, amount in already.items()}
    overpaid, owed = overpaid_by_month(entry, paid, found), owed_by_month(entry, paid, found)
    assert not set(overpaid) & set(owed)
    assert set(overpaid) | set(owed) == set(differences_by_month(entry, paid, found)) <= set(paid)
    for month in paid:
        due = sum(entry.amounts_for(month).values())
        assert all(amount > 0 for amount in (*overpaid.values(), *owed.values()))
        # After this finding, what the month received net of every finding is what is due.
        assert paid[month] - found.get(month, 0) - overpaid.get(month, 0) + owed.get(month, 0) == due
