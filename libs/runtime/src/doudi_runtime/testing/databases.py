"""Real stores for tests: a SQLite file, and a fresh PostgreSQL database when the server is reachable."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

#: The server used for PostgreSQL runs; trust authentication on loopback.
POSTGRES_ADMIN_URL = os.environ.get(
    "DOUDI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _postgres_reachable() -> bool:
    engine = create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 2})
    try:
        with engine.connect():
            return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


def postgres_reachable() -> bool:
    """Whether the PostgreSQL server of the tests (and benchmarks) answers."""
    return _postgres_reachable()


def create_postgres_database() -> str:
    """A new empty database; returns its URL."""
    name = f"doudi_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    engine = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same test against a SQLite file and a PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    if not _postgres_reachable():
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}")
    url = create_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(url)
