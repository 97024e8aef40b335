"""Record lookups a service hands its policy: a record's region, and the record as stored (for audit).

Inside :func:`shared_reads` (the policy step opens one around a mutating call's checks) a row read by a
:func:`row_snapshot` is kept, and a :func:`column_lookup` of the same table, key and record answers from it:
the region check and audit's "before" of one record cost one query. Each lookup is one statement, read on its
own (:meth:`Database.query`), or through the transaction being committed when audit reads its "after".
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, bindparam, select
from sqlalchemy.exc import MultipleResultsFound

from doudi_runtime.authz.policy import RegionLookup, SnapshotLookup
from doudi_runtime.store import Database

#: (database, table, key column, record id) → the row as read (None: no such row).
_RowKey = tuple[Database, str, str, str]
_shared: ContextVar[dict[_RowKey, Mapping[str, Any] | None] | None] = ContextVar(
    "doudi_shared_reads", default=None
)


@contextmanager
def shared_reads() -> Iterator[None]:
    """Within this scope, lookups of a row a snapshot already read answer from that read."""
    token = _shared.set({})
    try:
        yield
    finally:
        _shared.reset(token)


def column_lookup(database: Database, table: Table, key: str, region: str) -> RegionLookup:
    """``record id → table.region`` where ``table.key == record id``; None when there is no such row."""
    query = select(table.c[region]).where(table.c[key] == bindparam("key"))

    def lookup(record_id: str) -> str | None:
        shared = _shared.get()
        row_key = (database, table.name, key, record_id)
        if shared is not None and row_key in shared:
            row = shared[row_key]
            if row is None:
                return None
            if region in row:
                value = row[region]
                return None if value is None else str(value)
        found = database.query(query, {"key": record_id})
        value = found[0][region] if found else None
        return None if value is None else str(value)

    return lookup


#: Values a JSON round trip gives back as they are.
_JSON_NATIVE = (str, int, bool, type(None))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def _json_ready(row: Mapping[str, Any]) -> dict[str, Any]:
    """The row as JSON gives it back: dates as ISO text, bytes as hex, any other non-JSON value as text."""
    plain = {k: _plain(v) for k, v in row.items()}
    if all(type(v) in _JSON_NATIVE for v in plain.values()):
        return plain
    return json.loads(json.dumps(plain, default=str))


def row_snapshot(database: Database, table: Table, key: str, omit: Iterable[str] = ()) -> SnapshotLookup:
    """``record id → the row as a JSON-ready dict`` (audit's before and after), None when absent.

    Columns in ``omit`` (e.g. a sealed body the trail must not keep) are not even read."""
    left_out = frozenset(omit)
    query = select(*(c for c in table.c if c.name not in left_out)).where(table.c[key] == bindparam("key"))

    def snapshot(record_id: str) -> Mapping[str, Any] | None:
        found = database.query(query, {"key": record_id})
        if len(found) > 1:
            raise MultipleResultsFound(f"{table.name}.{key} = {record_id!r} names {len(found)} records")
        row = dict(found[0]) if found else None
        shared = _shared.get()
        if shared is not None:
            shared[(database, table.name, key, record_id)] = row
        if row is None:
            return None
        return _json_ready(row)

    return snapshot
