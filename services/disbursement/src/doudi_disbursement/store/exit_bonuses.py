"""Exit bonuses owed and the ones no payment carries yet; queries never commit."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from doudi_common.period import Period
from doudi_disbursement.store import derived
from doudi_disbursement.store.tables import exit_bonuses


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
    row = {
        "idempotency_key": key,
        "entitlement_id": entitlement_id,
        "period": str(period),
        "amount_fen": amount_fen,
        "months": months,
        "recorded_at": now,
    }
    return derived.insert_once(session, exit_bonuses, [row], ["idempotency_key"]) > 0


def exit_bonuses_unpaid(session: Session, entitlement_ids: Iterable[str], up_to: Period) -> list[Any]:
    """Bonuses of these entitlements for months up to ``up_to`` that no payment carries yet."""
    return derived.unpaid(session, exit_bonuses, entitlement_ids, up_to)
