"""Domain errors become the right status codes; every outcome is counted under the standard metric names."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from prometheus_client import REGISTRY

from doudi.common.v1.types_pb2 import Period
from doudi_runtime.grpc.errors import field_violations_from
from doudi_runtime.metrics import start_metrics_server, stop_metrics_servers

SERVICE = "doudi.test.v1.EchoService"


def handled(method: str, code: str, grpc_type: str = "unary") -> float:
    labels = {"grpc_type": grpc_type, "grpc_service": SERVICE, "grpc_method": method, "grpc_code": code}
    return REGISTRY.get_sample_value("grpc_server_handled_total", labels) or 0.0


def sample(name: str, method: str, grpc_type: str = "unary") -> float:
    labels = {"grpc_type": grpc_type, "grpc_service": SERVICE, "grpc_method": method}
    return REGISTRY.get_sample_value(name, labels) or 0.0


def call_error(echo: Any, method: str, metadata: Any = None) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        metadata = echo.auth if metadata is None else metadata
        echo.rpc(method)(Period(month="2026-13"), metadata=metadata, timeout=5)
    return caught.value


def test_invalid_argument_carries_every_field_violation(echo: Any) -> None:
    error = call_error(echo, "Reject")
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field_violations_from(error) == [
        ("month", "must be YYYY-MM"),
        ("household.members[0].id_number", "checksum does not match"),
    ]
    assert "month" in error.details() and "household.members[0].id_number" in error.details()
    # The rich status replaced no other trailing metadata: the request id still comes back.
    assert "x-request-id" in dict(error.trailing_metadata())


def test_other_domain_errors_map_to_their_codes(echo: Any) -> None:
    error = call_error(echo, "Missing")
    assert error.code() is grpc.StatusCode.NOT_FOUND
    assert error.details() == "no such household"
    assert field_violations_from(error) == []


@pytest.mark.parametrize(
    ("error_name", "code"),
    [
        ("NotFound", grpc.StatusCode.NOT_FOUND),
        ("AlreadyExists", grpc.StatusCode.ALREADY_EXISTS),
        ("FailedPrecondition", grpc.StatusCode.FAILED_PRECONDITION),
        ("PermissionDenied", grpc.StatusCode.PERMISSION_DENIED),
        ("Unauthenticated", grpc.StatusCode.UNAUTHENTICATED),
        ("ResourceExhausted", grpc.StatusCode.RESOURCE_EXHAUSTED),
        ("Unavailable", grpc.StatusCode.UNAVAILABLE),
    ],
)
def test_every_domain_error_has_its_status_code(error_name: str, code: grpc.StatusCode) -> None:
    import doudi_common.errors as errors
    from doudi_runtime.grpc.errors import status_code_for

    assert status_code_for(getattr(errors, error_name)("x")) is code


def test_unexpected_exceptions_are_internal_without_their_text(echo: Any) -> None:
    error = call_error(echo, "Boom")
    assert error.code() is grpc.StatusCode.INTERNAL
    details = error.details()
    assert "Traceback" not in details and "RuntimeError" not in details and "exploded" not in details
    request_id = dict(error.trailing_metadata())["x-request-id"]
    assert request_id in details


def test_handled_total_counts_each_outcome_with_its_code(echo: Any) -> None:
    cases = [
        ("Echo", "OK", lambda: echo.rpc("Echo")(Period(), metadata=echo.auth, timeout=5)),
        ("Reject", "INVALID_ARGUMENT", lambda: call_error(echo, "Reject")),
        ("Abort", "NOT_FOUND", lambda: call_error(echo, "Abort")),
        ("SetCode", "FAILED_PRECONDITION", lambda: call_error(echo, "SetCode")),
        ("Boom", "INTERNAL", lambda: call_error(echo, "Boom")),
        ("Echo", "UNAUTHENTICATED", lambda: call_error(echo, "Echo", metadata=())),
    ]
    for method, code, make_call in cases:
        before = handled(method, code)
        started = sample("grpc_server_started_total", method)
        make_call()
        assert handled(method, code) == before + 1, (method, code)
        assert sample("grpc_server_started_total", method) == started + 1
    assert sample("grpc_server_handling_seconds_count", "Echo") >= 2


def test_abort_and_set_code_reach_the_caller_unchanged(echo: Any) -> None:
    aborted = call_error(echo, "Abort")
    assert (aborted.code(), aborted.details()) == (grpc.StatusCode.NOT_FOUND, "gone")
    coded = call_error(echo, "SetCode")
    assert (coded.code(), coded.details()) == (grpc.StatusCode.FAILED_PRECONDITION, "wrong state")


def test_streams_count_messages_each_way(echo: Any) -> None:
    sent = sample("grpc_server_msg_sent_total", "Count", "server_stream")
    ok = handled("Count", "OK", "server_stream")
    assert len(list(echo.server_stream("Count")(Period(month="4"), metadata=echo.auth, timeout=5))) == 4
    assert sample("grpc_server_msg_sent_total", "Count", "server_stream") == sent + 4
    assert handled("Count", "OK", "server_stream") == ok + 1

    received = sample("grpc_server_msg_received_total", "Chat", "bidi_stream")
    replies = echo.bidi_stream("Chat")(iter([Period(month="a")] * 3), metadata=echo.auth, timeout=5)
    assert len(list(replies)) == 3
    assert sample("grpc_server_msg_received_total", "Chat", "bidi_stream") == received + 3

    received = sample("grpc_server_msg_received_total", "Collect", "client_stream")
    echo.client_stream("Collect")(iter([Period(month="a")] * 2), metadata=echo.auth, timeout=5)
    assert sample("grpc_server_msg_received_total", "Collect", "client_stream") == received + 2


def test_a_domain_error_in_the_middle_of_a_stream_is_mapped(echo: Any) -> None:
    before = handled("Explode", "INVALID_ARGUMENT", "server_stream")
    received: list[str] = []
    with pytest.raises(grpc.RpcError) as caught:
        for item in echo.server_stream("Explode")(Period(), metadata=echo.auth, timeout=5):
            received.append(item.month)
    assert received == ["first"]
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field_violations_from(caught.value) == [("month", "too far in the future")]
    assert handled("Explode", "INVALID_ARGUMENT", "server_stream") == before + 1


@pytest.fixture
def metrics_port() -> Iterator[int]:
    yield start_metrics_server("127.0.0.1", 0)
    stop_metrics_servers()


def test_metrics_endpoint_exposes_the_grpc_metrics(echo: Any, metrics_port: int) -> None:
    echo.rpc("Echo")(Period(), metadata=echo.auth, timeout=5)
    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5) as response:
        body = response.read().decode()
    assert "grpc_server_handled_total{" in body
    assert 'grpc_code="OK"' in body
    assert "grpc_server_handling_seconds_bucket{" in body
    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/healthz", timeout=5) as response:
        assert response.status == 200


def test_metric_labels_never_carry_request_content(echo: Any, metrics_port: int) -> None:
    call_error(echo, "Boom")
    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5) as response:
        body = response.read().decode()
    assert "2026-13" not in body


def test_unknown_methods_are_unimplemented(echo: Any) -> None:
    error = call_error(echo, "NoSuchMethod")
    assert error.code() is grpc.StatusCode.UNIMPLEMENTED
