"""The temporary-assistance cases' store: one row per case, its state, payment month and entitlement as
columns (what disbursement's payment news and the policy's region look up), the rest of the lifecycle as
JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from doudi_common.period import Period
from doudi_eligibility.domain.machines.temporary_assistance import (
    PostCheck,
    ReceivingBody,
    TaLifecycle,
    TaState,
)
from doudi_eligibility.store.tables import ta_lifecycles

_DATES = ("reported_on", "paid_on", "closed_on")
_PERIODS = ("payment_month", "locked_until")
_ENUMS = {"state": TaState, "receiving_body": ReceivingBody, "post_check": PostCheck}


@dataclass(frozen=True)
class TaRecord:
    lifecycle: TaLifecycle
    region: str
    entitlement_id: str | None = None
    #: Why disbursement could not pay the rest (a returned or failed payment); empty when none.
    payment_problem: str = ""


def _body(lifecycle: TaLifecycle) -> str:
    out: dict[str, Any] = {}
    for f in fields(lifecycle):
        value = getattr(lifecycle, f.name)
        if isinstance(value, date | Period):
            value = str(value) if isinstance(value, Period) else value.isoformat()
        elif value is not None and f.name in _ENUMS:
            value = value.value
        out[f.name] = value
    return json.dumps(out, ensure_ascii=False, sort_keys=True)


def _lifecycle(body: str) -> TaLifecycle:
    raw = json.loads(body)
    for name in _DATES:
        raw[name] = date.fromisoformat(raw[name]) if raw.get(name) else None
    for name in _PERIODS:
        raw[name] = Period.parse(raw[name]) if raw.get(name) else None
    for name, kind in _ENUMS.items():
        raw[name] = kind(raw[name]) if raw.get(name) else None
    return TaLifecycle(**raw)


def _record(row: Any) -> TaRecord:
    return TaRecord(_lifecycle(row.body), row.region, row.entitlement_id, row.payment_problem)


def get(session: Session, reference: str, *, for_update: bool = False) -> TaRecord | None:
    query = select(ta_lifecycles).where(ta_lifecycles.c.reference == reference)
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).first()
    return None if row is None else _record(row)


def by_entitlement(session: Session, entitlement_id: str) -> TaRecord | None:
    row = session.execute(
        select(ta_lifecycles).where(ta_lifecycles.c.entitlement_id == entitlement_id).with_for_update()
    ).first()
    return None if row is None else _record(row)


def put(session: Session, record: TaRecord, now: datetime) -> None:
    life = record.lifecycle
    values = {
        "region": record.region,
        "state": life.state.value,
        "entitlement_id": record.entitlement_id,
        "payment_month": str(life.payment_month) if life.payment_month else None,
        "payment_problem": record.payment_problem,
        "body": _body(life),
        "updated_at": now,
    }
    done = session.execute(
        update(ta_lifecycles).where(ta_lifecycles.c.reference == life.reference).values(**values)
    )
    if not done.rowcount:
        session.execute(insert(ta_lifecycles).values(reference=life.reference, **values))
