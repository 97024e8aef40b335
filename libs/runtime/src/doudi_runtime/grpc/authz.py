"""The policy step of the interceptor chain: authorise every call, and audit every state change.

It runs innermost, after authentication and inside the error mapping, so its PermissionDenied,
NotFound and InvalidArgument answers travel as their gRPC codes and are logged like any other outcome.
The rules themselves are declared per service (``doudi_runtime.authz.policy``).

A call whose rule says ``mutates`` is audited when it succeeds. Where its record is known (the rule
names it and the service has a snapshot lookup for its kind):

- the record is read once before the handler: that read is audit's "before" and, when the region
  lookup is a column of the same row, also answers the region check (``shared_reads``);
- the audit record is appended inside the handler's write transaction, just before it commits, with
  the "after" read through that transaction (``doudi_runtime.store.before_commit``): the change and its
  record commit together or not at all, and a handler that fails (rolls back) leaves neither;
- a handler that commits several write transactions in one call is audited once, in the first of
  them (its "after" is the record as that transaction left it); a later transaction's change is not
  in the record. Every use-case behind an RPC commits at most one; the multi-transaction paths
  (payroll shards, bank reconciliation, advances sent to the bank) are background jobs, not calls;
- a handler that commits no write transaction of the service's store (a replay answered without
  one) is audited after it returns, in a transaction of its own, as is every call that creates its
  record: its "after" is the answer, which only exists once the handler has returned. If that append
  fails the caller gets INTERNAL and retries with the same request_id, which replays the call
  idempotently and audits it then.

A replayed request is audited again (its before and after are the same).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from typing import Any

import grpc
from google.protobuf import json_format
from sqlalchemy.orm import Session

from doudi_runtime.audit.trail import AuditEntry, AuditLog
from doudi_runtime.authz.lookups import shared_reads
from doudi_runtime.authz.policy import Rule, ServicePolicy, authorise, read_field
from doudi_runtime.authz.principal import Principal
from doudi_runtime.grpc import context as call_context
from doudi_runtime.grpc.interceptors import HEALTH_METHOD_PREFIX, EntryStep, ServerCall
from doudi_runtime.store import Database, before_commit
from doudi_runtime.store.hooks import after_commit

log = logging.getLogger("doudi_runtime.grpc.authz")

#: Request fields that carry the caller's reason for a change, in order of preference.
REASON_FIELDS = ("reason", "override_reason", "note")


class _InTransaction:
    """The audit record of one call, appended in the first write transaction of its store that commits."""

    def __init__(
        self, audit: AuditLog, entry: AuditEntry, after: Callable[[], Mapping[str, Any] | None]
    ) -> None:
        self._audit = audit
        self._entry = entry
        self._after = after
        self.recorded = False

    def __call__(self, database: Database, session: Session) -> None:
        if self.recorded or database is not self._audit.database:
            return
        self._audit.append_in(session, replace(self._entry, after=self._after()))
        after_commit(session, self._committed)

    def _committed(self) -> None:
        self.recorded = True


class PolicyStep(EntryStep):
    """Checks each call against its service's policy; records successful state changes in the audit trail."""

    def __init__(self, policies: Mapping[str, ServicePolicy | None]) -> None:
        for policy in policies.values():
            if policy is not None:
                policy.check()
        self._policies = dict(policies)

    def enter(self, call: ServerCall) -> AbstractContextManager[None] | None:
        """Authorise the call; a state change returns the scope that audits it."""
        if call.method.startswith(HEALTH_METHOD_PREFIX):
            return None
        caller = call_context.current_caller()
        if caller is None:  # pragma: no cover - the auth step always sets one or aborts
            call.context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or invalid credentials")
        assert caller is not None
        policy = self._policies.get(call.service)
        declared = policy.rule_for(call.method_name) if policy is not None else None
        if policy is None or declared is None or not declared.mutates or policy.audit is None:
            authorise(caller, policy, call.method_name, call.request)
            return None
        return _audited(call, caller, policy, declared)


@contextmanager
def _audited(call: ServerCall, caller: Principal, policy: ServicePolicy, declared: Rule) -> Iterator[None]:
    """Authorise a state change (reading its record first) and audit it once it succeeds."""
    assert policy.audit is not None
    subject_kind, subject_id = _subject(declared, call.request)
    snapshot = policy.snapshots.get(subject_kind) if subject_id else None
    with shared_reads():
        # Read before authorising, so that the region check of the same row answers from this read.
        before = snapshot(subject_id) if snapshot is not None else None
        authorise(caller, policy, call.method_name, call.request)
    entry = AuditEntry(
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
        after=None,
    )
    if snapshot is None:
        yield
        if _succeeded(call):
            policy.audit.append(replace(entry, after=_message_dict(call.response)))
        return
    pending = _InTransaction(policy.audit, entry, lambda: snapshot(subject_id))
    with before_commit(pending):
        yield
    if not pending.recorded and _succeeded(call):
        policy.audit.append(replace(entry, after=snapshot(subject_id)))


def _succeeded(call: ServerCall) -> bool:
    code = call.context.code()
    return not (isinstance(code, grpc.StatusCode) and code is not grpc.StatusCode.OK)


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
