"""A service's gRPC front started in the test's process, the way ``python -m doudi_<svc> serve`` starts it,
over a migrated SQLite store: for cross-service tests (fuzzing, log scans) that call the real APIs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc

from doudi_runtime.grpc.server import GrpcServer
from doudi_runtime.service import ServiceContext, ServiceDefinition, build_context, migrate
from doudi_runtime.testing.authz import auth_tokens


@dataclass
class RunningService:
    """A started service: its port, a channel to it, its context, and the APIs it binds."""

    port: int
    channel: grpc.Channel
    context: ServiceContext[Any]
    apis: tuple[str, ...]

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"


@contextmanager
def serving(definition: ServiceDefinition[Any], data_dir: Path, **overrides: Any) -> Iterator[RunningService]:
    """Serve ``definition`` on a free loopback port; every caller of ``testing.authz`` is accepted."""
    data_dir.mkdir(parents=True, exist_ok=True)
    values: dict[str, Any] = {
        "grpc_port": 0,
        "metrics_port": 0,
        "data_dir": data_dir,
        "database_url": f"sqlite:///{data_dir / 'store.db'}",
        "auth_tokens": auth_tokens(),
        "client_token": "service",
        "shutdown_grace_seconds": 0,
    }
    values.update(overrides)
    settings = definition.settings_type(**values)
    migrate(definition, settings)
    context = build_context(definition, settings)
    bindings = list(definition.grpc_bindings(context))
    server = GrpcServer(settings, bindings)
    port = server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield RunningService(port, channel, context, tuple(binding.full_name for binding in bindings))
    finally:
        channel.close()
        server.stop(0)
        if context.database is not None:
            context.database.dispose()
