"""Settings are read once from the environment, typed, and refuse to start without secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from doudi_runtime.events.kafka import connection_options
from doudi_runtime.settings import ServiceSettings


class DemoSettings(ServiceSettings):
    service_name: str = "demo"
    grpc_port: int = 50999
    metrics_port: int = 9999


def test_defaults_serve_the_local_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_TOKENS", '{"secret": "platform"}')
    settings = DemoSettings()
    assert settings.grpc_host == "127.0.0.1"
    assert settings.kafka_bootstrap_servers == "127.0.0.1:9092"
    assert settings.effective_database_url.startswith("sqlite:///")
    assert settings.effective_database_url.endswith("demo.db")
    assert settings.should_migrate_on_start is True


def test_environment_variables_override_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_TOKENS", '{"secret": "platform"}')
    monkeypatch.setenv("GRPC_PORT", "51000")
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/demo")
    monkeypatch.setenv("ENVIRONMENT", "production")
    settings = DemoSettings()
    assert settings.grpc_port == 51000
    assert settings.effective_database_url == "postgresql://postgres@127.0.0.1:5432/demo"
    assert settings.should_migrate_on_start is False


def test_token_auth_without_tokens_fails_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUTH_TOKENS", raising=False)
    with pytest.raises(ValidationError, match="AUTH_TOKENS"):
        DemoSettings()


def test_malformed_tokens_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_TOKENS", '["not", "an", "object"]')
    with pytest.raises(ValidationError, match="AUTH_TOKENS"):
        DemoSettings()


def test_mtls_needs_its_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_MODE", "mtls")
    with pytest.raises(ValidationError, match="TLS_CERT_FILE"):
        DemoSettings()


def test_tls_follows_auth_mode_unless_set(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AUTH_TOKENS", '{"secret": "platform"}')
    assert DemoSettings().transport_security == "off"
    for name in ("TLS_CERT_FILE", "TLS_KEY_FILE", "TLS_CA_FILE"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    monkeypatch.setenv("AUTH_MODE", "mtls")
    assert DemoSettings().transport_security == "mtls"
    monkeypatch.setenv("AUTH_MODE", "token")
    monkeypatch.setenv("TLS_MODE", "tls")
    assert DemoSettings().transport_security == "tls"


def test_certificates_cannot_name_services_without_mutual_tls(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("TLS_CERT_FILE", "TLS_KEY_FILE", "TLS_CA_FILE"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    monkeypatch.setenv("AUTH_MODE", "mtls")
    monkeypatch.setenv("TLS_MODE", "tls")
    with pytest.raises(ValidationError, match="TLS_MODE=mtls"):
        DemoSettings()


def test_tls_needs_its_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_TOKENS", '{"secret": "platform"}')
    monkeypatch.setenv("TLS_MODE", "tls")
    monkeypatch.setenv("TLS_CERT_FILE", "/etc/doudi/tls/tls.crt")
    with pytest.raises(
        ValidationError, match="TLS_MODE=tls needs TLS_CERT_FILE, TLS_KEY_FILE and TLS_CA_FILE"
    ):
        DemoSettings()


def test_mtls_takes_tokens_for_people_and_outside_systems(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("TLS_CERT_FILE", "TLS_KEY_FILE", "TLS_CA_FILE"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    monkeypatch.setenv("AUTH_MODE", "mtls")
    monkeypatch.setenv("AUTH_TOKENS", '{"t": {"name": "hospital", "role": "external_system"}}')
    with pytest.raises(ValidationError, match="AUTH_TOKENS entry 1"):
        DemoSettings()


def test_auth_can_only_be_switched_off_explicitly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUTH_TOKENS", raising=False)
    monkeypatch.setenv("AUTH_MODE", "off")
    assert DemoSettings().auth_mode == "off"


def test_ports_are_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_TOKENS", '{"secret": "platform"}')
    monkeypatch.setenv("GRPC_PORT", "70000")
    with pytest.raises(ValidationError, match="grpc_port"):
        DemoSettings()


def test_an_external_broker_behind_sasl_needs_its_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_TOKENS", '{"secret": "platform"}')
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    with pytest.raises(ValidationError, match="KAFKA_SASL_MECHANISM"):
        DemoSettings()
    monkeypatch.setenv("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "doudi-intake")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "s3cret")
    monkeypatch.setenv("KAFKA_SSL_CAFILE", "/etc/doudi/kafka/ca.crt")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka-0:9093, kafka-1:9093")
    options = connection_options(DemoSettings())
    assert options == {
        "bootstrap_servers": ["kafka-0:9093", "kafka-1:9093"],
        "security_protocol": "SASL_SSL",
        "ssl_cafile": "/etc/doudi/kafka/ca.crt",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "doudi-intake",
        "sasl_plain_password": "s3cret",
    }
    assert "s3cret" not in repr(DemoSettings()), "the password never shows in a settings dump"
