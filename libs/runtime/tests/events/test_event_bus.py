"""The event bus against a real broker: outbox → relay → Kafka → inbox consumer, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer

from doudi.common.v1.types_pb2 import Period
from doudi_runtime.events.consumer import EventConsumer, Subscription
from doudi_runtime.events.envelope import decode, encode, new_envelope, unpack
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
    workers_seen,
)

pytestmark = pytest.mark.broker


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    metadata.create_all(database.engine)
    yield database
    database.dispose()


def wait_until(condition: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class RunningConsumer:
    """An EventConsumer on a thread, stopped and joined by the test."""

    def __init__(self, consumer: EventConsumer) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(target=consumer.run, args=(self.stop,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=20)


def new_group(prefix: str) -> str:
    """A group of its own per test, so no member or offset of an earlier test is in the way."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def start_consumer(database: Database, bootstrap: str, topic: str, group: str, handler, worker="w1"):  # type: ignore[no-untyped-def]
    consumer = EventConsumer(
        database,
        MESSAGING,
        event_test_settings(bootstrap),
        group_id=group,
        subscriptions=[Subscription(topic, handler)],
        client_id=worker,
    )
    return RunningConsumer(consumer)


def publish_through_outbox(database: Database, bootstrap: str, topic: str, count: int) -> list[str]:
    outbox = Outbox("eventtest", MESSAGING)
    ids = []
    for index in range(count):
        with database.transaction() as session:
            ids.append(
                outbox.add(
                    session,
                    topic=topic,
                    subject_key=f"household-{index % 7}",
                    payload=Period(month="2026-11"),
                )
            )
    relay = OutboxRelay(database, MESSAGING, event_test_settings(bootstrap))
    while relay.publish_pending():
        pass
    assert relay.backlog() == 0
    return ids


def test_envelopes_round_trip_and_refuse_the_wrong_payload_type() -> None:
    envelope = new_envelope(Period(month="2026-11"), producer="intake", subject_key="hh-1")
    decoded = decode(encode(envelope))
    assert decoded.event_type == "doudi.common.v1.Period"
    assert unpack(decoded, Period).month == "2026-11"
    assert decoded.occurred_at.ToDatetime().year >= 2026
    from doudi.common.v1.types_pb2 import Money

    with pytest.raises(ValueError, match=r"carries doudi\.common\.v1\.Period"):
        unpack(decoded, Money)


def test_an_outbox_event_is_delivered_once_and_a_rolled_back_one_never(
    database: Database, kafka_broker: BrokerProcess
) -> None:
    topic = new_topic(kafka_broker.bootstrap)
    outbox = Outbox("eventtest", MESSAGING)
    with pytest.raises(RuntimeError), database.transaction() as session:
        outbox.add(session, topic=topic, subject_key="hh-1", payload=Period(month="2026-10"))
        raise RuntimeError("the state change failed, so the event must not exist")
    (event_id,) = publish_through_outbox(database, kafka_broker.bootstrap, topic, 1)

    running = start_consumer(
        database, kafka_broker.bootstrap, topic, new_group("g-once"), record_effect("w1")
    )
    try:
        wait_until(lambda: count_effects(database) == (1, 1), what="the event's effect")
        time.sleep(1.0)
        assert count_effects(database) == (1, 1)
    finally:
        running.close()
    with database.transaction() as session:
        rows = session.execute(MESSAGING.outbox.select()).all()
    assert [row.event_id for row in rows] == [event_id]
    assert rows[0].published_at is not None


def test_the_same_event_delivered_twice_has_one_effect(
    database: Database, kafka_broker: BrokerProcess
) -> None:
    topic = new_topic(kafka_broker.bootstrap)
    envelope = new_envelope(Period(month="2026-11"), producer="eventtest", subject_key="hh-2")
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap, acks="all")
    for _ in range(2):
        producer.send(topic, key=b"hh-2", value=encode(envelope)).get(timeout=10)
    second = new_envelope(Period(month="2026-12"), producer="eventtest", subject_key="hh-2")
    producer.send(topic, key=b"hh-2", value=encode(second)).get(timeout=10)
    producer.close()

    running = start_consumer(database, kafka_broker.bootstrap, topic, new_group("g-dup"), record_effect("w1"))
    try:
        wait_until(lambda: count_effects(database)[1] == 2, what="both events")
        time.sleep(1.0)
        assert count_effects(database) == (2, 2)
    finally:
        running.close()


