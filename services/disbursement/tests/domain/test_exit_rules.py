"""How the roster pays an entitlement that leaves Dibao (DOMAIN §5.1.6, §7.3, §13 H06): a gradual exit pays
its frozen amount up to its last frozen month and nothing after; a return to ACTIVE pays on; a voluntary
exit's bonus is one line of its own component."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from doudi_common.period import Period
from doudi_disbursement.domain import roster
from doudi_disbursement.domain.exit_bonus import EXIT_BONUS, exit_bonus_key, exit_bonus_line
from doudi_disbursement.domain.payments import lines_for

START = Period(2024, 2)


def h06() -> roster.RosterEntry:
    return roster.activated(
        entitlement_id="ent_h06",
        beneficiary_id="app_h06",
        programme="DIBAO",
        township="640402100000",
        payee_name="刘建军",
        payee_account="6228480000000006",
        start=START,
        components={"BASE": 46_700},
        existing=None,
    )


def test_h06_467_is_paid_from_august_2024_to_july_2025_and_not_from_august_2025() -> None:
    frozen = roster.in_gradual_exit(
        roster.changed(h06(), Period(2024, 8), {"BASE": 46_700}, "渐退"), Period(2025, 7)
    )
    assert frozen.amounts_for(Period(2024, 8)) == {"BASE": 46_700}
    assert frozen.amounts_for(Period(2025, 7)) == {"BASE": 46_700}
    assert frozen.amounts_for(Period(2025, 8)) == {}
    # The sweep's EntitlementTerminated names the same last month: nothing changes.
    assert roster.terminated(frozen, Period(2025, 7)) == frozen


@given(st.integers(0, 40), st.integers(0, 40))
def test_nothing_is_paid_after_the_last_frozen_month_and_a_return_to_active_pays_on(
    frozen_months: int, later: int
) -> None:
    last = Period(2024, 7).plus(frozen_months)
    frozen = roster.in_gradual_exit(h06(), last)
    month = last.plus(later + 1)
    assert list(lines_for([frozen], month)) == []
    assert [line.amount_fen for line in lines_for([frozen], last)] == [46_700]
    back = roster.changed(roster.back_from_gradual_exit(frozen), last, {"BASE": 20_000}, "收入回落")
    assert back.amounts_for(month) == {"BASE": 20_000}


def test_h06b_the_bonus_is_its_own_line_of_the_last_month_and_never_the_monthly_one() -> None:
    entry = roster.terminated(h06(), Period(2024, 8))
    line = exit_bonus_line(entry, Period(2024, 8), 140_100)
    assert (line.component, line.amount_fen, line.period) == (EXIT_BONUS, 140_100, Period(2024, 8))
    assert line.idempotency_key == exit_bonus_key(entry, Period(2024, 8))
    assert line.idempotency_key == "DIBAO:app_h06:2024-08:EXIT_BONUS"
    [monthly] = lines_for([entry], Period(2024, 8))
    assert monthly.idempotency_key != line.idempotency_key
