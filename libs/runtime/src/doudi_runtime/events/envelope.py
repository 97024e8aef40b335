"""The envelope every event travels in: identity, type, time, producer, subject and payload."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar

from google.protobuf.message import DecodeError, Message

from doudi.common.v1.envelope_pb2 import EventEnvelope
from doudi_common.ids import new_event_id

PayloadT = TypeVar("PayloadT", bound=Message)


class EnvelopeError(ValueError):
    """Bytes that are not a usable event: undecodable, without identity, or of another type."""


def new_envelope(
    payload: Message,
    *,
    producer: str,
    subject_key: str,
    causation_id: str = "",
    traceparent: str = "",
    event_id: str = "",
) -> EventEnvelope:
    """``event_id`` is for a caller that made the ids of many events at once; by default a new one."""
    if not producer or not subject_key:
        raise ValueError("an event needs its producer and its subject key")
    envelope = EventEnvelope(
        event_id=event_id or new_event_id(),
        event_type=payload.DESCRIPTOR.full_name,
        producer=producer,
        subject_key=subject_key,
        causation_id=causation_id,
        traceparent=traceparent,
    )
    envelope.occurred_at.FromDatetime(datetime.now(UTC))
    envelope.payload.Pack(payload)
    return envelope


def encode(envelope: EventEnvelope) -> bytes:
    return envelope.SerializeToString(deterministic=True)


def decode(data: bytes | None) -> EventEnvelope:
    envelope = EventEnvelope()
    try:
        envelope.ParseFromString(data or b"")
    except DecodeError as exc:
        raise EnvelopeError(f"not an event envelope: {exc}") from None
    if not envelope.event_id or not envelope.event_type:
        raise EnvelopeError("an event envelope needs an event_id and an event_type")
    return envelope


def unpack(envelope: EventEnvelope, message_type: type[PayloadT]) -> PayloadT:
    """The payload as ``message_type``; EnvelopeError if the event carries something else."""
    payload = message_type()
    if not envelope.payload.Is(payload.DESCRIPTOR) or not envelope.payload.Unpack(payload):
        raise EnvelopeError(
            f"event {envelope.event_id} carries {envelope.event_type}, not {payload.DESCRIPTOR.full_name}"
        )
    return payload
