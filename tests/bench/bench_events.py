"""Benchmark: events through outbox → relay → broker → inbox consumer, against raw kafka-python, same run.

Baseline: a kafka-python producer (acks=all) sends N messages and a group consumer reads them.
doudi: N state changes each commit one outbox row (SQLite, one transaction per event, as a
use-case would), the relay publishes them, and an inbox consumer applies each exactly once. Both
run against the same real broker process on loopback; the ratio is the price of the guarantees.
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

from kafka import KafkaConsumer, KafkaProducer

from doudi.common.v1.types_pb2 import Period
from doudi_runtime.events.consumer import EventConsumer, Subscription
from doudi_runtime.events.outbox import Outbox
from doudi_runtime.events.relay import OutboxRelay
from doudi_runtime.store import Database
from doudi_runtime.testing.broker import BrokerProcess
from doudi_runtime.testing.events import (
    MESSAGING,
    count_effects,
    event_test_settings,
    metadata,
    new_topic,
    record_effect,
)

TIMEOUT_SECONDS = 120


def raw_kafka(bootstrap: str, events: int) -> float:
    topic = new_topic(bootstrap)
    payload = b"x" * 120
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id="bench-raw",
        auto_offset_reset="earliest",
        session_timeout_ms=6000,
        heartbeat_interval_ms=1000,
    )
    join_deadline = time.monotonic() + 30
    while not consumer.assignment() and time.monotonic() < join_deadline:
        consumer.poll(timeout_ms=100)  # join the group before timing, as the doudi consumer does
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    started = time.perf_counter()
    for index in range(events):
        producer.send(topic, key=str(index % 50).encode(), value=payload)
    producer.flush()
    received = 0
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while received < events and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=200).values():
            received += len(records)
    elapsed = time.perf_counter() - started
    producer.close()
    consumer.close()
    if received < events:
        raise RuntimeError(f"raw consumer got {received} of {events}")
    return events / elapsed


def doudi_bus(bootstrap: str, events: int, workdir: Path) -> float:
    topic = new_topic(bootstrap)
    database = Database(f"sqlite:///{workdir / 'bench.db'}")
    metadata.create_all(database.engine)
    settings = event_test_settings(bootstrap, kafka_max_poll_records=500)
    stop = threading.Event()
    consumer = EventConsumer(
        database,
        MESSAGING,
        settings,
        group_id="bench-doudi",
        subscriptions=[Subscription(topic, record_effect("b"))],
    )
    relay = OutboxRelay(database, MESSAGING, settings)
    threads = [
        threading.Thread(target=consumer.run, args=(stop,)),
        threading.Thread(target=relay.run, args=(stop,)),
    ]
    for thread in threads:
        thread.start()
    time.sleep(4)  # let the consumer join its group, as the raw consumer did before timing
    outbox = Outbox("bench", MESSAGING)
    started = time.perf_counter()
    for index in range(events):
        with database.transaction() as session:
            outbox.add(
                session, topic=topic, subject_key=f"household-{index % 50}", payload=Period(month="2026-11")
            )
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while count_effects(database)[1] < events and time.monotonic() < deadline:
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    stop.set()
    for thread in threads:
        thread.join(timeout=20)
    handled = count_effects(database)
    database.dispose()
    if handled != (events, events):
        raise RuntimeError(f"doudi bus handled {handled} of {events}")
    return events / elapsed


def main(events: int = 2000) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        broker = BrokerProcess(log_path=Path(tmp) / "broker.log").start()
        try:
            baseline = raw_kafka(broker.bootstrap, events)
            ours = doudi_bus(broker.bootstrap, events, Path(tmp))
        finally:
            broker.stop()
    return [
        f"events, raw kafka-python produce+consume (baseline): {baseline:8.0f} events/s",
        f"events, outbox+relay+inbox consumer on SQLite:       {ours:8.0f} events/s (each exactly once)",
        f"events, doudi / raw throughput ratio: {ours / baseline:.2f}",
    ]


if __name__ == "__main__":
    print("\n".join(main()))
