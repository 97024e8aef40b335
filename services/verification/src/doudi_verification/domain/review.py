"""Periodic review of Dibao households by category (DOMAIN §5.1.5, §5.1.6, §7.3 "periodic review due").

A schedule follows one entitlement as eligibility announces it: created when the entitlement is granted,
re-timed when its category changes, paused while payments are held or termination is prepared, ended
when it ends. The next review falls ``cadence`` months after the last one (the start month for the
first), with the cadence read from ``dibao.category.review_months.{A,B,C.urban,C.rural}``.

Where DOMAIN is silent: an entitlement without a category is reviewed on category B's cadence (the
reviews §5.1.6 calls "yearly" for a stable household), and a category C household whose urban or rural
type is unknown on the shorter of the two C cadences, so no household is left without a review.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from doudi_verification.domain.policy import HouseholdType

#: The programme whose beneficiaries are reviewed by category (§5.1.5).
REVIEWED_PROGRAMME = "DIBAO"


class Category(StrEnum):
    A = "A"
    B = "B"
    C = "C"


class ScheduleState(StrEnum):
    ACTIVE = "ACTIVE"
    #: Payments held or termination prepared (§7.3): the township already has the household in hand.
    PAUSED = "PAUSED"
    ENDED = "ENDED"


class ReviewState(StrEnum):
    #: The sources are being asked (the verification case was reopened for the review).
    STARTED = "STARTED"
    #: A complete report was produced for the review.
    COMPLETED = "COMPLETED"
    #: The review could not start: verification holds no household for the entitlement's application.
    BLOCKED = "BLOCKED"


OPEN_REVIEWS = frozenset({ReviewState.STARTED, ReviewState.BLOCKED})

#: Entitlement states (eligibility's, DOMAIN §7.3) and what they mean for the schedule.
_PAUSING = frozenset({"SUSPENDED", "TERMINATION_PENDING"})
_ENDING = frozenset({"TERMINATED"})


@dataclass(frozen=True)
class Cadence:
    """Months between reviews by category; C depends on the household's residence (§5.1.5)."""

    a_months: int
    b_months: int
    c_urban_months: int
    c_rural_months: int

    def __post_init__(self) -> None:
        if min(self.a_months, self.b_months, self.c_urban_months, self.c_rural_months) < 1:
            raise ValueError("a review cadence is at least one month")

    def months(self, category: Category | None, household_type: HouseholdType | None) -> int:
        if category is Category.A:
            return self.a_months
        if category is Category.C:
            if household_type is HouseholdType.URBAN:
                return self.c_urban_months
            if household_type is HouseholdType.RURAL:
                return self.c_rural_months
            return min(self.c_urban_months, self.c_rural_months)
        return self.b_months


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it is shorter (31 Jan + 1 = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


@dataclass(frozen=True)
class EntitlementFacts:
    """What verification keeps of an entitlement event (doudi.eligibility.v1.Entitlement)."""

    entitlement_id: str
    household_id: str
    application_id: str
    programme: str
    state: str
    category: Category | None
    start_month_first_day: date
    region: str


@dataclass(frozen=True)
class Schedule:
    entitlement_id: str
    household_id: str
    application_id: str
    region: str
    household_type: HouseholdType | None
    category: Category | None
    state: ScheduleState
    #: The day the cadence counts from: the start month's first day, then each review's due day.
    anchor: date
    due_on: date
    updated_at: datetime

    def is_due(self, today: date) -> bool:
        return self.state is ScheduleState.ACTIVE and self.due_on <= today


def _state_of(entitlement_state: str) -> ScheduleState:
    if entitlement_state in _ENDING:
        return ScheduleState.ENDED
    if entitlement_state in _PAUSING:
        return ScheduleState.PAUSED
    return ScheduleState.ACTIVE


def follow(
    current: Schedule | None,
    facts: EntitlementFacts,
    household_type: HouseholdType | None,
    region: str,
    cadence: Cadence,
    now: datetime,
) -> Schedule | None:
    """The schedule after an entitlement event; None when the entitlement is not one to review.

    A category change re-times the next review from the same anchor: a household moved from B to C is
    due a quarter (or half a year) after its last review, at once if that day has passed.
    """
    if facts.programme != REVIEWED_PROGRAMME:
        return current
    state = _state_of(facts.state)
    if current is None:
        if state is ScheduleState.ENDED:
            return None
        anchor = facts.start_month_first_day
        return Schedule(
            entitlement_id=facts.entitlement_id,
            household_id=facts.household_id,
            application_id=facts.application_id,
            region=region,
            household_type=household_type,
            category=facts.category,
            state=state,
            anchor=anchor,
            due_on=add_months(anchor, cadence.months(facts.category, household_type)),
            updated_at=now,
        )
    if current.state is ScheduleState.ENDED:
        return current
    category = facts.category or current.category
    kind = household_type or current.household_type
    due_on = current.due_on
    if (category, kind) != (current.category, current.household_type):
        due_on = add_months(current.anchor, cadence.months(category, kind))
    return replace(
        current,
        household_id=facts.household_id or current.household_id,
        region=region or current.region,
        household_type=kind,
        category=category,
        state=state,
        due_on=due_on,
        updated_at=now,
    )


def advance(schedule: Schedule, cadence: Cadence, today: date, now: datetime) -> Schedule:
    """The schedule once the review due on ``schedule.due_on`` has been started: the next one counts from
    that day, not from when the worker ran, so reviews never drift later. Periods missed while no worker
    ran are not queued up: one check covers them, and the next review is the first due after ``today``."""
    months = cadence.months(schedule.category, schedule.household_type)
    anchor, due_on = schedule.due_on, add_months(schedule.due_on, months)
    while due_on <= today:
        anchor, due_on = due_on, add_months(due_on, months)
    return replace(schedule, anchor=anchor, due_on=due_on, updated_at=now)


@dataclass(frozen=True)
class Review:
    review_id: str
    entitlement_id: str
    household_id: str
    application_id: str
    region: str
    category: Category | None
    due_on: date
    state: ReviewState
    started_at: datetime
    completed_at: datetime | None
    report_id: str
    note: str

    def is_overdue(self, today: date) -> bool:
        """Past its due day without a complete report (sources silent, or no household to check)."""
        return self.state in OPEN_REVIEWS and self.due_on < today


def start(schedule: Schedule, review_id: str, case_found: bool, now: datetime) -> Review:
    return Review(
        review_id=review_id,
        entitlement_id=schedule.entitlement_id,
        household_id=schedule.household_id,
        application_id=schedule.application_id,
        region=schedule.region,
        category=schedule.category,
        due_on=schedule.due_on,
        state=ReviewState.STARTED if case_found else ReviewState.BLOCKED,
        started_at=now,
        completed_at=None,
        report_id="",
        note="" if case_found else "verification holds no household for the entitlement's application",
    )


def complete(review: Review, report_id: str, now: datetime) -> Review:
    return replace(review, state=ReviewState.COMPLETED, report_id=report_id, completed_at=now)
