"""Shared fixtures of disbursement's API tests that drive the use-cases directly on a real store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from doudi_disbursement.main import DEFINITION, DisbursementSettings
from doudi_runtime.service import ServiceContext, build_context, migrate


@pytest.fixture
def context(tmp_path: Path) -> Iterator[ServiceContext]:
    """The disbursement service's context on a migrated SQLite store of its own, without authentication."""
    settings = DisbursementSettings(
        grpc_port=0,
        metrics_port=0,
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'd.db'}",
        auth_mode="off",
    )
    migrate(DEFINITION, settings)
    context = build_context(DEFINITION, settings)
    yield context
    context.database.dispose()
