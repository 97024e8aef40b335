"""A service's own store: SQLAlchemy 2 engine, transactions and migrations."""

from doudi_runtime.store.database import Database, before_commit, create_engine_for, redone_if_lost
from doudi_runtime.store.migrations import current_revision, run_migrations
from doudi_runtime.store.types import UtcDateTime

__all__ = [
    "Database",
    "UtcDateTime",
    "before_commit",
    "create_engine_for",
    "current_revision",
    "redone_if_lost",
    "run_migrations",
]
