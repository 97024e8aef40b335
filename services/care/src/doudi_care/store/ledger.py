"""Reading and writing ledger entries, visits and imports; queries never commit."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.orm import Session

from doudi_care.domain.ledger import EntrySource, EntryStatus, Ledger, LedgerEntry, PlannedVisit, RiskLevel
from doudi_care.domain.schedule import VisitStage
from doudi_care.domain.visits import Visit, VisitMode
from doudi_care.store import codec
from doudi_care.store.tables import imports, ledger_entries, visits
from doudi_common.region import RegionCode
from doudi_runtime.paging import Page
from doudi_runtime.store.sealed import matches

OPEN = (EntryStatus.ACTIVE.value, EntryStatus.PENDING_DETAILS.value)
SUBJECT_KEY = "subject:"


def person_key(entry: LedgerEntry) -> str:
    """``subject:<id>`` for an entry without identity number; empty once its identity number (hashed) is
    the key."""
    return "" if entry.id_number else f"{SUBJECT_KEY}{entry.subject_id}"


def _values(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "ledger": entry.ledger.value,
        "person_key": person_key(entry),
        "id_number": entry.id_number,
        "id_number_hash": entry.id_number,
        "name": entry.name,
        "phone": entry.phone,
        "region": entry.region,
        "township": entry.township,
        "risk_level": entry.risk_level.value,
        "status": entry.status.value,
        "source": entry.source.value,
        "details": codec.details_to_json(entry.details),
        "subject_id": entry.subject_id,
        "entitlement_ids": codec.ids_to_json(entry.entitlement_ids),
        "suspended_entitlement_ids": codec.ids_to_json(entry.suspended_entitlement_ids),
        "provider_id": entry.provider_id,
        "care_services": entry.care_services,
        "rural_class1_dibao": entry.rural_class1_dibao,
        "next_due": entry.next_due,
        "announced_stage": entry.announced_stage,
        "last_visited_on": entry.last_visited_on,
        "registered_at": entry.registered_at,
        "updated_at": entry.updated_at,
    }


def _entry(row: Any) -> LedgerEntry:
    return LedgerEntry(
        entry_id=row.entry_id,
        ledger=Ledger(row.ledger),
        id_number=row.id_number,
        name=row.name,
        phone=row.phone,
        region=row.region,
        township=row.township,
        risk_level=RiskLevel(row.risk_level),
        status=EntryStatus(row.status),
        source=EntrySource(row.source),
        details=codec.details_from_json(row.details),
        next_due=row.next_due,
        announced_stage=row.announced_stage,
        registered_at=row.registered_at,
        updated_at=row.updated_at,
        subject_id=row.subject_id,
        provider_id=row.provider_id,
        care_services=row.care_services,
        rural_class1_dibao=row.rural_class1_dibao,
        last_visited_on=row.last_visited_on,
        entitlement_ids=codec.ids_from_json(row.entitlement_ids),
        suspended_entitlement_ids=codec.ids_from_json(row.suspended_entitlement_ids),
    )


def insert_entry(session: Session, entry: LedgerEntry) -> None:
    session.execute(insert(ledger_entries).values(entry_id=entry.entry_id, **_values(entry)))


def save_entry(session: Session, entry: LedgerEntry) -> None:
    session.execute(
        update(ledger_entries).where(ledger_entries.c.entry_id == entry.entry_id).values(**_values(entry))
    )


def get_entry(session: Session, entry_id: str, *, for_update: bool = False) -> LedgerEntry | None:
    query = select(ledger_entries).where(ledger_entries.c.entry_id == entry_id)
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).one_or_none()
    return None if row is None else _entry(row)


def find_entry(session: Session, ledger: Ledger, key: str, *, for_update: bool = False) -> LedgerEntry | None:
    """The ledger's entry of a person: ``key`` is an identity number or ``subject:<id>``."""
    c = ledger_entries.c
    if key.startswith(SUBJECT_KEY):
        query = select(ledger_entries).where(
            c.ledger == ledger.value, c.id_number_hash == "", c.person_key == key
        )
    else:
        query = select(ledger_entries).where(
            c.ledger == ledger.value, matches(c.id_number_hash, key), c.person_key == ""
        )
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).one_or_none()
    return None if row is None else _entry(row)


