"""The field-encryption and lookup-hash keys come from settings, and malformed keys stop start-up."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from doudi_common.fieldcrypt import new_key_text
from doudi_runtime.service import use_settings_keys
from doudi_runtime.settings import ServiceSettings


def settings(**values: object) -> ServiceSettings:
    return ServiceSettings(service_name="demo", grpc_port=0, metrics_port=0, auth_mode="off", **values)  # type: ignore[arg-type]


def test_the_key_rings_come_from_settings_with_the_first_key_primary() -> None:
    configured = settings(
        field_encryption_keys=f"{new_key_text('k2')},{new_key_text('k1')}",
        lookup_hash_keys=new_key_text("h1"),
    )
    ring = configured.field_key_ring()
    assert ring.primary == "k2" and set(ring.keys) == {"k1", "k2"}
    assert configured.lookup_hasher().primary == "h1"


def test_malformed_keys_stop_start_up_naming_the_setting_not_the_key() -> None:
    # load_settings reports each error's message (never the input), so that is what must not leak.
    with pytest.raises(ValidationError) as raised:
        settings(field_encryption_keys="k1:c2VjcmV0")
    (error,) = raised.value.errors()
    assert "FIELD_ENCRYPTION_KEYS" in error["msg"] and "c2VjcmV0" not in error["msg"]


def test_a_service_that_needs_keys_fails_without_them() -> None:
    with pytest.raises(ValueError, match="LOOKUP_HASH_KEYS"):
        settings().lookup_hasher()


def test_production_never_seals_under_the_development_keys() -> None:
    with pytest.raises(ValueError, match="FIELD_ENCRYPTION_KEYS and LOOKUP_HASH_KEYS"):
        settings(environment="production").field_crypto()
    keyed = settings(
        environment="production",
        field_encryption_keys=new_key_text("k1"),
        lookup_hash_keys=new_key_text("h1"),
    )
    assert not keyed.field_crypto().is_development


def test_a_local_run_without_keys_uses_the_development_keys() -> None:
    assert settings().field_crypto().is_development


def test_a_service_with_a_store_stops_at_start_up_in_production_without_keys() -> None:
    with pytest.raises(SystemExit, match="FIELD_ENCRYPTION_KEYS"):
        use_settings_keys(settings(environment="production"))
