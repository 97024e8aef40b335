"""An append-only, hash-chained audit trail in the service's own store (one chain per service).

Each record holds the SHA-256 of its own fields and of the previous record's hash, so editing a row
breaks its own hash and deleting one breaks the next record's link; :meth:`AuditLog.verify` walks the
chain and names the first broken record. Appenders serialise on one head row (``audit_chain_head``)
locked for update, so two concurrent changes never fork the chain. What a record keeps of before and
after passes a masking hook first (``doudi_runtime.audit.masking``: no full ID, phone or account number).

An appender remembers the head its last committed append left. The next append moves the head only where it
still is that one (compare-and-set: the update names the sequence it expects), and so needs no read first;
where another process or thread moved it meanwhile (or the store was restored), the update changes no row and
the head is read under lock.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime
from typing import Any

from alembic.operations import Operations
from sqlalchemy import (
    BigInteger,
    Column,
    Insert,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    Update,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from doudi_common.masking import scrub
from doudi_runtime.audit.masking import RecordMask, mask_personal_data
from doudi_runtime.store import Database
from doudi_runtime.store.hooks import after_commit

RECORDS_TABLE = "audit_records"
HEAD_TABLE = "audit_chain_head"
GENESIS_HASH = "0" * 64


def _record_columns() -> list[Column]:
    return [
        Column(
            "sequence", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
        ),
        Column("occurred_at", String(40), nullable=False),
        Column("actor", String(200), nullable=False),
        Column("actor_role", String(40), nullable=False),
        Column("actor_org", String(200), nullable=False),
        Column("via", String(100), nullable=False),
        Column("peer", String(200), nullable=False),
        Column("request_id", String(128), nullable=False),
        Column("method", String(200), nullable=False),
        Column("subject_kind", String(40), nullable=False),
        Column("subject_id", String(200), nullable=False),
        Column("reason", Text, nullable=False),
        Column("before_json", Text, nullable=False),
        Column("after_json", Text, nullable=False),
        Column("previous_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False),
    ]


def _head_columns() -> list[Column]:
    return [
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("sequence", BigInteger, nullable=False),
        Column("hash", String(64), nullable=False),
    ]


@dataclass(frozen=True)
class AuditTables:
    records: Table
    head: Table


def add_audit_tables(metadata: MetaData) -> AuditTables:
    return AuditTables(
        Table(RECORDS_TABLE, metadata, *_record_columns()), Table(HEAD_TABLE, metadata, *_head_columns())
    )


def create_audit_tables(op: Operations) -> None:
    """DDL of the audit tables, called from a service's migration; the chain starts at the genesis hash."""
    op.create_table(RECORDS_TABLE, *_record_columns())
    head = op.create_table(HEAD_TABLE, *_head_columns())
    op.bulk_insert(head, [{"id": 1, "sequence": 0, "hash": GENESIS_HASH}])


def drop_audit_tables(op: Operations) -> None:
    op.drop_table(HEAD_TABLE)
    op.drop_table(RECORDS_TABLE)


@dataclass(frozen=True)
class AuditEntry:
    """What one state change records: who, from where, what, why, before and after."""

    actor: str
    actor_role: str
    actor_org: str
    via: str
    peer: str
    request_id: str
    method: str
    subject_kind: str
    subject_id: str
    reason: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None


@dataclass(frozen=True)
class AuditRecord:
    sequence: int
    occurred_at: str
    actor: str
    actor_role: str
    actor_org: str
    via: str
    peer: str
    request_id: str
    method: str
    subject_kind: str
    subject_id: str
    reason: str
    before_json: str
    after_json: str
    previous_hash: str
    hash: str


