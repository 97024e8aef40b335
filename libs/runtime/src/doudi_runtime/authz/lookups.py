"""Record lookups a service hands its policy: a record's region, and the record as stored (for audit)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, bindparam, select

from doudi_runtime.authz.policy import RegionLookup, SnapshotLookup
from doudi_runtime.store import Database


def column_lookup(database: Database, table: Table, key: str, region: str) -> RegionLookup:
    """``record id → table.region`` where ``table.key == record id``; None when there is no such row."""
    query = select(table.c[region]).where(table.c[key] == bindparam("key"))

    def lookup(record_id: str) -> str | None:
        with database.read() as session:
            value = session.execute(query, {"key": record_id}).scalar()
        return None if value is None else str(value)

    return lookup


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def row_snapshot(database: Database, table: Table, key: str, omit: Iterable[str] = ()) -> SnapshotLookup:
    """``record id → the row as a JSON-ready dict`` (audit's before and after), None when absent.

    Columns in ``omit`` (e.g. a sealed body the trail must not keep) are not even read."""
    left_out = frozenset(omit)
    query = select(*(c for c in table.c if c.name not in left_out)).where(table.c[key] == bindparam("key"))

    def snapshot(record_id: str) -> Mapping[str, Any] | None:
        with database.read() as session:
            row = session.execute(query, {"key": record_id}).mappings().one_or_none()
        if row is None:
            return None
        return json.loads(json.dumps({k: _plain(v) for k, v in row.items()}, default=str))

    return snapshot
