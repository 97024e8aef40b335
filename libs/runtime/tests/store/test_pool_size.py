"""DATABASE_POOL_SIZE: how many connections a service keeps to its PostgreSQL store."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import MetaData

from doudi_common.fieldcrypt import new_key_text
from doudi_runtime.service import ServiceDefinition, ServiceStore, build_context
from doudi_runtime.settings import ServiceSettings

DEFINITION = ServiceDefinition(
    name="pool_test",
    settings_type=ServiceSettings,
    store=ServiceStore.create(MetaData(), Path(__file__).parent / "migrations_fixture"),
    grpc_bindings=lambda _context: [],
)


def settings(tmp_path: Path) -> ServiceSettings:
    return ServiceSettings(
        service_name="pool_test",
        auth_mode="off",
        metrics_port=0,
        grpc_port=0,
        data_dir=tmp_path,
        field_encryption_keys=new_key_text("k1"),
        lookup_hash_keys=new_key_text("h1"),
    )


def test_the_pool_of_a_service_store_is_as_large_as_its_settings_say(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing connects until a transaction, so no server is needed to see the pool's size."""
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/pool_test")
    assert settings(tmp_path).database_pool_size == 5
    monkeypatch.setenv("DATABASE_POOL_SIZE", "3")
    context = build_context(DEFINITION, settings(tmp_path))
    try:
        assert context.database.engine.pool.size() == 3  # type: ignore[attr-defined]
    finally:
        context.database.dispose()


@pytest.mark.parametrize("size", ["0", "-1", "many"])
def test_a_pool_of_no_connection_is_refused_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: str
) -> None:
    monkeypatch.setenv("DATABASE_POOL_SIZE", size)
    with pytest.raises(ValidationError, match="database_pool_size"):
        settings(tmp_path)
