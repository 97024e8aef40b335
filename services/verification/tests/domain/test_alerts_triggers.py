"""Which monitoring events open an alert (DOMAIN §8.2 EX thresholds) and how soon it is due (§3 alert.sla)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi_common.errors import InvalidArgument
from doudi_common.testing import EXAMPLE_TOWNSHIP, EXAMPLE_VILLAGE, make_resident_id
from doudi_verification.domain.triggers import (
    DisabilityType,
    Facts,
    MonitoredGroup,
    MonitoringEvent,
    SlaPolicy,
    Thresholds,
    Trigger,
    Urgency,
    evaluate,
    validate_event,
)

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
PERSON = make_resident_id(date(1988, 4, 2), 17)
EX = Thresholds()
YUAN = 100


def event(trigger: Trigger = Trigger.LARGE_MEDICAL_EXPENSE, **changes: object) -> MonitoringEvent:
    base = MonitoringEvent(
        trigger=trigger,
        person_id=PERSON,
        region=EXAMPLE_VILLAGE,
        source="medical-insurance",
        source_reference="claim-2026-0001",
        occurred_at=NOW - timedelta(days=1),
        amount_fen=0,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def fields_of(error: pytest.ExceptionInfo[InvalidArgument]) -> set[str]:
    return {v.field for v in error.value.violations}


# -- M1 ----------------------------------------------------------------------------------------------


def test_m1_opens_at_exactly_20000_yuan_and_not_a_fen_below() -> None:
    assert evaluate(event(amount_fen=20_000 * YUAN), EX).opens
    assert not evaluate(event(amount_fen=20_000 * YUAN - 1), EX).opens


def test_m1_opens_at_half_the_known_household_income_h10_style() -> None:
    """H10: 120,000 out-of-pocket against 54,000 counted income opens on both counts; a small bill against a
    small income opens on the share alone."""
    facts = Facts(household_annual_income_fen=20_000 * YUAN)
    assert evaluate(event(amount_fen=10_000 * YUAN, facts=facts), EX).opens
    below = evaluate(event(amount_fen=10_000 * YUAN - 1, facts=facts), EX)
    assert not below.opens and "below" in below.reason
    assert evaluate(
        event(amount_fen=120_000 * YUAN, facts=Facts(household_annual_income_fen=54_000 * YUAN)), EX
    ).opens


def test_m1_without_a_known_income_uses_only_the_absolute_threshold() -> None:
    assert not evaluate(event(amount_fen=15_000 * YUAN), EX).opens


def test_m1_nothing_spent_is_never_half_of_nothing_earned() -> None:
    assert not evaluate(event(amount_fen=0, facts=Facts(household_annual_income_fen=0)), EX).opens


@given(
    cost=st.integers(min_value=0, max_value=10**10),
    income=st.one_of(st.none(), st.integers(min_value=0, max_value=10**10)),
    share=st.integers(min_value=1, max_value=100),
)
def test_m1_matches_exact_rational_arithmetic(cost: int, income: int | None, share: int) -> None:
    thresholds = Thresholds(medical_income_share_percent=share)
    verdict = evaluate(event(amount_fen=cost, facts=Facts(household_annual_income_fen=income)), thresholds)
    by_share = income is not None and cost > 0 and Fraction(cost) >= Fraction(income * share, 100)
    assert verdict.opens == (cost >= thresholds.medical_out_of_pocket_fen or by_share)


@given(cost=st.integers(min_value=0, max_value=10**9), more=st.integers(min_value=0, max_value=10**9))
def test_m1_is_monotone_in_the_cost(cost: int, more: int) -> None:
    facts = Facts(household_annual_income_fen=30_000 * YUAN)
    if evaluate(event(amount_fen=cost, facts=facts), EX).opens:
        assert evaluate(event(amount_fen=cost + more, facts=facts), EX).opens


# -- M6, M9 and the rest -----------------------------------------------------------------------------


def test_m6_opens_at_a_30_percent_drop_or_when_earned_income_stops() -> None:
    drop = Trigger.INCOME_DROP
    assert evaluate(event(drop, amount_fen=700, facts=Facts(previous_amount_fen=1000)), EX).opens
    assert not evaluate(event(drop, amount_fen=701, facts=Facts(previous_amount_fen=1000)), EX).opens
    assert evaluate(event(drop, amount_fen=None, facts=Facts(earned_income_stopped=True)), EX).opens


@given(before=st.integers(min_value=1, max_value=10**9), after=st.integers(min_value=0, max_value=10**9))
def test_m6_matches_exact_arithmetic(before: int, after: int) -> None:
    verdict = evaluate(
        event(Trigger.INCOME_DROP, amount_fen=after, facts=Facts(previous_amount_fen=before)), EX
    )
    assert verdict.opens == (Fraction(before - after, before) >= Fraction(30, 100))


@pytest.mark.parametrize(
    ("grade", "kind", "opens"),
    [
        (1, DisabilityType.PHYSICAL, True),
        (2, DisabilityType.VISUAL, True),
        (3, DisabilityType.INTELLECTUAL, True),
        (3, DisabilityType.MENTAL, True),
        (3, DisabilityType.PHYSICAL, False),
        (4, DisabilityType.MENTAL, False),
    ],
)
def test_m9_grade_one_or_two_or_grade_three_intellectual_or_mental(
    grade: int, kind: DisabilityType, opens: bool
) -> None:
    facts = Facts(disability_grade=grade, disability_type=kind)
    assert evaluate(event(Trigger.DISABILITY, facts=facts), EX).opens is opens


def test_m2_needs_the_list_and_a_monitored_household() -> None:
    listed = Facts(on_serious_illness_list=True)
    assert not evaluate(event(Trigger.SERIOUS_ILLNESS, facts=listed), EX).opens
    assert evaluate(
        event(Trigger.SERIOUS_ILLNESS, facts=listed, groups=frozenset({MonitoredGroup.MARGINAL})), EX
    ).opens
    unlisted = event(Trigger.SERIOUS_ILLNESS, groups=frozenset({MonitoredGroup.MARGINAL}))
    assert not evaluate(unlisted, EX).opens


def test_m3_m7_m10_m14_thresholds() -> None:
    assert evaluate(event(Trigger.DISASTER, facts=Facts(house_damaged=True)), EX).opens
    assert evaluate(event(Trigger.DISASTER, facts=Facts(crop_loss_percent=50)), EX).opens
    assert not evaluate(event(Trigger.DISASTER, facts=Facts(crop_loss_percent=49)), EX).opens
    assert not evaluate(event(Trigger.INCOME_RISE), EX).opens
    assert evaluate(event(Trigger.INCOME_RISE, groups=frozenset({MonitoredGroup.DIBAO})), EX).opens
    assert evaluate(event(Trigger.AGE_MILESTONE, facts=Facts(milestone_age=60)), EX).opens
    assert not evaluate(event(Trigger.AGE_MILESTONE, facts=Facts(milestone_age=61)), EX).opens
    assert not evaluate(event(Trigger.OVERDUE_CARE, facts=Facts(overdue_days=7)), EX).opens
    assert evaluate(event(Trigger.OVERDUE_CARE, facts=Facts(overdue_days=8)), EX).opens


@pytest.mark.parametrize(
    "trigger", [Trigger.ACCIDENT, Trigger.DEATH, Trigger.COMPOSITION_CHANGE, Trigger.LEFT_BEHIND]
)
def test_triggers_without_a_threshold_always_open(trigger: Trigger) -> None:
    assert evaluate(event(trigger), EX).opens


def test_trigger_codes_follow_the_table() -> None:
    assert [t.code for t in Trigger] == [f"M{n}" for n in range(1, 15)]


# -- the SLA -------------------------------------------------------------------------------------------


def test_the_sla_follows_the_urgency_of_the_trigger() -> None:
    sla = SlaPolicy()
    assert sla.urgency_of(Trigger.ACCIDENT) is Urgency.EMERGENCY
    assert sla.due(Trigger.ACCIDENT, NOW) == NOW + timedelta(hours=24)
    assert sla.due(Trigger.DISASTER, NOW) == NOW + timedelta(days=3)
    assert sla.due(Trigger.LARGE_MEDICAL_EXPENSE, NOW) == NOW + timedelta(days=7)
    county = SlaPolicy(routine=timedelta(days=5))
    assert county.due(Trigger.INCOME_DROP, NOW) == NOW + timedelta(days=5)


@given(st.sampled_from(list(Trigger)))
def test_no_trigger_is_due_later_than_the_routine_sla(trigger: Trigger) -> None:
    sla = SlaPolicy()
    assert NOW < sla.due(trigger, NOW) <= NOW + sla.routine


# -- validation ----------------------------------------------------------------------------------------


def test_every_invalid_field_is_named_at_once() -> None:
    wrong = PERSON[:-1] + ("0" if PERSON[-1] != "0" else "1")
    bad = event(
        trigger=None,
        person_id=wrong,
        region="640402",
        amount_fen=-1,
        source="",
        source_reference="",
        occurred_at=NOW + timedelta(days=1),
    )
    with pytest.raises(InvalidArgument) as error:
        validate_event(bad, NOW)
    assert fields_of(error) >= {
        "trigger",
        "person",
        "region",
        "amount",
        "source",
        "source_reference",
        "occurred_at",
    }


def test_the_region_must_be_a_township_or_village() -> None:
    validate_event(event(region=EXAMPLE_TOWNSHIP), NOW)
    with pytest.raises(InvalidArgument) as error:
        validate_event(event(region="640402000000"), NOW)
    assert fields_of(error) == {"region"}


def test_a_trigger_names_the_facts_it_cannot_do_without() -> None:
    with pytest.raises(InvalidArgument) as error:
        validate_event(event(Trigger.LARGE_MEDICAL_EXPENSE, amount_fen=None), NOW)
    assert fields_of(error) == {"amount"}
    with pytest.raises(InvalidArgument) as error:
        validate_event(event(Trigger.DISABILITY), NOW)
    assert fields_of(error) == {"facts.disability_grade", "facts.disability_type"}
    with pytest.raises(InvalidArgument) as error:
        validate_event(event(Trigger.INCOME_DROP, facts=Facts(previous_amount_fen=-5)), NOW)
    assert fields_of(error) == {"facts.previous_amount"}
