"""A consumer whose offset commit is refused by a rebalance keeps running and loses nothing."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import CommitFailedError
from kafka.structs import TopicPartition

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

TOPIC = "doudi.eventtest.rebalance.v1"


def a_record(offset: int, event_id_source: str) -> ConsumerRecord:
    envelope = new_envelope(Period(month="2026-11"), producer="eventtest", subject_key=event_id_source)
    return ConsumerRecord(
        topic=TOPIC,
        partition=0,
        leader_epoch=-1,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=event_id_source.encode(),
        value=encode(envelope),
        headers=[],
        checksum=None,
        serialized_key_size=-1,
        serialized_value_size=-1,
        serialized_header_size=-1,
    )


class GroupThatRebalancesOnFirstCommit:
    """Stands in for KafkaConsumer: hands out two batches and refuses the first commit."""

    def __init__(self, batches: list[list[ConsumerRecord]], stop: threading.Event) -> None:
        self._batches = batches
        self._stop = stop
        self.commits: list[dict[TopicPartition, Any]] = []
        self.refused = 0

    def poll(self, timeout_ms: int) -> dict[TopicPartition, list[ConsumerRecord]]:
        if not self._batches:
            self._stop.set()
            return {}
        return {TopicPartition(TOPIC, 0): self._batches.pop(0)}

    def commit(self, offsets: dict[TopicPartition, Any]) -> None:
        if self.refused == 0:
            self.refused += 1
            raise CommitFailedError("the group has rebalanced")
        self.commits.append(offsets)

    def assignment(self) -> set[TopicPartition]:
        return set()

    def close(self, autocommit: bool) -> None:
        pass


def test_a_commit_refused_by_a_rebalance_does_not_stop_the_consumer(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'store.db'}")
    metadata.create_all(database.engine)
    stop = threading.Event()
    group = GroupThatRebalancesOnFirstCommit(
        [[a_record(0, "hh-1"), a_record(1, "hh-2")], [a_record(2, "hh-3")]], stop
    )
    consumer = EventConsumer(
        database,
        MESSAGING,
        event_test_settings("127.0.0.1:1"),
        group_id="g-rebalance",
        subscriptions=[Subscription(TOPIC, record_effect("w1"))],
    )
    consumer._connect = lambda: group  # type: ignore[method-assign, assignment, return-value]

    consumer.run(stop)

    assert group.refused == 1
    assert count_effects(database) == (3, 3)
    assert [{tp.partition: meta.offset for tp, meta in commit.items()} for commit in group.commits] == [
        {0: 3}
    ]
    database.dispose()
