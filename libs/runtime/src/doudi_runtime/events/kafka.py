"""kafka-python clients configured the one way doudi uses them."""

from __future__ import annotations

from typing import Any

from kafka import KafkaProducer

from doudi_runtime.settings import ServiceSettings


def bootstrap_servers(settings: ServiceSettings) -> list[str]:
    return [server.strip() for server in settings.kafka_bootstrap_servers.split(",") if server.strip()]


def connection_options(settings: ServiceSettings) -> dict[str, Any]:
    """Where the broker is and how to authenticate to it, for every kafka-python client."""
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap_servers(settings),
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol in ("SSL", "SASL_SSL") and settings.kafka_ssl_cafile:
        options["ssl_cafile"] = str(settings.kafka_ssl_cafile)
    if settings.kafka_security_protocol.startswith("SASL_"):
        assert settings.kafka_sasl_password is not None
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_sasl_username
        options["sasl_plain_password"] = settings.kafka_sasl_password.get_secret_value()
    return options


def reliable_producer(settings: ServiceSettings, *, client_id: str) -> KafkaProducer:
    """acks=all and the idempotent producer: a retried send is written once, in order per partition.

    Blocking is bounded so that a broker outage shows up as an error the caller can back off
    from, instead of a thread stuck for a minute.
    """
    return KafkaProducer(
        **connection_options(settings),
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_block_ms=5_000,
        bootstrap_timeout_ms=5_000,
        request_timeout_ms=5_000,
        delivery_timeout_ms=10_000,
    )
