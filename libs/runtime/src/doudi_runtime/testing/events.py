"""A minimal event-driven "service" for the event bus's tests: an effects table and a consumer process.

Run as ``python -m doudi_runtime.testing.events DB_URL BOOTSTRAP TOPIC GROUP WORKER DELAY`` to
consume in a separate process that a test can kill at any moment.
"""

from __future__ import annotations

import sys
import threading
import time
import uuid
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.orm import Session

from doudi.common.v1.envelope_pb2 import EventEnvelope
from doudi_runtime.events.admin import ensure_topics
from doudi_runtime.events.consumer import EventConsumer, Handler, Subscription
from doudi_runtime.events.tables import MessagingTables, add_messaging_tables
from doudi_runtime.settings import ServiceSettings
from doudi_runtime.store import Database

metadata = MetaData()
MESSAGING: MessagingTables = add_messaging_tables(metadata)
#: One row per handler run: duplicates show up as repeated event ids, losses as missing ones.
effects = Table(
    "effects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False),
    Column("subject_key", String(200), nullable=False),
    Column("worker", String(50), nullable=False),
)


def event_test_settings(bootstrap: str, **overrides: Any) -> ServiceSettings:
    values: dict[str, Any] = {
        "service_name": "eventtest",
        "grpc_port": 0,
        "metrics_port": 0,
        "auth_mode": "off",
        "kafka_bootstrap_servers": bootstrap,
        "consumer_retry_backoff_ms": 10,
        "outbox_poll_interval_ms": 50,
    }
    values.update(overrides)
    return ServiceSettings(**values)


def new_topic(bootstrap: str, partitions: int = 6) -> str:
    name = f"doudi.eventtest.t{uuid.uuid4().hex[:10]}.v1"
    ensure_topics(bootstrap, [name, f"{name}.dlq"], partitions=partitions)
    return name


def record_effect(worker: str, delay: float = 0.0) -> Handler:
    def handler(session: Session, envelope: EventEnvelope) -> None:
        if delay:
            time.sleep(delay)
        session.execute(
            insert(effects).values(
                event_id=envelope.event_id, subject_key=envelope.subject_key, worker=worker
            )
        )

    return handler


def count_effects(database: Database) -> tuple[int, int]:
    """(handler runs that committed, distinct events among them)."""
    with database.read() as session:
        total = session.execute(select(func.count()).select_from(effects)).scalar_one()
        distinct = session.execute(select(func.count(func.distinct(effects.c.event_id)))).scalar_one()
    return int(total), int(distinct)


def workers_seen(database: Database) -> set[str]:
    with database.read() as session:
        return set(session.execute(select(effects.c.worker).distinct()).scalars())


def main(argv: list[str]) -> int:
    url, bootstrap, topic, group, worker, delay = argv
    database = Database(url)
    consumer = EventConsumer(
        database,
        MESSAGING,
        event_test_settings(bootstrap, kafka_max_poll_records=20),
        group_id=group,
        subscriptions=[Subscription(topic, record_effect(worker, float(delay)))],
        client_id=worker,
    )
    consumer.run(threading.Event())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
