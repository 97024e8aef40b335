"""Composition root of the intake service: its settings and its wiring."""

from __future__ import annotations

from doudi.intake.v1 import intake_pb2_grpc
from doudi_intake.api.grpc import IntakeApi
from doudi_intake.store.tables import STORE
from doudi_runtime.service import ServiceDefinition, entrypoint, single_api
from doudi_runtime.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    service_name: str = "intake"
    grpc_port: int = 50051
    metrics_port: int = 9101


DEFINITION = ServiceDefinition(
    name="intake",
    settings_type=IntakeSettings,
    store=STORE,
    grpc_bindings=single_api(
        "doudi.intake.v1.IntakeService", IntakeApi, intake_pb2_grpc.add_IntakeServiceServicer_to_server
    ),
)


def main() -> None:
    entrypoint(DEFINITION)
