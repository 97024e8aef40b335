"""The server interceptor chain: metrics → deadline → auth → logging → error mapping, around every call.

One ``grpc.ServerInterceptor`` wraps each handler (all four arities) and runs the steps as nested
scopes, outermost first, so e.g. the metrics step sees the status an auth rejection or the error
mapping produced. Each call runs in its own ``contextvars.Context`` so the request id, principal
and deadline of one call never leak into the next call served by the same pool thread.

The chain runs on every call, so it keeps its per-call work small: what depends only on the method
(its labelled metric series, its service and method names) is worked out once per method, steps
with nothing to do after the handler (:class:`EntryStep`) are plain calls rather than scopes, and the
scopes that remain are entered as nested ``with`` blocks, exactly as if written out by hand.
"""

from __future__ import annotations

import contextvars
import hmac
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from types import TracebackType
from typing import Any, NamedTuple

import grpc
from prometheus_client import Counter, Histogram

from doudi_common.errors import DomainError, InvalidArgument
from doudi_runtime.authz.principal import Principal, forwarded_principal, service_principal
from doudi_runtime.grpc import context as call_context
from doudi_runtime.grpc.context import current_deadline, current_principal, current_request_id
from doudi_runtime.grpc.errors import invalid_argument_status, status_code_for
from doudi_runtime.grpc.tls import certificate_service
from doudi_runtime.settings import ServiceSettings

__all__ = [
    "CallStep",
    "EntryStep",
    "ServerCall",
    "ServerInterceptor",
    "current_deadline",
    "current_principal",
    "current_request_id",
    "default_steps",
    "outcome_code",
    "server_metrics",
]

log = logging.getLogger("doudi_runtime.grpc.server")

HEALTH_METHOD_PREFIX = "/grpc.health.v1.Health/"
ANONYMOUS = "anonymous"
ON_BEHALF_OF_KEY = call_context.ON_BEHALF_OF_KEY
# A longer "remaining time" means the caller set no deadline (grpc reports an infinite one).
_NO_DEADLINE_THRESHOLD_S = 10 * 365 * 24 * 3600.0
# Caller-chosen request ids are echoed and logged, so only a harmless shape is accepted.
_REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
#: Methods whose metric series (and split names) are kept; a server has far fewer.
_MAX_CACHED_METHODS = 4096
#: Outcomes logged as errors: the server failed, not the caller.
_ERROR_CODES = frozenset({grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.DATA_LOSS})


@dataclass
class ServerCall:
    """What the steps know about the call being handled."""

    method: str
    rpc_type: str
    context: grpc.ServicerContext
    metadata: dict[str, str]
    started: float = field(default_factory=time.perf_counter)
    #: The request message of a call with one request (None for a request stream).
    request: Any = None
    #: The response message of a unary call once the handler returned it.
    response: Any = None

    @property
    def service(self) -> str:
        return _split_method(self.method)[0]

    @property
    def method_name(self) -> str:
        return _split_method(self.method)[1]

    def elapsed(self) -> float:
        return time.perf_counter() - self.started


@lru_cache(maxsize=_MAX_CACHED_METHODS)
def _split_method(full_method: str) -> tuple[str, str]:
    service, _, name = full_method.lstrip("/").partition("/")
    return service or "unknown", name or "unknown"


def outcome_code(context: grpc.ServicerContext, error: BaseException | None) -> grpc.StatusCode:
    """The status the call ends with, as grpc itself will decide it.

    grpc uses the code a handler set (``set_code`` or ``abort``) whether it returned or raised; an
    exception with no code set becomes UNKNOWN; a handler that returned after its client went away
    ended with CANCELLED or DEADLINE_EXCEEDED.
    """
    code = context.code()
    if isinstance(code, grpc.StatusCode):
        return code
    if error is not None:
        return grpc.StatusCode.CANCELLED if isinstance(error, GeneratorExit) else grpc.StatusCode.UNKNOWN
    if not context.is_active():
        remaining = context.time_remaining()
        if remaining is not None and remaining <= 0:
            return grpc.StatusCode.DEADLINE_EXCEEDED
        return grpc.StatusCode.CANCELLED
    return grpc.StatusCode.OK


