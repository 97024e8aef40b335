"""A partition's polled events are handled in one transaction; a failure in the lot changes nothing and the
events are handled one by one instead, each exactly once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kafka.consumer.fetcher import ConsumerRecord
from kafka.structs import TopicPartition
from sqlalchemy.orm import Session

from doudi.common.v1.envelope_pb2 import EventEnvelope
from doudi.common.v1.types_pb2 import Period
from doudi_runtime.events.consumer import EventConsumer, Subscription
from doudi_runtime.events.envelope import encode, new_envelope
from doudi_runtime.store import Database
from doudi_runtime.testing.events import (
    MESSAGING,
    count_effects,
    event_test_settings,
    metadata,
    record_effect,
)

TOPIC = "doudi.eventtest.batches.v1"


def a_record(offset: int, value: bytes) -> ConsumerRecord:
    return ConsumerRecord(
        topic=TOPIC,
        partition=0,
        leader_epoch=-1,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=b"k",
        value=value,
        headers=[],
        checksum=None,
        serialized_key_size=-1,
        serialized_value_size=-1,
        serialized_header_size=-1,
    )


def envelopes(subjects: list[str]) -> list[bytes]:
    return [
        encode(new_envelope(Period(month="2026-11"), producer="eventtest", subject_key=s)) for s in subjects
    ]


class OnePoll:
    """Stands in for KafkaConsumer: one poll of one partition, then the consumer is stopped."""

    def __init__(self, records: list[ConsumerRecord], stop: threading.Event) -> None:
        self._records = records
        self._stop = stop
        self.commits: list[dict[int, int]] = []

    def poll(self, timeout_ms: int) -> dict[TopicPartition, list[ConsumerRecord]]:
        if not self._records:
            self._stop.set()
            return {}
        records, self._records = self._records, []
        return {TopicPartition(TOPIC, 0): records}

    def commit(self, offsets: dict[TopicPartition, Any]) -> None:
        self.commits.append({tp.partition: meta.offset for tp, meta in offsets.items()})

    def assignment(self) -> set[TopicPartition]:
        return set()

    def close(self, autocommit: bool) -> None:
        pass


class CountingDatabase(Database):
    """Counts the write transactions opened."""

    writes = 0

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        self.writes += 1
        with super().transaction() as session:
            yield session


def consume(tmp_path: Path, values: list[bytes], handler: Any) -> tuple[CountingDatabase, OnePoll]:
    database = CountingDatabase(f"sqlite:///{tmp_path / 'store.db'}")
    metadata.create_all(database.engine)
    stop = threading.Event()
    group = OnePoll([a_record(offset, value) for offset, value in enumerate(values)], stop)
    consumer = EventConsumer(
        database,
        MESSAGING,
        event_test_settings("127.0.0.1:1"),
        group_id="g-batches",
        subscriptions=[Subscription(TOPIC, handler)],
    )
    consumer._connect = lambda: group  # type: ignore[method-assign, assignment, return-value]
    consumer.run(stop)
    return database, group


def test_a_polls_events_commit_together_and_a_repeat_among_them_changes_nothing(tmp_path: Path) -> None:
    values = envelopes([f"hh-{i}" for i in range(5)])
    database, group = consume(tmp_path, [*values, values[2]], record_effect("w"))
    assert database.writes == 1
    assert count_effects(database) == (5, 5)
    assert group.commits == [{0: 6}]
    database.dispose()


def test_a_failure_in_the_lot_leaves_nothing_behind_and_each_event_is_then_handled_once(
    tmp_path: Path,
) -> None:
    failures = [0]
    effect = record_effect("w")

    def flaky(session: Session, envelope: EventEnvelope) -> None:
        effect(session, envelope)
        if envelope.subject_key == "hh-3" and failures[0] < 2:
            failures[0] += 1
            raise RuntimeError("the store was busy")

    database, group = consume(tmp_path, envelopes([f"hh-{i}" for i in range(5)]), flaky)
    # The lot, then each event alone: hh-3 fails once more at its first try and succeeds at its second.
    assert count_effects(database) == (5, 5)
    assert database.writes == 1 + 5 + 1
    assert group.commits == [{0: 5}]
    database.dispose()
