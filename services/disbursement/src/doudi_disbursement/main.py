"""Composition root of the disbursement service: its settings and its wiring."""

from __future__ import annotations

from doudi.disbursement.v1 import disbursement_pb2_grpc
from doudi_disbursement.api.grpc import DisbursementApi
from doudi_disbursement.store.tables import STORE
from doudi_runtime.service import ServiceDefinition, entrypoint, single_api
from doudi_runtime.settings import ServiceSettings


class DisbursementSettings(ServiceSettings):
    service_name: str = "disbursement"
    grpc_port: int = 50054
    metrics_port: int = 9104


DEFINITION = ServiceDefinition(
    name="disbursement",
    settings_type=DisbursementSettings,
    store=STORE,
    grpc_bindings=single_api(
        "doudi.disbursement.v1.DisbursementService",
        DisbursementApi,
        disbursement_pb2_grpc.add_DisbursementServiceServicer_to_server,
    ),
)


def main() -> None:
    entrypoint(DEFINITION)
