"""Every RPC of every doudi service, fuzzed over a real gRPC socket: whatever the request, the answer is a
status the caller can act on (INVALID_ARGUMENT naming the field, NOT_FOUND, FAILED_PRECONDITION, …), never
INTERNAL or UNKNOWN, and the server stays healthy.

The RPCs come from the APIs each service binds, read from the generated descriptors. The budget is
``DOUDI_FUZZ_EXAMPLES`` requests per RPC (default 8); runs are derandomised so ``make test`` is repeatable,
and ``DOUDI_FUZZ_RANDOM=1`` explores new inputs on every run.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import message_factory, text_format
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import HypothesisException

import doudi
from doudi_care.main import DEFINITION as CARE
from doudi_disbursement.main import DEFINITION as DISBURSEMENT
from doudi_dispatch.main import DEFINITION as DISPATCH
from doudi_eligibility.main import DEFINITION as ELIGIBILITY
from doudi_intake.main import DEFINITION as INTAKE
from doudi_runtime.service import ServiceDefinition
from doudi_runtime.testing.authz import metadata
from doudi_runtime.testing.fuzz import call, message_strategy, problem_with, unary_methods
from doudi_runtime.testing.serving import serving
from doudi_verification.main import DEFINITION as VERIFICATION

SERVICES: Mapping[str, ServiceDefinition[Any]] = {
    definition.name: definition
    for definition in (INTAKE, VERIFICATION, ELIGIBILITY, DISBURSEMENT, CARE, DISPATCH)
}
#: Packages of the systems outside doudi (and their simulators' controls): doudi calls, never serves them.
EXTERNAL_PACKAGES = ("doudi.records.", "doudi.bank.", "doudi.simulator.")
EXAMPLES = int(os.environ.get("DOUDI_FUZZ_EXAMPLES", "8"))
CALLER = metadata("service")

#: Requests that once made a service answer INTERNAL, kept so the fault stays fixed: (full method name,
#: the request in protobuf text format, the field the INVALID_ARGUMENT answer must name).
REGRESSIONS: list[tuple[str, str, str]] = [
    (
        "doudi.disbursement.v1.ReserveFundService.PayAdvance",
        "advance { method: -2147483648 }",
        "advance.method",
    ),
    ("doudi.eligibility.v1.EligibilityService.ListEntitlements", "state: -2147483648", "state"),
    (
        "doudi.verification.v1.MonitoringService.RecordAlertVerification",
        "findings { verified_at { nanos: -2147483648 } }",
        "findings.verified_at",
    ),
    (
        "doudi.intake.v1.IntakeService.ListApplications",
        'township { code: "640402100000" } state: APPLICATION_STATE_DRAFT',
        "state",
    ),
    (
        "doudi.care.v1.CareService.RecordVisit",
        "visited_at { seconds: 253402300800 }",
        "visited_at",
    ),
]


def _request(method: MethodDescriptor, text: str) -> Message:
    return text_format.Parse(text, message_factory.GetMessageClass(method.input_type)())


def _healthy(channel: grpc.Channel) -> bool:
    answer = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    return bool(answer.status == health_pb2.HealthCheckResponse.SERVING)


def _fuzz(channel: grpc.Channel, method: MethodDescriptor) -> str | None:
    """Run the budget against one RPC; the shrunk failing request and the answer, or None."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=os.environ.get("DOUDI_FUZZ_RANDOM") != "1",
        database=None,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(request=message_strategy(method.input_type))
    def answers_sensibly(request: Message) -> None:
        problem = problem_with(call(channel, method, request, metadata=CALLER))
        assert problem is None, f"{problem}\nrequest:\n{text_format.MessageToString(request, as_utf8=True)}"

    try:
        answers_sensibly()
    except (AssertionError, HypothesisException) as failure:
        notes = "\n".join(getattr(failure, "__notes__", []))
        return f"{method.full_name}: {failure}\n{notes}"
    return None


def declared_apis() -> set[str]:
    """Every gRPC API declared in protos/, read from the generated modules."""
    apis = set()
    for module in pkgutil.walk_packages(doudi.__path__, "doudi."):
        if module.name.endswith("_pb2"):
            generated = importlib.import_module(module.name)
            apis.update(service.full_name for service in generated.DESCRIPTOR.services_by_name.values())
    return apis


def test_every_doudi_api_is_served_by_a_service_under_fuzz(tmp_path: Path) -> None:
    served: set[str] = set()
    for name, definition in SERVICES.items():
        with serving(definition, tmp_path / name) as running:
            served.update(running.apis)
    ours = {api for api in declared_apis() if not api.startswith(EXTERNAL_PACKAGES)}
    assert ours - served == set()


#: List RPCs without paging, and why their answer stays small.
UNPAGED_LISTS = {
    "doudi.disbursement.v1.DisbursementService.ListOverpayments": "one beneficiary's overpayments",
}


def test_every_list_rpc_takes_a_page_the_server_bounds() -> None:
    unpaged = set()
    for api in declared_apis():
        if api.startswith(EXTERNAL_PACKAGES):
            continue
        for method in unary_methods(api):
            page = method.input_type.fields_by_name.get("page")
            if method.name.startswith("List") and (
                page is None or page.message_type.full_name != "doudi.common.v1.PageRequest"
            ):
                unpaged.add(method.full_name)
    assert unpaged == set(UNPAGED_LISTS), (
        "a list RPC without a doudi.common.v1.PageRequest `page`: page it (doudi_runtime.paging), or name it "
        "in UNPAGED_LISTS with the reason its answer stays small"
    )


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_no_request_makes_a_service_fail(name: str, tmp_path: Path) -> None:
    failures: list[str] = []
    with serving(SERVICES[name], tmp_path) as running:
        methods = {m.full_name: m for api in running.apis for m in unary_methods(api)}
        assert methods, f"{name} serves no RPC"
        for full_name, text, field in REGRESSIONS:
            if full_name in methods:
                request = _request(methods[full_name], text)
                answer = call(running.channel, methods[full_name], request, metadata=CALLER)
                named = dict(answer.violations)
                if answer.code is not grpc.StatusCode.INVALID_ARGUMENT or field not in named:
                    failures.append(f"{full_name} ({text}): {answer}")
        for method in methods.values():
            failure = _fuzz(running.channel, method)
            if failure is not None:
                failures.append(failure)
            assert _healthy(running.channel), f"{name} stopped serving after {method.full_name}"
    assert not failures, "\n\n".join(failures)
