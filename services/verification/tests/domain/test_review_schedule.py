"""Periodic review by Dibao category (DOMAIN §5.1.5, §5.1.6, §7.3): who is due, when, and when not."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi_verification.app.policy import RegistryCadences
from doudi_verification.domain.policy import HouseholdType
from doudi_verification.domain.review import (
    Cadence,
    Category,
    EntitlementFacts,
    ReviewState,
    ScheduleState,
    add_months,
    advance,
    complete,
    follow,
    start,
)

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
#: DOMAIN §3 dibao.category.rules, EX-GY: A and B yearly, C quarterly (urban) or half-yearly (rural).
EX_GY = Cadence(a_months=12, b_months=12, c_urban_months=3, c_rural_months=6)
URBAN, RURAL = HouseholdType.URBAN, HouseholdType.RURAL
TOWNSHIP = "640402100000"


def facts(
    category: Category | None = Category.B,
    state: str = "ACTIVE",
    programme: str = "DIBAO",
    start: date = date(2026, 1, 1),
) -> EntitlementFacts:
    return EntitlementFacts(
        entitlement_id="ent_1",
        household_id="hh_1",
        application_id="app_1",
        programme=programme,
        state=state,
        category=category,
        start_month_first_day=start,
        region=TOWNSHIP,
    )


def granted(category: Category | None, household_type: HouseholdType | None = URBAN):  # type: ignore[no-untyped-def]
    schedule = follow(None, facts(category), household_type, TOWNSHIP, EX_GY, NOW)
    assert schedule is not None
    return schedule


def test_the_guyuan_parameter_set_gives_the_cadences_domain_states() -> None:
    assert RegistryCadences()(TOWNSHIP, date(2026, 3, 1)) == EX_GY


@pytest.mark.parametrize(
    ("category", "household_type", "first_due"),
    [
        (Category.A, URBAN, date(2027, 1, 1)),
        (Category.A, RURAL, date(2027, 1, 1)),
        (Category.B, URBAN, date(2027, 1, 1)),
        (Category.B, RURAL, date(2027, 1, 1)),
        (Category.C, URBAN, date(2026, 4, 1)),
        (Category.C, RURAL, date(2026, 7, 1)),
    ],
)
def test_the_first_review_falls_one_cadence_after_the_start_month(
    category: Category, household_type: HouseholdType, first_due: date
) -> None:
    schedule = granted(category, household_type)
    assert (schedule.state, schedule.anchor, schedule.due_on) == (
        ScheduleState.ACTIVE,
        date(2026, 1, 1),
        first_due,
    )


def test_a_household_without_a_category_is_reviewed_yearly_like_b() -> None:
    assert granted(None).due_on == granted(Category.B).due_on


def test_category_c_of_unknown_residence_takes_the_shorter_c_cadence() -> None:
    assert granted(Category.C, None).due_on == date(2026, 4, 1)


def test_other_programmes_are_not_scheduled() -> None:
    for programme in ("TEKUN", "TEMPORARY_ASSISTANCE", "DISABILITY_LIVING_SUBSIDY"):
        assert follow(None, facts(programme=programme), URBAN, TOWNSHIP, EX_GY, NOW) is None


def test_moving_to_category_c_brings_the_review_forward_from_the_last_one() -> None:
    schedule = granted(Category.B)
    moved = follow(schedule, facts(Category.C), None, TOWNSHIP, EX_GY, NOW)
    assert moved is not None
    assert (moved.category, moved.due_on) == (Category.C, date(2026, 4, 1))


def test_a_state_change_without_a_new_category_keeps_the_due_day() -> None:
    schedule = granted(Category.C)
    under_review = follow(schedule, facts(Category.C, state="UNDER_REVIEW"), URBAN, TOWNSHIP, EX_GY, NOW)
    assert under_review is not None
    assert (under_review.state, under_review.due_on) == (ScheduleState.ACTIVE, schedule.due_on)


def test_held_payments_pause_the_schedule_and_resumption_picks_it_up() -> None:
    schedule = granted(Category.C)
    paused = follow(schedule, facts(Category.C, state="SUSPENDED"), URBAN, TOWNSHIP, EX_GY, NOW)
    assert paused is not None and paused.state is ScheduleState.PAUSED
    assert not paused.is_due(date(2030, 1, 1))
    resumed = follow(paused, facts(Category.C, state="ACTIVE"), URBAN, TOWNSHIP, EX_GY, NOW)
    assert resumed is not None and resumed.state is ScheduleState.ACTIVE
    assert resumed.is_due(date(2026, 4, 1))


def test_termination_ends_the_schedule_for_good() -> None:
    ended = follow(granted(Category.A), facts(Category.A, state="TERMINATED"), URBAN, TOWNSHIP, EX_GY, NOW)
    assert ended is not None and ended.state is ScheduleState.ENDED
    again = follow(ended, facts(Category.A, state="ACTIVE"), URBAN, TOWNSHIP, EX_GY, NOW)
    assert again == ended
    assert follow(None, facts(state="TERMINATED"), URBAN, TOWNSHIP, EX_GY, NOW) is None


def test_a_started_review_counts_the_next_one_from_its_due_day_not_from_when_it_ran() -> None:
    schedule = granted(Category.C, RURAL)
    late = datetime(2026, 8, 20, tzinfo=UTC)
    nxt = advance(schedule, EX_GY, late.date(), late)
    assert (nxt.anchor, nxt.due_on) == (date(2026, 7, 1), date(2027, 1, 1))


def test_periods_missed_while_no_worker_ran_are_not_queued_up() -> None:
    schedule = granted(Category.C, URBAN)  # due 2026-04-01, then every quarter
    today = date(2027, 2, 15)
    nxt = advance(schedule, EX_GY, today, NOW)
    assert (nxt.anchor, nxt.due_on) == (date(2027, 1, 1), date(2027, 4, 1))
    assert not nxt.is_due(today)


def test_a_review_is_overdue_only_while_it_has_no_complete_report_after_its_due_day() -> None:
    schedule = granted(Category.C)
    review = start(schedule, "rvw_1", True, NOW)
    assert review.state is ReviewState.STARTED
    assert not review.is_overdue(schedule.due_on)
    assert review.is_overdue(date(2026, 4, 2))
    assert not complete(review, "rep_1", NOW).is_overdue(date(2027, 1, 1))
    blocked = start(schedule, "rvw_2", False, NOW)
    assert blocked.state is ReviewState.BLOCKED and blocked.note


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    st.integers(min_value=0, max_value=240),
)
def test_add_months_lands_in_the_right_month_and_never_past_its_end(day: date, months: int) -> None:
    moved = add_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    assert moved.day <= day.day
    assert moved.day == day.day or (moved + (date(2000, 1, 2) - date(2000, 1, 1))).month != moved.month


cadences = st.builds(
    Cadence,
    a_months=st.integers(1, 12),
    b_months=st.integers(1, 12),
    c_urban_months=st.integers(1, 6),
    c_rural_months=st.integers(1, 6),
)


@given(
    cadences,
    st.sampled_from([*Category, None]),
    st.sampled_from([URBAN, RURAL, None]),
    st.integers(min_value=1, max_value=12),
)
def test_reviews_follow_each_other_exactly_one_cadence_apart(
    cadence: Cadence, category: Category | None, household_type: HouseholdType | None, rounds: int
) -> None:
    schedule = follow(None, facts(category), household_type, TOWNSHIP, cadence, NOW)
    assert schedule is not None
    months = cadence.months(category, household_type)
    for _ in range(rounds):
        nxt = advance(schedule, cadence, schedule.due_on, NOW)
        assert nxt.due_on == add_months(schedule.due_on, months)
        assert nxt.due_on > schedule.due_on
        schedule = nxt
    assert schedule.due_on == add_months(date(2026, 1, 1), months * (rounds + 1))
