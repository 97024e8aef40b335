"""Use-cases of periodic review (DOMAIN §5.1.5, §5.1.6): follow eligibility's entitlements into review
schedules, start each review when it falls due by reopening the household's verification case, and list
the open ones for townships.

A review is started once per entitlement and due day: the schedule row is locked while it is read
(PostgreSQL ``FOR UPDATE SKIP LOCKED``; SQLite takes the write lock up front), moves on to the next due
day in the same transaction that records the review, and the unique (entitlement, due day) index refuses
a second review of the same period whatever the number of workers or restarts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from prometheus_client import Counter, Gauge
from sqlalchemy.orm import Session

from doudi_common.calendar import china_date
from doudi_common.errors import InvalidArgument
from doudi_common.ids import new_id
from doudi_common.region import RegionCode
from doudi_runtime.paging import Page, encode_token
from doudi_runtime.service import Persistence, ServiceContext
from doudi_verification.domain import case as cases_domain
from doudi_verification.domain import review as domain
from doudi_verification.domain.case import CaseState
from doudi_verification.domain.review import Cadence, EntitlementFacts, Review
from doudi_verification.store import cases as case_store
from doudi_verification.store import reviews as store

log = logging.getLogger(__name__)

REVIEWS_STARTED = Counter(
    "doudi_verification_reviews_started_total",
    "Periodic reviews started (DOMAIN §5.1.5), by category and outcome (started or blocked).",
    ["category", "outcome"],
)
REVIEWS_COMPLETED = Counter(
    "doudi_verification_reviews_completed_total", "Periodic reviews answered by a complete report."
)
REVIEWS_OPEN = Gauge("doudi_verification_reviews_open", "Periodic reviews without a complete report yet.")
REVIEWS_OVERDUE = Gauge(
    "doudi_verification_reviews_overdue", "Periodic reviews past their due day without a complete report."
)

CadenceSource = Callable[[str, date], Cadence]


@dataclass
class ReviewUseCases:
    context: ServiceContext
    cadences: CadenceSource
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    @property
    def persistence(self) -> Persistence:
        return self.context.persistence()

    def follow(self, session: Session, facts: EntitlementFacts) -> None:
        """An entitlement event, inside the consumer's inbox transaction (so a redelivery changes nothing)."""
        now = self.clock()
        current = store.get_schedule(session, facts.entitlement_id, for_update=True)
        case = case_store.get_case(session, facts.application_id) if facts.application_id else None
        region = case.township if case is not None else facts.region
        household_type = case.household_type if case is not None else None
        cadence = self.cadences(region or facts.region, china_date(now))
        following = domain.follow(current, facts, household_type, region, cadence, now)
        if following is not None and following != current:
            store.put_schedule(session, following, exists=current is not None)

    def run_due(self, limit: int = 100) -> int:
        """Start the reviews that have fallen due; returns how many were started (or found blocked)."""
        now = self.clock()
        today = china_date(now)
        with self.persistence.database.read() as session:
            if not store.any_due(session, today):
                self._measure(session, today)
                return 0
        started = 0
        with self.persistence.database.transaction() as session:
            for schedule in store.due_schedules(session, today, limit):
                cadence = self.cadences(schedule.region, today)
                if not store.review_exists(session, schedule.entitlement_id, schedule.due_on):
                    self._start(session, schedule, now)
                    started += 1
                store.put_schedule(session, domain.advance(schedule, cadence, today, now), exists=True)
        with self.persistence.database.read() as session:
            self._measure(session, today)
        return started

    def _start(self, session: Session, schedule: domain.Schedule, now: datetime) -> None:
        review_id = new_id("rvw")
        case = case_store.get_case(session, schedule.application_id, for_update=True)
        found = case is not None and case.state is not CaseState.CANCELLED
        if found:
            assert case is not None
            case_store.save_case(session, cases_domain.reopen_for_review(case, review_id, now))
        review = domain.start(schedule, review_id, found, now)
        store.insert_review(session, review)
        REVIEWS_STARTED.labels(
            schedule.category.value if schedule.category else "none", review.state.value.lower()
        ).inc()
        if not found:
            log.warning(
                "a periodic review is blocked: no household to check",
                extra={"entitlement": schedule.entitlement_id, "application": schedule.application_id},
            )

    @staticmethod
    def _measure(session: Session, today: date) -> None:
        total, overdue = store.count_open(session, today)
        REVIEWS_OPEN.set(total)
        REVIEWS_OVERDUE.set(overdue)

    def list(self, region: str, overdue_only: bool, page: Page) -> tuple[list[Review], str]:
        """Open reviews of the region, earliest due first, and the next page's token."""
        prefix = RegionCode.parse(region, field="region").prefix
        after = _after(page.after)
        today = china_date(self.clock())
        with self.persistence.database.read() as session:
            found = store.list_reviews(session, prefix, today, overdue_only, after, page.size)
        token = ""
        if len(found) > page.size:
            last = found[page.size - 1]
            token = encode_token(f"{last.due_on.isoformat()}|{last.review_id}")
        return found[: page.size], token

    def today(self) -> date:
        return china_date(self.clock())


def _after(key: str | None) -> tuple[date, str] | None:
    if key is None:
        return None
    day, _, review_id = key.partition("|")
    try:
        return date.fromisoformat(day), review_id
    except ValueError:
        raise InvalidArgument.single("page.page_token", "is not a token this service issued") from None


def complete_review(session: Session, review_id: str, report_id: str, now: datetime) -> None:
    """A complete report answers the review it was checked for, and any earlier one of the entitlement
    still open (the latest report prevails, DOMAIN §4.8). Called inside the report's transaction."""
    review = store.get_review(session, review_id)
    if review is None:
        return
    for answered in store.open_reviews_until(session, review.entitlement_id, review.due_on):
        store.save_review(session, domain.complete(answered, report_id, now))
        REVIEWS_COMPLETED.inc()
