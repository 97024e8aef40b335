"""Months paid before a change made them due for less (DOMAIN §11.4, §12.1): each month's overpayment is
what its monthly lines paid beyond what is now due, and a month is never counted overpaid twice."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from doudi_common.period import Period
from doudi_disbursement.domain import roster
from doudi_disbursement.domain.paid_ahead import monthly_components, overpaid_by_month, overpaid_reason

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


def test_a_change_in_the_household_s_favour_finds_nothing_overpaid() -> None:
    raised = roster.changed(household_x(), MAY, {"BASE": 90_000}, "standard raised")
    assert overpaid_by_month(raised, {MAY: 79_500, JUNE: 79_500}, {}) == {}


def test_the_monthly_components_are_those_of_the_whole_history() -> None:
    tekun = roster.changed(household_x(), MAY, {"BASIC": 60_000, "CARE": 19_500}, "now Tekun")
    assert monthly_components(tekun) == {"BASE", "BASIC", "CARE"}


def test_the_reason_names_what_changed_and_each_month_s_share() -> None:
    reason = overpaid_reason({JUNE: 28_500, MAY: 28_500}, "the change effective 2026-05")
    assert reason == (
        "paid before the change effective 2026-05 took effect (DOMAIN §11.4): 2026-05 285.00 yuan,"
        " 2026-06 285.00 yuan"
    )


amounts = st.integers(min_value=0, max_value=200_000)


@given(
    before=amounts,
    after=amounts,
    effective=st.integers(min_value=0, max_value=11),
    paid_months=st.lists(st.integers(min_value=0, max_value=11), unique=True, max_size=12),
    already=st.dictionaries(st.integers(min_value=0, max_value=11), amounts, max_size=12),
)
def test_no_finding_is_negative_and_with_what_was_found_never_exceeds_paid_less_due(
    before: int, after: int, effective: int, paid_months: list[int], already: dict[int, int]
) -> None:
    january = Period(2026, 1)
    entry = roster.changed(household_x(before), january.plus(effective), {"BASE": after}, "changed")
    paid = {january.plus(month): before for month in paid_months}
    found = {january.plus(month): amount for month, amount in already.items()}
    overpaid = overpaid_by_month(entry, paid, found)
    assert set(overpaid) <= set(paid)
    for month, amount in overpaid.items():
        due = sum(entry.amounts_for(month).values())
        assert amount > 0
        assert amount + found.get(month, 0) == paid[month] - due
    for month in set(paid) - set(overpaid):
        assert paid[month] - sum(entry.amounts_for(month).values()) <= found.get(month, 0)
