"""Composition root of the eligibility service: its settings and its wiring."""

from __future__ import annotations

from doudi.eligibility.v1 import eligibility_pb2_grpc
from doudi_eligibility.api.grpc import EligibilityApi
from doudi_eligibility.store.tables import STORE
from doudi_runtime.service import ServiceDefinition, entrypoint, single_api
from doudi_runtime.settings import ServiceSettings


class EligibilitySettings(ServiceSettings):
    service_name: str = "eligibility"
    grpc_port: int = 50053
    metrics_port: int = 9103


DEFINITION = ServiceDefinition(
    name="eligibility",
    settings_type=EligibilitySettings,
    store=STORE,
    grpc_bindings=single_api(
        "doudi.eligibility.v1.EligibilityService",
        EligibilityApi,
        eligibility_pb2_grpc.add_EligibilityServiceServicer_to_server,
    ),
)


def main() -> None:
    entrypoint(DEFINITION)
