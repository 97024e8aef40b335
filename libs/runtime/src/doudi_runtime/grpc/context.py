"""Per-call context (request id, principal, inbound deadline) carried in contextvars.

The server's interceptor chain sets these for the duration of one call; log lines and outbound
calls made while handling it read them. Background workers (event consumers, the relay) may set
them too with :func:`call_scope` so their log lines and outbound calls carry the same context.
"""

from __future__ import annotations

import os
import threading
import time
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


class _RandomIds:
    """Random (version 4) UUIDs as 32 hex digits, from ``os.urandom`` read 256 ids at a time.

    ``uuid.uuid4`` makes a system call per id, which releases the GIL on every call served; a
    block read keeps the same randomness at one system call per 256 ids. A forked child drops the
    inherited block, so parent and child never hand out the same ids.
    """

    _IDS_PER_READ = 256
    # The bits uuid.UUID(version=4) sets: variant 10xx (RFC 4122) and version 0100.
    _CLEAR = ~((0xC000 << 48) | (0xF000 << 64))
    _SET = (0x8000 << 48) | (4 << 76)

    def __init__(self) -> None:
        self._forget()
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._lock = threading.Lock()
        self._block = b""
        self._offset = 0

    def next(self) -> str:
        with self._lock:
            if self._offset >= len(self._block):
                self._block = os.urandom(16 * self._IDS_PER_READ)
                self._offset = 0
            start = self._offset
            self._offset = start + 16
            value = int.from_bytes(self._block[start : start + 16], "big")
        return f"{(value & self._CLEAR) | self._SET:032x}"


_random_ids = _RandomIds()


def new_request_id() -> str:
    """A fresh request id: a random (version 4) UUID as 32 lowercase hex digits."""
    return _random_ids.next()


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
