"""Re-determination runs (one per published version) and the entitlements they examine; never commits."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from doudi_eligibility.domain.case_file import ApplicationFacts, ReportFacts, SurveyFacts
from doudi_eligibility.store.records import (
    EntitlementRecord,
    _entitlement_record,
    _survey_from,
    application_from,
    report_from,
)
from doudi_eligibility.store.tables import cases, entitlements, redeterminations


@dataclass(frozen=True)
class RunRow:
    set_id: str
    region_prefix: str
    effective_from: date
    #: The last entitlement examined ("" before the first batch).
    cursor: str
    examined: int
    changed: int
    referred_to_review: int
    done: bool
    started_at: datetime
    lease_until: datetime
    finished_at: datetime | None


def _run(row: Any) -> RunRow:
    return RunRow(
        set_id=row.set_id,
        region_prefix=row.region_prefix,
        effective_from=row.effective_from,
        cursor=row.cursor,
        examined=row.examined,
        changed=row.changed,
        referred_to_review=row.referred_to_review,
        done=row.done,
        started_at=row.started_at,
        lease_until=row.lease_until,
        finished_at=row.finished_at,
    )


def insert_run(
    session: Session,
    *,
    set_id: str,
    region_prefix: str,
    effective_from: date,
    at: datetime,
    lease_until: datetime,
) -> None:
    session.execute(
        insert(redeterminations).values(
            set_id=set_id,
            region_prefix=region_prefix,
            effective_from=effective_from,
            cursor="",
            examined=0,
            changed=0,
            referred_to_review=0,
            done=False,
            started_at=at,
            lease_until=lease_until,
            finished_at=None,
        )
    )


def get_run(session: Session, set_id: str, *, for_update: bool = False) -> RunRow | None:
    """The run of a version; ``for_update`` serialises runners of one version on its row."""
    query = select(redeterminations).where(redeterminations.c.set_id == set_id)
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).one_or_none()
    return None if row is None else _run(row)


def save_run(session: Session, run: RunRow) -> None:
    session.execute(
        update(redeterminations)
        .where(redeterminations.c.set_id == run.set_id)
        .values(
            cursor=run.cursor,
            examined=run.examined,
            changed=run.changed,
            referred_to_review=run.referred_to_review,
            done=run.done,
            lease_until=run.lease_until,
            finished_at=run.finished_at,
        )
    )


def runs_to_resume(session: Session, now: datetime, limit: int) -> list[str]:
    """Unfinished runs nobody holds (their lease ran out: the runner stopped), oldest first."""
    rows = session.execute(
        select(redeterminations.c.set_id)
        .where(redeterminations.c.done.is_(False), redeterminations.c.lease_until < now)
        .order_by(redeterminations.c.started_at, redeterminations.c.set_id)
        .limit(limit)
    )
    return [row.set_id for row in rows]


@dataclass(frozen=True)
class Candidate:
    """An entitlement in scope of a run with its case's body (JSON), decoded only as far as needed."""

    row: Any
    case_body: str | None

    @property
    def entitlement_id(self) -> str:
        return str(self.row.entitlement_id)

    @property
    def state(self) -> str:
        return str(self.row.state)

    @property
    def monthly_amount_fen(self) -> int:
        return int(self.row.monthly_amount_fen)

    def record(self) -> EntitlementRecord:
        return _entitlement_record(self.row)


def candidates(
    session: Session, region_prefix: str, states: list[str], programme: str, after: str, limit: int
) -> list[Candidate]:
    """The next ``limit`` entitlements of ``programme`` in the region and states after ``after`` (keyset
    order on the entitlement id), each with its case's body, in one query."""
    query = (
        select(entitlements, cases.c.body.label("case_body"))
        .join(cases, cases.c.application_id == entitlements.c.application_id, isouter=True)
        .where(
            entitlements.c.state.in_(states),
            entitlements.c.programme == programme,
            entitlements.c.region.startswith(region_prefix),
            entitlements.c.entitlement_id > after,
        )
        .order_by(entitlements.c.entitlement_id)
        .limit(limit)
    )
    return [Candidate(row, row.case_body) for row in session.execute(query)]


def case_facts(body: str) -> tuple[ApplicationFacts, ReportFacts | None, SurveyFacts | None]:
    """What the rules read from a case's body: the application, its report and its home survey."""
    data = json.loads(body)
    report = data["report"]
    return (
        application_from(data["application"]),
        report_from(report) if report else None,
        _survey_from(data["survey"]),
    )