class CallStep:
    """One link of the chain: a scope around the handler, plus per-message hooks."""

    def scope(self, call: ServerCall) -> AbstractContextManager[None]:
        raise NotImplementedError

    def message_received(self, call: ServerCall) -> None:
        """Called for every request message."""

    def message_sent(self, call: ServerCall) -> None:
        """Called for every response message."""


class EntryStep(CallStep):
    """A step that does its work as the call enters it, with nothing to do once the inner steps end.

    ``enter`` checks or records what it must (raising, e.g. through ``context.abort``, to refuse the
    call) and returns None, or, when it does need to stay around the rest of the call, a scope to
    enter for it. The chain calls ``enter`` directly, which costs far less than a scope per call;
    ``scope`` gives the same behaviour as a context manager, for code that drives one step.
    """

    def enter(self, call: ServerCall) -> AbstractContextManager[None] | None:
        raise NotImplementedError

    def scope(self, call: ServerCall) -> AbstractContextManager[None]:
        return _EntryScope(self, call)


class _EntryScope:
    """An :class:`EntryStep` as a context manager."""

    __slots__ = ("_call", "_rest", "_step")

    def __init__(self, step: EntryStep, call: ServerCall) -> None:
        self._step = step
        self._call = call
        self._rest: AbstractContextManager[None] | None = None

    def __enter__(self) -> None:
        rest = self._step.enter(self._call)
        if rest is not None:
            rest.__enter__()
            self._rest = rest

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool | None:
        if self._rest is None:
            return None
        return self._rest.__exit__(exc_type, exc, traceback)


# --------------------------------------------------------------------------------------------- metrics


@dataclass(frozen=True)
class ServerMetrics:
    """The go-grpc-prometheus server metrics, so the standard gRPC dashboards work unchanged."""

    started: Counter
    handled: Counter
    handling_seconds: Histogram
    msg_received: Counter
    msg_sent: Counter


_metrics: ServerMetrics | None = None
_metrics_lock = threading.Lock()


def server_metrics() -> ServerMetrics:
    """Register the metrics in the default registry once per process, on first use (not at import)."""
    global _metrics
    with _metrics_lock:
        if _metrics is None:
            labels = ("grpc_type", "grpc_service", "grpc_method")
            _metrics = ServerMetrics(
                started=Counter(
                    "grpc_server_started_total", "Total number of RPCs started on the server.", labels
                ),
                handled=Counter(
                    "grpc_server_handled_total",
                    "Total number of RPCs completed on the server, regardless of success or failure.",
                    (*labels, "grpc_code"),
                ),
                handling_seconds=Histogram(
                    "grpc_server_handling_seconds",
                    "Histogram of response latency (seconds) of gRPC that had been application-level "
                    "handled by the server.",
                    labels,
                ),
                msg_received=Counter(
                    "grpc_server_msg_received_total",
                    "Total number of RPC stream messages received on the server.",
                    labels,
                ),
                msg_sent=Counter(
                    "grpc_server_msg_sent_total",
                    "Total number of gRPC stream messages sent by the server.",
                    labels,
                ),
            )
        return _metrics


class _MethodSeries:
    """The labelled series of one (rpc type, service, method), looked up in the registry once."""

    __slots__ = (
        "_handled",
        "_handled_metric",
        "_labels",
        "handling_seconds",
        "msg_received",
        "msg_sent",
        "started",
    )

    def __init__(self, metrics: ServerMetrics, labels: tuple[str, str, str]) -> None:
        self._labels = labels
        self._handled_metric = metrics.handled
        self._handled: dict[grpc.StatusCode, Any] = {}
        self.started = metrics.started.labels(*labels)
        self.handling_seconds = metrics.handling_seconds.labels(*labels)
        self.msg_received = metrics.msg_received.labels(*labels)
        self.msg_sent = metrics.msg_sent.labels(*labels)

    def handled(self, code: grpc.StatusCode) -> Any:
        child = self._handled.get(code)
        if child is None:
            # At most one series per status code; a race only looks the same child up twice.
            child = self._handled[code] = self._handled_metric.labels(*self._labels, code.name)
        return child


