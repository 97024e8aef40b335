"""The transactional outbox: events are rows written in the same transaction as the state change."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from google.protobuf.message import Message
from sqlalchemy import insert
from sqlalchemy.orm import Session

from doudi.common.v1.envelope_pb2 import EventEnvelope
from doudi_common.ids import new_ids
from doudi_runtime.events.envelope import encode, new_envelope
from doudi_runtime.events.tables import MessagingTables


@dataclass(frozen=True)
class PendingEvent:
    """One event of a bulk ``Outbox.add_many``: its subject key, payload and cause."""

    subject_key: str
    payload: Message
    causation_id: str = ""


class Outbox:
    """Writes a service's events into its own store; the relay publishes them afterwards."""

    def __init__(self, producer: str, tables: MessagingTables) -> None:
        self.producer = producer
        self._table = tables.outbox
        self._insert = insert(tables.outbox)

    def add(
        self, session: Session, *, topic: str, subject_key: str, payload: Message, causation_id: str = ""
    ) -> str:
        """Record one event in the caller's transaction (never commits); returns its event id.

        The subject key becomes the Kafka message key, so one subject's events stay in order.
        """
        if not topic:
            raise ValueError("an event needs a topic")
        envelope = new_envelope(
            payload, producer=self.producer, subject_key=subject_key, causation_id=causation_id
        )
        session.connection().execute(self._insert, self._row(topic, subject_key, envelope))
        return envelope.event_id

    def add_many(self, session: Session, *, topic: str, events: Iterable[PendingEvent]) -> list[str]:
        """Record many events of one topic with one multi-row INSERT (never commits), in order."""
        if not topic:
            raise ValueError("an event needs a topic")
        pending = list(events)
        rows = []
        # The ids are made at once, as many made one after another would be (in order, one millisecond).
        for event, event_id in zip(pending, new_ids("evt", len(pending)), strict=True):
            envelope = new_envelope(
                event.payload,
                producer=self.producer,
                subject_key=event.subject_key,
                causation_id=event.causation_id,
                event_id=event_id,
            )
            rows.append(self._row(topic, event.subject_key, envelope))
        if rows:
            session.execute(self._insert, rows)
        return [row["event_id"] for row in rows]

    @staticmethod
    def _row(topic: str, subject_key: str, envelope: EventEnvelope) -> dict[str, object]:
        return {
            "event_id": envelope.event_id,
            "topic": topic,
            "message_key": subject_key,
            "event_type": envelope.event_type,
            "envelope": encode(envelope),
            "created_at": datetime.now(UTC),
        }
