"""How the interceptor chain runs its steps, counts each method's calls and makes request ids."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import grpc
import pytest
from google.protobuf import struct_pb2
from google.protobuf.timestamp_pb2 import Timestamp
from prometheus_client import REGISTRY

from doudi.common.v1.types_pb2 import Period
from doudi.intake.v1 import intake_pb2
from doudi_common.errors import InvalidArgument
from doudi_runtime.grpc.context import current_request_id, new_request_id
from doudi_runtime.grpc.interceptors import CallStep, EntryStep, ServerCall, ServerInterceptor
from doudi_runtime.grpc.wellformed import check_well_formed, may_hold_violations
from doudi_runtime.testing.servicer_context import FakeServicerContext

SERVICE = "doudi.test.v1.ChainService"
AUTH = (("authorization", "Bearer t0k"),)


class Details:
    def __init__(self, method: str, metadata: tuple[tuple[str, str], ...] = AUTH) -> None:
        self.method = f"/{SERVICE}/{method}"
        self.invocation_metadata = metadata


def serve(
    interceptor: ServerInterceptor, method: str, behaviour: Any, context: FakeServicerContext | None = None
) -> Any:
    """One unary call of ``method`` through the interceptor, answered by ``behaviour``."""
    inner = grpc.unary_unary_rpc_method_handler(behaviour)
    handler = interceptor.intercept_service(lambda _details: inner, Details(method))
    assert handler is not None
    return handler.unary_unary(Period(month="2026-01"), context or FakeServicerContext())


class Recorder:
    def __init__(self) -> None:
        self.events: list[str] = []


class AroundStep(CallStep):
    """A step written as a scope, recording what it sees on the way in and out."""

    def __init__(self, name: str, recorder: Recorder) -> None:
        self._name = name
        self._events = recorder.events

    @contextmanager
    def scope(self, call: ServerCall) -> Iterator[None]:
        self._events.append(f"{self._name} in")
        try:
            yield
        except Exception as exc:
            self._events.append(f"{self._name} saw {type(exc).__name__}")
            raise
        finally:
            self._events.append(f"{self._name} out")


class CheckStep(EntryStep):
    """A step with nothing to do after the call; it refuses calls to ``refuse``."""

    def __init__(self, name: str, recorder: Recorder, refuse: str = "") -> None:
        self._name = name
        self._events = recorder.events
        self._refuse = refuse

    def enter(self, call: ServerCall) -> None:
        self._events.append(f"{self._name} checked {call.method_name}")
        if call.method_name == self._refuse:
            raise InvalidArgument.single("month", "refused")


class GuardStep(EntryStep):
    """A step that stays around the rest of the call only for some methods."""

    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder
        self._around = AroundStep("guard", recorder)

    def enter(self, call: ServerCall) -> AbstractContextManager[None] | None:
        self._recorder.events.append("guard entered")
        return self._around.scope(call) if call.method_name == "Guarded" else None


class CountingStep(CallStep):
    def __init__(self, recorder: Recorder) -> None:
        self._events = recorder.events

    @contextmanager
    def scope(self, call: ServerCall) -> Iterator[None]:
        yield

    def message_received(self, call: ServerCall) -> None:
        self._events.append(f"received {call.request.month}")

    def message_sent(self, call: ServerCall) -> None:
        self._events.append(f"sent {call.response.month}")


def answer(request: Period, _context: Any) -> Period:
    return Period(month=request.month)


def test_steps_enter_outermost_first_and_leave_innermost_first() -> None:
    recorder = Recorder()
    steps = [AroundStep("outer", recorder), CheckStep("check", recorder), GuardStep(recorder)]
    interceptor = ServerInterceptor([*steps, AroundStep("inner", recorder)])

    def handler(request: Period, _context: Any) -> Period:
        recorder.events.append("handler")
        return request

    serve(interceptor, "Guarded", handler)
    assert recorder.events == [
        "outer in",
        "check checked Guarded",
        "guard entered",
        "guard in",
        "inner in",
        "handler",
        "inner out",
        "guard out",
        "outer out",
    ]
    recorder.events.clear()
    serve(interceptor, "Plain", handler)
    assert recorder.events == [
        "outer in",
        "check checked Plain",
        "guard entered",
        "inner in",
        "handler",
        "inner out",
        "outer out",
    ]


def test_a_step_that_refuses_on_entry_unwinds_the_outer_steps_and_skips_the_rest() -> None:
    recorder = Recorder()
    interceptor = ServerInterceptor(
        [
            AroundStep("outer", recorder),
            CheckStep("check", recorder, refuse="Bad"),
            AroundStep("inner", recorder),
        ]
    )
    with pytest.raises(InvalidArgument):
        serve(interceptor, "Bad", answer)
    assert recorder.events == ["outer in", "check checked Bad", "outer saw InvalidArgument", "outer out"]


def test_an_entry_step_behaves_the_same_as_a_scope() -> None:
    recorder = Recorder()
    call = ServerCall(f"/{SERVICE}/Guarded", "unary", FakeServicerContext(), {})  # type: ignore[arg-type]
    with pytest.raises(RuntimeError), GuardStep(recorder).scope(call):
        recorder.events.append("body")
        raise RuntimeError("boom")
    assert recorder.events == ["guard entered", "guard in", "body", "guard saw RuntimeError", "guard out"]
    with pytest.raises(InvalidArgument), CheckStep("check", recorder, refuse="Guarded").scope(call):
        recorder.events.append("never")
    assert "never" not in recorder.events


def test_every_step_that_counts_messages_sees_each_request_and_response() -> None:
    recorder = Recorder()
    interceptor = ServerInterceptor(
        [CountingStep(recorder), CheckStep("check", recorder), CountingStep(recorder)]
    )
    assert serve(interceptor, "Echo", answer).month == "2026-01"
    assert recorder.events == [
        "check checked Echo",
        "received 2026-01",
        "received 2026-01",
        "sent 2026-01",
        "sent 2026-01",
    ]


def _series(name: str, method: str, **extra: str) -> float:
    labels = {"grpc_type": "unary", "grpc_service": SERVICE, "grpc_method": method, **extra}
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_each_method_and_outcome_is_counted_under_its_own_labels(make_settings: Any) -> None:
    interceptor = ServerInterceptor.for_settings(make_settings())
    names = ("grpc_server_started_total", "grpc_server_msg_received_total", "grpc_server_msg_sent_total")
    before = {(name, method): _series(name, method) for name in names for method in ("First", "Second")}
    handled_before = {
        (method, code): _series("grpc_server_handled_total", method, grpc_code=code)
        for method in ("First", "Second")
        for code in ("OK", "NOT_FOUND")
    }
    histogram_before = _series("grpc_server_handling_seconds_count", "First")

    def not_found(_request: Period, context: Any) -> Period:
        context.set_code(grpc.StatusCode.NOT_FOUND)
        return Period()

    for _ in range(3):
        serve(interceptor, "First", answer)
    serve(interceptor, "First", not_found)
    serve(interceptor, "Second", not_found)

    def grew(name: str, method: str) -> float:
        return _series(name, method) - before[(name, method)]

    assert [grew(name, "First") for name in names] == [4, 4, 4]
    assert [grew(name, "Second") for name in names] == [1, 1, 1]
    handled = {
        key: _series("grpc_server_handled_total", key[0], grpc_code=key[1]) - value
        for key, value in handled_before.items()
    }
    assert handled == {
        ("First", "OK"): 3,
        ("First", "NOT_FOUND"): 1,
        ("Second", "OK"): 0,
        ("Second", "NOT_FOUND"): 1,
    }
    assert _series("grpc_server_handling_seconds_count", "First") == histogram_before + 4


def test_the_call_line_follows_the_logger_level(make_settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    interceptor = ServerInterceptor.for_settings(make_settings())

    def fails(_request: Period, _context: Any) -> Period:
        raise RuntimeError("boom")

    def call_lines() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.getMessage().startswith(f"grpc call /{SERVICE}/")]

    with caplog.at_level(logging.WARNING, logger="doudi_runtime.grpc.server"):
        serve(interceptor, "Quiet", answer)
        with pytest.raises(Exception):  # noqa: B017 - context.abort raises a bare Exception, as grpc's does
            serve(interceptor, "Loud", fails)
    assert [(r.levelname, r.grpc_method, r.grpc_code) for r in call_lines()] == [  # type: ignore[attr-defined]
        ("ERROR", f"/{SERVICE}/Loud", "INTERNAL")
    ]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="doudi_runtime.grpc.server"):
        serve(interceptor, "Quiet", answer)
    assert [(r.levelname, r.grpc_code, r.peer) for r in call_lines()] == [  # type: ignore[attr-defined]
        ("INFO", "OK", "ipv4:127.0.0.1:1")
    ]


def test_a_call_without_a_request_id_gets_a_fresh_one_and_hears_it_back(make_settings: Any) -> None:
    seen: list[str | None] = []

    def remember(request: Period, _context: Any) -> Period:
        seen.append(current_request_id())
        return request

    interceptor = ServerInterceptor.for_settings(make_settings())
    contexts = [FakeServicerContext(), FakeServicerContext()]
    for context in contexts:
        serve(interceptor, "Echo", remember, context)
    assert len(set(seen)) == 2
    for request_id, context in zip(seen, contexts, strict=True):
        assert request_id is not None and uuid.UUID(hex=request_id).version == 4
        assert context.trailing_metadata() == (("x-request-id", request_id),)


def test_made_up_request_ids_are_distinct_random_uuids() -> None:
    ids = [new_request_id() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    for value in ids:
        parsed = uuid.UUID(hex=value)
        assert parsed.hex == value
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


def test_a_forked_process_makes_request_ids_of_its_own() -> None:
    new_request_id()  # the parent holds a block of random bytes when it forks
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        try:
            os.write(write_end, ",".join(new_request_id() for _ in range(300)).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as reader:
        child = set(reader.read().split(","))
    os.waitpid(pid, 0)
    parent = {new_request_id() for _ in range(300)}
    assert len(child) == 300
    assert not child & parent


def test_only_message_types_that_can_hold_a_bad_value_are_walked() -> None:
    assert not may_hold_violations(Period.DESCRIPTOR)
    assert not may_hold_violations(intake_pb2.GetApplicationRequest.DESCRIPTOR)
    assert may_hold_violations(Timestamp.DESCRIPTOR)
    # An enum reached only through nested messages, and a type that contains itself.
    assert may_hold_violations(intake_pb2.ResubmitApplicationRequest.DESCRIPTOR)
    assert may_hold_violations(struct_pb2.Struct.DESCRIPTOR)


def test_a_bad_value_deep_inside_a_request_is_still_found() -> None:
    request = intake_pb2.ResubmitApplicationRequest(application_id="a1")
    request.household.members.add().relation_to_applicant = 99  # type: ignore[assignment]
    with pytest.raises(InvalidArgument) as error:
        check_well_formed(request)
    assert [v.field for v in error.value.violations] == ["household.members[0].relation_to_applicant"]
