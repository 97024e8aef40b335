"""The gateway's HTTP API fuzzed from its own OpenAPI document (schemathesis) in front of the real intake
and verification services: no generated request gets a 5xx, and every 422 names the field at fault.

``DOUDI_FUZZ_EXAMPLES`` requests per operation (default 8), derandomised unless ``DOUDI_FUZZ_RANDOM=1``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from doudi_gateway.app import create_app
from doudi_gateway.main import GatewaySettings
from doudi_intake.main import DEFINITION as INTAKE
from doudi_runtime.grpc.client import ChannelFactory
from doudi_runtime.testing.authz import auth_tokens
from doudi_runtime.testing.serving import serving
from doudi_verification.main import DEFINITION as VERIFICATION

EXAMPLES = int(os.environ.get("DOUDI_FUZZ_EXAMPLES", "8"))
#: A county bureau officer: the gateway acts for them, so their role and region decide downstream.
AUTH = {"authorization": "Bearer county"}


@pytest.fixture(scope="module")
def gateway_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    root: Path = tmp_path_factory.mktemp("gateway-fuzz")
    # The fuzz sends one caller's requests as fast as it can: the downstream rate limit would answer
    # most of them 429 before they reach anything worth fuzzing.
    with (
        serving(INTAKE, root / "intake", rate_limit="off") as intake,
        serving(VERIFICATION, root / "verification", rate_limit="off") as verification,
    ):
        gateway = GatewaySettings(
            grpc_port=0,
            metrics_port=0,
            auth_tokens=auth_tokens(),
            client_token="service",
            intake_target=intake.target,
            verification_target=verification.target,
            rate_limit="off",
        )
        channels = ChannelFactory(gateway)
        app = create_app(
            token_principals=gateway.token_principals(),
            token_identities=gateway.token_identities(),
            channels=channels,
            intake_target=gateway.intake_target,
            verification_target=gateway.verification_target,
        )
        try:
            yield schemathesis.openapi.from_asgi("/openapi.json", app)
        finally:
            channels.close()


schema = schemathesis.pytest.from_fixture("gateway_schema")


def _names_a_field(body: Any) -> bool:
    if not isinstance(body, dict):
        return False
    error = body.get("error")
    if isinstance(error, dict):
        return bool(error.get("field_violations"))
    # FastAPI's own answer to a path or query parameter of the wrong type names it in "loc".
    detail = body.get("detail")
    return isinstance(detail, list) and all(isinstance(item, dict) and item.get("loc") for item in detail)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("DOUDI_FUZZ_RANDOM") != "1",
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_generated_request_gets_a_server_error(case: Any) -> None:
    response = case.call(headers=AUTH)
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
    if response.status_code == 422:
        assert _names_a_field(response.json()), f"{case.method} {case.formatted_path}: {response.text}"