class MetricsStep(CallStep):
    def __init__(self) -> None:
        self._metrics = server_metrics()
        self._series: dict[tuple[str, str], _MethodSeries] = {}

    def _series_for(self, call: ServerCall) -> _MethodSeries:
        key = (call.rpc_type, call.method)
        series = self._series.get(key)
        if series is None:
            series = _MethodSeries(self._metrics, (call.rpc_type, call.service, call.method_name))
            if len(self._series) < _MAX_CACHED_METHODS:
                self._series[key] = series
        return series

    def scope(self, call: ServerCall) -> AbstractContextManager[None]:
        return _MetricsScope(self._series_for(call), call)

    def message_received(self, call: ServerCall) -> None:
        self._series_for(call).msg_received.inc()

    def message_sent(self, call: ServerCall) -> None:
        self._series_for(call).msg_sent.inc()


class _MetricsScope:
    """Counts the call as started on entry; as handled, with its code and duration, on exit."""

    __slots__ = ("_call", "_series")

    def __init__(self, series: _MethodSeries, call: ServerCall) -> None:
        self._series = series
        self._call = call

    def __enter__(self) -> None:
        self._series.started.inc()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        call, series = self._call, self._series
        series.handled(outcome_code(call.context, exc)).inc()
        series.handling_seconds.observe(call.elapsed())


# -------------------------------------------------------------------------------------------- deadline


class DeadlineStep(EntryStep):
    """Refuse work nobody waits for any more; hand the deadline on to outbound calls."""

    def enter(self, call: ServerCall) -> None:
        remaining = call.context.time_remaining()
        if remaining is None or math.isinf(remaining) or remaining > _NO_DEADLINE_THRESHOLD_S:
            call_context.set_deadline(None)
        elif remaining <= 0:
            log.debug("deadline passed before handling", extra={"grpc_method": call.method})
            call.context.abort(
                grpc.StatusCode.DEADLINE_EXCEEDED, "deadline exceeded before the call was handled"
            )
        else:
            call_context.set_deadline(time.monotonic() + remaining)


# ------------------------------------------------------------------------------------------------ auth


class AuthStep(EntryStep):
    """Identify the caller: bearer token, a doudi service's certificate, or nobody (auth_mode=off only).

    With ``mtls`` a presented bearer token names the caller (a person or outside system; an invalid
    one is refused, never passed over); without one the certificate's service URI does
    (``doudi_runtime.grpc.tls``). A certificate that names no service admits the connection only.

    A doudi service may forward the person it acts for in the ``x-doudi-on-behalf-of`` header (the
    gateway does, for caseworkers); the header is honoured only from a service principal, and the
    person then is the caller every later step sees. From anyone else it is refused.
    """

    def __init__(self, settings: ServiceSettings) -> None:
        self._mode = settings.auth_mode
        # Encoded once; compare_digest on bytes avoids leaking a token's prefix through timing.
        self._tokens = [(token.encode(), who) for token, who in settings.token_identities().items()]
        # With auth_mode=off every caller is this one (immutable) principal.
        self._anonymous = service_principal(ANONYMOUS)

    def _token_principal(self, call: ServerCall) -> Principal | None:
        header = call.metadata.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        presented = token.strip().encode()
        principal = None
        for candidate, who in self._tokens:
            if hmac.compare_digest(candidate, presented):
                principal = who
        return principal

    @staticmethod
    def _certificate_principal(call: ServerCall) -> Principal | None:
        name = certificate_service(call.context.auth_context())
        return service_principal(name) if name else None

    def _reject(self, call: ServerCall, code: grpc.StatusCode, text: str) -> None:
        # The logging step runs inside this one, so a rejection is logged here or not at all.
        log.warning(
            "rejected an unauthenticated call"
            if code is grpc.StatusCode.UNAUTHENTICATED
            else "rejected a call on behalf of a user",
            extra={
                "grpc_method": call.method,
                "peer": call.context.peer(),
                "auth_mode": self._mode,
                "reason": text,
            },
        )
        call.context.abort(code, text)

    def enter(self, call: ServerCall) -> None:
        if call.method.startswith(HEALTH_METHOD_PREFIX):
            # Kubelet and load-balancer probes carry no credentials.
            call_context.set_caller(None)
            return
        if self._mode == "off":
            principal: Principal | None = self._anonymous
        elif self._mode == "mtls" and "authorization" not in call.metadata:
            principal = self._certificate_principal(call)
        else:
            principal = self._token_principal(call)
        if principal is None:
            self._reject(call, grpc.StatusCode.UNAUTHENTICATED, "missing or invalid credentials")
        assert principal is not None
        forwarded = call.metadata.get(ON_BEHALF_OF_KEY)
        if forwarded is not None:
            if not principal.is_service:
                self._reject(
                    call, grpc.StatusCode.PERMISSION_DENIED, "only doudi services may act on behalf of a user"
                )
            try:
                principal = forwarded_principal(forwarded, via=principal.name)
            except ValueError as exc:
                self._reject(call, grpc.StatusCode.UNAUTHENTICATED, f"invalid on-behalf-of header: {exc}")
        call_context.set_caller(principal)