def test_a_poison_event_goes_to_the_dlq_with_its_error_and_the_rest_flow_on(
    database: Database, kafka_broker: BrokerProcess
) -> None:
    topic = new_topic(kafka_broker.bootstrap, partitions=1)
    good = record_effect("w1")

    def handler(session, envelope):  # type: ignore[no-untyped-def]
        if unpack(envelope, Period).month == "poison":
            raise ValueError("this month cannot be handled")
        good(session, envelope)

    outbox = Outbox("eventtest", MESSAGING)
    with database.transaction() as session:
        outbox.add(session, topic=topic, subject_key="hh-3", payload=Period(month="poison"))
        outbox.add(session, topic=topic, subject_key="hh-3", payload=Period(month="2026-11"))
    OutboxRelay(database, MESSAGING, event_test_settings(kafka_broker.bootstrap)).publish_pending()
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap)
    producer.send(topic, key=b"hh-3", value=b"\xff not an envelope").get(timeout=10)
    producer.close()

    running = start_consumer(database, kafka_broker.bootstrap, topic, new_group("g-dlq"), handler)
    try:
        wait_until(lambda: count_effects(database) == (1, 1), what="the good event")
    finally:
        running.close()

    dlq = KafkaConsumer(
        f"{topic}.dlq",
        bootstrap_servers=kafka_broker.bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=5000,
    )
    dead = list(dlq)
    dlq.close()
    assert len(dead) == 2
    headers = [dict(message.headers) for message in dead]
    errors = sorted(h["dlq_error"].decode() for h in headers)
    assert "ValueError: this month cannot be handled" in errors[0] or "ValueError" in errors[1]
    assert any("not an event envelope" in e or "needs an event_id" in e for e in errors)
    assert {h["dlq_original_topic"].decode() for h in headers} == {topic}
    assert sorted(h["dlq_attempts"].decode() for h in headers) == ["0", "3"]


def test_a_consumer_killed_mid_batch_resumes_without_loss_or_double_effect(
    database: Database, kafka_broker: BrokerProcess, tmp_path: Path
) -> None:
    topic = new_topic(kafka_broker.bootstrap)
    events = 150
    publish_through_outbox(database, kafka_broker.bootstrap, topic, events)
    group = new_group("g-kill")

    def consumer_process(worker: str) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"{worker}.log").open("wb")
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "doudi_runtime.testing.events",
                database.url,
                kafka_broker.bootstrap,
                topic,
                group,
                worker,
                "0.03",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    first = consumer_process("first")
    try:
        wait_until(lambda: count_effects(database)[0] >= 20, timeout=60, what="the first consumer to start")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        handled_by_first = count_effects(database)[0]
        assert handled_by_first < events, "the kill came too late to interrupt the batch"
    finally:
        if first.poll() is None:
            first.kill()
    second = consumer_process("second")
    try:
        wait_until(lambda: count_effects(database)[1] == events, timeout=90, what="every event")
        time.sleep(1.0)
        assert count_effects(database) == (events, events)
        assert workers_seen(database) == {"first", "second"}
    finally:
        second.terminate()
        second.wait(timeout=20)


def test_two_consumers_in_one_group_share_the_partitions(
    database: Database, kafka_broker: BrokerProcess
) -> None:
    topic = new_topic(kafka_broker.bootstrap)
    group = new_group("g-share")
    one = start_consumer(database, kafka_broker.bootstrap, topic, group, record_effect("one", 0.01), "one")
    two = start_consumer(database, kafka_broker.bootstrap, topic, group, record_effect("two", 0.01), "two")
    try:
        time.sleep(8)  # both members join before the events arrive
        publish_through_outbox(database, kafka_broker.bootstrap, topic, 70)
        wait_until(lambda: count_effects(database)[1] == 70, timeout=60, what="every event")
        assert count_effects(database) == (70, 70)
        assert workers_seen(database) == {"one", "two"}
    finally:
        one.close()
        two.close()


def test_the_relay_keeps_events_while_the_broker_is_down(database: Database, tmp_path: Path) -> None:
    broker = BrokerProcess(log_path=tmp_path / "broker.log").start()
    try:
        topic = new_topic(broker.bootstrap)
        broker.stop()
        outbox = Outbox("eventtest", MESSAGING)
        with database.transaction() as session:
            outbox.add(session, topic=topic, subject_key="hh-4", payload=Period(month="2026-11"))
        relay = OutboxRelay(database, MESSAGING, event_test_settings(broker.bootstrap))
        with pytest.raises(Exception):  # noqa: B017 - any broker error will do, the row must stay
            relay.publish_pending()
        assert relay.backlog() == 1

        broker.start()
        new_topic_again = topic
        from doudi_runtime.events.admin import ensure_topics

        ensure_topics(broker.bootstrap, [new_topic_again])
        relay = OutboxRelay(database, MESSAGING, event_test_settings(broker.bootstrap))
        wait_until(
            lambda: relay.publish_pending() == 1 or relay.backlog() == 0, timeout=30, what="the publish"
        )
        assert relay.backlog() == 0
    finally:
        broker.stop()
