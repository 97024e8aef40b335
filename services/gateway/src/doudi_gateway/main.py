"""Composition root of the gateway: settings, the HTTP server, and its gRPC health front."""

from __future__ import annotations

import threading
from pathlib import Path

import uvicorn
from pydantic import model_validator

from doudi_gateway.app import create_app
from doudi_gateway.signin import JwksFile, JwksUrl, KeySource, TokenVerifier
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
    #: Sign-in of people with the issuer's JWTs (``doudi_gateway.signin``); unset: no JWT is accepted.
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_file: Path | None = None
    oidc_jwks_url: str | None = None
    oidc_leeway_seconds: int = 30

    @model_validator(mode="after")
    def _complete_sign_in(self) -> GatewaySettings:
        sources = [s for s in (self.oidc_jwks_file, self.oidc_jwks_url) if s]
        if self.oidc_issuer is None:
            if self.oidc_audience or sources:
                raise ValueError("OIDC_AUDIENCE and OIDC_JWKS_* need OIDC_ISSUER")
            return self
        if not self.oidc_audience:
            raise ValueError("OIDC_ISSUER needs OIDC_AUDIENCE (the gateway's client id at the issuer)")
        if len(sources) != 1:
            raise ValueError("OIDC_ISSUER needs exactly one of OIDC_JWKS_FILE and OIDC_JWKS_URL")
        if (
            self.oidc_jwks_url
            and self.environment == "production"
            and not self.oidc_jwks_url.startswith("https://")
        ):
            raise ValueError("OIDC_JWKS_URL must be https in production")
        if not 0 <= self.oidc_leeway_seconds <= 300:
            raise ValueError("OIDC_LEEWAY_SECONDS must be between 0 and 300")
        return self


def sign_in(settings: GatewaySettings) -> TokenVerifier | None:
    """The verifier of people's tokens the settings describe, or None when sign-in is not configured."""
    if settings.oidc_issuer is None or settings.oidc_audience is None:
        return None
    keys: KeySource = (
        JwksFile(settings.oidc_jwks_file)
        if settings.oidc_jwks_file is not None
        else JwksUrl(str(settings.oidc_jwks_url))
    )
    return TokenVerifier(
        issuer=settings.oidc_issuer,
        audience=settings.oidc_audience,
        keys=keys,
        leeway_seconds=settings.oidc_leeway_seconds,
    )


def _http_server(context: ServiceContext[GatewaySettings]) -> list[Worker]:
    settings = context.settings
    app = create_app(
        token_principals=settings.token_principals(),
        token_identities=settings.token_identities(),
        channels=context.channels,
        intake_target=settings.intake_target,
        verification_target=settings.verification_target,
        sign_in=sign_in(settings),
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
