"""Visit plans (DOMAIN §9.2): frequencies by ledger and tier, due → overdue → township → county."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi_care.domain.ledger import ChildCategory, Ledger, RiskLevel
from doudi_care.domain.schedule import (
    STAGES,
    Interval,
    VisitPolicy,
    VisitStage,
    announce_by,
    county_from,
    immediate_due,
    overdue_from,
    replanned_due,
    stage_on,
    stages_to_announce,
)

POLICY = VisitPolicy()
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
policies = st.builds(
    VisitPolicy, grace_days=st.integers(min_value=0, max_value=30), county_after_days=st.integers(1, 30)
)


def test_left_behind_elderly_are_visited_at_least_quarterly() -> None:
    interval = POLICY.interval_for(Ledger.ELDERLY_LEFT_BEHIND, RiskLevel.GENERAL)
    assert interval == Interval(months=3)
    assert interval.after(date(2026, 1, 15)) == date(2026, 4, 15)


def test_the_tiered_option_visits_high_risk_weekly_and_key_monthly() -> None:
    assert POLICY.interval_for(Ledger.ELDERLY_LEFT_BEHIND, RiskLevel.HIGH) == Interval(days=7)
    assert POLICY.interval_for(Ledger.ELDERLY_LEFT_BEHIND, RiskLevel.KEY) == Interval(months=1)


def test_dispersed_tekun_are_visited_monthly() -> None:
    assert POLICY.interval_for(Ledger.TEKUN_DISPERSED, RiskLevel.GENERAL) == Interval(months=1)


def test_children_monthly_when_high_risk_quarterly_otherwise_and_orphans_fuc_monthly() -> None:
    assert POLICY.interval_for(Ledger.CHILD_LEFT_BEHIND, RiskLevel.HIGH) == Interval(months=1)
    assert POLICY.interval_for(Ledger.CHILD_LEFT_BEHIND, RiskLevel.GENERAL) == Interval(months=3)
    # H08: the FUC girl gets a monthly child-director visit.
    fuc = POLICY.interval_for(Ledger.CHILD_IN_DIFFICULTY, RiskLevel.GENERAL, ChildCategory.UNSUPPORTED)
    assert fuc == Interval(months=1)


def test_a_month_after_the_31st_is_the_end_of_a_short_month() -> None:
    assert Interval(months=1).after(date(2026, 1, 31)) == date(2026, 2, 28)
    assert Interval(months=1).after(date(2028, 1, 31)) == date(2028, 2, 29)


@pytest.mark.parametrize("text", ["", "0m", "3y", "m", "-1d", "1000d"])
def test_intervals_that_are_not_frequencies_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        Interval.parse(text)


def test_a_visit_due_on_the_1st_is_overdue_after_the_grace_week_then_goes_to_the_county() -> None:
    due = date(2026, 3, 1)
    assert stage_on(due, date(2026, 2, 28), POLICY) is VisitStage.SCHEDULED
    assert stage_on(due, due, POLICY) is VisitStage.DUE
    assert stage_on(due, date(2026, 3, 8), POLICY) is VisitStage.DUE  # due + 7 still in grace
    assert stage_on(due, date(2026, 3, 9), POLICY) is VisitStage.OVERDUE_TOWNSHIP
    assert stage_on(due, date(2026, 3, 16), POLICY) is VisitStage.OVERDUE_COUNTY


@given(due=days, today=days, policy=policies)
def test_overdue_is_never_computed_before_the_due_day_and_its_grace(
    due: date, today: date, policy: VisitPolicy
) -> None:
    stage = stage_on(due, today, policy)
    if today < due:
        assert stage is VisitStage.SCHEDULED
    if stage.overdue:
        assert today > due + timedelta(days=policy.grace_days)
    if stage is VisitStage.OVERDUE_COUNTY:
        assert today >= county_from(due, policy) > overdue_from(due, policy)


@given(due=days, a=days, b=days, policy=policies)
def test_stages_only_move_forward_as_days_pass(due: date, a: date, b: date, policy: VisitPolicy) -> None:
    earlier, later = sorted((a, b))
    assert stage_on(due, earlier, policy).rank <= stage_on(due, later, policy).rank


@given(announced=st.sampled_from(STAGES), current=st.sampled_from(STAGES))
def test_escalation_goes_to_the_township_before_the_county_and_never_twice(
    announced: VisitStage, current: VisitStage
) -> None:
    stages = stages_to_announce(announced, current)
    assert list(stages) == sorted(stages, key=lambda s: s.rank)
    assert len(set(stages)) == len(stages)
    assert all(s.rank > announced.rank for s in stages)
    if VisitStage.OVERDUE_COUNTY in stages and announced.rank < VisitStage.OVERDUE_TOWNSHIP.rank:
        assert stages.index(VisitStage.OVERDUE_TOWNSHIP) < stages.index(VisitStage.OVERDUE_COUNTY)


@given(due=days, base=days, months=st.integers(1, 12))
def test_a_tier_change_never_pushes_a_visit_back(due: date, base: date, months: int) -> None:
    assert replanned_due(due, base, Interval(months=months)) <= due


@given(due=days, today=days)
def test_an_alert_makes_the_visit_due_today_unless_one_is_due_earlier(due: date, today: date) -> None:
    assert immediate_due(due, today) == min(due, today)


@given(due=days, today=days, announced=st.sampled_from(STAGES), policy=policies)
def test_the_sweep_finds_by_due_day_exactly_the_entries_with_a_stage_to_announce(
    due: date, today: date, announced: VisitStage, policy: VisitPolicy
) -> None:
    latest = announce_by(today, policy)
    found = announced in latest and due <= latest[announced]
    assert found == bool(stages_to_announce(announced, stage_on(due, today, policy)))


def test_on_a_day_the_sweep_looks_for_visits_due_by_today_overdue_and_county_cut_offs() -> None:
    assert announce_by(date(2026, 3, 16), POLICY) == {
        VisitStage.SCHEDULED: date(2026, 3, 16),
        VisitStage.DUE: date(2026, 3, 8),  # due on the 8th: past its 7-day grace on the 16th
        VisitStage.OVERDUE_TOWNSHIP: date(2026, 3, 1),  # overdue on the 9th, the county's 7 days later
    }
