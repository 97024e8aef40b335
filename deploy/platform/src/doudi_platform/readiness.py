"""Waiting until every gRPC endpoint answers the standard health check with SERVING."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from doudi_platform.ports import HOST


def is_serving(port: int, credentials: grpc.ChannelCredentials | None = None) -> bool:
    """True when the health check on ``port`` answers SERVING (over TLS when given ``credentials``)."""
    target = f"{HOST}:{port}"
    try:
        with (
            grpc.secure_channel(target, credentials) if credentials else grpc.insecure_channel(target)
        ) as channel:
            answer = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=1
            )
    except grpc.RpcError:
        return False
    return answer.status == health_pb2.HealthCheckResponse.SERVING


def wait_until_serving(
    ports: Mapping[str, int],
    *,
    timeout: float,
    abort: Callable[[], str | None],
    check: Callable[[int], bool] = is_serving,
) -> list[str]:
    """Poll until every named port is SERVING; returns the names still not serving at the deadline.

    ``abort`` is asked between rounds and returns the name of a process that died, which ends the wait.
    """
    pending = dict(ports)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        if abort() is not None:
            break
        for name, port in list(pending.items()):
            if check(port):
                del pending[name]
        if pending:
            time.sleep(0.2)
    return sorted(pending)
