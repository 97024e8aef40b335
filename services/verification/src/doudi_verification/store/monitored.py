"""Reading and writing the register of monitored households that left Dibao; queries never commit."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from doudi_common.period import Period
from doudi_runtime.paging import Page
from doudi_verification.domain.monitored import MonitoredHousehold
from doudi_verification.domain.triggers import MonitoredGroup
from doudi_verification.store.tables import monitored_households as table


def _values(entry: MonitoredHousehold, now: datetime) -> dict[str, Any]:
    return {
        "household_id": entry.household_id,
        "application_id": entry.application_id,
        "region": entry.region,
        "group": entry.group.value,
        "since": str(entry.since),
        "until": str(entry.until),
        "persons": json.dumps(list(entry.persons)),
        "updated_at": now,
    }


def _from_row(row: Any) -> MonitoredHousehold:
    return MonitoredHousehold(
        entitlement_id=row.entitlement_id,
        household_id=row.household_id,
        application_id=row.application_id,
        region=row.region,
        group=MonitoredGroup(row.group),
        since=Period.parse(row.since),
        until=Period.parse(row.until),
        persons=tuple(json.loads(row.persons)),
    )


def get(session: Session, entitlement_id: str, *, for_update: bool = False) -> MonitoredHousehold | None:
    query = select(table).where(table.c.entitlement_id == entitlement_id)
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).one_or_none()
    return None if row is None else _from_row(row)


def put(session: Session, entry: MonitoredHousehold, now: datetime, *, exists: bool) -> None:
    values = _values(entry, now)
    if exists:
        session.execute(update(table).where(table.c.entitlement_id == entry.entitlement_id).values(**values))
    else:
        session.execute(insert(table).values(entitlement_id=entry.entitlement_id, **values))


def withdraw(session: Session, entitlement_id: str) -> None:
    session.execute(delete(table).where(table.c.entitlement_id == entitlement_id))


def monitored_in(session: Session, region_prefix: str, month: Period, page: Page) -> list[MonitoredHousehold]:
    """The region's households monitored in ``month``, by entitlement id, one more than the page."""
    conditions = [
        table.c.region.startswith(region_prefix, autoescape=True),
        table.c.since <= str(month),
        table.c.until >= str(month),
    ]
    if page.after is not None:
        conditions.append(table.c.entitlement_id > page.after)
    rows = session.execute(
        select(table).where(*conditions).order_by(table.c.entitlement_id).limit(page.size + 1)
    ).all()
    return [_from_row(row) for row in rows]
