"""Reading and writing review schedules and periodic reviews; queries never commit."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.orm import Session

from doudi_verification.domain.policy import HouseholdType
from doudi_verification.domain.review import (
    OPEN_REVIEWS,
    Category,
    Review,
    ReviewState,
    Schedule,
    ScheduleState,
)
from doudi_verification.store.tables import review_schedules, reviews


def _schedule_values(schedule: Schedule) -> dict[str, Any]:
    return {
        "household_id": schedule.household_id,
        "application_id": schedule.application_id,
        "region": schedule.region,
        "household_type": schedule.household_type.value if schedule.household_type else None,
        "category": schedule.category.value if schedule.category else None,
        "state": schedule.state.value,
        "anchor": schedule.anchor,
        "due_on": schedule.due_on,
        "updated_at": schedule.updated_at,
    }


def _schedule_from_row(row: Any) -> Schedule:
    return Schedule(
        entitlement_id=row.entitlement_id,
        household_id=row.household_id,
        application_id=row.application_id,
        region=row.region,
        household_type=HouseholdType(row.household_type) if row.household_type else None,
        category=Category(row.category) if row.category else None,
        state=ScheduleState(row.state),
        anchor=row.anchor,
        due_on=row.due_on,
        updated_at=row.updated_at,
    )


def get_schedule(session: Session, entitlement_id: str, *, for_update: bool = False) -> Schedule | None:
    query = select(review_schedules).where(review_schedules.c.entitlement_id == entitlement_id)
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).one_or_none()
    return None if row is None else _schedule_from_row(row)


def put_schedule(session: Session, schedule: Schedule, *, exists: bool) -> None:
    if exists:
        session.execute(
            update(review_schedules)
            .where(review_schedules.c.entitlement_id == schedule.entitlement_id)
            .values(**_schedule_values(schedule))
        )
    else:
        session.execute(
            insert(review_schedules).values(
                entitlement_id=schedule.entitlement_id, **_schedule_values(schedule)
            )
        )


def due_schedules(session: Session, today: date, limit: int) -> list[Schedule]:
    """Active schedules due by ``today``, earliest first; PostgreSQL skips rows another worker holds."""
    query = (
        select(review_schedules)
        .where(
            review_schedules.c.state == ScheduleState.ACTIVE.value,
            review_schedules.c.due_on <= today,
        )
        .order_by(review_schedules.c.due_on, review_schedules.c.entitlement_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [_schedule_from_row(row) for row in session.execute(query).all()]


def any_due(session: Session, today: date) -> bool:
    query = select(review_schedules.c.entitlement_id).where(
        review_schedules.c.state == ScheduleState.ACTIVE.value, review_schedules.c.due_on <= today
    )
    return session.execute(query.limit(1)).first() is not None


def _review_values(review: Review) -> dict[str, Any]:
    return {
        "entitlement_id": review.entitlement_id,
        "household_id": review.household_id,
        "application_id": review.application_id,
        "region": review.region,
        "category": review.category.value if review.category else None,
        "due_on": review.due_on,
        "state": review.state.value,
        "started_at": review.started_at,
        "completed_at": review.completed_at,
        "report_id": review.report_id,
        "note": review.note,
    }


def _review_from_row(row: Any) -> Review:
    return Review(
        review_id=row.review_id,
        entitlement_id=row.entitlement_id,
        household_id=row.household_id,
        application_id=row.application_id,
        region=row.region,
        category=Category(row.category) if row.category else None,
        due_on=row.due_on,
        state=ReviewState(row.state),
        started_at=row.started_at,
        completed_at=row.completed_at,
        report_id=row.report_id,
        note=row.note,
    )


def review_exists(session: Session, entitlement_id: str, due_on: date) -> bool:
    query = select(reviews.c.review_id).where(
        reviews.c.entitlement_id == entitlement_id, reviews.c.due_on == due_on
    )
    return session.execute(query).first() is not None


def insert_review(session: Session, review: Review) -> None:
    session.execute(insert(reviews).values(review_id=review.review_id, **_review_values(review)))


def get_review(session: Session, review_id: str) -> Review | None:
    row = session.execute(select(reviews).where(reviews.c.review_id == review_id)).one_or_none()
    return None if row is None else _review_from_row(row)


def open_reviews_until(session: Session, entitlement_id: str, due_on: date) -> list[Review]:
    """The entitlement's reviews without a complete report, due on or before ``due_on``."""
    rows = session.execute(
        select(reviews).where(
            reviews.c.entitlement_id == entitlement_id,
            reviews.c.state.in_([s.value for s in OPEN_REVIEWS]),
            reviews.c.due_on <= due_on,
        )
    ).all()
    return [_review_from_row(row) for row in rows]


def save_review(session: Session, review: Review) -> None:
    session.execute(
        update(reviews).where(reviews.c.review_id == review.review_id).values(**_review_values(review))
    )


def list_reviews(
    session: Session,
    region_prefix: str,
    today: date,
    overdue_only: bool,
    after: tuple[date, str] | None,
    size: int,
) -> list[Review]:
    """Open reviews of a region, earliest due first, one row more than the page (another page follows?)."""
    conditions = [
        reviews.c.region.startswith(region_prefix, autoescape=True),
        reviews.c.state.in_([s.value for s in OPEN_REVIEWS]),
    ]
    if overdue_only:
        conditions.append(reviews.c.due_on < today)
    if after is not None:
        day, review_id = after
        conditions.append(
            or_(reviews.c.due_on > day, and_(reviews.c.due_on == day, reviews.c.review_id > review_id))
        )
    rows = session.execute(
        select(reviews).where(*conditions).order_by(reviews.c.due_on, reviews.c.review_id).limit(size + 1)
    ).all()
    return [_review_from_row(row) for row in rows]


def count_open(session: Session, today: date) -> tuple[int, int]:
    """(open reviews, of which overdue)."""
    open_states = [s.value for s in OPEN_REVIEWS]
    total = session.execute(select(func.count()).where(reviews.c.state.in_(open_states))).scalar_one()
    overdue = session.execute(
        select(func.count()).where(reviews.c.state.in_(open_states), reviews.c.due_on < today)
    ).scalar_one()
    return int(total), int(overdue)
