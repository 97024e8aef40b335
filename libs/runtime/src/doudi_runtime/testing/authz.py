"""Callers for the services' authorisation tables: one of every role, in two townships of one county.

Township A is 640402100 (village A 640402100201), township B 640402101 (village B 640402101201); the
county bureau covers both. A service's table test runs every RPC as every caller against a record
of township A and one of township B and compares the outcome with the table it declares.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import grpc

from doudi_runtime.authz.policy import Rule
from doudi_runtime.grpc.limits import RETRY_AFTER_KEY

TOWNSHIP_A, TOWNSHIP_B = "640402100000", "640402101000"
VILLAGE_A, VILLAGE_B = "640402100201", "640402101201"
COUNTY = "640402000000"

#: Caller key → AUTH_TOKENS value (the token is the key itself).
PRINCIPALS: Mapping[str, object] = {
    "service": "test-service",
    "township_a": {
        "name": "clerk.a",
        "org": "A乡社会救助服务窗口",
        "role": "township_office",
        "region": "640402100",
    },
    "county": {"name": "officer.c", "org": "县民政局", "role": "county_bureau", "region": "640402"},
    "village_a": {
        "name": "committee.a",
        "org": "A村村委会",
        "role": "village_committee",
        "region": VILLAGE_A,
    },
    "provider": {"name": "carer", "org": "照料服务中心", "role": "provider", "region": "640402"},
    "volunteer": {
        "name": "vol",
        "org": "A村服务队",
        "role": "volunteer",
        "region": VILLAGE_A,
        "subject": "vol_x",
    },
    "hospital": {
        "name": "hospital",
        "org": "县人民医院",
        "role": "external_system",
        "scopes": ["beneficiary.check"],
    },
    "auditor": {"name": "auditor", "org": "县审计局", "role": "auditor"},
}

#: Answers that mean "refused by authorisation" (and NOT_FOUND in the policy's words, below).
DENIED = frozenset({grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED})
#: How the policy answers for another region's record (``doudi_runtime.authz.policy``): a handler's
#: own NOT_FOUND (a member already removed, say) is an answer about the record, not a refusal.
_POLICY_NOT_FOUND = re.compile(r"^[a-z_]+ not found$")


def auth_tokens(extra: Mapping[str, object] | None = None) -> str:
    """AUTH_TOKENS for a test server: every caller above, keyed by its own name as token."""
    return json.dumps({**PRINCIPALS, **(extra or {})}, ensure_ascii=False)


def metadata(caller: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {caller}"),)


def missing_rules(service_descriptor: Any, rules: Mapping[str, Rule]) -> list[str]:
    """RPCs of the proto service with no rule, and rules for RPCs the service does not have."""
    methods = {method.name for method in service_descriptor.methods}
    return sorted(methods ^ set(rules))


def outcome(method: Callable[..., object], request: Any, caller: str) -> tuple[bool, str]:
    """Call ``method`` as ``caller``; (allowed, code): allowed unless authorisation refused it.

    A table walk calls fast enough to drain a caller's rate limit: like any client, it waits as long as the
    server's ``retry-after-ms`` says and calls again."""
    for _ in range(_RATE_LIMIT_RETRIES):
        try:
            method(request, metadata=metadata(caller), timeout=10)
        except grpc.RpcError as error:
            code = error.code()
            wait = _retry_after_seconds(error) if code is grpc.StatusCode.RESOURCE_EXHAUSTED else None
            if wait is not None:
                time.sleep(wait)
                continue
            refused = code in DENIED or (
                code is grpc.StatusCode.NOT_FOUND
                and _POLICY_NOT_FOUND.match(error.details() or "") is not None
            )
            return not refused, f"{code.name} ({error.details()})"
        return True, "OK"
    raise AssertionError(f"{caller} is still rate-limited after {_RATE_LIMIT_RETRIES} waits")


_RATE_LIMIT_RETRIES = 20


def _retry_after_seconds(error: grpc.RpcError) -> float | None:
    """The wait a rate-limited answer asks for, or None when it is not a rate limit's answer."""
    for key, value in error.trailing_metadata() or ():  # type: ignore[attr-defined]
        if key == RETRY_AFTER_KEY:
            return int(value) / 1000
    return None


def mismatches(
    stub: Any,
    table: Mapping[str, tuple[set[str], set[str]]],
    requests: Callable[[str, str, str], Any],
    callers: Iterable[str] = tuple(PRINCIPALS),
) -> list[str]:
    """Every (RPC, caller, region) whose outcome differs from the table's (allowed in A, allowed in B).

    ``requests(rpc, target, request_id)`` builds the request for a record of ``target`` ("A" or "B").
    """
    problems = []
    for rpc, (in_a, in_b) in table.items():
        for target, allowed in (("A", in_a), ("B", in_b)):
            for caller in callers:
                request = requests(rpc, target, f"{caller}-{rpc}-{target}")
                ok, code = outcome(getattr(stub, rpc), request, caller)
                if ok != (caller in allowed):
                    expected = "allowed" if caller in allowed else "denied"
                    problems.append(f"{rpc} by {caller} in {target}: expected {expected}, got {code}")
    return problems
