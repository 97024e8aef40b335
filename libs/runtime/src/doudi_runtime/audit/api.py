"""The AuditService every service with an audit trail serves: auditors page through and verify it."""

from __future__ import annotations

from datetime import datetime

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from doudi.audit.v1 import audit_pb2, audit_pb2_grpc
from doudi.common.v1 import types_pb2
from doudi_runtime.audit.trail import AuditLog, AuditRecord
from doudi_runtime.authz.policy import ServicePolicy, rule
from doudi_runtime.authz.principal import Role
from doudi_runtime.grpc.server import GrpcServiceBinding
from doudi_runtime.paging import next_token, parse_page

SERVICE_NAME = "doudi.audit.v1.AuditService"

#: Auditors read the whole trail of a service (it spans regions); doudi's services may too.
AUDIT_RULES = {
    "ListAuditRecords": rule(Role.AUDITOR),
    "GetChainVerification": rule(Role.AUDITOR),
}


def _timestamp(text: str) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(datetime.fromisoformat(text))
    return stamp


def record_to_proto(record: AuditRecord) -> audit_pb2.AuditRecord:
    return audit_pb2.AuditRecord(
        sequence=record.sequence,
        occurred_at=_timestamp(record.occurred_at),
        actor=record.actor,
        actor_role=record.actor_role,
        actor_org=record.actor_org,
        via=record.via,
        peer=record.peer,
        request_id=record.request_id,
        method=record.method,
        subject_kind=record.subject_kind,
        subject_id=record.subject_id,
        reason=record.reason,
        before_json=record.before_json,
        after_json=record.after_json,
        previous_hash=record.previous_hash,
        hash=record.hash,
    )


class AuditApi(audit_pb2_grpc.AuditServiceServicer):
    def __init__(self, log: AuditLog) -> None:
        self._log = log

    def ListAuditRecords(
        self, request: audit_pb2.ListAuditRecordsRequest, context: grpc.ServicerContext
    ) -> audit_pb2.ListAuditRecordsResponse:
        page = parse_page(request.page.page_size, request.page.page_token)
        after = int(page.after) if page.after and page.after.isdigit() else 0
        found = self._log.page(after, page.size + 1)
        return audit_pb2.ListAuditRecordsResponse(
            records=[record_to_proto(r) for r in found[: page.size]],
            page=types_pb2.PageResponse(next_page_token=next_token([str(r.sequence) for r in found], page)),
        )

    def GetChainVerification(
        self, request: audit_pb2.GetChainVerificationRequest, context: grpc.ServicerContext
    ) -> audit_pb2.GetChainVerificationResponse:
        verdict = self._log.verify()
        return audit_pb2.GetChainVerificationResponse(
            intact=verdict.intact,
            records_checked=verdict.records_checked,
            first_broken_sequence=verdict.first_broken_sequence,
            problem=verdict.problem,
        )


def audit_binding(log: AuditLog) -> GrpcServiceBinding:
    """The AuditService binding a service adds beside its own APIs."""
    return GrpcServiceBinding(
        SERVICE_NAME,
        AuditApi(log),
        audit_pb2_grpc.add_AuditServiceServicer_to_server,
        policy=ServicePolicy(SERVICE_NAME, AUDIT_RULES),
    )
