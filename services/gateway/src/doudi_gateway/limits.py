"""The gateway's abuse limits: 413 for a body over MAX_REQUEST_BYTES, 429 with Retry-After for a caller
over their rate (the runtime's token buckets, keyed by the caller's token, or by address without one)."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from prometheus_client import Counter

from doudi_gateway.errors import error_body
from doudi_runtime.grpc.limits import TokenBuckets

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

HTTP_LIMITED = Counter(
    "doudi_gateway_limited_requests_total",
    "HTTP requests the gateway refused by its abuse limits, by reason (rate, size).",
    ["reason"],
)
#: Paths probes call; never limited.
UNLIMITED_PATHS = frozenset({"/healthz"})


async def _answer(
    send: Send, status: int, body: dict[str, object], headers: list[tuple[bytes, bytes]]
) -> None:
    payload = json.dumps(body, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value)
    return None


def caller_key(scope: Scope) -> str:
    """Whom a request counts against: its bearer token (hashed, never kept), else its address."""
    scheme, _, token = (_header(scope, b"authorization") or b"").partition(b" ")
    if scheme.lower() == b"bearer" and token.strip():
        return "token:" + hashlib.sha256(token.strip()).hexdigest()
    client = scope.get("client") or ("unknown", 0)
    return f"address:{client[0]}"


class RequestLimits:
    """ASGI middleware: refuse oversized bodies (declared or streamed) and callers over their rate."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, buckets: TokenBuckets | None) -> None:
        self._app = app
        self._max_bytes = max_bytes
        self._buckets = buckets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in UNLIMITED_PATHS:
            await self._app(scope, receive, send)
            return
        if self._buckets is not None:
            wait = self._buckets.take(caller_key(scope))
            if wait > 0:
                HTTP_LIMITED.labels("rate").inc()
                seconds = max(1, math.ceil(wait))
                body = error_body("RESOURCE_EXHAUSTED", f"too many requests; retry in {seconds} s")
                await _answer(send, 429, body, [(b"retry-after", str(seconds).encode())])
                return
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self._max_bytes):
            await self._too_large(send)
            return
        # Read the body here, at most the limit, so a streamed (chunked) body is bounded too.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away: nobody to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self._max_bytes:
                await self._too_large(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replay: list[Message] = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def replayed() -> Message:
            return replay.pop() if replay else await receive()

        await self._app(scope, replayed, send)

    async def _too_large(self, send: Send) -> None:
        HTTP_LIMITED.labels("size").inc()
        text = f"the request body is larger than {self._max_bytes} bytes"
        await _answer(send, 413, error_body("RESOURCE_EXHAUSTED", text, [("body", text)]), [])
