"""A stand-in for ``grpc.ServicerContext``: enough of one to run doudi's server chain without a network."""

from __future__ import annotations

import grpc


class FakeServicerContext:
    """Records the code, details and trailing metadata a call ends with; ``abort`` raises as gRPC's does.

    ``time_remaining`` is the caller's deadline as the server would see it (0 or less: it has passed), and
    ``active`` whether the caller is still waiting."""

    def __init__(self, *, time_remaining: float = 5.0, active: bool = True) -> None:
        self._time_remaining = time_remaining
        self._active = active
        self._code: grpc.StatusCode | None = None
        self._details: str | None = None
        self._trailing: tuple[tuple[str, str], ...] = ()

    def time_remaining(self) -> float:
        return self._time_remaining

    def abort(self, code: grpc.StatusCode, details: str) -> None:
        self._code, self._details = code, details
        raise Exception()

    def abort_with_status(self, status: grpc.Status) -> None:
        self.abort(status.code, status.details)

    def code(self) -> grpc.StatusCode | None:
        return self._code

    def set_code(self, code: grpc.StatusCode) -> None:
        self._code = code

    def details(self) -> str | None:
        return self._details

    def set_details(self, details: str) -> None:
        self._details = details

    def is_active(self) -> bool:
        return self._active

    def peer(self) -> str:
        return "ipv4:127.0.0.1:1"

    def trailing_metadata(self) -> tuple[tuple[str, str], ...]:
        return self._trailing

    def set_trailing_metadata(self, metadata: tuple[tuple[str, str], ...]) -> None:
        self._trailing = metadata
