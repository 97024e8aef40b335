"""The care gRPC API (doudi.care.v1.CareService).

The contract is published in protos/; the RPCs are implemented with the care work itself and,
until then, answer UNIMPLEMENTED rather than anything that could be mistaken for a decision.
"""

from __future__ import annotations

from doudi.care.v1 import care_pb2_grpc
from doudi_runtime.service import ServiceContext


class CareApi(care_pb2_grpc.CareServiceServicer):
    def __init__(self, context: ServiceContext) -> None:
        self._context = context
