"""kafka-python clients configured the one way doudi uses them."""

from __future__ import annotations

from kafka import KafkaProducer

from doudi_runtime.settings import ServiceSettings


def bootstrap_servers(settings: ServiceSettings) -> list[str]:
    return [server.strip() for server in settings.kafka_bootstrap_servers.split(",") if server.strip()]


def reliable_producer(settings: ServiceSettings, *, client_id: str) -> KafkaProducer:
    """acks=all and the idempotent producer: a retried send is written once, in order per partition.

    Blocking is bounded so that a broker outage shows up as an error the caller can back off
    from, instead of a thread stuck for a minute.
    """
    return KafkaProducer(
        bootstrap_servers=bootstrap_servers(settings),
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_block_ms=5_000,
        bootstrap_timeout_ms=5_000,
        request_timeout_ms=5_000,
        delivery_timeout_ms=10_000,
    )
