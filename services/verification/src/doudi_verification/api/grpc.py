"""The verification gRPC API (doudi.verification.v1.VerificationService).

The contract is published in protos/; the RPCs are implemented with the verification work itself and,
until then, answer UNIMPLEMENTED rather than anything that could be mistaken for a decision.
"""

from __future__ import annotations

from doudi.verification.v1 import verification_pb2_grpc
from doudi_runtime.service import ServiceContext


class VerificationApi(verification_pb2_grpc.VerificationServiceServicer):
    def __init__(self, context: ServiceContext) -> None:
        self._context = context