def entries_of_subject(session: Session, subject_id: str, *, for_update: bool = False) -> list[LedgerEntry]:
    query = select(ledger_entries).where(ledger_entries.c.subject_id == subject_id)
    if for_update:
        query = query.with_for_update()
    return [_entry(row) for row in session.execute(query.order_by(ledger_entries.c.entry_id)).all()]


def open_entries_of_person(
    session: Session, id_number: str, subject_id: str, *, for_update: bool = False
) -> list[LedgerEntry]:
    """The open entries of a person (by identity number) or of a household or person subject id."""
    wanted = []
    if id_number:
        wanted.append(matches(ledger_entries.c.id_number_hash, id_number))
    if subject_id:
        wanted.append(ledger_entries.c.subject_id == subject_id)
    if not wanted:
        return []
    query = select(ledger_entries).where(or_(*wanted), ledger_entries.c.status.in_(OPEN))
    if for_update:
        query = query.with_for_update()
    return [_entry(row) for row in session.execute(query.order_by(ledger_entries.c.entry_id)).all()]


def list_entries(
    session: Session, region: RegionCode, ledger: Ledger | None, page: Page
) -> list[LedgerEntry]:
    """Oldest first by id (ids sort by creation time); ``page.size + 1`` rows to tell if more exist."""
    query = select(ledger_entries).where(ledger_entries.c.region.startswith(region.prefix, autoescape=True))
    if ledger is not None:
        query = query.where(ledger_entries.c.ledger == ledger.value)
    if page.after is not None:
        query = query.where(ledger_entries.c.entry_id > page.after)
    rows = session.execute(query.order_by(ledger_entries.c.entry_id).limit(page.size + 1)).all()
    return [_entry(row) for row in rows]


def due_key(entry: LedgerEntry) -> str:
    return f"{entry.next_due.isoformat()}|{entry.entry_id}"


def list_due(session: Session, region: RegionCode, due_by: date, page: Page) -> list[LedgerEntry]:
    """Open entries of the region due on or before ``due_by``, earliest due first (keyset on due, id)."""
    c = ledger_entries.c
    query = select(ledger_entries).where(
        c.region.startswith(region.prefix, autoescape=True), c.status.in_(OPEN), c.next_due <= due_by
    )
    if page.after is not None:
        due_text, _, entry_id = page.after.partition("|")
        after_due = date.fromisoformat(due_text)
        query = query.where(or_(c.next_due > after_due, and_(c.next_due == after_due, c.entry_id > entry_id)))
    rows = session.execute(query.order_by(c.next_due, c.entry_id).limit(page.size + 1)).all()
    return [_entry(row) for row in rows]


_PLANNED_VISIT_COLUMNS = (
    ledger_entries.c.entry_id,
    ledger_entries.c.ledger,
    ledger_entries.c.id_number,
    ledger_entries.c.region,
    ledger_entries.c.township,
    ledger_entries.c.risk_level,
    ledger_entries.c.next_due,
    ledger_entries.c.announced_stage,
)


