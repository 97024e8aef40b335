"""Tables of the disbursement service's store (the runtime adds its outbox, inbox and idempotency keys)."""

from pathlib import Path

from sqlalchemy import MetaData

from doudi_runtime.service import ServiceStore

metadata = MetaData()

STORE = ServiceStore.create(metadata, Path(__file__).parent / "migrations")