# --------------------------------------------------------------------------------------------- logging


class LoggingStep(CallStep):
    """One structured line per call; the request id is taken from the caller or made, and echoed back."""

    @staticmethod
    def _request_id(call: ServerCall) -> str:
        given = call.metadata.get(call_context.REQUEST_ID_KEY, "")
        return given if _REQUEST_ID_PATTERN.match(given) else call_context.new_request_id()

    def scope(self, call: ServerCall) -> AbstractContextManager[None]:
        return _LoggingScope(call)


class _LoggingScope:
    """Sets the request id on entry; on exit echoes it and logs the call's outcome."""

    __slots__ = ("_call", "_request_id")

    def __init__(self, call: ServerCall) -> None:
        self._call = call
        self._request_id = ""

    def __enter__(self) -> None:
        self._request_id = LoggingStep._request_id(self._call)
        call_context.set_request_id(self._request_id)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        call = self._call
        _echo_request_id(call.context, self._request_id)
        code = outcome_code(call.context, exc)
        if call.method.startswith(HEALTH_METHOD_PREFIX):
            level = logging.DEBUG
        elif code in _ERROR_CODES:
            level = logging.ERROR
        else:
            level = logging.INFO
        if not log.isEnabledFor(level):
            return
        log.log(
            level,
            "grpc call %s %s",
            call.method,
            code.name,
            extra={
                "grpc_method": call.method,
                "grpc_type": call.rpc_type,
                "grpc_code": code.name,
                "duration_ms": round(call.elapsed() * 1000, 3),
                "peer": call.context.peer(),
            },
        )


def _echo_request_id(context: grpc.ServicerContext, request_id: str) -> None:
    # Merged, not set: a handler or abort_with_status may have put its own trailing metadata there.
    existing = tuple(context.trailing_metadata() or ())
    if not any(key == call_context.REQUEST_ID_KEY for key, _ in existing):
        context.set_trailing_metadata((*existing, (call_context.REQUEST_ID_KEY, request_id)))


# --------------------------------------------------------------------------------------- error mapping


class ErrorMappingStep(CallStep):
    """DomainError → its status code (INVALID_ARGUMENT with BadRequest details); anything else → INTERNAL."""

    def scope(self, call: ServerCall) -> AbstractContextManager[None]:
        return _ErrorMappingScope(call)


