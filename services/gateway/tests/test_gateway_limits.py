"""The gateway's abuse limits: a body over the limit is 413, a caller over their rate is 429 with
Retry-After; neither reaches a service, and other callers and the health probe are not affected."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from doudi.intake.v1 import intake_pb2, intake_pb2_grpc
from doudi_common.errors import NotFound
from doudi_gateway.app import create_app
from doudi_runtime.grpc.client import ChannelFactory
from doudi_runtime.grpc.limits import TokenBuckets
from doudi_runtime.grpc.server import GrpcServer, GrpcServiceBinding
from doudi_runtime.settings import ServiceSettings

TOKENS = '{"clerk-a": "caseworker-a", "clerk-b": "caseworker-b"}'
AS_A = {"Authorization": "Bearer clerk-a"}
AS_B = {"Authorization": "Bearer clerk-b"}


class CountingIntake(intake_pb2_grpc.IntakeServiceServicer):
    def __init__(self) -> None:
        self.calls = 0

    def GetApplication(self, request, context):  # type: ignore[no-untyped-def]
        self.calls += 1
        raise NotFound("no such application")

    def SubmitApplication(self, request, context):  # type: ignore[no-untyped-def]
        self.calls += 1
        return intake_pb2.SubmitApplicationResponse()


def _settings() -> ServiceSettings:
    return ServiceSettings(
        service_name="gateway", grpc_port=0, metrics_port=0, auth_tokens=TOKENS, client_token="clerk-a"
    )


def _limited(reason: str) -> float:
    return REGISTRY.get_sample_value("doudi_gateway_limited_requests_total", {"reason": reason}) or 0.0


@pytest.fixture
def gateway() -> Iterator[Callable[..., tuple[TestClient, CountingIntake]]]:
    intake = CountingIntake()
    server = GrpcServer(
        _settings(),
        [
            GrpcServiceBinding(
                "doudi.intake.v1.IntakeService", intake, intake_pb2_grpc.add_IntakeServiceServicer_to_server
            )
        ],
    )
    port = server.start()
    channels = ChannelFactory(_settings())

    def build(**limits: object) -> tuple[TestClient, CountingIntake]:
        app = create_app(
            token_principals=_settings().token_principals(),
            channels=channels,
            intake_target=f"127.0.0.1:{port}",
            **limits,  # type: ignore[arg-type]
        )
        return TestClient(app), intake

    try:
        yield build
    finally:
        channels.close()
        server.stop(0)


def test_a_caller_over_their_rate_gets_429_with_retry_after(gateway) -> None:  # type: ignore[no-untyped-def]
    http, intake = gateway(rate_limit=TokenBuckets(rate=0.2, burst=2))
    before = _limited("rate")
    assert [http.get("/v1/applications/app_x", headers=AS_A).status_code for _ in range(2)] == [404, 404]
    refused = http.get("/v1/applications/app_x", headers=AS_A)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 5
    assert refused.json()["error"]["code"] == "RESOURCE_EXHAUSTED"
    assert intake.calls == 2
    assert _limited("rate") == before + 1
    # Another caller has a bucket of their own, and probes are never limited.
    assert http.get("/v1/applications/app_x", headers=AS_B).status_code == 404
    assert http.get("/healthz").status_code == 200


def test_a_body_over_the_limit_gets_413_naming_the_body(gateway) -> None:  # type: ignore[no-untyped-def]
    http, intake = gateway(max_request_bytes=1024)
    before = _limited("size")
    big = {"request_id": "r1", "statement": "困" * 1000}
    refused = http.post("/v1/applications", json=big, headers=AS_A)
    assert refused.status_code == 413
    assert refused.json()["error"]["field_violations"][0]["field"] == "body"
    assert intake.calls == 0
    assert _limited("size") == before + 1
    assert http.post("/v1/applications", json={"request_id": "r1"}, headers=AS_A).status_code == 201


def test_a_streamed_body_is_bounded_too(gateway) -> None:  # type: ignore[no-untyped-def]
    http, intake = gateway(max_request_bytes=1024)

    def chunks() -> Iterator[bytes]:
        yield b'{"request_id": "r1", "statement": "'
        for _ in range(100):
            yield b"x" * 100
        yield b'"}'

    refused = http.post(
        "/v1/applications", content=chunks(), headers={**AS_A, "content-type": "application/json"}
    )
    assert refused.status_code == 413
    assert intake.calls == 0


def test_without_limits_nothing_is_refused(gateway) -> None:  # type: ignore[no-untyped-def]
    http, _ = gateway()
    statuses = {http.get("/v1/applications/app_x", headers=AS_A).status_code for _ in range(20)}
    assert statuses == {404}


def test_the_settings_turn_the_limits_on_by_default() -> None:
    settings = _settings()
    assert settings.rate_limit == "on"
    assert settings.max_request_bytes >= 1024
