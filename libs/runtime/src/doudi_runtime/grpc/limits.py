"""Abuse limits on every gRPC API: a token bucket per caller and a largest request, both from settings.

People and outside systems (and people a service acts for) each get ``RATE_LIMIT_PER_SECOND`` calls a
second with bursts up to ``RATE_LIMIT_BURST``; doudi's own services are not limited, since their load
is their callers' and is limited there. A request larger than ``MAX_REQUEST_BYTES`` is refused from
anyone. Both answer RESOURCE_EXHAUSTED with a ``google.rpc.RetryInfo`` detail and a ``retry-after-ms``
trailer (rate), and count the refusal in ``doudi_grpc_limited_requests_total``. ``RATE_LIMIT=off``
(only when set explicitly) turns the rate limit off; the size limit always holds.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status
from prometheus_client import Counter

from doudi_runtime.grpc import context as call_context
from doudi_runtime.grpc.errors import RichStatus
from doudi_runtime.grpc.interceptors import HEALTH_METHOD_PREFIX, CallStep, EntryStep, ServerCall
from doudi_runtime.grpc.wellformed import WellFormedStep
from doudi_runtime.settings import ServiceSettings

log = logging.getLogger("doudi_runtime.grpc.limits")

RETRY_AFTER_KEY = "retry-after-ms"
#: Callers whose buckets are kept; the least recently seen is forgotten first (it refills anyway).
MAX_TRACKED_CALLERS = 10_000

_limited: Counter | None = None
_limited_lock = threading.Lock()


def limited_requests() -> Counter:
    """``doudi_grpc_limited_requests_total{grpc_service, grpc_method, reason}``, registered on first use."""
    global _limited
    with _limited_lock:
        if _limited is None:
            _limited = Counter(
                "doudi_grpc_limited_requests_total",
                "Requests refused by the abuse limits, by reason (rate, size).",
                ("grpc_service", "grpc_method", "reason"),
            )
        return _limited


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """One token bucket per caller key: ``rate`` tokens a second, holding at most ``burst``.

    ``take(key)`` returns 0.0 when the call may go ahead, else the seconds until a token is there.
    Thread-safe; at most ``max_keys`` buckets are kept.
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        max_keys: int = MAX_TRACKED_CALLERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a token bucket needs a positive rate and a burst of at least 1")
        self._rate = rate
        self._burst = float(burst)
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        now = self._clock()
        with self._lock:
            bucket = self._buckets.pop(key, None)
            if bucket is None:
                bucket = _Bucket(self._burst, now)
            else:
                bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
                bucket.updated = now
            self._buckets[key] = bucket
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self._rate


def retry_after_ms(wait_seconds: float) -> int:
    """The whole milliseconds a refused caller should wait (at least 1)."""
    return max(1, math.ceil(wait_seconds * 1000))


def _exhausted(message: str, trailing: tuple[tuple[str, str | bytes], ...], wait: float | None) -> RichStatus:
    details = []
    if wait is not None:
        delay = duration_pb2.Duration()
        delay.FromMilliseconds(retry_after_ms(wait))
        detail = any_pb2.Any()
        detail.Pack(error_details_pb2.RetryInfo(retry_delay=delay))
        details.append(detail)
    status = rpc_status.to_status(
        status_pb2.Status(code=grpc.StatusCode.RESOURCE_EXHAUSTED.value[0], message=message, details=details)
    )
    return RichStatus(status.code, status.details, trailing + tuple(status.trailing_metadata))


class LimitsStep(EntryStep):
    """Refuses oversized requests, and callers over their rate, before anything else works on them."""

    def __init__(self, settings: ServiceSettings) -> None:
        self._max_bytes = settings.max_request_bytes
        self._buckets = (
            TokenBuckets(settings.rate_limit_per_second, settings.rate_limit_burst)
            if settings.rate_limit == "on"
            else None
        )
        self._counter = limited_requests()

    def _refuse(self, call: ServerCall, reason: str, message: str, wait: float | None) -> None:
        self._counter.labels(call.service, call.method_name, reason).inc()
        trailing = tuple(call.context.trailing_metadata() or ())
        if wait is not None:
            trailing = (*trailing, (RETRY_AFTER_KEY, str(retry_after_ms(wait))))
        call.context.abort_with_status(_exhausted(message, trailing, wait))

    def enter(self, call: ServerCall) -> None:
        if call.method.startswith(HEALTH_METHOD_PREFIX):
            return
        if isinstance(call.request, Message):
            size = call.request.ByteSize()
            if size > self._max_bytes:
                text = f"the request has {size} bytes; at most {self._max_bytes} are accepted"
                self._refuse(call, "size", text, None)
        caller = call_context.current_caller()
        if self._buckets is not None and caller is not None and not caller.is_service:
            wait = self._buckets.take(f"{caller.role.value}:{caller.org}:{caller.name}")
            if wait > 0:
                log.warning("rate limit reached", extra={"grpc_method": call.method, "caller": caller.name})
                self._refuse(call, "rate", f"too many requests; retry in {retry_after_ms(wait)} ms", wait)


def limit_steps(settings: ServiceSettings) -> list[CallStep]:
    """The steps every server runs right after authentication: abuse limits, then well-formedness."""
    return [LimitsStep(settings), WellFormedStep()]
