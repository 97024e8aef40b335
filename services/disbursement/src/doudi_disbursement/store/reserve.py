"""Reserve funds and their ledger in the store; an advance is kept in the body of its ADVANCE entry."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from doudi_common.ids import new_id
from doudi_disbursement.domain.reserve import Advance, AdvanceState, Entry, EntryKind, Fund, Method
from doudi_disbursement.store.tables import reserve_entries, reserve_funds


def _fund_from_row(row: Any) -> Fund:
    return Fund(row.township, int(row.balance_fen), int(row.advanced_fen), row.opened_at, row.updated_at)


def get_fund(session: Session, township: str, *, for_update: bool = False) -> Fund | None:
    query = select(reserve_funds).where(reserve_funds.c.township == township)
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).first()
    return _fund_from_row(row) if row else None


def funds_within(session: Session, region_prefix: str) -> list[Fund]:
    """The reserve funds of the townships within a region, in township order."""
    rows = session.execute(
        select(reserve_funds)
        .where(reserve_funds.c.township.startswith(region_prefix))
        .order_by(reserve_funds.c.township)
    ).all()
    return [_fund_from_row(row) for row in rows]


def insert_fund(session: Session, fund: Fund) -> None:
    session.execute(
        insert(reserve_funds).values(
            township=fund.township,
            balance_fen=fund.balance_fen,
            advanced_fen=fund.outstanding_fen,
            opened_at=fund.opened_at,
            updated_at=fund.updated_at,
        )
    )


def save_fund(session: Session, fund: Fund) -> None:
    session.execute(
        update(reserve_funds)
        .where(reserve_funds.c.township == fund.township)
        .values(balance_fen=fund.balance_fen, advanced_fen=fund.outstanding_fen, updated_at=fund.updated_at)
    )


def _advance_body(advance: Advance) -> str:
    values = asdict(advance)
    values["method"] = advance.method.value
    values["state"] = advance.state.value
    values["paid_by"] = list(advance.paid_by)
    return json.dumps(values, ensure_ascii=False)


def _advance_from_body(body: str) -> Advance:
    values = json.loads(body)
    values["method"] = Method(values["method"])
    values["state"] = AdvanceState(values["state"])
    values["paid_by"] = tuple(values["paid_by"])
    return Advance(**values)


def append_entry(
    session: Session,
    fund: Fund,
    entry: Entry,
    recorded_by: str,
    now: datetime,
    advance: Advance | None = None,
) -> None:
    """Append to the township's ledger; the (township, sequence) key refuses a concurrent writer."""
    last = session.execute(
        select(func.max(reserve_entries.c.sequence)).where(reserve_entries.c.township == fund.township)
    ).scalar()
    session.execute(
        insert(reserve_entries).values(
            entry_id=new_id("rse"),
            township=fund.township,
            sequence=(last or 0) + 1,
            kind=entry.kind.value,
            amount_fen=entry.amount_fen,
            balance_after_fen=entry.balance_after_fen,
            advance_id=entry.advance_id,
            advance_state=advance.state.value if advance else "",
            body=_advance_body(advance) if advance else json.dumps({"note": entry.note}, ensure_ascii=False),
            recorded_by=recorded_by,
            recorded_at=now,
        )
    )


def get_advance(session: Session, advance_id: str) -> Advance | None:
    row = session.execute(
        select(reserve_entries.c.body).where(
            reserve_entries.c.advance_id == advance_id, reserve_entries.c.kind == EntryKind.ADVANCE.value
        )
    ).first()
    return _advance_from_body(row.body) if row else None


def save_advance(session: Session, advance: Advance) -> None:
    session.execute(
        update(reserve_entries)
        .where(
            reserve_entries.c.advance_id == advance.advance_id,
            reserve_entries.c.kind == EntryKind.ADVANCE.value,
        )
        .values(body=_advance_body(advance), advance_state=advance.state.value)
    )


def advances_in(session: Session, state: AdvanceState, limit: int) -> list[Advance]:
    """Advances in a state, oldest first (the bank worker's queue)."""
    rows = session.execute(
        select(reserve_entries.c.body)
        .where(reserve_entries.c.advance_state == state.value)
        .order_by(reserve_entries.c.recorded_at, reserve_entries.c.entry_id)
        .limit(limit)
    ).all()
    return [_advance_from_body(row.body) for row in rows]


def paid_advances_of_case(session: Session, township: str, case_reference: str) -> list[Advance]:
    """The township's advances paid (and not returned by the bank) under a case reference, oldest first.
    A township pays few advances, so its ADVANCE entries are read and their bodies matched."""
    rows = session.execute(
        select(reserve_entries.c.body)
        .where(
            reserve_entries.c.township == township,
            reserve_entries.c.kind == EntryKind.ADVANCE.value,
            reserve_entries.c.advance_state.in_([AdvanceState.PAID.value, AdvanceState.REGULARISED.value]),
        )
        .order_by(reserve_entries.c.sequence)
    ).all()
    advances = [_advance_from_body(row.body) for row in rows]
    return [a for a in advances if a.case_reference.strip() == case_reference]


def ledger_page(session: Session, township: str, after_sequence: int, size: int) -> list[Any]:
    return list(
        session.execute(
            select(reserve_entries)
            .where(reserve_entries.c.township == township, reserve_entries.c.sequence > after_sequence)
            .order_by(reserve_entries.c.sequence)
            .limit(size)
        ).all()
    )


def note_of_row(row: Any) -> str:
    if row.kind == EntryKind.ADVANCE.value:
        return _advance_from_body(row.body).reason
    return str(json.loads(row.body).get("note", ""))
