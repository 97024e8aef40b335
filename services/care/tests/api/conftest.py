"""Shared fixtures of care's API tests: a real gRPC server over a socket on a real store (SQLite and
PostgreSQL), a clock the test moves by hand, and delivery of other services' events through the inbox."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from kafka.consumer.fetcher import ConsumerRecord
from sqlalchemy import select

from doudi.care.v1 import care_pb2, care_pb2_grpc, events_pb2
from doudi.common.v1 import types_pb2
from doudi_care.app import CareApp
from doudi_care.main import DEFINITION, SHARED_APP, CareSettings, build
from doudi_common.testing import EXAMPLE_VILLAGE, make_resident_id
from doudi_runtime.events.consumer import EventConsumer
from doudi_runtime.events.envelope import decode, encode, new_envelope
from doudi_runtime.grpc.server import GrpcServer
from doudi_runtime.service import ServiceContext, build_context, migrate

TOKEN = "care-test-token"
AUTH = (("authorization", f"Bearer {TOKEN}"),)
VILLAGE = EXAMPLE_VILLAGE
TOWNSHIP = "640402100000"
OTHER_TOWNSHIP_VILLAGE = "640402101201"

#: DOMAIN §13 people on care ledgers.
ZHOU = make_resident_id(date(1945, 3, 8), 31, female=True)  # H14: dispersed Tekun, 81
HU_BOY = make_resident_id(date(2014, 5, 20), 14)  # H07: orphan, 12
YANG_GIRL = make_resident_id(date(2018, 2, 11), 15, female=True)  # H08: FUC, 8
MA = make_resident_id(date(1959, 9, 9), 16)  # H04-like left-behind elder, 67


class FakeClock:
    """Time as the test says: starts on 1 June 2026, 09:00 China time."""

    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def advance(self, **delta: float) -> datetime:
        with self._lock:
            self.now += timedelta(**delta)
            return self.now


@dataclass
class Care:
    stub: care_pb2_grpc.CareServiceStub
    context: ServiceContext
    app: CareApp
    clock: FakeClock
    consumer: EventConsumer
    offset: int = 0
    #: The channel to the server, for stubs of its other APIs (the audit trail's).
    channel: grpc.Channel | None = None

    def outbox(self) -> list[tuple[str, str, str]]:
        """(topic, key, event type) of every event written, in order."""
        outbox = self.context.store.messaging.outbox  # type: ignore[union-attr]
        with self.context.database.read() as session:  # type: ignore[union-attr]
            rows = session.execute(select(outbox).order_by(outbox.c.seq)).all()
        return [
            (row.topic, row.message_key, decode(row.envelope).event_type.rsplit(".", 1)[1]) for row in rows
        ]

    def events(self, event_type: str) -> list[Message]:
        """The payloads of every outbox event of one type, oldest first."""
        outbox = self.context.store.messaging.outbox  # type: ignore[union-attr]
        with self.context.database.read() as session:  # type: ignore[union-attr]
            rows = session.execute(select(outbox).order_by(outbox.c.seq)).all()
        found = []
        for row in rows:
            envelope = decode(row.envelope)
            if envelope.event_type == f"doudi.care.v1.{event_type}":
                payload = getattr(events_pb2, event_type)()
                envelope.payload.Unpack(payload)
                found.append(payload)
        return found

    def deliver(
        self, topic: str, payload: Message, *, key: str = "k", envelope_bytes: bytes | None = None
    ) -> str:
        """Hand one event to the care consumer as Kafka would (through the inbox); returns the outcome."""
        data = envelope_bytes or encode(new_envelope(payload, producer="other", subject_key=key))
        self.offset += 1
        record = ConsumerRecord(
            topic, 0, -1, self.offset, 0, 0, key.encode(), data, [], None, 1, len(data), 0
        )
        return self.consumer.handle_record(record)


def care_settings(database_url: str, tmp_path: Path, **overrides: object) -> CareSettings:
    values: dict[str, object] = {
        "grpc_port": 0,
        "metrics_port": 0,
        "data_dir": tmp_path,
        "database_url": database_url,
        "auth_tokens": f'{{"{TOKEN}": "township-civil-affairs"}}',
        "client_token": TOKEN,
        "shutdown_grace_seconds": 0,
        "consumer_retry_backoff_ms": 1,
        "consumer_max_attempts": 1,
    }
    values.update(overrides)
    return CareSettings(**values)  # type: ignore[arg-type]


@contextmanager
def running_care(database_url: str, tmp_path: Path, **overrides: object) -> Iterator[Care]:
    """The service's gRPC front on a free port, its store migrated, its use-cases on a FakeClock."""
    settings = care_settings(database_url, tmp_path, **overrides)
    migrate(DEFINITION, settings)
    context = build_context(DEFINITION, settings)
    clock = FakeClock()
    app = context.shared(SHARED_APP, lambda: build(context, clock=clock))
    assert context.database is not None and context.store is not None
    consumer = EventConsumer(
        context.database,
        context.store.messaging,
        settings,
        group_id="doudi-care",
        subscriptions=list(DEFINITION.subscriptions(context)),
    )
    server = GrpcServer(settings, list(DEFINITION.grpc_bindings(context)))
    port = server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield Care(care_pb2_grpc.CareServiceStub(channel), context, app, clock, consumer, channel=channel)
    finally:
        channel.close()
        server.stop(0)
        context.database.dispose()


@pytest.fixture
def care(database_url: str, tmp_path: Path) -> Iterator[Care]:
    with running_care(database_url, tmp_path) as running:
        yield running


def person(id_number: str, name: str, phone: str = "") -> types_pb2.Person:
    return types_pb2.Person(id_number=types_pb2.IdNumber(value=id_number), name=name, phone=phone)


def zhou_registration(**overrides: object) -> care_pb2.LedgerRegistration:
    """H14: Zhou, dispersed Tekun, her niece the entrusted carer, a provider for 2 services a month."""
    registration = care_pb2.LedgerRegistration(
        ledger=care_pb2.LEDGER_TEKUN_DISPERSED,
        person=person(ZHOU, "周秀兰"),
        region=types_pb2.RegionCode(code=VILLAGE),
        provider_id="provider-anxin",
        tekun=care_pb2.TekunDetails(
            carer_name="周丽",
            carer_phone="13909541234",
            entrustment_agreement_signed=True,
            agreement_signed_on=types_pb2.Date(year=2026, month=1, day=5),
            visit_person="马主任",
            self_care=care_pb2.SELF_CARE_COMPLETE_LOSS,
        ),
    )
    for name, value in overrides.items():
        if isinstance(value, Message):
            getattr(registration, name).CopyFrom(value)
        else:
            setattr(registration, name, value)
    return registration


def elder_registration(id_number: str = MA, village: str = VILLAGE) -> care_pb2.LedgerRegistration:
    return care_pb2.LedgerRegistration(
        ledger=care_pb2.LEDGER_ELDERLY_LEFT_BEHIND,
        person=person(id_number, "马福贵"),
        region=types_pb2.RegionCode(code=village),
        elderly=care_pb2.ElderlyDetails(
            contact_name="马建军",
            contact_phone="13800001111",
            support_agreement_signed=True,
            living_arrangement=care_pb2.LIVING_ARRANGEMENT_ALONE,
        ),
    )


def register(care: Care, registration: care_pb2.LedgerRegistration, request_id: str) -> care_pb2.LedgerEntry:
    request = care_pb2.RegisterPersonRequest(request_id=request_id, registration=registration)
    return care.stub.RegisterPerson(request, metadata=AUTH, timeout=10).entry


def at(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp
