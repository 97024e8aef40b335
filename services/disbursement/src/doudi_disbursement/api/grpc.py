"""The disbursement gRPC API (doudi.disbursement.v1.DisbursementService).

The contract is published in protos/; the RPCs are implemented with the disbursement work itself and,
until then, answer UNIMPLEMENTED rather than anything that could be mistaken for a decision.
"""

from __future__ import annotations

from doudi.disbursement.v1 import disbursement_pb2_grpc
from doudi_runtime.service import ServiceContext


class DisbursementApi(disbursement_pb2_grpc.DisbursementServiceServicer):
    def __init__(self, context: ServiceContext) -> None:
        self._context = context
