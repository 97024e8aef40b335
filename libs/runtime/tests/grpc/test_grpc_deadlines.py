"""Deadlines are honoured on the way in and handed on to every call made while handling."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import grpc
import pytest
from prometheus_client import REGISTRY

from doudi.common.v1.types_pb2 import Period
from doudi_runtime.grpc.client import ChannelFactory
from doudi_runtime.grpc.context import call_scope, current_deadline
from doudi_runtime.grpc.interceptors import ServerInterceptor
from doudi_runtime.testing.servicer_context import FakeServicerContext

SERVICE = "doudi.test.v1.EchoService"
WIRE_SLACK_S = 0.05


def test_a_call_that_waited_past_its_deadline_is_not_handled(start_echo: Callable[..., Any]) -> None:
    running = start_echo(grpc_max_workers=1)
    busy = running.rpc("Slow").future(Period(month="0.6"), metadata=running.auth, timeout=5)
    time.sleep(0.1)  # let Slow take the only worker
    with pytest.raises(grpc.RpcError) as caught:
        running.rpc("Echo")(Period(), metadata=running.auth, timeout=0.2)
    assert caught.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
    assert busy.result().month == "slept"
    time.sleep(0.1)
    assert running.state.calls["Echo"] == 0


def test_the_deadline_step_rejects_before_auth_and_handler(make_settings: Callable[..., Any]) -> None:
    invoked: list[Period] = []
    inner = grpc.unary_unary_rpc_method_handler(lambda request, context: invoked.append(request))
    details = type("Details", (), {"method": f"/{SERVICE}/Late", "invocation_metadata": ()})()
    handler = ServerInterceptor.for_settings(make_settings()).intercept_service(lambda _d: inner, details)
    labels = {
        "grpc_type": "unary",
        "grpc_service": SERVICE,
        "grpc_method": "Late",
        "grpc_code": "DEADLINE_EXCEEDED",
    }
    before = REGISTRY.get_sample_value("grpc_server_handled_total", labels) or 0.0
    context = FakeServicerContext(time_remaining=0.0, active=False)
    with pytest.raises(Exception):  # noqa: B017 - context.abort raises a bare Exception, as grpc's does
        handler.unary_unary(Period(), context)
    assert context.code() is grpc.StatusCode.DEADLINE_EXCEEDED
    assert invoked == []
    assert REGISTRY.get_sample_value("grpc_server_handled_total", labels) == before + 1


@pytest.mark.parametrize("via", ["call", "stub"])
def test_outbound_calls_never_outlive_the_inbound_deadline(echo: Any, via: str) -> None:
    # Relay asks for 30 s downstream while its own caller gives it 1 s. The deadline crosses two
    # hops on the wire (grpc-timeout rounds up, clocks are converted), hence a few ms of slack.
    reply = echo.rpc("Relay")(Period(month=via), metadata=echo.auth, timeout=1.0)
    assert 0 < float(reply.month) <= 1.0 + WIRE_SLACK_S


def test_the_timeout_handed_to_grpc_is_cut_to_the_inbound_deadline(make_settings: Callable[..., Any]) -> None:
    timeouts: list[float] = []

    def fake_method(request: Period, *, timeout: float, metadata: Any) -> Period:
        timeouts.append(timeout)
        return Period()

    factory = ChannelFactory(make_settings())
    with call_scope(timeout=0.3):
        deadline = current_deadline()
        assert deadline is not None
        factory.call(fake_method, Period(), idempotent=False, timeout=30)
        assert 0.25 < timeouts[0] <= 0.3
    factory.call(fake_method, Period(), idempotent=False)
    assert timeouts[1] == pytest.approx(5.0, abs=0.01)
    factory.call(fake_method, Period(), idempotent=False, timeout=30)
    assert timeouts[2] == pytest.approx(30, abs=0.01)


def test_outbound_calls_default_to_the_configured_deadline(start_echo: Callable[..., Any]) -> None:
    running = start_echo(default_deadline_ms=1500)
    factory = ChannelFactory(running.settings)
    try:
        method = factory.channel(running.target).unary_unary(
            f"/{SERVICE}/Remaining",
            request_serializer=Period.SerializeToString,
            response_deserializer=Period.FromString,
        )
        assert 1.0 < float(factory.call(method, Period(), idempotent=True).month) <= 1.5 + WIRE_SLACK_S
        # A plain stub call through the factory's channel gets the same default ...
        assert 1.0 < float(method(Period()).month) <= 1.5 + WIRE_SLACK_S
        # ... and an explicit timeout is kept when no inbound deadline is tighter.
        assert 2.5 < float(method(Period(), timeout=3).month) <= 3 + WIRE_SLACK_S
        with call_scope(timeout=0.5):
            assert current_deadline() is not None
            reply = factory.call(method, Period(), idempotent=True, timeout=10)
            assert float(reply.month) <= 0.5 + WIRE_SLACK_S
        assert current_deadline() is None
    finally:
        factory.close()


def test_an_already_spent_inbound_deadline_fails_fast(echo: Any) -> None:
    factory = ChannelFactory(echo.settings)
    try:
        method = factory.channel(echo.target).unary_unary(
            f"/{SERVICE}/Echo",
            request_serializer=Period.SerializeToString,
            response_deserializer=Period.FromString,
        )
        with call_scope(timeout=0.0), pytest.raises(grpc.RpcError) as caught:
            factory.call(method, Period(), idempotent=True)
        assert caught.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
        assert echo.state.calls["Echo"] == 0
    finally:
        factory.close()
