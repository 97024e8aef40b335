"""One structured, masked log line per call, carrying the service, request id and principal."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest

from doudi.common.v1.types_pb2 import Period
from doudi_runtime.grpc.context import call_scope
from doudi_runtime.logging import configure_logging

# A valid GB 11643 number (check character 'X') and a mobile number.
ID_NUMBER = "11010519491231002X"
PHONE = "13812345678"


@pytest.fixture
def log_lines(make_settings: Callable[..., Any]) -> Iterator[Callable[[], list[dict[str, Any]]]]:
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure_logging(make_settings(log_level="INFO"), stream=stream)

    def lines() -> list[dict[str, Any]]:
        return [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]

    yield lines
    root.removeHandler(handler)
    root.setLevel(level)


def test_each_call_logs_one_line_with_its_context(
    echo: Any, log_lines: Callable[[], list[dict[str, Any]]]
) -> None:
    echo.rpc("Echo")(Period(month="2026-01"), metadata=(*echo.auth, ("x-request-id", "req-7")), timeout=5)
    calls = [line for line in log_lines() if line.get("grpc_method", "").endswith("/Echo")]
    assert len(calls) == 1
    line = calls[0]
    assert line["service"] == "demo"
    assert line["request_id"] == "req-7"
    assert line["principal"] == "caller-a"
    assert line["grpc_code"] == "OK"
    assert line["duration_ms"] >= 0
    assert line["peer"].startswith("ipv4:127.0.0.1") or line["peer"].startswith("ipv6:")


def test_an_id_number_in_a_failing_request_is_masked_in_the_log(
    echo: Any, log_lines: Callable[[], list[dict[str, Any]]]
) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        echo.rpc("Boom")(Period(month=f"{ID_NUMBER} / {PHONE}"), metadata=echo.auth, timeout=5)
    assert ID_NUMBER not in caught.value.details()
    lines = log_lines()
    text = json.dumps(lines)
    assert ID_NUMBER not in text and ID_NUMBER[:-1] not in text
    assert PHONE not in text
    errors = [line for line in lines if line["level"] == "ERROR" and "exc" in line]
    assert errors, lines
    assert "RuntimeError" in errors[0]["exc"] and "store exploded" in errors[0]["exc"]
    assert errors[0]["request_id"] == dict(caught.value.trailing_metadata())["x-request-id"]
    call_lines = [line for line in lines if line.get("grpc_code") == "INTERNAL"]
    assert len(call_lines) == 1


def test_an_unauthenticated_call_is_logged_by_the_auth_step(
    echo: Any, log_lines: Callable[[], list[dict[str, Any]]]
) -> None:
    with pytest.raises(grpc.RpcError):
        echo.rpc("Echo")(Period(), metadata=(("authorization", "Bearer nope"),), timeout=5)
    rejected = [line for line in log_lines() if line["message"] == "rejected an unauthenticated call"]
    assert len(rejected) == 1
    assert "nope" not in json.dumps(rejected)


def test_console_format_and_out_of_call_context(make_settings: Callable[..., Any]) -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure_logging(make_settings(log_format="console"), stream=stream)
    try:
        with call_scope(request_id="job-1", principal="relay"):
            logging.getLogger("doudi.test").warning("citizen %s called from %s", ID_NUMBER, PHONE)
        logging.getLogger("doudi.test").info("no context here", extra={"batch": 3})
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    first, second = stream.getvalue().splitlines()[:2]
    assert "[demo job-1 relay]" in first and ID_NUMBER not in first and PHONE not in first
    assert "[demo - -]" in second and "batch=3" in second


def test_configuring_twice_replaces_the_handler(make_settings: Callable[..., Any]) -> None:
    root = logging.getLogger()
    level = root.level
    first = configure_logging(make_settings(), stream=io.StringIO())
    second = configure_logging(make_settings(), stream=io.StringIO())
    try:
        assert first not in root.handlers and second in root.handlers
    finally:
        root.removeHandler(second)
        root.setLevel(level)
