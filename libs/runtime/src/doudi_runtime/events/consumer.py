"""Inbox consumers: each event's effect and its inbox row commit together, so redelivery changes nothing.

Offsets are committed only after the database transaction, so a crash at any point redelivers
the event, and the inbox turns the repeat into a no-op. A handler that keeps failing is retried a
bounded number of times, then the event goes to ``<topic>.dlq`` with the error, and the
partition moves on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from kafka import ConsumerRebalanceListener, KafkaConsumer, KafkaProducer
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import CommitFailedError, IllegalStateError
from kafka.structs import OffsetAndMetadata, TopicPartition
from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from doudi.common.v1.envelope_pb2 import EventEnvelope
from doudi_contracts.topics import dlq_topic
from doudi_runtime.events.envelope import EnvelopeError, decode
from doudi_runtime.events.kafka import connection_options, reliable_producer
from doudi_runtime.events.tables import MessagingTables
from doudi_runtime.settings import ServiceSettings
from doudi_runtime.store import Database

log = logging.getLogger(__name__)

CONSUMER_LAG = Gauge(
    "doudi_consumer_lag_messages", "Messages on assigned partitions not yet consumed.", ["service", "topic"]
)
CONSUMER_EVENTS = Counter(
    "doudi_consumer_events_total",
    "Events taken from Kafka, by outcome (handled, duplicate, dead_lettered).",
    ["service", "topic", "outcome"],
)
HANDLER_SECONDS = Histogram(
    "doudi_consumer_handler_seconds", "Time to handle one event, inbox included.", ["service", "topic"]
)
COMMITS_REFUSED = Counter(
    "doudi_consumer_commits_refused_total",
    "Offset commits the group refused after a rebalance (the events are redelivered).",
    ["service"],
)
DLQ_SEND_TIMEOUT_SECONDS = 15.0

Handler = Callable[[Session, EventEnvelope], None]


@dataclass(frozen=True)
class Subscription:
    """A topic and what to do with each event on it (inside the inbox transaction)."""

    topic: str
    handler: Handler


class _CommitOnRevoke(ConsumerRebalanceListener):
    """Hands partitions back with their progress committed, so the next owner starts where we stopped."""

    def __init__(self, owner: EventConsumer) -> None:
        self._owner = owner

    def on_partitions_revoked(self, revoked: Sequence[TopicPartition]) -> None:
        self._owner.commit_progress()

    def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        log.info(
            "partitions assigned",
            extra={"partitions": sorted(f"{tp.topic}[{tp.partition}]" for tp in assigned)},
        )


class EventConsumer:
    def __init__(
        self,
        database: Database,
        tables: MessagingTables,
        settings: ServiceSettings,
        *,
        group_id: str,
        subscriptions: Sequence[Subscription],
        client_id: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not subscriptions:
            raise ValueError("a consumer needs at least one subscription")
        self._database = database
        # Built once, run with parameters: cheaper than a new statement per event.
        self._seen_query = select(tables.inbox.c.event_id).where(
            tables.inbox.c.consumer == bindparam("consumer"), tables.inbox.c.event_id == bindparam("event_id")
        )
        self._inbox_insert = insert(tables.inbox)
        self._settings = settings
        self._service = settings.service_name
        self._group_id = group_id
        self._handlers = {s.topic: s.handler for s in subscriptions}
        self._client_id = client_id or f"doudi-{settings.service_name}-consumer"
        self._sleep = sleep
        self._consumer: KafkaConsumer | None = None
        self._dlq_producer: KafkaProducer | None = None
        self._progress: dict[TopicPartition, int] = {}
        self._lock = threading.Lock()

    def _connect(self) -> KafkaConsumer:
        consumer = KafkaConsumer(
            **connection_options(self._settings),
            group_id=self._group_id,
            client_id=self._client_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=self._settings.kafka_session_timeout_ms,
            heartbeat_interval_ms=self._settings.kafka_heartbeat_interval_ms,
            max_poll_records=self._settings.kafka_max_poll_records,
        )
        consumer.subscribe(topics=sorted(self._handlers), listener=_CommitOnRevoke(self))
        return consumer

    def run(self, stop: threading.Event) -> None:
        self._consumer = self._connect()
        try:
            while not stop.is_set():
                batches = self._consumer.poll(timeout_ms=500)
                for records in batches.values():
                    if not self.handle_together(records):
                        for record in records:
                            if stop.is_set():
                                break
                            self.handle_record(record)
                    self.commit_progress()
                self._report_lag()
        finally:
            self.close()

    def handle_together(self, records: Sequence[ConsumerRecord]) -> bool:
        """Handle one partition's polled records in one transaction: one write lock and one commit for the
        lot instead of one per event. Each event's effect still commits with its inbox row. Returns False,
        having changed nothing, when any record fails: the caller then handles them one by one, with the
        retries and the dead-lettering of ``handle_record``."""
        if len(records) < 2:
            return False
        started = time.perf_counter()
        try:
            envelopes = [decode(record.value) for record in records]
            with self._database.transaction() as session:
                outcomes = [
                    self._apply(session, record, envelope, self._handlers[record.topic])
                    for record, envelope in zip(records, envelopes, strict=True)
                ]
        except Exception as exc:  # any failure: the records are handled one at a time instead
            log.info(
                "a batch of events failed; handling them one by one",
                extra={"topic": records[0].topic, "events": len(records), "error": f"{type(exc).__name__}"},
            )
            return False
        share = (time.perf_counter() - started) / len(records)
        for record, outcome in zip(records, outcomes, strict=True):
            HANDLER_SECONDS.labels(self._service, record.topic).observe(share)
            CONSUMER_EVENTS.labels(self._service, record.topic, outcome).inc()
        last = records[-1]
        with self._lock:
            self._progress[TopicPartition(last.topic, last.partition)] = last.offset + 1
        return True

    def handle_record(self, record: ConsumerRecord) -> str:
        """Handle one record with bounded retries; returns the outcome recorded in the metrics."""
        started = time.perf_counter()
        outcome = self._outcome_of(record)
        HANDLER_SECONDS.labels(self._service, record.topic).observe(time.perf_counter() - started)
        CONSUMER_EVENTS.labels(self._service, record.topic, outcome).inc()
        with self._lock:
            self._progress[TopicPartition(record.topic, record.partition)] = record.offset + 1
        return outcome

    def _outcome_of(self, record: ConsumerRecord) -> str:
        try:
            envelope = decode(record.value)
        except EnvelopeError as exc:
            self._dead_letter(record, str(exc), attempts=0)
            return "dead_lettered"
        handler = self._handlers[record.topic]
        error = ""
        for attempt in range(1, self._settings.consumer_max_attempts + 1):
            try:
                return self._handle_once(record, envelope, handler)
            except Exception as exc:  # the handler's failure is data for the retry and the DLQ
                error = f"{type(exc).__name__}: {exc}"
                log.warning(
                    "event handler failed",
                    extra={
                        "topic": record.topic,
                        "event_id": envelope.event_id,
                        "attempt": attempt,
                        "error": error,
                    },
                )
                if attempt < self._settings.consumer_max_attempts:
                    self._sleep(self._settings.consumer_retry_backoff_ms / 1000 * attempt)
        self._dead_letter(record, error, attempts=self._settings.consumer_max_attempts)
        return "dead_lettered"

    def _handle_once(self, record: ConsumerRecord, envelope: EventEnvelope, handler: Handler) -> str:
        with self._database.transaction() as session:
            return self._apply(session, record, envelope, handler)

    def _apply(
        self, session: Session, record: ConsumerRecord, envelope: EventEnvelope, handler: Handler
    ) -> str:
        """The event's effect and its inbox row, inside the caller's transaction; nothing for a repeat."""
        seen = session.execute(
            self._seen_query, {"consumer": self._group_id, "event_id": envelope.event_id}
        ).first()
        if seen is not None:
            return "duplicate"
        session.execute(
            self._inbox_insert,
            {
                "consumer": self._group_id,
                "event_id": envelope.event_id,
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "handled_at": datetime.now(UTC),
            },
        )
        handler(session, envelope)
        return "handled"

    def _dead_letter(self, record: ConsumerRecord, error: str, *, attempts: int) -> None:
        if self._dlq_producer is None:
            self._dlq_producer = reliable_producer(self._settings, client_id=f"{self._client_id}-dlq")
        headers = [
            *(record.headers or []),
            ("dlq_error", error[:4000].encode()),
            ("dlq_original_topic", record.topic.encode()),
            ("dlq_original_partition", str(record.partition).encode()),
            ("dlq_original_offset", str(record.offset).encode()),
            ("dlq_attempts", str(attempts).encode()),
            ("dlq_consumer", self._group_id.encode()),
        ]
        # If the DLQ cannot be written, raise: the offset stays uncommitted and the event comes back.
        self._dlq_producer.send(
            dlq_topic(record.topic), key=record.key, value=record.value, headers=headers
        ).get(timeout=DLQ_SEND_TIMEOUT_SECONDS)
        log.error(
            "event sent to the dead-letter topic",
            extra={
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "error": error,
            },
        )

    def commit_progress(self) -> None:
        """Commit what was handled; a commit refused by a rebalance is dropped, not fatal.

        The partitions' next owner then sees those events again, and its inbox turns them into
        no-ops, so giving up the commit loses nothing.
        """
        with self._lock:
            progress, self._progress = self._progress, {}
        if not progress or self._consumer is None:
            return
        try:
            self._consumer.commit({tp: OffsetAndMetadata(offset, "", -1) for tp, offset in progress.items()})
        except (CommitFailedError, IllegalStateError) as exc:
            COMMITS_REFUSED.labels(self._service).inc()
            log.warning(
                "offset commit refused by a rebalance; the events will be seen again",
                extra={"error": f"{type(exc).__name__}: {exc}", "partitions": len(progress)},
            )

    def _report_lag(self) -> None:
        consumer = self._consumer
        if consumer is None:
            return
        lag_by_topic: dict[str, int] = {}
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            if highwater is None:
                continue
            position = consumer.position(tp, timeout_ms=1000)
            if position is None:
                continue
            lag_by_topic[tp.topic] = lag_by_topic.get(tp.topic, 0) + max(highwater - position, 0)
        for topic in self._handlers:
            CONSUMER_LAG.labels(self._service, topic).set(lag_by_topic.get(topic, 0))

    def close(self) -> None:
        if self._consumer is not None:
            try:
                self.commit_progress()
            finally:
                self._consumer.close(autocommit=False)
                self._consumer = None
        if self._dlq_producer is not None:
            self._dlq_producer.close(timeout=2)
            self._dlq_producer = None
