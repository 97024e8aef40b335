"""Exit bonuses owed and the ones no payment carries yet; queries never commit."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from doudi_common.period import Period
from doudi_disbursement.store import bulk
from doudi_disbursement.store.tables import exit_bonuses, payments


def record_exit_bonus(
    session: Session,
    key: str,
    entitlement_id: str,
    period: Period,
    amount_fen: int,
    months: int,
    now: datetime,
) -> bool:
    """Owe the bonus under its payment key; a key already recorded is kept as it is (False)."""
    dialect = session.get_bind().dialect.name
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(exit_bonuses)
    row = {
        "idempotency_key": key,
        "entitlement_id": entitlement_id,
        "period": str(period),
        "amount_fen": amount_fen,
        "months": months,
        "recorded_at": now,
    }
    result = session.execute(statement.on_conflict_do_nothing(index_elements=["idempotency_key"]), [row])
    return bool(result.rowcount)


def exit_bonuses_unpaid(session: Session, entitlement_ids: Iterable[str], up_to: Period) -> list[Any]:
    """Bonuses of these entitlements for months up to ``up_to`` that no payment carries yet."""
    ids = list(entitlement_ids)
    if not ids:
        return []
    paid = select(payments.c.idempotency_key)
    return list(
        session.execute(
            select(exit_bonuses)
            .where(
                bulk.one_of(session, exit_bonuses.c.entitlement_id, ids),
                exit_bonuses.c.period <= str(up_to),
                exit_bonuses.c.idempotency_key.not_in(paid),
            )
            .order_by(exit_bonuses.c.entitlement_id, exit_bonuses.c.period)
        ).all()
    )
