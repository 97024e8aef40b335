"""Derived payments (DOMAIN §5.7): who receives a declared price subsidy, one-off or electricity subsidy,
and how much — H03's household of two receives 2 × 12 = 24 in a 3.8% CPI month."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi_common.errors import InvalidArgument
from doudi_common.period import Period
from doudi_disbursement.domain import roster
from doudi_disbursement.domain.derived import Declaration, DerivedKind, check_amounts, derived_line

JUL = Period(2026, 7)


def entry(programme: str = "DIBAO", persons: int = 2, start: Period = JUL) -> roster.RosterEntry:
    return roster.activated(
        entitlement_id=f"ent_{programme}",
        beneficiary_id="hh_zhang",
        programme=programme,
        township="640402100000",
        payee_name="张",
        payee_account="6228480000000003",
        start=start,
        components={"BASE": 56_000},
        existing=None,
        persons=persons,
    )


def declaration(kind: DerivedKind = DerivedKind.PRICE_SUBSIDY, **amounts: int) -> Declaration:
    return Declaration(
        "dcl_1",
        kind,
        "640402000000",
        JUL,
        amounts or {"DIBAO": 1_200, "TEKUN": 1_600},
        "CPI 3.8%",
        "county",
        datetime(2026, 7, 15, tzinfo=UTC),
    )


def test_h03_the_price_subsidy_is_12_per_person_so_24_for_the_couple() -> None:
    line = derived_line(entry(), declaration())
    assert line is not None
    assert (line.component, line.period, line.amount_fen) == ("PRICE_SUBSIDY", JUL, 2_400)


def test_a_person_s_entitlement_receives_one_share_and_one_offs_are_per_beneficiary() -> None:
    tekun = derived_line(entry("TEKUN", persons=0), declaration())
    assert tekun is not None and tekun.amount_fen == 1_600
    one_off = derived_line(entry(), declaration(DerivedKind.ONE_OFF, DIBAO=30_000))
    assert one_off is not None and (one_off.component, one_off.amount_fen) == ("ONE_OFF", 30_000)


def test_nothing_is_guessed_for_a_household_of_unknown_size() -> None:
    assert derived_line(entry(persons=0), declaration()) is None


def test_only_beneficiaries_paid_in_the_declared_month_and_listed_programmes_receive_it() -> None:
    assert derived_line(entry(start=Period(2026, 8)), declaration()) is None
    assert derived_line(entry("ORPHAN_ALLOWANCE", persons=1), declaration()) is None
    ended = roster.terminated(entry(start=Period(2026, 1)), Period(2026, 6))
    assert derived_line(ended, declaration()) is None


def test_programmes_that_do_not_receive_a_kind_are_refused() -> None:
    with pytest.raises(InvalidArgument):
        check_amounts(DerivedKind.PRICE_SUBSIDY, {"DISABILITY_LIVING_SUBSIDY": 1_000})
    with pytest.raises(InvalidArgument):
        check_amounts(DerivedKind.ELECTRICITY, {"ORPHAN_ALLOWANCE": 1_000})
    with pytest.raises(InvalidArgument):
        check_amounts(DerivedKind.ONE_OFF, {"DIBAO": 0})
    check_amounts(DerivedKind.PRICE_SUBSIDY, {"UNSUPPORTED_CHILD_ALLOWANCE": 1_000})


@given(st.integers(1, 10**5), st.integers(0, 12))
def test_the_price_subsidy_is_the_per_person_amount_times_the_persons(per_person: int, persons: int) -> None:
    line = derived_line(entry(persons=persons), declaration(DIBAO=per_person))
    assert (line.amount_fen if line else 0) == per_person * persons
