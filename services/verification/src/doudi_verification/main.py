"""Composition root of the verification service: its settings and its wiring."""

from __future__ import annotations

from doudi.verification.v1 import verification_pb2_grpc
from doudi_runtime.service import ServiceDefinition, entrypoint, single_api
from doudi_runtime.settings import ServiceSettings
from doudi_verification.api.grpc import VerificationApi
from doudi_verification.store.tables import STORE


class VerificationSettings(ServiceSettings):
    service_name: str = "verification"
    grpc_port: int = 50052
    metrics_port: int = 9102


DEFINITION = ServiceDefinition(
    name="verification",
    settings_type=VerificationSettings,
    store=STORE,
    grpc_bindings=single_api(
        "doudi.verification.v1.VerificationService",
        VerificationApi,
        verification_pb2_grpc.add_VerificationServiceServicer_to_server,
    ),
)


def main() -> None:
    entrypoint(DEFINITION)
