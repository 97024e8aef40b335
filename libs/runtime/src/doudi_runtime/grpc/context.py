"""Per-call context (request id, principal, inbound deadline) carried in contextvars.

The server's interceptor chain sets these for the duration of one call; log lines and outbound
calls made while handling it read them. Background workers (event consumers, the relay) may set
them too with :func:`call_scope` so their log lines and outbound calls carry the same context.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from doudi_runtime.authz.principal import Principal

_request_id: ContextVar[str | None] = ContextVar("doudi_request_id", default=None)
_principal: ContextVar[str | None] = ContextVar("doudi_principal", default=None)
_caller: ContextVar[Principal | None] = ContextVar("doudi_caller", default=None)
# Absolute time.monotonic() value; monotonic so a wall-clock step cannot stretch a deadline.
_deadline: ContextVar[float | None] = ContextVar("doudi_deadline", default=None)

_on_behalf_of: ContextVar[Principal | None] = ContextVar("doudi_on_behalf_of", default=None)

REQUEST_ID_KEY = "x-request-id"
#: Metadata a trusted doudi service sets to the JSON principal of the person it acts for.
ON_BEHALF_OF_KEY = "x-doudi-on-behalf-of"


def current_request_id() -> str | None:
    """The request id of the call being handled, if any."""
    return _request_id.get()


def current_principal() -> str | None:
    """Who is calling: a token's principal, a service named by its certificate, or "anonymous"."""
    return _principal.get()


def current_caller() -> Principal | None:
    """The full identity of the caller (role, region scope, scopes), set by the auth step."""
    return _caller.get()


def set_caller(value: Principal | None) -> None:
    _caller.set(value)
    _principal.set(None if value is None else value.name)


def current_deadline() -> float | None:
    """The inbound call's deadline as an absolute ``time.monotonic()`` value, or None."""
    return _deadline.get()


def remaining_time() -> float | None:
    """Seconds left before the inbound deadline (never negative), or None without one."""
    deadline = _deadline.get()
    if deadline is None:
        return None
    return max(deadline - time.monotonic(), 0.0)


def current_on_behalf_of() -> Principal | None:
    """The person outbound calls are made for (forwarded in ``ON_BEHALF_OF_KEY``), if any."""
    return _on_behalf_of.get()


@contextmanager
def acting_for(principal: Principal | None) -> Iterator[None]:
    """Make outbound calls in this block on behalf of ``principal`` (a person, never a service)."""
    token = _on_behalf_of.set(None if principal is None or principal.is_service else principal)
    try:
        yield
    finally:
        _on_behalf_of.reset(token)


def new_request_id() -> str:
    return uuid.uuid4().hex


def set_request_id(value: str | None) -> None:
    _request_id.set(value)


def set_principal(value: str | None) -> None:
    _principal.set(value)


def set_deadline(value: float | None) -> None:
    _deadline.set(value)


@contextmanager
def call_scope(
    *,
    request_id: str | None = None,
    principal: str | None = None,
    timeout: float | None = None,
) -> Iterator[None]:
    """Bind a request id, principal and deadline (``timeout`` seconds from now) for a block."""
    tokens = (
        _request_id.set(request_id),
        _principal.set(principal),
        _deadline.set(None if timeout is None else time.monotonic() + timeout),
    )
    try:
        yield
    finally:
        _deadline.reset(tokens[2])
        _principal.reset(tokens[1])
        _request_id.reset(tokens[0])
