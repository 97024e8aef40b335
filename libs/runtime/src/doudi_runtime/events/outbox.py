"""The transactional outbox: events are rows written in the same transaction as the state change."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.message import Message
from sqlalchemy import insert
from sqlalchemy.orm import Session

from doudi_runtime.events.envelope import encode, new_envelope
from doudi_runtime.events.tables import MessagingTables


class Outbox:
    """Writes a service's events into its own store; the relay publishes them afterwards."""

    def __init__(self, producer: str, tables: MessagingTables) -> None:
        self.producer = producer
        self._table = tables.outbox

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
        session.execute(
            insert(self._table).values(
                event_id=envelope.event_id,
                topic=topic,
                message_key=subject_key,
                event_type=envelope.event_type,
                envelope=encode(envelope),
                created_at=datetime.now(UTC),
            )
        )
        return envelope.event_id
