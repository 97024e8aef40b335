"""The server serves health and reflection, and admits only authenticated callers (health excepted)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from doudi.common.v1.types_pb2 import Period
from doudi_runtime.grpc.server import GrpcServer
from doudi_runtime.settings import ServiceSettings

SERVICE = "doudi.test.v1.EchoService"
TOKEN = "t0k"
AUTH = (("authorization", f"Bearer {TOKEN}"),)

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def _health(running: Any, service: str) -> int:
    stub = health_pb2_grpc.HealthStub(running.channel)
    return stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status


def _listed_services(running: Any, metadata: tuple[tuple[str, str], ...]) -> list[str]:
    stub = reflection_pb2_grpc.ServerReflectionStub(running.channel)
    responses = stub.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")]), metadata=metadata, timeout=5
    )
    return [s.name for response in responses for s in response.list_services_response.service]


def test_health_is_serving_for_the_server_and_each_api_without_a_token(echo: Any) -> None:
    assert _health(echo, "") == SERVING
    assert _health(echo, SERVICE) == SERVING


def test_health_reports_unknown_services_as_not_found(echo: Any) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        _health(echo, "doudi.test.v1.NoSuchService")
    assert caught.value.code() is grpc.StatusCode.NOT_FOUND


def test_set_serving_false_drains(echo: Any) -> None:
    echo.server.set_serving(False)
    assert _health(echo, "") == NOT_SERVING
    assert _health(echo, SERVICE) == NOT_SERVING
    echo.server.set_serving(True)
    assert _health(echo, SERVICE) == SERVING


def test_health_watchers_hold_no_worker_thread(start_echo: Callable[..., Any]) -> None:
    running = start_echo(grpc_max_workers=1)
    stub = health_pb2_grpc.HealthStub(running.channel)
    watch = stub.Watch(health_pb2.HealthCheckRequest(service=SERVICE), timeout=5)
    try:
        assert next(watch).status == SERVING
        # With one worker, a Check (and a normal call) still gets through while the Watch is open.
        assert _health(running, "") == SERVING
        assert running.rpc("Echo")(Period(month="x"), metadata=AUTH, timeout=5).month == "x"
        running.server.set_serving(False)
        assert next(watch).status == NOT_SERVING
    finally:
        watch.cancel()


def test_reflection_lists_the_apis_health_and_itself(echo: Any) -> None:
    names = _listed_services(echo, AUTH)
    assert SERVICE in names
    assert "grpc.health.v1.Health" in names
    assert "grpc.reflection.v1alpha.ServerReflection" in names


def test_reflection_is_not_exempt_from_auth(echo: Any) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        _listed_services(echo, ())
    assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize(
    "metadata",
    [
        (),
        (("authorization", "Bearer wrong"),),
        (("authorization", TOKEN),),
        (("authorization", "Basic t0k"),),
    ],
    ids=["no-token", "wrong-token", "no-scheme", "wrong-scheme"],
)
def test_calls_without_a_valid_token_are_unauthenticated(
    echo: Any, metadata: tuple[tuple[str, str], ...]
) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        echo.rpc("Echo")(Period(month="2026-01"), metadata=metadata, timeout=5)
    assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED
    assert TOKEN not in (caught.value.details() or "")
    assert echo.state.calls["Echo"] == 0


def test_a_good_token_names_the_principal(echo: Any) -> None:
    assert echo.rpc("Echo")(Period(month="2026-01"), metadata=AUTH, timeout=5).month == "2026-01"
    who = echo.rpc("WhoAmI")(Period(), metadata=(*AUTH, ("x-request-id", "req-1")), timeout=5)
    assert who.month == "caller-a|req-1"


def test_auth_off_makes_every_caller_anonymous(start_echo: Callable[..., Any]) -> None:
    running = start_echo(auth_mode="off", auth_tokens=None, client_token=None)
    who = running.rpc("WhoAmI")(Period(), timeout=5)
    assert who.month.startswith("anonymous|")


def test_the_request_id_is_echoed_back_or_made_up(echo: Any) -> None:
    _, call = echo.rpc("Echo").with_call(Period(), metadata=(*AUTH, ("x-request-id", "abc-123")), timeout=5)
    assert ("x-request-id", "abc-123") in tuple(call.trailing_metadata())
    # A value that could smuggle text into logs is replaced by a fresh id.
    _, call = echo.rpc("Echo").with_call(Period(), metadata=(*AUTH, ("x-request-id", 'a b "c"')), timeout=5)
    echoed = dict(call.trailing_metadata())["x-request-id"]
    assert echoed and " " not in echoed


def test_streaming_handlers_of_every_arity_pass_through_the_chain(echo: Any) -> None:
    count = echo.server_stream("Count")
    assert [p.month for p in count(Period(month="3"), metadata=AUTH, timeout=5)] == ["0", "1", "2"]
    collect = echo.client_stream("Collect")
    months = iter([Period(month="a"), Period(month="b")])
    assert collect(months, metadata=AUTH, timeout=5).month == "a,b"
    chat = echo.bidi_stream("Chat")
    replies = chat(iter([Period(month="x"), Period(month="y")]), metadata=AUTH, timeout=5)
    assert [p.month for p in replies] == ["X", "Y"]
    with pytest.raises(grpc.RpcError) as caught:
        list(count(Period(month="1"), timeout=5))
    assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED


def test_start_twice_and_duplicate_bindings_are_refused(
    echo: Any, make_settings: Callable[..., ServiceSettings]
) -> None:
    with pytest.raises(RuntimeError):
        echo.server.start()
    binding = echo.server._bindings[0]
    with pytest.raises(ValueError, match="duplicate"):
        GrpcServer(make_settings(), [binding, binding])


def test_stop_ends_wait(echo: Any) -> None:
    assert echo.server.wait(timeout=0.05) is False
    echo.server.stop(0)
    assert echo.server.wait(timeout=5) is True


def test_a_port_in_use_is_a_start_up_error(echo: Any, make_settings: Callable[..., ServiceSettings]) -> None:
    clash = GrpcServer(make_settings(grpc_port=echo.port), [])
    with pytest.raises(RuntimeError, match="could not bind"):
        clash.start()
