"""Shared fixtures of dispatch's API tests: a real gRPC server over a socket on a real store, and a clock
the test moves by hand so offers time out without sleeping."""

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
from sqlalchemy import select

from doudi.common.v1 import types_pb2
from doudi.dispatch.v1 import dispatch_pb2, dispatch_pb2_grpc
from doudi_common.testing import EXAMPLE_VILLAGE, make_resident_id
from doudi_dispatch.app import DispatchApp
from doudi_dispatch.main import DEFINITION, SHARED_APP, DispatchSettings, build
from doudi_runtime.events.envelope import decode
from doudi_runtime.grpc.server import GrpcServer
from doudi_runtime.service import ServiceContext, build_context, migrate

TOKEN = "dispatch-test-token"
AUTH = (("authorization", f"Bearer {TOKEN}"),)
VILLAGE = EXAMPLE_VILLAGE
NEIGHBOUR = "640402100202"
OTHER_TOWNSHIP_VILLAGE = "640402101201"
#: The village committee of the example village, and so the team's base.
BASE = dispatch_pb2.GeoPoint(latitude_e6=36_000_000, longitude_e6=106_280_000)


class FakeClock:
    """Time as the test says: starts at 02:30 China time (DOMAIN §13 H09, +0:30 after the fire)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 14, 18, 30, tzinfo=UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def advance(self, **delta: float) -> datetime:
        with self._lock:
            self.now += timedelta(**delta)
            return self.now


@dataclass
class Dispatch:
    stub: dispatch_pb2_grpc.DispatchServiceStub
    context: ServiceContext
    app: DispatchApp
    clock: FakeClock

    def outbox(self) -> list[tuple[str, str, str]]:
        """(topic, key, event type) of every event written, in order."""
        outbox = self.context.store.messaging.outbox  # type: ignore[union-attr]
        with self.context.database.read() as session:  # type: ignore[union-attr]
            rows = session.execute(select(outbox).order_by(outbox.c.seq)).all()
        return [(row.topic, row.message_key, decode(row.envelope).event_type) for row in rows]


def dispatch_settings(database_url: str, tmp_path: Path, **overrides: object) -> DispatchSettings:
    values: dict[str, object] = {
        "grpc_port": 0,
        "metrics_port": 0,
        "data_dir": tmp_path,
        "database_url": database_url,
        "auth_tokens": f'{{"{TOKEN}": "township-duty-officer"}}',
        "client_token": TOKEN,
        "shutdown_grace_seconds": 0,
        "offer_wave_size": 2,
        "volunteer_waves": 2,
        "offer_timeout_seconds": 900,
        "dispatch_poll_seconds": 0.05,
    }
    values.update(overrides)
    return DispatchSettings(**values)  # type: ignore[arg-type]


@contextmanager
def running_dispatch(database_url: str, tmp_path: Path, **overrides: object) -> Iterator[Dispatch]:
    """The service's gRPC front on a free port, its store migrated, its use-cases on a FakeClock."""
    settings = dispatch_settings(database_url, tmp_path, **overrides)
    migrate(DEFINITION, settings)
    context = build_context(DEFINITION, settings)
    clock = FakeClock()
    app = context.shared(SHARED_APP, lambda: build(context, clock=clock))
    server = GrpcServer(settings, list(DEFINITION.grpc_bindings(context)))
    port = server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield Dispatch(dispatch_pb2_grpc.DispatchServiceStub(channel), context, app, clock)
    finally:
        channel.close()
        server.stop(0)
        assert context.database is not None
        context.database.dispose()


@pytest.fixture
def dispatch(database_url: str, tmp_path: Path) -> Iterator[Dispatch]:
    with running_dispatch(database_url, tmp_path) as running:
        yield running


def north(metres: int) -> dispatch_pb2.GeoPoint:
    """A place ``metres`` north of the team's base (about 9 micro-degrees of latitude per metre)."""
    return dispatch_pb2.GeoPoint(latitude_e6=BASE.latitude_e6 + metres * 9, longitude_e6=BASE.longitude_e6)


def member(
    name: str, phone: str, metres: int, *skills: int, available: bool = True
) -> dispatch_pb2.NewVolunteer:
    return dispatch_pb2.NewVolunteer(
        name=name,
        phone=phone,
        skills=list(skills) or [dispatch_pb2.SKILL_FIRST_AID],
        available=available,
        location=north(metres),
    )


def team_request(
    request_id: str = "team-1", village: str = VILLAGE, phones: str = "1390954"
) -> dispatch_pb2.RegisterTeamRequest:
    """The example village's team: the village doctor, cadres, a party member, a grid worker."""
    return dispatch_pb2.RegisterTeamRequest(
        request_id=request_id,
        village=types_pb2.RegionCode(code=village),
        name="河川村急难问题快速响应服务队",
        duty_phone="0954-2051234",
        base_location=BASE,
        members=[
            member(
                "马文斌", f"{phones}0001", 300, dispatch_pb2.SKILL_FIRST_AID, dispatch_pb2.SKILL_TRANSPORT
            ),
            member("李秀英", f"{phones}0002", 800, dispatch_pb2.SKILL_MEDICAL, dispatch_pb2.SKILL_FIRST_AID),
            member("王建国", f"{phones}0003", 1500),
            member("张玉兰", f"{phones}0004", 2500, dispatch_pb2.SKILL_ELDERLY_CARE),
            member("杨志强", f"{phones}0005", 4000),
        ],
    )


def register_team(dispatch: Dispatch, **kwargs: str) -> dispatch_pb2.Team:
    return dispatch.stub.RegisterTeam(team_request(**kwargs), metadata=AUTH, timeout=10).team


def by_name(team: dispatch_pb2.Team) -> dict[str, str]:
    return {m.name: m.volunteer_id for m in team.members}


#: DOMAIN §13 H09: Chen's wife, whose card receives the advance aid.
CHEN_WIFE = make_resident_id(date(1985, 6, 2), 23, female=True)


def fire_request(request_id: str = "fire-1", **overrides: object) -> dispatch_pb2.ReportIncidentRequest:
    request = dispatch_pb2.ReportIncidentRequest(
        request_id=request_id,
        kind=dispatch_pb2.INCIDENT_KIND_FIRE,
        region=types_pb2.RegionCode(code=VILLAGE),
        person=types_pb2.IdNumber(value=CHEN_WIFE),
        person_name="陈桂芳",
        contact_phone="139 0954 7788",
        description="凌晨两点陈家房屋起火，丈夫烧伤已送医，一家四口无处居住",
        source=dispatch_pb2.INCIDENT_SOURCE_VILLAGER,
        source_reference="hotline-20260115-0031",
        location=north(100),
    )
    for name, value in overrides.items():
        if isinstance(value, Message):
            getattr(request, name).CopyFrom(value)
        else:
            setattr(request, name, value)
    return request
