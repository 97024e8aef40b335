"""Temporary assistance: tiers, per-event totals, tiered approval, 一事一议 and advance aid (DOMAIN §5.3)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from doudi_common.calendar import CHINA_STANDARD_TIME, load_cn_calendar
from doudi_common.period import Period
from doudi_eligibility.domain.rules.temporary_assistance import (
    Approver,
    Event,
    Kind,
    Severity,
    Tier,
    advance_deadlines,
    advance_limit,
    approver_for,
    assess_temporary_assistance,
    expenditure_tier,
)

from .builders import ex_gy, fen

P = ex_gy()
FIRE = Severity(dwelling_uninhabitable=True, breadwinner_incapacitated_over_a_month=True)


def test_h09_a_house_fire_with_the_breadwinner_burned_is_t3_3360_approved_by_the_county() -> None:
    assert advance_limit(P) == fen(1120)
    event = Event("H09", "fire", Kind.URGENT, Period(2025, 3), FIRE, advance_paid_fen=fen(1120))
    result = assess_temporary_assistance(event, P)
    assert result.tier is Tier.T3
    assert result.total_fen == fen(3360)
    assert result.approver is Approver.COUNTY
    assert result.remaining_fen == fen(2240)
    assert result.decision.one_off_amount_fen == fen(3360)


def test_h09_advance_aid_is_due_within_24_hours_and_paperwork_within_5_working_days() -> None:
    reported = datetime(2025, 3, 6, 2, 30, tzinfo=CHINA_STANDARD_TIME)
    deadlines = advance_deadlines(reported, date(2025, 3, 6), load_cn_calendar(), P)
    assert deadlines.pay_by == reported + timedelta(hours=24)
    assert deadlines.paperwork_by == date(2025, 3, 13)


def test_h10_out_of_pocket_above_100000_reaches_the_cap_and_a_county_meeting_adds_4400() -> None:
    event = Event(
        "H10",
        "leukaemia",
        Kind.EXPENDITURE,
        Period(2025, 5),
        out_of_pocket_fen=fen(120000),
        per_capita_income_fen=fen(1500),
        meeting_addition_fen=fen(4400),
    )
    result = assess_temporary_assistance(event, P)
    assert result.tier is Tier.CAP
    assert result.total_fen == fen(10000)
    assert result.approver is Approver.COUNTY_MEETING


def test_h10_without_the_meeting_the_cap_5600_is_approved_by_the_county() -> None:
    event = Event(
        "H10",
        "leukaemia",
        Kind.EXPENDITURE,
        Period(2025, 5),
        out_of_pocket_fen=fen(120000),
        per_capita_income_fen=fen(1500),
    )
    result = assess_temporary_assistance(event, P)
    assert (result.total_fen, result.approver) == (fen(5600), Approver.COUNTY)


def test_expenditure_ta_is_refused_when_income_is_at_the_ceiling() -> None:
    event = Event(
        "x",
        "e",
        Kind.EXPENDITURE,
        Period(2025, 5),
        out_of_pocket_fen=fen(30000),
        per_capita_income_fen=fen(2000),
    )
    result = assess_temporary_assistance(event, P)
    assert not result.decision.approved
    assert {c.code for c in result.decision.failed} == {"TA_INCOME"}


def test_the_same_event_cannot_be_applied_for_twice_within_twelve_months() -> None:
    event = Event("x", "e", Kind.URGENT, Period(2025, 5), FIRE, previous_application=Period(2024, 8))
    assert not assess_temporary_assistance(event, P).decision.approved
    later = Event("x", "e", Kind.URGENT, Period(2025, 8), FIRE, previous_application=Period(2024, 8))
    assert assess_temporary_assistance(later, P).decision.approved


def test_expenditure_bands_have_inclusive_lower_bounds() -> None:
    assert expenditure_tier(fen(4999), P) is None
    assert expenditure_tier(fen(5000), P) is Tier.T1
    assert expenditure_tier(fen(19999), P) is Tier.T1
    assert expenditure_tier(fen(20000), P) is Tier.T2
    assert expenditure_tier(fen(100000), P) is Tier.CAP


@settings(max_examples=60, deadline=None)
@given(
    tier=st.sampled_from([Severity(partial_property_loss=True), Severity(dwelling_uninhabitable=True), FIRE]),
    advance=st.integers(min_value=0, max_value=fen(1120)),
    addition=st.integers(min_value=0, max_value=fen(20000)),
)
def test_the_approver_follows_the_event_total_never_an_instalment(
    tier: Severity, advance: int, addition: int
) -> None:
    event = Event(
        "x", "e", Kind.URGENT, Period(2025, 5), tier, meeting_addition_fen=addition, advance_paid_fen=advance
    )
    result = assess_temporary_assistance(event, P)
    assert result.approver is approver_for(result.total_fen, P)
    assert result.remaining_fen + advance == result.total_fen
    if result.total_fen > fen(2000):
        assert result.approver is not Approver.TOWNSHIP
