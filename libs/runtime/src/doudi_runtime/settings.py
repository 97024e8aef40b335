"""Typed settings read once from environment variables; each service subclasses ServiceSettings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from doudi_common.fieldcrypt import FieldCryptoError, KeyRing, LookupHasher
from doudi_runtime.authz.principal import Principal, principal_from_config
from doudi_runtime.store.sealed import FieldCrypto


class ServiceSettings(BaseSettings):
    """Settings every doudi process shares; names are the same env vars in every service.

    Defaults serve the local platform (``make run``): loopback, SQLite under ``DATA_DIR``,
    the broker on 127.0.0.1:9092. Production sets the same variables from the chart.
    """

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", frozen=True, case_sensitive=False)

    service_name: str
    environment: Literal["local", "production"] = "local"

    grpc_host: str = "127.0.0.1"
    grpc_port: int
    grpc_max_workers: int = Field(default=16, ge=1)
    metrics_host: str = "127.0.0.1"
    metrics_port: int
    shutdown_grace_seconds: float = Field(default=5.0, ge=0)

    data_dir: Path = Path(".run/data")
    database_url: str = ""
    #: Connections a process keeps open to a PostgreSQL store, and as many more it may open at a peak; a
    #: transaction that finds none free waits for one. Count the gRPC workers and each service's own
    #: threads (disbursement: BANK_BATCHES_IN_FLIGHT, and two for each of SHARDS_IN_FLIGHT) against it,
    #: and every replica's against the server's max_connections. SQLite opens what it needs.
    database_pool_size: int = Field(default=5, ge=1, le=100)
    migrate_on_start: bool | None = None

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_session_timeout_ms: int = Field(default=6000, ge=1000)
    kafka_heartbeat_interval_ms: int = Field(default=1000, ge=100)
    kafka_max_poll_records: int = Field(default=200, ge=1)
    #: How to reach an external broker: TLS and/or SASL (e.g. SASL_SSL with SCRAM-SHA-512).
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = None
    consumer_max_attempts: int = Field(default=3, ge=1)
    consumer_retry_backoff_ms: int = Field(default=200, ge=0)
    outbox_batch_size: int = Field(default=500, ge=1)
    outbox_poll_interval_ms: int = Field(default=200, ge=10)

    #: Who names a caller: a bearer token (``token``); a doudi service's certificate, or else a token
    #: for people and outside systems (``mtls``); nobody (``off``, only when set explicitly).
    auth_mode: Literal["token", "mtls", "off"] = "token"
    auth_tokens: SecretStr | None = None
    client_token: SecretStr | None = None
    #: gRPC transport (``doudi_runtime.grpc.tls``): plaintext, TLS, or mutual TLS; unset follows AUTH_MODE.
    tls_mode: Literal["off", "tls", "mtls"] | None = None
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    tls_ca_file: Path | None = None
    #: With TLS: a plaintext port serving the gRPC health service only, for probes that speak no TLS.
    health_port: int | None = None

    #: Keys that seal personal data at rest and key its lookup hashes (``doudi_common.fieldcrypt``):
    #: "<id>:<base64 of 32 bytes>,…", the first one primary; older keys stay listed while values move.
    field_encryption_keys: SecretStr | None = None
    lookup_hash_keys: SecretStr | None = None

    #: Abuse limits on the gRPC APIs (``doudi_runtime.grpc.limits``): calls a second per person or outside
    #: system, with bursts; ``RATE_LIMIT=off`` only when set explicitly. The size limit holds for everyone.
    rate_limit: Literal["on", "off"] = "on"
    rate_limit_per_second: float = Field(default=20.0, gt=0)
    rate_limit_burst: int = Field(default=60, ge=1)
    max_request_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)

    default_deadline_ms: int = Field(default=5000, ge=1)
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"

    @field_validator("grpc_port", "metrics_port", "health_port")
    @classmethod
    def _valid_port(cls, value: int | None) -> int | None:
        # A validator, not a Field bound: services redeclare these fields with their own defaults.
        if value is not None and not 0 <= value <= 65535:
            raise ValueError("must be a port number between 0 and 65535")
        return value

    @field_validator("service_name")
    @classmethod
    def _snake_case_name(cls, value: str) -> str:
        if not value.replace("_", "").isalnum() or value.lower() != value:
            raise ValueError("service_name must be snake_case")
        return value

    @model_validator(mode="after")
    def _require_secrets(self) -> ServiceSettings:
        if self.auth_mode == "token" and self.auth_tokens is None:
            raise ValueError("AUTH_MODE=token needs AUTH_TOKENS (a JSON object token -> principal)")
        if self.auth_tokens is not None:
            self.token_identities()
        for name, value in (
            ("FIELD_ENCRYPTION_KEYS", self.field_encryption_keys),
            ("LOOKUP_HASH_KEYS", self.lookup_hash_keys),
        ):
            if value is not None:
                try:
                    KeyRing.parse(value.get_secret_value())
                except FieldCryptoError as exc:
                    raise ValueError(f"{name}: {exc}") from None
        if self.auth_mode == "mtls" and self.transport_security != "mtls":
            raise ValueError("AUTH_MODE=mtls needs TLS_MODE=mtls: certificates name the services")
        if self.transport_security != "off" and not (
            self.tls_cert_file and self.tls_key_file and self.tls_ca_file
        ):
            raise ValueError(
                f"TLS_MODE={self.transport_security} needs TLS_CERT_FILE, TLS_KEY_FILE and TLS_CA_FILE"
            )
        if self.kafka_security_protocol.startswith("SASL_") and not (
            self.kafka_sasl_mechanism and self.kafka_sasl_username and self.kafka_sasl_password
        ):
            raise ValueError(
                f"KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs KAFKA_SASL_MECHANISM, "
                "KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"
            )
        return self

    @property
    def transport_security(self) -> Literal["off", "tls", "mtls"]:
        """TLS_MODE, or mutual TLS when only AUTH_MODE=mtls says so."""
        if self.tls_mode is not None:
            return self.tls_mode
        return "mtls" if self.auth_mode == "mtls" else "off"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / (self.service_name + '.db')}"

    @property
    def should_migrate_on_start(self) -> bool:
        if self.migrate_on_start is not None:
            return self.migrate_on_start
        return self.environment == "local"

    def field_key_ring(self) -> KeyRing:
        """The key ring that seals personal data (FIELD_ENCRYPTION_KEYS)."""
        if self.field_encryption_keys is None:
            raise ValueError("FIELD_ENCRYPTION_KEYS is not set")
        return KeyRing.parse(self.field_encryption_keys.get_secret_value())

    def lookup_hasher(self) -> LookupHasher:
        """The keys of the lookup hashes of encrypted columns (LOOKUP_HASH_KEYS)."""
        if self.lookup_hash_keys is None:
            raise ValueError("LOOKUP_HASH_KEYS is not set")
        return LookupHasher.parse(self.lookup_hash_keys.get_secret_value())

    def field_crypto(self) -> FieldCrypto:
        """The keys of sealed columns and lookup hashes; development keys when neither is set locally.

        Production never seals under the development keys: a service with a store refuses to start
        (``doudi_runtime.service.use_settings_keys``); the gateway keeps no personal data and needs none.
        """
        if self.field_encryption_keys is None and self.lookup_hash_keys is None:
            if self.environment == "production":
                raise ValueError(
                    "ENVIRONMENT=production needs FIELD_ENCRYPTION_KEYS and LOOKUP_HASH_KEYS: "
                    "personal data is sealed at rest under the operator's own keys"
                )
            return FieldCrypto.development()
        return FieldCrypto(self.field_key_ring(), self.lookup_hasher())

    def token_identities(self) -> dict[str, Principal]:
        """The accepted bearer tokens and who each one is.

        A token maps to a plain string (a doudi service, as before) or to an object
        ``{"name", "org", "role", "region", "scopes", "subject"}`` (see ``doudi_runtime.authz.principal``).
        """
        if self.auth_tokens is None:
            return {}
        try:
            parsed = json.loads(self.auth_tokens.get_secret_value())
        except json.JSONDecodeError as exc:
            raise ValueError("AUTH_TOKENS must be a JSON object token -> principal") from exc
        if not isinstance(parsed, dict) or not all(isinstance(k, str) and k for k in parsed):
            raise ValueError("AUTH_TOKENS must be a JSON object of non-empty tokens -> principal")
        identities: dict[str, Principal] = {}
        for token, value in parsed.items():
            try:
                identities[token] = principal_from_config(value)
            except ValueError as exc:
                # The token itself is a secret: name the principal's position, never the token.
                raise ValueError(f"AUTH_TOKENS entry {len(identities) + 1}: {exc}") from None
        return identities

    def token_principals(self) -> dict[str, str]:
        """The accepted bearer tokens and the principal name each one carries."""
        return {token: principal.name for token, principal in self.token_identities().items()}
