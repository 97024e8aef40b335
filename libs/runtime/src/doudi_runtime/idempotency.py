"""Idempotent commands: a mutating RPC's client request_id maps to the one result it produced.

A use-case asks for the earlier result of a request_id inside its transaction, and records its own
result in the same transaction, so a retried request finds the first answer and changes nothing.

A command that names its result before it runs (a new id it then creates) claims the request_id first
instead: one INSERT that does nothing when the key exists, so a new request costs no lookup, and only a
retry reads the earlier result.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from alembic.operations import Operations
from sqlalchemy import (
    Column,
    Delete,
    Insert,
    MetaData,
    Select,
    String,
    Table,
    bindparam,
    delete,
    insert,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
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


#: The INSERT … ON CONFLICT DO NOTHING of each dialect that has one.
_DIALECT_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


@functools.cache
def _claim_statements(table: Table, dialect: str) -> tuple[Insert, Delete] | None:
    """Claim a key unless it exists, and give a claim back: None where the dialect cannot claim."""
    dialect_insert = _DIALECT_INSERTS.get(dialect)
    if dialect_insert is None:
        return None
    return (
        dialect_insert(table)
        .on_conflict_do_nothing(index_elements=[table.c.request_id])
        .execution_options(preserve_rowcount=True),  # whether it inserted: its rowcount
        delete(table).where(table.c.request_id == bindparam("key")),
    )


def previous_result(
    session: Session, table: Table, *, method: str, request_id: str, fingerprint: str
) -> str | None:
    """The result of an earlier request with this request_id, or None if it is new.

    The same request_id with a different request is refused: answering it with another
    request's result would be a lie, and doing it again would break idempotency.
    """
    validate_request_id(request_id)
    row = session.connection().execute(_statements(table)[0], {"key": request_id}).one_or_none()
    if row is None:
        return None
    if row.method != method or row.fingerprint != fingerprint:
        raise AlreadyExists(f"request_id {request_id!r} was already used for a different request")
    return str(row.result_ref)


def _key_row(method: str, request_id: str, fingerprint: str, result_ref: str) -> dict[str, object]:
    return {
        "request_id": request_id,
        "method": method,
        "fingerprint": fingerprint,
        "result_ref": result_ref,
        "created_at": datetime.now(UTC),
    }


def record_result(
    session: Session, table: Table, *, method: str, request_id: str, fingerprint: str, result_ref: str
) -> None:
    session.connection().execute(_statements(table)[1], _key_row(method, request_id, fingerprint, result_ref))


def run_once(
    session: Session,
    table: Table,
    *,
    method: str,
    request_id: str,
    fingerprint: str,
    perform: Callable[[], tuple[str, T]],
    replay: Callable[[str], T],
    reference: str | None = None,
) -> T:
    """Do a command once per request_id inside the caller's transaction.

    ``perform`` changes state and returns (a reference to its result, the result); a retry gets
    ``replay(reference)`` instead, so it sees the first answer and changes nothing.

    A ``reference`` known before the command runs (the id of what it creates) lets the request_id be
    claimed first (see the module); ``perform`` must then return that reference.
    """
    claim = None if reference is None else _claim_statements(table, session.get_bind().dialect.name)
    if claim is None or reference is None:
        earlier = previous_result(
            session, table, method=method, request_id=request_id, fingerprint=fingerprint
        )
        if earlier is not None:
            return replay(earlier)
        made, result = perform()
        record_result(
            session, table, method=method, request_id=request_id, fingerprint=fingerprint, result_ref=made
        )
        return result
    validate_request_id(request_id)
    connection = session.connection()
    claim_key, give_back = claim
    if connection.execute(claim_key, _key_row(method, request_id, fingerprint, reference)).rowcount != 1:
        earlier = previous_result(
            session, table, method=method, request_id=request_id, fingerprint=fingerprint
        )
        assert earlier is not None, "a key that could not be claimed exists"
        return replay(earlier)
    try:
        made, result = perform()
        if made != reference:
            raise ValueError(f"{method} made {made!r}, not {reference!r} it claimed its request_id for")
    except BaseException:
        # The failure normally rolls the transaction back, claim and all; should the caller go on and
        # commit, the key must not name a result that was never made.
        with contextlib.suppress(SQLAlchemyError):
            connection.execute(give_back, {"key": request_id})
        raise
    return result
