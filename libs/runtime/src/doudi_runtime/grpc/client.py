"""Outbound gRPC: authenticated channels that carry the request id and honour the inbound deadline.

Retry rule (``ChannelFactory.call``): a call is retried only when the caller says it is
idempotent — a read, or a mutating RPC that carries a client ``request_id`` the server dedupes on
(every mutating doudi RPC does; see ARCHITECTURE "Contracts") — and only when it failed with
UNAVAILABLE (the server could not be reached or is shedding load) or DEADLINE_EXCEEDED (an attempt
timed out while time is still left in our own budget). Any other code is an answer, not a fault,
and is never retried. A non-idempotent call is never retried, even on UNAVAILABLE: the first
attempt may have taken effect before the connection broke. Attempts back off exponentially with
full jitter, and all attempts together stay within one deadline: the timeout asked for (default
``DEFAULT_DEADLINE_MS``), cut short by whatever remains of the call being handled.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import namedtuple
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import grpc

from doudi_runtime.grpc import context as call_context
from doudi_runtime.grpc.tls import channel_credentials
from doudi_runtime.settings import ServiceSettings

log = logging.getLogger(__name__)

RETRYABLE_CODES = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})

ResponseT = TypeVar("ResponseT")
Metadata = Sequence[tuple[str, str | bytes]]


class _CallDetails(
    namedtuple(
        "_CallDetails", ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression")
    ),
    grpc.ClientCallDetails,
):
    pass


class DeadlineAlreadySpent(grpc.RpcError, grpc.Call):
    """DEADLINE_EXCEEDED raised locally: no time is left, so the call is not sent at all.

    grpc itself is lenient with deadlines a few microseconds in the past, so the client does not
    leave this to it; the error looks like any other failed call to the code that catches it.
    """

    def __init__(self) -> None:
        super().__init__("no time is left before the deadline; the call was not made")

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.DEADLINE_EXCEEDED

    def details(self) -> str:
        return "no time is left before the deadline; the call was not made"

    def initial_metadata(self) -> tuple[()]:
        return ()

    def trailing_metadata(self) -> tuple[()]:
        return ()

    def is_active(self) -> bool:
        return False

    def time_remaining(self) -> float:
        return 0.0

    def cancel(self) -> bool:
        return False

    def add_callback(self, callback: Callable[[], None]) -> bool:
        return False


def clamp_timeout(timeout: float | None) -> float | None:
    """``timeout`` cut to what is left of the inbound deadline; None only if both are None.

    Raises DeadlineAlreadySpent when nothing is left.
    """
    remaining = call_context.remaining_time()
    if remaining is None:
        return timeout
    if remaining <= 0:
        raise DeadlineAlreadySpent()
    return remaining if timeout is None else min(timeout, remaining)


class ContextClientInterceptor(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Adds the bearer token, the request id and the person acted for (``acting_for``), and keeps
    every call inside the inbound deadline.

    Unary calls made without a timeout get ``default_timeout``, so a forgotten timeout cannot hang
    a handler; streams (which may be long-lived by design) are only cut to the inbound deadline.
    """

    def __init__(self, token: str | None, default_timeout: float) -> None:
        self._authorization = f"Bearer {token}" if token else None
        self._default_timeout = default_timeout

    def _details(self, details: grpc.ClientCallDetails, unary: bool) -> _CallDetails:
        metadata = list(details.metadata or ())
        keys = {key.lower() for key, _ in metadata}
        if self._authorization is not None and "authorization" not in keys:
            metadata.append(("authorization", self._authorization))
        request_id = call_context.current_request_id()
        if request_id is not None and call_context.REQUEST_ID_KEY not in keys:
            metadata.append((call_context.REQUEST_ID_KEY, request_id))
        person = call_context.current_on_behalf_of()
        if person is not None and call_context.ON_BEHALF_OF_KEY not in keys:
            metadata.append((call_context.ON_BEHALF_OF_KEY, person.to_json()))
        timeout = details.timeout
        if timeout is None and unary:
            timeout = self._default_timeout
        return _CallDetails(
            details.method,
            clamp_timeout(timeout),
            metadata,
            details.credentials,
            details.wait_for_ready,
            getattr(details, "compression", None),
        )

    def intercept_unary_unary(self, continuation: Callable[..., Any], details: Any, request: Any) -> Any:
        return continuation(self._details(details, unary=True), request)

    def intercept_unary_stream(self, continuation: Callable[..., Any], details: Any, request: Any) -> Any:
        return continuation(self._details(details, unary=False), request)

    def intercept_stream_unary(
        self, continuation: Callable[..., Any], details: Any, request_iterator: Any
    ) -> Any:
        return continuation(self._details(details, unary=False), request_iterator)

    def intercept_stream_stream(
        self, continuation: Callable[..., Any], details: Any, request_iterator: Any
    ) -> Any:
        return continuation(self._details(details, unary=False), request_iterator)


