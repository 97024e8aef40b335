"""Re-announcement runs and the entitlements they announce, a page at a time; never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from doudi_eligibility.domain.machines.entitlement import State
from doudi_eligibility.store.records import EntitlementRecord, _entitlement_record
from doudi_eligibility.store.tables import entitlements, reannouncements


@dataclass(frozen=True)
class ReannouncementRun:
    run_id: str
    #: The last entitlement announced ("" before the first page).
    cursor: str
    announced: int
    done: bool
    started_at: datetime
    finished_at: datetime | None


def _run(row: Any) -> ReannouncementRun:
    return ReannouncementRun(
        run_id=row.run_id,
        cursor=row.cursor,
        announced=row.announced,
        done=row.done,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


def unfinished_run(session: Session) -> ReannouncementRun | None:
    """The oldest run that stopped before its last page, to be resumed."""
    row = session.execute(
        select(reannouncements)
        .where(reannouncements.c.done.is_(False))
        .order_by(reannouncements.c.started_at, reannouncements.c.run_id)
        .limit(1)
    ).first()
    return None if row is None else _run(row)


def insert_run(session: Session, run_id: str, at: datetime) -> ReannouncementRun:
    run = ReannouncementRun(run_id, "", 0, False, at, None)
    session.execute(
        insert(reannouncements).values(
            run_id=run.run_id,
            cursor=run.cursor,
            announced=run.announced,
            done=run.done,
            started_at=run.started_at,
            finished_at=run.finished_at,
        )
    )
    return run


def get_run(session: Session, run_id: str, *, for_update: bool = False) -> ReannouncementRun | None:
    """``for_update`` serialises the runners of one run on its row, so a page is announced once."""
    query = select(reannouncements).where(reannouncements.c.run_id == run_id)
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).one_or_none()
    return None if row is None else _run(row)


def save_run(session: Session, run: ReannouncementRun) -> None:
    session.execute(
        update(reannouncements)
        .where(reannouncements.c.run_id == run.run_id)
        .values(cursor=run.cursor, announced=run.announced, done=run.done, finished_at=run.finished_at)
    )


def page_not_terminated(session: Session, after: str, limit: int) -> list[EntitlementRecord]:
    """The next ``limit`` entitlements not terminated after ``after`` in key order, locked until the page's
    transaction ends: a change committed by the service meanwhile is announced before the page's snapshot of
    it, never after."""
    rows = session.execute(
        select(entitlements)
        .where(
            entitlements.c.state != State.TERMINATED.value,
            entitlements.c.entitlement_id > after,
        )
        .order_by(entitlements.c.entitlement_id)
        .limit(limit)
        .with_for_update()
    )
    return [_entitlement_record(row) for row in rows]
