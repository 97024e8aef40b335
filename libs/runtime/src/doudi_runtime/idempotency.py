"""Idempotent commands: a mutating RPC's client request_id maps to the one result it produced.

A use-case asks for the earlier result of a request_id inside its transaction, and records its own
result in the same transaction, so a retried request finds the first answer and changes nothing.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from alembic.operations import Operations
from sqlalchemy import Column, Insert, MetaData, Select, String, Table, bindparam, insert, select
from sqlalchemy.orm import Session

from doudi_common.errors import AlreadyExists, InvalidArgument
from doudi_runtime.store.types import UtcDateTime

T = TypeVar("T")
TABLE_NAME = "idempotency_keys"
MAX_REQUEST_ID_LENGTH = 128


def _columns() -> list[Column]:
    return [
        Column("request_id", String(MAX_REQUEST_ID_LENGTH), primary_key=True),
        Column("method", String(200), nullable=False),
        Column("fingerprint", String(64), nullable=False),
        Column("result_ref", String(200), nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
    ]


def add_idempotency_table(metadata: MetaData) -> Table:
    return Table(TABLE_NAME, metadata, *_columns())


def create_idempotency_table(op: Operations) -> None:
    op.create_table(TABLE_NAME, *_columns())


def validate_request_id(request_id: str, field: str = "request_id") -> None:
    if not request_id:
        raise InvalidArgument.single(field, "is required: a client-chosen key that makes retries safe")
    if len(request_id) > MAX_REQUEST_ID_LENGTH or not request_id.isprintable():
        raise InvalidArgument.single(field, f"must be at most {MAX_REQUEST_ID_LENGTH} printable characters")


def fingerprint_of(*parts: object) -> str:
    """A stable digest of what a request asked for (reprs of frozen dataclasses and scalars)."""
    return hashlib.sha256("\x1f".join(repr(p) for p in parts).encode()).hexdigest()


@functools.cache
def _statements(table: Table) -> tuple[Select, Insert]:
    """The lookup and the insert of a table's keys, built once (every command runs both)."""
    return select(table).where(table.c.request_id == bindparam("key")), insert(table)


def previous_result(
    session: Session, table: Table, *, method: str, request_id: str, fingerprint: str
) -> str | None:
    """The result of an earlier request with this request_id, or None if it is new.

    The same request_id with a different request is refused: answering it with another
    request's result would be a lie, and doing it again would break idempotency.
    """
    validate_request_id(request_id)
    row = session.execute(_statements(table)[0], {"key": request_id}).one_or_none()
    if row is None:
        return None
    if row.method != method or row.fingerprint != fingerprint:
        raise AlreadyExists(f"request_id {request_id!r} was already used for a different request")
    return str(row.result_ref)


def record_result(
    session: Session, table: Table, *, method: str, request_id: str, fingerprint: str, result_ref: str
) -> None:
    session.execute(
        _statements(table)[1],
        {
            "request_id": request_id,
            "method": method,
            "fingerprint": fingerprint,
            "result_ref": result_ref,
            "created_at": datetime.now(UTC),
        },
    )


def run_once(
    session: Session,
    table: Table,
    *,
    method: str,
    request_id: str,
    fingerprint: str,
    perform: Callable[[], tuple[str, T]],
    replay: Callable[[str], T],
) -> T:
    """Do a command once per request_id inside the caller's transaction.

    ``perform`` changes state and returns (a reference to its result, the result); a retry gets
    ``replay(reference)`` instead, so it sees the first answer and changes nothing.
    """
    earlier = previous_result(session, table, method=method, request_id=request_id, fingerprint=fingerprint)
    if earlier is not None:
        return replay(earlier)
    reference, result = perform()
    record_result(
        session, table, method=method, request_id=request_id, fingerprint=fingerprint, result_ref=reference
    )
    return result
