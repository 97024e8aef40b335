"""Reading and writing work orders and provider settlements; queries never commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from doudi_care.domain.workorders import Settlement, SettlementFigures, WorkOrder, WorkOrderState
from doudi_care.store.tables import settlements, work_orders
from doudi_common.period import Period
from doudi_common.region import RegionCode
from doudi_runtime.paging import Page


def _values(order: WorkOrder) -> dict[str, Any]:
    return {
        "entry_id": order.entry_id,
        "provider_id": order.provider_id,
        "period": str(order.period),
        "seq": order.seq,
        "state": order.state.value,
        "region": order.region,
        "township": order.township,
        "content": order.content,
        "quality_score": order.quality_score,
        "confirmed_by": order.confirmed_by,
        "completed_at": order.completed_at,
        "audit_passed": order.audit_passed,
        "missed_reason": order.missed_reason,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
    }


def _order(row: Any) -> WorkOrder:
    return WorkOrder(
        work_order_id=row.work_order_id,
        entry_id=row.entry_id,
        provider_id=row.provider_id,
        period=Period.parse(row.period),
        seq=row.seq,
        state=WorkOrderState(row.state),
        region=row.region,
        township=row.township,
        content=row.content,
        quality_score=row.quality_score,
        confirmed_by=row.confirmed_by,
        completed_at=row.completed_at,
        audit_passed=row.audit_passed,
        missed_reason=row.missed_reason,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def insert_order(session: Session, order: WorkOrder) -> None:
    session.execute(insert(work_orders).values(work_order_id=order.work_order_id, **_values(order)))


def save_order(session: Session, order: WorkOrder) -> None:
    session.execute(
        update(work_orders).where(work_orders.c.work_order_id == order.work_order_id).values(**_values(order))
    )


def get_order(session: Session, work_order_id: str, *, for_update: bool = False) -> WorkOrder | None:
    query = select(work_orders).where(work_orders.c.work_order_id == work_order_id)
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).one_or_none()
    return None if row is None else _order(row)


def planned_seqs(session: Session, entry_id: str, period: Period) -> set[int]:
    rows = session.execute(
        select(work_orders.c.seq).where(
            work_orders.c.entry_id == entry_id,
            work_orders.c.period == str(period),
            work_orders.c.seq.is_not(None),
        )
    ).all()
    return {row.seq for row in rows}


def provider_orders(
    session: Session, provider_id: str, period: Period, *, for_update: bool = False
) -> list[WorkOrder]:
    query = select(work_orders).where(
        work_orders.c.provider_id == provider_id, work_orders.c.period == str(period)
    )
    if for_update:
        query = query.with_for_update()
    return [_order(row) for row in session.execute(query.order_by(work_orders.c.work_order_id)).all()]


def list_orders(
    session: Session, provider_id: str, period: Period, region: RegionCode | None, page: Page
) -> list[WorkOrder]:
    query = select(work_orders).where(
        work_orders.c.provider_id == provider_id, work_orders.c.period == str(period)
    )
    if region is not None:
        query = query.where(work_orders.c.region.startswith(region.prefix, autoescape=True))
    if page.after is not None:
        query = query.where(work_orders.c.work_order_id > page.after)
    rows = session.execute(query.order_by(work_orders.c.work_order_id).limit(page.size + 1)).all()
    return [_order(row) for row in rows]


def provider_regions(session: Session, provider_id: str) -> list[RegionCode]:
    """The regions (villages) of the people a provider's work orders serve, every month."""
    rows = session.execute(
        select(work_orders.c.region).where(work_orders.c.provider_id == provider_id).distinct()
    ).all()
    return [RegionCode(row.region) for row in rows]


def open_orders_of_entry(session: Session, entry_id: str, period: Period) -> list[WorkOrder]:
    """The entry's orders still assigned in ``period`` or later, locked for the caller's transaction."""
    rows = session.execute(
        select(work_orders)
        .where(
            work_orders.c.entry_id == entry_id,
            work_orders.c.state == WorkOrderState.ASSIGNED.value,
            work_orders.c.period >= str(period),
        )
        .order_by(work_orders.c.work_order_id)
        .with_for_update()
    ).all()
    return [_order(row) for row in rows]


def open_order_ids_before(session: Session, period: Period, limit: int) -> list[str]:
    """Orders still assigned in a month before ``period`` (their month ended undone)."""
    rows = session.execute(
        select(work_orders.c.work_order_id)
        .where(work_orders.c.state == WorkOrderState.ASSIGNED.value, work_orders.c.period < str(period))
        .order_by(work_orders.c.work_order_id)
        .limit(limit)
    ).all()
    return [row.work_order_id for row in rows]


def insert_settlement(session: Session, settlement: Settlement) -> None:
    f = settlement.figures
    session.execute(
        insert(settlements).values(
            settlement_id=settlement.settlement_id,
            provider_id=settlement.provider_id,
            period=str(settlement.period),
            planned=f.planned,
            paid_services=f.paid_services,
            missed=f.missed,
            failed_audit=f.failed_audit,
            average_score_x100=settlement.average_score_x100,
            gross_fen=f.gross_fen,
            deductions_fen=f.deductions_fen,
            payable_fen=f.payable_fen,
            settled_at=settlement.settled_at,
        )
    )


def _settlement(row: Any) -> Settlement:
    return Settlement(
        settlement_id=row.settlement_id,
        provider_id=row.provider_id,
        period=Period.parse(row.period),
        figures=SettlementFigures(
            planned=row.planned,
            paid_services=row.paid_services,
            missed=row.missed,
            failed_audit=row.failed_audit,
            average_score=None,
            gross_fen=row.gross_fen,
            deductions_fen=row.deductions_fen,
            payable_fen=row.payable_fen,
        ),
        average_score_x100=row.average_score_x100,
        settled_at=row.settled_at,
    )


def get_settlement(session: Session, settlement_id: str) -> Settlement | None:
    row = session.execute(
        select(settlements).where(settlements.c.settlement_id == settlement_id)
    ).one_or_none()
    return None if row is None else _settlement(row)


def find_settlement(session: Session, provider_id: str, period: Period) -> Settlement | None:
    row = session.execute(
        select(settlements).where(
            settlements.c.provider_id == provider_id, settlements.c.period == str(period)
        )
    ).one_or_none()
    return None if row is None else _settlement(row)
