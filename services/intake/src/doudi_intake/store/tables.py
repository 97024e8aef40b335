"""Tables of the intake service's store (the runtime adds its outbox, inbox and idempotency keys)."""

from pathlib import Path

from sqlalchemy import BigInteger, Column, Index, MetaData, String, Table, Text

from doudi_runtime.service import ServiceStore
from doudi_runtime.store import UtcDateTime

metadata = MetaData()

applications = Table(
    "applications",
    metadata,
    Column("application_id", String(40), primary_key=True),
    Column("programme", String(40), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("township", String(12), nullable=False),
    Column("state", String(30), nullable=False),
    Column("submitted_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("statement", Text, nullable=False),
    Column("requested_amount_fen", BigInteger, nullable=False),
    Column("household", Text, nullable=False),
    Index("ix_applications_township_state", "township", "state"),
)

STORE = ServiceStore.create(metadata, Path(__file__).parent / "migrations")
