"""The client retries only what is safe to retry, authenticates, and carries the request id."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest

from doudi.common.v1.types_pb2 import Period
from doudi_runtime.grpc.client import ChannelFactory
from doudi_runtime.grpc.context import call_scope

SERVICE = "doudi.test.v1.EchoService"


@pytest.fixture
def factory(echo: Any) -> Iterator[tuple[ChannelFactory, list[float]]]:
    delays: list[float] = []
    channels = ChannelFactory(echo.settings, backoff_base=0.01, sleep=delays.append)
    yield channels, delays
    channels.close()


def method(channels: ChannelFactory, target: str, name: str) -> grpc.UnaryUnaryMultiCallable:
    return channels.channel(target).unary_unary(
        f"/{SERVICE}/{name}",
        request_serializer=Period.SerializeToString,
        response_deserializer=Period.FromString,
    )


def test_an_idempotent_call_is_retried_on_unavailable(echo: Any, factory: Any) -> None:
    channels, delays = factory
    echo.state.unavailable_first = 2
    reply = channels.call(method(channels, echo.target, "Flaky"), Period(), idempotent=True, retries=3)
    assert reply.month == "ok"
    assert echo.state.calls["Flaky"] == 3
    assert len(delays) == 2


def test_a_non_idempotent_call_is_never_retried(echo: Any, factory: Any) -> None:
    channels, delays = factory
    echo.state.unavailable_first = 2
    with pytest.raises(grpc.RpcError) as caught:
        channels.call(method(channels, echo.target, "Flaky"), Period(), idempotent=False, retries=3)
    assert caught.value.code() is grpc.StatusCode.UNAVAILABLE
    assert echo.state.calls["Flaky"] == 1
    assert delays == []


def test_answers_other_than_unavailable_are_not_retried(echo: Any, factory: Any) -> None:
    channels, _ = factory
    with pytest.raises(grpc.RpcError) as caught:
        channels.call(method(channels, echo.target, "Reject"), Period(), idempotent=True)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert echo.state.calls["Reject"] == 1


def test_retries_stop_after_the_allowed_number(echo: Any, factory: Any) -> None:
    channels, delays = factory
    echo.state.unavailable_first = 10
    with pytest.raises(grpc.RpcError):
        channels.call(method(channels, echo.target, "Flaky"), Period(), idempotent=True, retries=2)
    assert echo.state.calls["Flaky"] == 3
    # Full jitter under an exponentially growing ceiling.
    assert 0 <= delays[0] <= 0.01 and 0 <= delays[1] <= 0.02


def test_an_unreachable_server_is_retried_when_idempotent(make_settings: Callable[..., Any]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    delays: list[float] = []
    channels = ChannelFactory(make_settings(), backoff_base=0.01, sleep=delays.append)
    try:
        with pytest.raises(grpc.RpcError) as caught:
            channels.call(method(channels, f"127.0.0.1:{port}", "Echo"), Period(), idempotent=True, retries=2)
        assert caught.value.code() is grpc.StatusCode.UNAVAILABLE
        assert len(delays) == 2
    finally:
        channels.close()


def test_the_client_token_and_request_id_travel_with_the_call(echo: Any, factory: Any) -> None:
    channels, _ = factory
    who = method(channels, echo.target, "WhoAmI")
    with call_scope(request_id="req-42"):
        assert channels.call(who, Period(), idempotent=True).month == "caller-a|req-42"
        assert who(Period()).month == "caller-a|req-42"
    principal, request_id = channels.call(who, Period(), idempotent=True).month.split("|")
    assert principal == "caller-a" and request_id not in ("", "None")


def test_token_mode_without_a_client_token_refuses_to_build_a_channel(
    make_settings: Callable[..., Any],
) -> None:
    with pytest.raises(ValueError, match="CLIENT_TOKEN"):
        ChannelFactory(make_settings(client_token=None)).channel("127.0.0.1:1")
