"""Composition root of the care service: its settings and its wiring."""

from __future__ import annotations

from doudi.care.v1 import care_pb2_grpc
from doudi_care.api.grpc import CareApi
from doudi_care.store.tables import STORE
from doudi_runtime.service import ServiceDefinition, entrypoint, single_api
from doudi_runtime.settings import ServiceSettings


class CareSettings(ServiceSettings):
    service_name: str = "care"
    grpc_port: int = 50055
    metrics_port: int = 9105


DEFINITION = ServiceDefinition(
    name="care",
    settings_type=CareSettings,
    store=STORE,
    grpc_bindings=single_api(
        "doudi.care.v1.CareService", CareApi, care_pb2_grpc.add_CareServiceServicer_to_server
    ),
)


def main() -> None:
    entrypoint(DEFINITION)
