"""Alembic migrations per service: one shared environment, each service its own versions folder."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from doudi_runtime.store.database import create_engine_for

ALEMBIC_ENV = Path(__file__).resolve().parent / "alembic"


def _config(engine: Engine, versions_dir: Path, version_table: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_ENV))
    config.set_main_option("version_locations", str(versions_dir))
    config.set_main_option("path_separator", "os")
    config.attributes["engine"] = engine
    config.attributes["version_table"] = version_table
    return config


def run_migrations(
    url: str, versions_dir: Path, *, version_table: str = "alembic_version", revision: str = "heads"
) -> str | None:
    """Bring the store at ``url`` to ``revision`` (the newest in ``versions_dir``); returns where it is."""
    engine = create_engine_for(url)
    try:
        command.upgrade(_config(engine, versions_dir, version_table), revision)
        return current_revision(engine, version_table=version_table)
    finally:
        engine.dispose()


def downgrade_migrations(
    url: str, versions_dir: Path, revision: str, *, version_table: str = "alembic_version"
) -> str | None:
    """Take the store at ``url`` back to ``revision``; returns where it is."""
    engine = create_engine_for(url)
    try:
        command.downgrade(_config(engine, versions_dir, version_table), revision)
        return current_revision(engine, version_table=version_table)
    finally:
        engine.dispose()


def current_revision(engine: Engine, *, version_table: str = "alembic_version") -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(
            connection, opts={"version_table": version_table}
        ).get_current_revision()
