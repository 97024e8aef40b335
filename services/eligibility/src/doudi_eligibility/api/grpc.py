"""The eligibility gRPC API (doudi.eligibility.v1.EligibilityService).

The contract is published in protos/; the RPCs are implemented with the eligibility work itself and,
until then, answer UNIMPLEMENTED rather than anything that could be mistaken for a decision.
"""

from __future__ import annotations

from doudi.eligibility.v1 import eligibility_pb2_grpc
from doudi_runtime.service import ServiceContext


class EligibilityApi(eligibility_pb2_grpc.EligibilityServiceServicer):
    def __init__(self, context: ServiceContext) -> None:
        self._context = context
