"""Broker housekeeping: wait for the broker, create topics idempotently."""

from __future__ import annotations

import time
from collections.abc import Iterable

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError


def wait_for_broker(bootstrap: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=2000).close()
            return
        except (KafkaError, OSError) as exc:
            last_error = exc
            time.sleep(0.2)
    raise TimeoutError(f"no Kafka broker answered at {bootstrap} within {timeout:.0f} s: {last_error!r}")


def ensure_topics(
    bootstrap: str, names: Iterable[str], *, partitions: int = 6, replication_factor: int = 1
) -> list[str]:
    """Create the topics that do not exist yet; returns the ones created."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        existing = set(admin.list_topics())
        missing = [name for name in dict.fromkeys(names) if name not in existing]
        created = []
        for name in missing:
            try:
                admin.create_topics([NewTopic(name, partitions, replication_factor)])
                created.append(name)
            except TopicAlreadyExistsError:
                pass
        return created
    finally:
        admin.close()
