"""The policy step of the interceptor chain: authorise every call, and audit every state change.

It runs innermost, after authentication and inside the error mapping, so its PermissionDenied,
NotFound and InvalidArgument answers travel as their gRPC codes and are logged like any other outcome.
The rules themselves are declared per service (``doudi_runtime.authz.policy``).

A call whose rule says ``mutates`` is audited once the handler has returned without an error: the
record it names is read before and after the handler (the service's snapshot lookup), or the answer
is kept when the call created the record. The audit record is appended in its own transaction right
after the handler's; if that append fails the caller gets INTERNAL and retries with the same
request_id, which replays the change idempotently and audits it then. A replayed request is audited
again (its before and after are the same).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import grpc
from google.protobuf import json_format

from doudi_runtime.audit.trail import AuditEntry
from doudi_runtime.authz.policy import Rule, ServicePolicy, authorise, read_field
from doudi_runtime.authz.principal import Principal
from doudi_runtime.grpc import context as call_context
from doudi_runtime.grpc.interceptors import HEALTH_METHOD_PREFIX, CallStep, ServerCall

log = logging.getLogger("doudi_runtime.grpc.authz")

#: Request fields that carry the caller's reason for a change, in order of preference.
REASON_FIELDS = ("reason", "override_reason", "note")


class PolicyStep(CallStep):
    """Checks each call against its service's policy; records successful state changes in the audit trail."""

    def __init__(self, policies: Mapping[str, ServicePolicy | None]) -> None:
        for policy in policies.values():
            if policy is not None:
                policy.check()
        self._policies = dict(policies)

    @contextmanager
    def scope(self, call: ServerCall) -> Iterator[None]:
        if call.method.startswith(HEALTH_METHOD_PREFIX):
            yield
            return
        caller = call_context.current_caller()
        if caller is None:  # pragma: no cover - the auth step always sets one or aborts
            call.context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or invalid credentials")
        assert caller is not None
        policy = self._policies.get(call.service)
        entry = authorise(caller, policy, call.method_name, call.request)
        auditing = policy is not None and entry is not None and entry.mutates and policy.audit is not None
        if not auditing:
            yield
            return
        assert policy is not None and entry is not None
        subject_kind, subject_id = _subject(entry, call.request)
        snapshot = policy.snapshots.get(subject_kind)
        before = snapshot(subject_id) if snapshot is not None and subject_id else None
        yield
        code = call.context.code()
        if isinstance(code, grpc.StatusCode) and code is not grpc.StatusCode.OK:
            return
        known = snapshot is not None and subject_id
        after = snapshot(subject_id) if known else _message_dict(call.response)
        policy.audit.append(
            AuditEntry(
                actor=caller.name,
                actor_role=caller.role.value,
                actor_org=caller.org,
                via=caller.via,
                peer=call.context.peer() or "",
                request_id=call_context.current_request_id() or "",
                method=call.method,
                subject_kind=subject_kind,
                subject_id=subject_id,
                reason=_reason(call.request),
                before=before,
                after=after,
            )
        )


def _subject(entry: Rule, request: Any) -> tuple[str, str]:
    record = entry.record
    if record is None or request is None:
        return "", ""
    return record.kind, read_field(request, record.path)


def _reason(request: Any) -> str:
    if request is None:
        return ""
    return next((text for name in REASON_FIELDS if (text := read_field(request, name))), "")


def _message_dict(message: Any) -> dict[str, Any] | None:
    if message is None or not hasattr(message, "DESCRIPTOR"):
        return None
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def caller_of(principal: Principal | None) -> str:
    """How a caller reads in a record written by a use-case: ``name`` or ``name via service``."""
    if principal is None:
        return ""
    return f"{principal.name} via {principal.via}" if principal.via else principal.name
