"""The outbox and inbox tables every service's store carries, and their migration DDL."""

from __future__ import annotations

from dataclasses import dataclass

from alembic.operations import Operations
from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary, MetaData, String, Table, Text

from doudi_runtime.store.types import UtcDateTime

OUTBOX = "outbox_events"
INBOX = "inbox_events"
OUTBOX_UNPUBLISHED_INDEX = "ix_outbox_events_unpublished"
#: SQLite only autoincrements an INTEGER primary key; PostgreSQL gets a 64-bit sequence.
SEQUENCE_TYPE = BigInteger().with_variant(Integer(), "sqlite")


@dataclass(frozen=True)
class MessagingTables:
    outbox: Table
    inbox: Table


def _outbox_columns() -> list[Column]:
    return [
        Column("seq", SEQUENCE_TYPE, primary_key=True, autoincrement=True),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("topic", String(200), nullable=False),
        Column("message_key", String(200), nullable=False),
        Column("event_type", String(200), nullable=False),
        Column("envelope", LargeBinary, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("published_at", UtcDateTime, nullable=True),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("last_error", Text, nullable=True),
    ]


def _inbox_columns() -> list[Column]:
    return [
        Column("consumer", String(100), primary_key=True),
        Column("event_id", String(64), primary_key=True),
        Column("topic", String(200), nullable=False),
        Column("partition", Integer, nullable=False),
        Column("offset", BigInteger, nullable=False),
        Column("handled_at", UtcDateTime, nullable=False),
    ]


def add_messaging_tables(metadata: MetaData) -> MessagingTables:
    outbox = Table(OUTBOX, metadata, *_outbox_columns())
    Index(OUTBOX_UNPUBLISHED_INDEX, outbox.c.published_at, outbox.c.seq)
    inbox = Table(INBOX, metadata, *_inbox_columns())
    return MessagingTables(outbox=outbox, inbox=inbox)


def create_messaging_tables(op: Operations) -> None:
    """DDL for a service's first migration; mirrors add_messaging_tables."""
    op.create_table(OUTBOX, *_outbox_columns())
    op.create_index(OUTBOX_UNPUBLISHED_INDEX, OUTBOX, ["published_at", "seq"])
    op.create_table(INBOX, *_inbox_columns())


def drop_messaging_tables(op: Operations) -> None:
    op.drop_table(INBOX)
    op.drop_index(OUTBOX_UNPUBLISHED_INDEX, OUTBOX)
    op.drop_table(OUTBOX)