def _json(value: Mapping[str, Any] | None) -> str:
    if value is None:
        return ""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def record_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 over every field but the hash itself, in a canonical JSON form."""
    body = {key: value for key, value in fields.items() if key != "hash"}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class ChainVerdict:
    intact: bool
    records_checked: int
    first_broken_sequence: int = 0
    problem: str = ""


#: An entry's before and after: chained as masked JSON, not as they are.
KEPT_AS_JSON = ("before", "after")


@functools.cache
def _append_statements(tables: AuditTables) -> tuple[Select, Update, Insert]:
    """Lock the head; move it from the sequence expected; insert the record: built once, as every audited
    change runs them."""
    head = tables.head
    return (
        select(head).where(head.c.id == 1).with_for_update(),
        update(head)
        .where(
            head.c.id == 1,
            head.c.sequence == bindparam("expected_sequence"),
            head.c.hash == bindparam("expected_hash"),
        )
        .values(sequence=bindparam("new_sequence"), hash=bindparam("new_hash")),
        insert(tables.records),
    )


class AuditLog:
    """Appends to, pages through and verifies one service's audit chain."""

    def __init__(
        self, database: Database, tables: AuditTables, *, mask: RecordMask = mask_personal_data
    ) -> None:
        self._database = database
        self._tables = tables
        #: Applied to every before/after (and the reason's free text) before it is chained.
        self._mask = mask
        #: (sequence, hash) of the head as this log's last committed append left it; None: not known.
        self._known_head: tuple[int, str] | None = None
        self._known_head_lock = threading.Lock()

    @property
    def database(self) -> Database:
        """The store the chain lives in (an entry can only commit with a change of this store)."""
        return self._database

    def append(self, entry: AuditEntry, *, now: datetime | None = None) -> AuditRecord:
        """Append ``entry`` in a transaction of its own."""
        with self._database.transaction() as session:
            return self.append_in(session, entry, now=now)

    def append_in(self, session: Session, entry: AuditEntry, *, now: datetime | None = None) -> AuditRecord:
        """Append ``entry`` inside the caller's transaction: it commits, or rolls back, with the change.

        The head row is locked here, so call it last in the transaction: the lock is then held only while
        the transaction commits, and a transaction holding it never waits for another row."""
        moment = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")
        lock_head, move_head, insert_record = _append_statements(self._tables)
        connection = session.connection()  # Core statements: the ORM session adds nothing to them but time
        fields: dict[str, Any] = {
            "occurred_at": moment,
            **{f.name: getattr(entry, f.name) for f in dataclass_fields(entry) if f.name not in KEPT_AS_JSON},
            "reason": scrub(entry.reason),
            "before_json": _json(self._mask(entry.before)),
            "after_json": _json(self._mask(entry.after)),
        }
        known = self._known_head
        if known is None or not self._move_head(connection, move_head, fields, known):
            current = connection.execute(lock_head).one()
            if not self._move_head(connection, move_head, fields, (int(current.sequence), current.hash)):
                raise RuntimeError("the audit chain's head moved while locked")
        connection.execute(insert_record, fields)
        head = (fields["sequence"], fields["hash"])
        after_commit(session, lambda: self._remember(head))
        return AuditRecord(**fields)

    @staticmethod
    def _move_head(
        connection: Connection, statement: Update, fields: dict[str, Any], previous: tuple[int, str]
    ) -> bool:
        """Chain ``fields`` after ``previous`` and move the head to it; False when no row moved."""
        fields["sequence"] = previous[0] + 1
        fields["previous_hash"] = previous[1]
        fields["hash"] = record_hash(fields)
        values = {
            "new_sequence": fields["sequence"],
            "new_hash": fields["hash"],
            "expected_sequence": previous[0],
            "expected_hash": previous[1],
        }
        return connection.execute(statement, values).rowcount == 1

    def _remember(self, head: tuple[int, str]) -> None:
        with self._known_head_lock:
            if self._known_head is None or self._known_head[0] < head[0]:
                self._known_head = head

    def page(self, after: int, limit: int) -> list[AuditRecord]:
        records = self._tables.records
        with self._database.read() as session:
            rows = session.execute(
                select(records).where(records.c.sequence > after).order_by(records.c.sequence).limit(limit)
            ).mappings()
            return [AuditRecord(**dict(row)) for row in rows]

    def verify(self, batch: int = 1000) -> ChainVerdict:
        """Walk the chain from the genesis hash; the first record out of line is reported."""
        expected_sequence, previous, checked = 1, GENESIS_HASH, 0
        while True:
            rows = self.page(expected_sequence - 1, batch)
            for record in rows:
                fields = asdict(record)
                if record.sequence != expected_sequence:
                    return ChainVerdict(False, checked, expected_sequence, "a record is missing")
                if record.previous_hash != previous:
                    return ChainVerdict(
                        False, checked, record.sequence, "its link to the previous one is broken"
                    )
                if record_hash(fields) != record.hash:
                    return ChainVerdict(False, checked, record.sequence, "its content differs from its hash")
                previous, expected_sequence, checked = record.hash, expected_sequence + 1, checked + 1
            if len(rows) < batch:
                break
        with self._database.read() as session:
            head = session.execute(select(self._tables.head).where(self._tables.head.c.id == 1)).one()
        if int(head.sequence) != checked or head.hash != previous:
            first = min(int(head.sequence), checked) + 1
            return ChainVerdict(False, checked, first, "the chain does not end at its recorded head")
        return ChainVerdict(True, checked)
