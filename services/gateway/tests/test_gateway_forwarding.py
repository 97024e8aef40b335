"""A caseworker's identity travels from the gateway to the services, which decide by their role and region."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from doudi.intake.v1 import intake_pb2, intake_pb2_grpc
from doudi_gateway.app import create_app
from doudi_runtime.authz.policy import FromField, ServicePolicy, rule
from doudi_runtime.authz.principal import Principal, Role
from doudi_runtime.grpc import context as call_context
from doudi_runtime.grpc.client import ChannelFactory
from doudi_runtime.grpc.server import GrpcServer, GrpcServiceBinding
from doudi_runtime.settings import ServiceSettings

SERVICE_TOKEN, CLERK_TOKEN = "gw-token", "clerk-token"
CLERK = {"name": "clerk.a", "org": "A乡社会救助服务窗口", "role": "township_office", "region": "640402100"}


class RecordingIntake(intake_pb2_grpc.IntakeServiceServicer):
    """Answers every submission, noting who the service saw as its caller."""

    def __init__(self) -> None:
        self.callers: list[Principal | None] = []

    def SubmitApplication(self, request, context):  # type: ignore[no-untyped-def]
        self.callers.append(call_context.current_caller())
        return intake_pb2.SubmitApplicationResponse(
            application=intake_pb2.Application(application_id="app_1")
        )


@pytest.fixture
def served() -> Iterator[tuple[TestClient, RecordingIntake]]:
    settings = ServiceSettings(
        service_name="gateway",
        grpc_port=0,
        metrics_port=0,
        auth_tokens=json.dumps({SERVICE_TOKEN: "gateway", CLERK_TOKEN: CLERK}),
        client_token=SERVICE_TOKEN,
    )
    intake = RecordingIntake()
    policy = ServicePolicy(
        "doudi.intake.v1.IntakeService",
        {"SubmitApplication": rule(Role.TOWNSHIP_OFFICE, region=FromField("township.code"))},
    )
    binding = GrpcServiceBinding(
        "doudi.intake.v1.IntakeService", intake, intake_pb2_grpc.add_IntakeServiceServicer_to_server, policy
    )
    server = GrpcServer(settings, [binding])
    port = server.start()
    channels = ChannelFactory(settings)
    app = create_app(
        token_principals=settings.token_principals(),
        token_identities=settings.token_identities(),
        channels=channels,
        intake_target=f"127.0.0.1:{port}",
    )
    try:
        yield TestClient(app), intake
    finally:
        channels.close()
        server.stop(0)


def submit(http: TestClient, token: str, township: str) -> int:
    body = {"request_id": f"r-{token}-{township}", "township": {"code": township}}
    return http.post("/v1/applications", json=body, headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_caseworkers_call_reaches_the_service_as_the_caseworker_via_the_gateway(served) -> None:  # type: ignore[no-untyped-def]
    http, intake = served
    assert submit(http, CLERK_TOKEN, "640402100000") == 201
    assert submit(http, CLERK_TOKEN, "640402101000") == 403
    assert submit(http, SERVICE_TOKEN, "640402101000") == 201
    clerk, gateway = intake.callers
    assert clerk is not None and (clerk.name, clerk.role, clerk.via) == (
        "clerk.a",
        Role.TOWNSHIP_OFFICE,
        "gateway",
    )
    assert gateway is not None and (gateway.name, gateway.via) == ("gateway", "")
