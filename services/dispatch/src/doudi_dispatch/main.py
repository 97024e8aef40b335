"""Composition root of the dispatch service: its settings and its wiring."""

from __future__ import annotations

from doudi.dispatch.v1 import dispatch_pb2_grpc
from doudi_dispatch.api.grpc import DispatchApi
from doudi_dispatch.store.tables import STORE
from doudi_runtime.service import ServiceDefinition, entrypoint, single_api
from doudi_runtime.settings import ServiceSettings


class DispatchSettings(ServiceSettings):
    service_name: str = "dispatch"
    grpc_port: int = 50056
    metrics_port: int = 9106


DEFINITION = ServiceDefinition(
    name="dispatch",
    settings_type=DispatchSettings,
    store=STORE,
    grpc_bindings=single_api(
        "doudi.dispatch.v1.DispatchService",
        DispatchApi,
        dispatch_pb2_grpc.add_DispatchServiceServicer_to_server,
    ),
)


def main() -> None:
    entrypoint(DEFINITION)
