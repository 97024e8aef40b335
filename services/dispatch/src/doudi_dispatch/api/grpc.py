"""The dispatch gRPC API (doudi.dispatch.v1.DispatchService).

The contract is published in protos/; the RPCs are implemented with the dispatch work itself and,
until then, answer UNIMPLEMENTED rather than anything that could be mistaken for a decision.
"""

from __future__ import annotations

from doudi.dispatch.v1 import dispatch_pb2_grpc
from doudi_runtime.service import ServiceContext


class DispatchApi(dispatch_pb2_grpc.DispatchServiceServicer):
    def __init__(self, context: ServiceContext) -> None:
        self._context = context
