"""Reading and writing children's protection cases; queries never commit."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from doudi_care.domain.protection import ProtectionCase, ProtectionStep
from doudi_care.store.tables import protection_cases


def _values(case: ProtectionCase) -> dict[str, Any]:
    return {
        "entry_id": case.entry_id,
        "child_id_number": case.child_id_number,
        "child_name": case.child_name,
        "region": case.region,
        "township": case.township,
        "description": case.description,
        "reporter": case.reporter,
        "contact_phone": case.contact_phone,
        "reported_at": case.reported_at,
        "dispatch_due_at": case.dispatch_due_at,
        "assessment_due_at": case.assessment_due_at,
        "intervention_due_at": case.intervention_due_at,
        "dispatched_at": case.dispatched_at,
        "assessed_at": case.assessed_at,
        "intervened_at": case.intervened_at,
        "overdue_steps": json.dumps([s.value for s in case.overdue_steps]),
        "notes": json.dumps([list(n) for n in case.notes], ensure_ascii=False),
        "next_check_at": case.next_deadline,
    }


def _case(row: Any) -> ProtectionCase:
    return ProtectionCase(
        case_id=row.case_id,
        entry_id=row.entry_id,
        child_id_number=row.child_id_number,
        child_name=row.child_name,
        region=row.region,
        township=row.township,
        description=row.description,
        reporter=row.reporter,
        contact_phone=row.contact_phone,
        reported_at=row.reported_at,
        dispatch_due_at=row.dispatch_due_at,
        assessment_due_at=row.assessment_due_at,
        intervention_due_at=row.intervention_due_at,
        dispatched_at=row.dispatched_at,
        assessed_at=row.assessed_at,
        intervened_at=row.intervened_at,
        overdue_steps=tuple(ProtectionStep(s) for s in json.loads(row.overdue_steps)),
        notes=tuple((step, note) for step, note in json.loads(row.notes)),
    )


def insert_case(session: Session, case: ProtectionCase) -> None:
    session.execute(insert(protection_cases).values(case_id=case.case_id, **_values(case)))


def save_case(session: Session, case: ProtectionCase) -> None:
    session.execute(
        update(protection_cases).where(protection_cases.c.case_id == case.case_id).values(**_values(case))
    )


def get_case(session: Session, case_id: str, *, for_update: bool = False) -> ProtectionCase | None:
    query = select(protection_cases).where(protection_cases.c.case_id == case_id)
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).one_or_none()
    return None if row is None else _case(row)


def due_case_ids(session: Session, now: datetime, limit: int) -> list[str]:
    rows = session.execute(
        select(protection_cases.c.case_id)
        .where(protection_cases.c.next_check_at < now)
        .order_by(protection_cases.c.next_check_at, protection_cases.c.case_id)
        .limit(limit)
    ).all()
    return [row.case_id for row in rows]
