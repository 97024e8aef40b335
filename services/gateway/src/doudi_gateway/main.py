"""Composition root of the gateway: settings, the HTTP server, and its gRPC health front."""

from __future__ import annotations

import threading

import uvicorn

from doudi_gateway.app import create_app
from doudi_runtime.grpc.limits import TokenBuckets
from doudi_runtime.service import ServiceContext, ServiceDefinition, Worker, entrypoint
from doudi_runtime.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    service_name: str = "gateway"
    grpc_port: int = 15057
    metrics_port: int = 9107
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    intake_target: str = "127.0.0.1:15051"
    verification_target: str = "127.0.0.1:15052"


def _http_server(context: ServiceContext[GatewaySettings]) -> list[Worker]:
    settings = context.settings
    app = create_app(
        token_principals=settings.token_principals(),
        token_identities=settings.token_identities(),
        channels=context.channels,
        intake_target=settings.intake_target,
        verification_target=settings.verification_target,
        max_request_bytes=settings.max_request_bytes,
        rate_limit=(
            TokenBuckets(settings.rate_limit_per_second, settings.rate_limit_burst)
            if settings.rate_limit == "on"
            else None
        ),
    )
    server = uvicorn.Server(
        uvicorn.Config(
            app, host=settings.http_host, port=settings.http_port, log_config=None, access_log=False
        )
    )

    def run(stop: threading.Event) -> None:
        watcher = threading.Thread(
            target=lambda: (stop.wait(), setattr(server, "should_exit", True)), daemon=True
        )
        watcher.start()
        server.run()
        if not stop.is_set():
            raise RuntimeError("the HTTP server stopped on its own")

    return [Worker("http", run)]


DEFINITION = ServiceDefinition(
    name="gateway",
    settings_type=GatewaySettings,
    store=None,
    grpc_bindings=lambda _context: [],
    front_workers=_http_server,
)


def main() -> None:
    entrypoint(DEFINITION)