class ChannelFactory:
    """Channels to other doudi services (and adapters), authenticated the way the settings say.

    Channels are cached per target and shared by threads (grpc channels are thread-safe); nothing
    connects until the first call.
    """

    def __init__(
        self,
        settings: ServiceSettings,
        *,
        backoff_base: float = 0.05,
        backoff_cap: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._settings = settings
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._sleep = sleep
        self._channels: dict[str, grpc.Channel] = {}
        self._lock = threading.Lock()

    @property
    def default_timeout(self) -> float:
        return self._settings.default_deadline_ms / 1000

    def _token(self) -> str | None:
        """The bearer token outbound calls carry: required with AUTH_MODE=token; with mtls the
        certificate names this service, and a CLIENT_TOKEN is sent only when one is set."""
        settings = self._settings
        if settings.auth_mode == "off":
            return None
        if settings.client_token is None:
            if settings.auth_mode == "token":
                raise ValueError("AUTH_MODE=token needs CLIENT_TOKEN for outbound calls")
            return None
        return settings.client_token.get_secret_value()

    def _build(self, target: str) -> grpc.Channel:
        token = self._token()
        if self._settings.transport_security == "off":
            channel = grpc.insecure_channel(target)
        else:
            channel = grpc.secure_channel(target, channel_credentials(self._settings))
        return grpc.intercept_channel(channel, ContextClientInterceptor(token, self.default_timeout))

    def channel(self, target: str) -> grpc.Channel:
        """The shared channel to ``target`` ("host:port")."""
        with self._lock:
            channel = self._channels.get(target)
            if channel is None:
                channel = self._channels[target] = self._build(target)
            return channel

    def close(self) -> None:
        with self._lock:
            channels, self._channels = list(self._channels.values()), {}
        for channel in channels:
            channel.close()

    def call(
        self,
        method: Callable[..., ResponseT],
        request: Any,
        *,
        idempotent: bool,
        timeout: float | None = None,
        retries: int = 3,
        metadata: Metadata = (),
    ) -> ResponseT:
        """Call a unary method (a stub attribute) under one deadline; retry as the module docstring says.

        ``retries`` is the number of attempts after the first; it is ignored unless ``idempotent``.
        Every attempt carries the same ``x-request-id`` so the callee's logs tie them together.
        """
        budget = self.default_timeout if timeout is None else timeout
        deadline = time.monotonic() + budget
        inbound = call_context.current_deadline()
        if inbound is not None:
            deadline = min(deadline, inbound)
        request_id = call_context.current_request_id() or call_context.new_request_id()
        call_metadata = [(k, v) for k, v in metadata if k.lower() != call_context.REQUEST_ID_KEY]
        call_metadata.append((call_context.REQUEST_ID_KEY, request_id))
        attempts = 1 + (max(retries, 0) if idempotent else 0)
        attempt = 0
        while True:
            attempt += 1
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DeadlineAlreadySpent()
            try:
                return method(request, timeout=remaining, metadata=call_metadata)
            except grpc.RpcError as error:
                code = error.code() if isinstance(error, grpc.Call) else None
                if attempt >= attempts or code not in RETRYABLE_CODES:
                    raise
                ceiling = min(self._backoff_cap, self._backoff_base * 2 ** (attempt - 1))
                delay = random.uniform(0, ceiling)
                if time.monotonic() + delay >= deadline:
                    raise
                log.info(
                    "retrying an idempotent call",
                    extra={"attempt": attempt, "grpc_code": code.name if code else None, "backoff_s": delay},
                )
                self._sleep(delay)