class _ErrorMappingScope:
    __slots__ = ("_call",)

    def __init__(self, call: ServerCall) -> None:
        self._call = call

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        """Answer a failure with its status (the abort raises); False lets the exception through."""
        if not isinstance(exc, Exception):
            return False
        call = self._call
        context = call.context
        if isinstance(exc, InvalidArgument):
            context.abort_with_status(invalid_argument_status(exc, tuple(context.trailing_metadata() or ())))
            return True
        if isinstance(exc, DomainError):
            context.abort(status_code_for(exc), exc.message)
            return True
        chosen = context.code()
        if isinstance(chosen, grpc.StatusCode) and chosen is not grpc.StatusCode.OK:
            # The handler chose its status (context.abort raises a bare Exception): keep it, but
            # never let grpc put the exception's text in the details.
            if context.details() is None:
                context.set_details(chosen.name.lower().replace("_", " "))
            if type(exc) is not Exception or exc.args:
                log.warning("error after the handler set %s in %s", chosen.name, call.method, exc_info=exc)
            return False
        request_id = call_context.current_request_id() or "-"
        log.error(
            "unhandled error in %s: %s",
            call.method,
            type(exc).__name__,
            exc_info=exc,
            extra={"grpc_method": call.method},
        )
        context.abort(grpc.StatusCode.INTERNAL, f"internal error (request id {request_id})")
        return True


# ----------------------------------------------------------------------------------------------- chain


def default_steps(settings: ServiceSettings, extra: Sequence[CallStep] = ()) -> list[CallStep]:
    """The chain every doudi server runs, outermost first; ``extra`` steps run innermost."""
    return [MetricsStep(), DeadlineStep(), AuthStep(settings), LoggingStep(), ErrorMappingStep(), *extra]


_NewCall = Callable[[grpc.ServicerContext], ServerCall]


class _Arity(NamedTuple):
    """How a handler of one arity is named, found and rebuilt."""

    rpc_type: str
    behavior: str
    make_handler: Callable[..., grpc.RpcMethodHandler]
    streamed_response: bool


_ARITIES = {
    (False, False): _Arity("unary", "unary_unary", grpc.unary_unary_rpc_method_handler, False),
    (True, False): _Arity("client_stream", "stream_unary", grpc.stream_unary_rpc_method_handler, False),
    (False, True): _Arity("server_stream", "unary_stream", grpc.unary_stream_rpc_method_handler, True),
    (True, True): _Arity("bidi_stream", "stream_stream", grpc.stream_stream_rpc_method_handler, True),
}

#: How the chain runs a step: a call returning None, or the scope to enter around the inner steps.
_Link = Callable[[ServerCall], AbstractContextManager[None] | None]


def _link(step: CallStep) -> _Link:
    if isinstance(step, EntryStep) and type(step).scope is EntryStep.scope:
        return step.enter
    return step.scope


def _overrides(step: CallStep, hook: str) -> bool:
    bound = getattr(step, hook)
    return getattr(bound, "__func__", None) is not getattr(CallStep, hook)


