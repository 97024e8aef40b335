"""A tiny EchoService served by the real GrpcServer over loopback, and helpers to call it."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest

from doudi.common.v1.types_pb2 import Period
from doudi_common.errors import FieldViolation, InvalidArgument, NotFound, Unavailable
from doudi_runtime.grpc.client import ChannelFactory
from doudi_runtime.grpc.context import current_principal, current_request_id
from doudi_runtime.grpc.server import GrpcServer, GrpcServiceBinding
from doudi_runtime.settings import ServiceSettings

SERVICE = "doudi.test.v1.EchoService"
TOKEN = "t0k"
AUTH = (("authorization", f"Bearer {TOKEN}"),)
# A valid GB 11643 number (checksum 'X') and a mobile number, to prove logs mask them.
ID_NUMBER = "11010519491231002X"
PHONE = "13812345678"


def make_settings(**overrides: Any) -> ServiceSettings:
    values: dict[str, Any] = {
        "service_name": "demo",
        "grpc_port": 0,
        "metrics_port": 0,
        "auth_mode": "token",
        "auth_tokens": f'{{"{TOKEN}": "caller-a"}}',
        "client_token": TOKEN,
        "shutdown_grace_seconds": 0.5,
    }
    values.update(overrides)
    return ServiceSettings(**values)


@dataclass
class EchoState:
    """What the handlers saw; tests read it to count invocations."""

    calls: Counter[str] = field(default_factory=Counter)
    unavailable_first: int = 0
    downstream: ChannelFactory | None = None
    target: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def seen(self, name: str) -> int:
        with self.lock:
            self.calls[name] += 1
            return self.calls[name]


class EchoServicer:
    """Handlers covering every outcome the interceptor chain must classify."""

    def __init__(self, state: EchoState) -> None:
        self.state = state

    def Echo(self, request: Period, context: grpc.ServicerContext) -> Period:
        self.state.seen("Echo")
        return Period(month=request.month)

    def WhoAmI(self, request: Period, context: grpc.ServicerContext) -> Period:
        self.state.seen("WhoAmI")
        return Period(month=f"{current_principal()}|{current_request_id()}")

    def Reject(self, request: Period, context: grpc.ServicerContext) -> Period:
        self.state.seen("Reject")
        raise InvalidArgument(
            [
                FieldViolation("month", "must be YYYY-MM"),
                FieldViolation("household.members[0].id_number", "checksum does not match"),
            ]
        )

    def Missing(self, request: Period, context: grpc.ServicerContext) -> Period:
        raise NotFound("no such household")

    def Boom(self, request: Period, context: grpc.ServicerContext) -> Period:
        self.state.seen("Boom")
        raise RuntimeError(f"store exploded while saving {request.month}")

    def Abort(self, request: Period, context: grpc.ServicerContext) -> Period:
        context.abort(grpc.StatusCode.NOT_FOUND, "gone")
        raise AssertionError("abort returns never")

    def SetCode(self, request: Period, context: grpc.ServicerContext) -> Period:
        context.set_code(grpc.StatusCode.FAILED_PRECONDITION)
        context.set_details("wrong state")
        return Period()

    def Flaky(self, request: Period, context: grpc.ServicerContext) -> Period:
        if self.state.seen("Flaky") <= self.state.unavailable_first:
            raise Unavailable("department records are down")
        return Period(month="ok")

    def Slow(self, request: Period, context: grpc.ServicerContext) -> Period:
        self.state.seen("Slow")
        time.sleep(float(request.month))
        return Period(month="slept")

    def Remaining(self, request: Period, context: grpc.ServicerContext) -> Period:
        self.state.seen("Remaining")
        return Period(month=repr(context.time_remaining()))

    def Relay(self, request: Period, context: grpc.ServicerContext) -> Period:
        """Calls Remaining on the same server, asking for far more time than the inbound call has."""
        factory = self.state.downstream
        assert factory is not None
        method = unary(factory.channel(self.state.target), "Remaining")
        if request.month == "stub":
            return method(Period(), timeout=30)
        return factory.call(method, Period(), idempotent=True, timeout=30)

    def Count(self, request: Period, context: grpc.ServicerContext) -> Iterator[Period]:
        for index in range(int(request.month)):
            yield Period(month=str(index))

    def Explode(self, request: Period, context: grpc.ServicerContext) -> Iterator[Period]:
        yield Period(month="first")
        raise InvalidArgument.single("month", "too far in the future")

    def Collect(self, requests: Iterator[Period], context: grpc.ServicerContext) -> Period:
        return Period(month=",".join(r.month for r in requests))

    def Chat(self, requests: Iterator[Period], context: grpc.ServicerContext) -> Iterator[Period]:
        for request in requests:
            yield Period(month=request.month.upper())


def _add_echo(servicer: EchoServicer, server: grpc.Server) -> None:
    def uu(fn: Callable[..., Any]) -> grpc.RpcMethodHandler:
        return grpc.unary_unary_rpc_method_handler(
            fn, request_deserializer=Period.FromString, response_serializer=Period.SerializeToString
        )

    handlers = {
        name: uu(getattr(servicer, name))
        for name in (
            "Echo",
            "WhoAmI",
            "Reject",
            "Missing",
            "Boom",
            "Abort",
            "SetCode",
            "Flaky",
            "Slow",
            "Remaining",
            "Relay",
        )
    }
    codec = {"request_deserializer": Period.FromString, "response_serializer": Period.SerializeToString}
    handlers["Count"] = grpc.unary_stream_rpc_method_handler(servicer.Count, **codec)
    handlers["Explode"] = grpc.unary_stream_rpc_method_handler(servicer.Explode, **codec)
    handlers["Collect"] = grpc.stream_unary_rpc_method_handler(servicer.Collect, **codec)
    handlers["Chat"] = grpc.stream_stream_rpc_method_handler(servicer.Chat, **codec)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))


_CLIENT_CODEC: dict[str, Any] = {
    "request_serializer": Period.SerializeToString,
    "response_deserializer": Period.FromString,
}


def unary(channel: grpc.Channel, name: str) -> grpc.UnaryUnaryMultiCallable:
    return channel.unary_unary(f"/{SERVICE}/{name}", **_CLIENT_CODEC)


@dataclass
class Running:
    """A started server with a plain (unauthenticated) channel to it."""

    server: GrpcServer
    port: int
    state: EchoState
    channel: grpc.Channel
    settings: ServiceSettings

    service: str = SERVICE
    auth: tuple[tuple[str, str], ...] = AUTH
    token: str = TOKEN

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def rpc(self, name: str) -> grpc.UnaryUnaryMultiCallable:
        return unary(self.channel, name)

    def server_stream(self, name: str) -> grpc.UnaryStreamMultiCallable:
        return self.channel.unary_stream(f"/{SERVICE}/{name}", **_CLIENT_CODEC)

    def client_stream(self, name: str) -> grpc.StreamUnaryMultiCallable:
        return self.channel.stream_unary(f"/{SERVICE}/{name}", **_CLIENT_CODEC)

    def bidi_stream(self, name: str) -> grpc.StreamStreamMultiCallable:
        return self.channel.stream_stream(f"/{SERVICE}/{name}", **_CLIENT_CODEC)


@pytest.fixture
def start_echo() -> Iterator[Callable[..., Running]]:
    """Start an EchoService server with settings overrides; everything started is stopped after the test."""
    started: list[tuple[Running, ChannelFactory]] = []

    def start(**overrides: Any) -> Running:
        settings = make_settings(**overrides)
        state = EchoState()
        server = GrpcServer(settings, [GrpcServiceBinding(SERVICE, EchoServicer(state), _add_echo)])
        port = server.start()
        state.target = f"127.0.0.1:{port}"
        state.downstream = ChannelFactory(settings)
        running = Running(server, port, state, grpc.insecure_channel(state.target), settings)
        started.append((running, state.downstream))
        return running

    yield start
    for running, factory in started:
        running.channel.close()
        factory.close()
        running.server.stop(0)


@pytest.fixture(name="make_settings")
def make_settings_fixture() -> Callable[..., ServiceSettings]:
    """Test settings (token auth, port 0) with overrides."""
    return make_settings


@pytest.fixture
def echo(start_echo: Callable[..., Running]) -> Running:
    return start_echo()