def claim_to_announce(
    session: Session,
    status: EntryStatus,
    announced: VisitStage,
    due_by: date,
    after: tuple[date, str] | None,
    limit: int,
) -> list[PlannedVisit]:
    """The next ``limit`` entries of one status, last announced at ``announced``, due on or before
    ``due_by``, in (due, id) order after the keyset ``after``, locked for the caller's transaction.

    Filter, order and keyset all run on ``ix_ledger_entries_sweep``. On PostgreSQL rows another sweep
    holds are skipped (it announces them), so replicas share the work instead of queueing on it.
    """
    c = ledger_entries.c
    query = select(*_PLANNED_VISIT_COLUMNS).where(
        c.status == status.value, c.announced_stage == announced.value, c.next_due <= due_by
    )
    if after is not None:
        after_due, after_id = after
        query = query.where(or_(c.next_due > after_due, and_(c.next_due == after_due, c.entry_id > after_id)))
    query = query.order_by(c.next_due, c.entry_id).limit(limit).with_for_update(skip_locked=True)
    return [
        PlannedVisit(
            entry_id=row.entry_id,
            ledger=Ledger(row.ledger),
            id_number=row.id_number,
            region=row.region,
            township=row.township,
            risk_level=RiskLevel(row.risk_level),
            next_due=row.next_due,
            announced_stage=row.announced_stage,
        )
        for row in session.execute(query).all()
    ]


def mark_announced(
    session: Session, entry_ids_by_stage: Mapping[VisitStage, Sequence[str]], now: datetime
) -> None:
    """Record the stage each entry has now announced: one UPDATE per stage."""
    c = ledger_entries.c
    for stage, entry_ids in entry_ids_by_stage.items():
        if entry_ids:
            session.execute(
                update(ledger_entries)
                .where(c.entry_id.in_(entry_ids))
                .values(announced_stage=stage.value, updated_at=now)
            )


def overdue_counts(session: Session, overdue_stages: tuple[VisitStage, ...]) -> Counter[Ledger]:
    c = ledger_entries.c
    rows = session.execute(
        select(c.ledger, func.count())
        .where(c.status.in_(OPEN), c.announced_stage.in_([s.value for s in overdue_stages]))
        .group_by(c.ledger)
    ).all()
    return Counter({Ledger(ledger): count for ledger, count in rows})


def care_service_entries(session: Session, after: str, limit: int) -> list[LedgerEntry]:
    c = ledger_entries.c
    rows = session.execute(
        select(ledger_entries)
        .where(c.status.in_(OPEN), c.care_services.is_(True), c.provider_id != "", c.entry_id > after)
        .order_by(c.entry_id)
        .limit(limit)
    ).all()
    return [_entry(row) for row in rows]


# -- visits ---------------------------------------------------------------------------------------


def insert_visit(session: Session, visit: Visit) -> None:
    session.execute(
        insert(visits).values(
            visit_id=visit.visit_id,
            entry_id=visit.entry_id,
            visited_at=visit.visited_at,
            visitor=visit.visitor,
            mode=visit.mode.value,
            place=visit.place,
            findings=visit.findings,
            risk_found=visit.risk_found,
            due_on=visit.due_on,
            late=visit.late,
            next_due=visit.next_due,
            recorded_at=visit.recorded_at,
        )
    )


def get_visit(session: Session, visit_id: str) -> Visit | None:
    row = session.execute(select(visits).where(visits.c.visit_id == visit_id)).one_or_none()
    if row is None:
        return None
    return Visit(
        visit_id=row.visit_id,
        entry_id=row.entry_id,
        visited_at=row.visited_at,
        visitor=row.visitor,
        mode=VisitMode(row.mode),
        place=row.place,
        findings=row.findings,
        risk_found=row.risk_found,
        due_on=row.due_on,
        late=row.late,
        next_due=row.next_due,
        recorded_at=row.recorded_at,
    )


# -- imports --------------------------------------------------------------------------------------


def insert_import(session: Session, import_id: str, result: dict[str, Any], now: datetime) -> None:
    session.execute(
        insert(imports).values(
            import_id=import_id, result=json.dumps(result, ensure_ascii=False), created_at=now
        )
    )


def get_import(session: Session, import_id: str) -> dict[str, Any] | None:
    row = session.execute(select(imports).where(imports.c.import_id == import_id)).one_or_none()
    return None if row is None else json.loads(row.result)