class ServerInterceptor(grpc.ServerInterceptor):
    """Runs the steps, outermost first, around every handler of every arity."""

    def __init__(self, steps: Sequence[CallStep]) -> None:
        self._steps = tuple(steps)
        self._links = tuple(_link(step) for step in self._steps)
        # Only the steps that count messages are called per message.
        steps = self._steps
        self._on_received = tuple(s.message_received for s in steps if _overrides(s, "message_received"))
        self._on_sent = tuple(s.message_sent for s in steps if _overrides(s, "message_sent"))

    @classmethod
    def for_settings(cls, settings: ServiceSettings, extra: Sequence[CallStep] = ()) -> ServerInterceptor:
        return cls(default_steps(settings, extra))

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        metadata = _metadata_dict(handler_call_details.invocation_metadata)
        arity = _ARITIES[(handler.request_streaming, handler.response_streaming)]
        rpc_type = arity.rpc_type

        def new_call(context: grpc.ServicerContext) -> ServerCall:
            return ServerCall(method=method, rpc_type=rpc_type, context=context, metadata=metadata)

        wrap = self._stream_response if arity.streamed_response else self._unary_response
        return arity.make_handler(
            wrap(getattr(handler, arity.behavior), new_call, handler.request_streaming),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    def _run(self, call: ServerCall, body: Callable[[], Any], start: int = 0) -> Any:
        """``body()`` inside the steps from ``start`` on: each scope a nested ``with``, outermost first.

        A step's link is called inside the scopes of the steps before it, so a step that refuses the
        call on entry still unwinds the outer ones, and each outer scope sees what the inner ones raised.
        """
        links = self._links
        for position in range(start, len(links)):
            rest = links[position](call)
            if rest is not None:
                with rest:
                    return self._run(call, body, position + 1)
                # A scope swallowed the failure: the handler produced no answer.
                return None
        return body()

    @contextmanager
    def _scopes(self, call: ServerCall) -> Iterator[None]:
        """The steps as one scope, for handlers that answer with a stream of messages."""
        with ExitStack() as stack:
            # Entered inside the stack, so a step that aborts on entry still unwinds the outer ones.
            for step in self._steps:
                stack.enter_context(step.scope(call))
            yield

    def _requests(self, call: ServerCall, request: Any, streaming: bool) -> Any:
        if not streaming:
            for received in self._on_received:
                received(call)
            return request

        def counted() -> Iterator[Any]:
            for item in request:
                for received in self._on_received:
                    received(call)
                yield item

        return counted()

    def _sent(self, call: ServerCall) -> None:
        for sent in self._on_sent:
            sent(call)

    def _unary_response(
        self, behavior: Callable[..., Any], new_call: _NewCall, streaming: bool
    ) -> Callable[[Any, grpc.ServicerContext], Any]:
        def handle(request: Any, context: grpc.ServicerContext) -> Any:
            call = new_call(context)
            call.request = None if streaming else request

            def answer() -> Any:
                response = behavior(self._requests(call, request, streaming), context)
                call.response = response
                self._sent(call)
                return response

            return contextvars.copy_context().run(self._run, call, answer)

        return handle

    def _stream_response(
        self, behavior: Callable[..., Any], new_call: _NewCall, streaming: bool
    ) -> Callable[..., Any]:
        if getattr(behavior, "experimental_non_blocking", False):
            return self._non_blocking_stream_response(behavior, new_call, streaming)

        def handle(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            call = new_call(context)
            call.request = None if streaming else request

            def responses() -> Iterator[Any]:
                with self._scopes(call):
                    for response in behavior(self._requests(call, request, streaming), context):
                        self._sent(call)
                        yield response

            return _isolated(responses())

        return handle

    def _non_blocking_stream_response(
        self, behavior: Callable[..., Any], new_call: _NewCall, streaming: bool
    ) -> Callable[..., None]:
        """Keep grpc's non-blocking form (health Watch) so an idle watcher holds no pool thread.

        The chain runs around the registration only: the call is counted and logged as handled
        when the handler returns, while its later messages are still counted as sent.
        """

        def handle(request: Any, context: grpc.ServicerContext, send_response: Callable[[Any], None]) -> None:
            call = new_call(context)
            call.request = None if streaming else request

            def counted_send(response: Any) -> None:
                if response is not None:
                    self._sent(call)
                send_response(response)

            def register() -> None:
                behavior(self._requests(call, request, streaming), context, counted_send)

            contextvars.copy_context().run(self._run, call, register)

        handle.experimental_non_blocking = True  # type: ignore[attr-defined]
        pool = getattr(behavior, "experimental_thread_pool", None)
        if pool is not None:
            handle.experimental_thread_pool = pool  # type: ignore[attr-defined]
        return handle


def _isolated(iterator: Iterator[Any]) -> Iterator[Any]:
    """Drive a generator step by step inside one private Context, so its contextvars stay its own."""
    ctx = contextvars.copy_context()
    try:
        while True:
            try:
                item = ctx.run(next, iterator)
            except StopIteration:
                return
            yield item
    finally:
        # If grpc drops the stream early the inner scopes still close, in their own Context.
        close = getattr(iterator, "close", None)
        if close is not None:
            ctx.run(close)


def _metadata_dict(metadata: Sequence[tuple[str, str | bytes]] | None) -> dict[str, str]:
    result: dict[str, str] = {}
    for key, value in metadata or ():
        if key.endswith("-bin") or isinstance(value, bytes):
            continue
        result.setdefault(key.lower(), value)
    return result
