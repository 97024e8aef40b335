"""The gateway's HTTP API: tokens required, JSON ↔ gRPC, and gRPC errors answered as 4xx with the field."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from fastapi.testclient import TestClient

from doudi.intake.v1 import intake_pb2, intake_pb2_grpc
from doudi_common.errors import FailedPrecondition, InvalidArgument, NotFound
from doudi_gateway.app import create_app
from doudi_runtime.grpc.client import ChannelFactory
from doudi_runtime.grpc.server import GrpcServer, GrpcServiceBinding
from doudi_runtime.settings import ServiceSettings

TOKEN = "gw-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class FakeIntake(intake_pb2_grpc.IntakeServiceServicer):
    """Stands in for the intake service: answers what the gateway must translate."""

    def __init__(self) -> None:
        self.requests: list[intake_pb2.SubmitApplicationRequest] = []

    def SubmitApplication(self, request, context):  # type: ignore[no-untyped-def]
        self.requests.append(request)
        if not request.request_id:
            raise InvalidArgument.single("request_id", "is required")
        return intake_pb2.SubmitApplicationResponse(
            application=intake_pb2.Application(
                application_id="app_1",
                state=intake_pb2.APPLICATION_STATE_SUBMITTED,
                statement=request.statement,
            )
        )

    def GetApplication(self, request, context):  # type: ignore[no-untyped-def]
        raise NotFound(f"no application {request.application_id!r}")

    def AcceptApplication(self, request, context):  # type: ignore[no-untyped-def]
        self.requests.append(request)
        if request.application_id == "app_unsigned":
            raise FailedPrecondition("every counted member must sign first")
        return intake_pb2.AcceptApplicationResponse(
            application=intake_pb2.Application(
                application_id=request.application_id, state=intake_pb2.APPLICATION_STATE_ACCEPTED
            )
        )

    def ListApplications(self, request, context):  # type: ignore[no-untyped-def]
        self.requests.append(request)
        return intake_pb2.ListApplicationsResponse()


def settings() -> ServiceSettings:
    return ServiceSettings(
        service_name="gateway",
        grpc_port=0,
        metrics_port=0,
        auth_tokens=f'{{"{TOKEN}": "caseworker"}}',
        client_token=TOKEN,
    )


@pytest.fixture
def client() -> Iterator[tuple[TestClient, FakeIntake]]:
    fake = FakeIntake()
    server = GrpcServer(
        settings(),
        [
            GrpcServiceBinding(
                "doudi.intake.v1.IntakeService", fake, intake_pb2_grpc.add_IntakeServiceServicer_to_server
            )
        ],
    )
    port = server.start()
    channels = ChannelFactory(settings())
    app = create_app(
        token_principals=settings().token_principals(), channels=channels, intake_target=f"127.0.0.1:{port}"
    )
    try:
        yield TestClient(app), fake
    finally:
        channels.close()
        server.stop(0)


def test_calls_without_a_valid_token_are_unauthorised(client) -> None:  # type: ignore[no-untyped-def]
    http, fake = client
    assert http.post("/v1/applications", json={"request_id": "r1"}).status_code == 401
    wrong = http.post("/v1/applications", json={"request_id": "r1"}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert fake.requests == []


def test_a_submission_travels_as_grpc_and_comes_back_as_json(client) -> None:  # type: ignore[no-untyped-def]
    http, fake = client
    response = http.post(
        "/v1/applications",
        json={"request_id": "r1", "programme": "PROGRAMME_DIBAO", "statement": "家中困难"},
        headers=AUTH,
    )
    assert response.status_code == 201
    assert response.json()["application"]["application_id"] == "app_1"
    assert fake.requests[0].programme == 1 and fake.requests[0].statement == "家中困难"


def test_invalid_argument_becomes_422_with_the_field(client) -> None:  # type: ignore[no-untyped-def]
    http, _ = client
    response = http.post("/v1/applications", json={"statement": "x"}, headers=AUTH)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "INVALID_ARGUMENT"
    assert error["field_violations"] == [{"field": "request_id", "description": "is required"}]


def test_a_body_that_does_not_fit_the_api_is_422_naming_the_field(client) -> None:  # type: ignore[no-untyped-def]
    http, fake = client
    response = http.post("/v1/applications", json={"request_id": "r1", "programme": "NO_SUCH"}, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["error"]["field_violations"][0]["field"] == "programme"
    unknown = http.post("/v1/applications", json={"request_id": "r1", "shoe_size": 42}, headers=AUTH)
    assert unknown.status_code == 422
    assert unknown.json()["error"]["field_violations"][0]["field"] == "shoe_size"
    assert fake.requests == []


def test_not_found_becomes_404(client) -> None:  # type: ignore[no-untyped-def]
    http, _ = client
    response = http.get("/v1/applications/app_missing", headers=AUTH)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_the_openapi_document_describes_the_routes(client) -> None:  # type: ignore[no-untyped-def]
    http, _ = client
    paths = http.get("/openapi.json").json()["paths"]
    assert "/v1/applications" in paths and "/v1/applications/{application_id}" in paths


def test_grpc_unavailable_is_503() -> None:
    channels = ChannelFactory(settings())
    app = create_app(
        token_principals=settings().token_principals(), channels=channels, intake_target="127.0.0.1:1"
    )
    try:
        response = TestClient(app).get("/v1/applications/app_1", headers=AUTH)
    finally:
        channels.close()
    assert response.status_code == 503
    assert grpc.StatusCode.UNAVAILABLE.name == response.json()["error"]["code"]


def test_a_window_step_takes_the_application_from_the_url(client) -> None:  # type: ignore[no-untyped-def]
    http, fake = client
    response = http.post(
        "/v1/applications/app_7/accept",
        json={"request_id": "acc-1", "application_id": "app_other"},
        headers=AUTH,
    )
    assert response.status_code == 200
    assert response.json()["application"]["state"] == "APPLICATION_STATE_ACCEPTED"
    assert (fake.requests[-1].request_id, fake.requests[-1].application_id) == ("acc-1", "app_7")
    refused = http.post("/v1/applications/app_unsigned/accept", json={"request_id": "acc-2"}, headers=AUTH)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "FAILED_PRECONDITION"


def test_listing_filters_by_a_named_state_and_refuses_an_unknown_one(client) -> None:  # type: ignore[no-untyped-def]
    http, fake = client
    ok = http.get(
        "/v1/townships/640402100000/applications?state=APPLICATION_STATE_SUBMITTED&page_size=5", headers=AUTH
    )
    assert ok.status_code == 200
    assert (fake.requests[-1].state, fake.requests[-1].page.page_size) == (
        intake_pb2.APPLICATION_STATE_SUBMITTED,
        5,
    )
    bad = http.get("/v1/townships/640402100000/applications?state=LOST", headers=AUTH)
    assert bad.status_code == 422
    assert bad.json()["error"]["field_violations"][0]["field"] == "state"
