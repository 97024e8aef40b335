"""Who may call which intake RPC in which region: the role × RPC × region table, and BOLA on every path."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import count
from pathlib import Path

import grpc
import pytest

from doudi.common.v1 import types_pb2
from doudi.intake.v1 import intake_pb2, intake_pb2_grpc
from doudi_common.testing import make_resident_id
from doudi_intake.api.policy import RULES
from doudi_intake.main import DEFINITION, IntakeSettings
from doudi_runtime.grpc.server import GrpcServer
from doudi_runtime.service import build_context, migrate
from doudi_runtime.testing.authz import (
    TOWNSHIP_A,
    TOWNSHIP_B,
    VILLAGE_A,
    VILLAGE_B,
    auth_tokens,
    metadata,
    mismatches,
    missing_rules,
)

from .conftest import submission

SERVICE = metadata("service")
TOWNSHIP = {"A": TOWNSHIP_A, "B": TOWNSHIP_B}
VILLAGE = {"A": VILLAGE_A, "B": VILLAGE_B}

# Callers allowed on a record of township A and on one of township B (the caller of township A is
# refused in B; the county bureau covers both; a village committee covers its own village only).
S, T, C, V = "service", "township_a", "county", "village_a"
TABLE: dict[str, tuple[set[str], set[str]]] = {
    "SubmitApplication": ({S, T, C}, {S, C}),
    "GetApplication": ({S, T, C}, {S, C}),
    "ListApplications": ({S, T, C}, {S, C}),
    "AcceptApplication": ({S, T, C}, {S, C}),
    "RequestCorrection": ({S, T, C}, {S, C}),
    "ResubmitApplication": ({S, T, C}, {S, C}),
    "RejectIntake": ({S, T, C}, {S, C}),
    "TransferApplication": ({S, T, C}, {S, C}),
    "WithdrawApplication": ({S, T, C}, {S, C}),
    "RegisterLead": ({S, T, C, V}, {S, C}),
    "ConvertLead": ({S, T, C}, {S, C}),
    "GetLead": ({S, T, C, V}, {S, C}),
    "ListLeads": ({S, T, C, V}, {S, C}),
    "ContactLead": ({S, T, C, V}, {S, C}),
    "CloseLead": ({S, T, C, V}, {S, C}),
    "ReferToDepartment": ({S, T, C}, {S, C}),
    "GetReferral": ({S, T, C}, {S, C}),
    "RecordReferralProgress": ({S, T, C}, {S, C}),
}


PEOPLE = count(1000)


@dataclass
class Records:
    applications: dict[str, str]
    leads: dict[str, str]
    referrals: dict[str, str]


def person(number: int) -> types_pb2.Person:
    """A distinct person per number (birth date and sequence vary with it)."""
    birth = date(1950, 1, 1) + timedelta(days=number)
    return types_pb2.Person(
        id_number=types_pb2.IdNumber(value=make_resident_id(birth, number % 100)), name="李明"
    )


def application_in(target: str, request_id: str, sequence: int) -> intake_pb2.SubmitApplicationRequest:
    request = submission(request_id)
    request.township.code = TOWNSHIP[target]
    request.household.residence_region.code = VILLAGE[target]
    del request.household.members[1:]
    request.household.members[0].person.CopyFrom(person(sequence))
    return request


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[tuple[intake_pb2_grpc.IntakeServiceStub, Records]]:
    settings = IntakeSettings(
        grpc_port=0,
        metrics_port=0,
        data_dir=tmp_path,
        database_url=database_url,
        auth_tokens=auth_tokens(),
        shutdown_grace_seconds=0,
    )
    migrate(DEFINITION, settings)
    context = build_context(DEFINITION, settings)
    server = GrpcServer(settings, list(DEFINITION.grpc_bindings(context)))
    channel = grpc.insecure_channel(f"127.0.0.1:{server.start()}")
    stub = intake_pb2_grpc.IntakeServiceStub(channel)
    records = Records({}, {}, {})
    for index, target in enumerate("AB"):
        app = stub.SubmitApplication(
            application_in(target, f"setup-app-{target}", 100 + index), metadata=SERVICE
        )
        records.applications[target] = app.application.application_id
        lead = stub.RegisterLead(
            intake_pb2.RegisterLeadRequest(
                request_id=f"setup-lead-{target}",
                person=person(200 + index),
                residence_region=types_pb2.RegionCode(code=VILLAGE[target]),
                found_by="村委会",
                reason="独居老人",
            ),
            metadata=SERVICE,
        )
        records.leads[target] = lead.lead.lead_id
        referral = stub.ReferToDepartment(
            intake_pb2.ReferToDepartmentRequest(
                request_id=f"setup-ref-{target}",
                application_id=app.application.application_id,
                person=person(100 + index),
                department=intake_pb2.DEPARTMENT_HOUSING,
                need="危房改造",
            ),
            metadata=SERVICE,
        )
        records.referrals[target] = referral.referral_id
    try:
        yield stub, records
    finally:
        channel.close()
        server.stop(0)
        assert context.database is not None
        context.database.dispose()


def build(records: Records, rpc: str, target: str, request_id: str) -> object:
    """A well-formed request of ``rpc`` about the record (or region) of township ``target``."""
    app, lead, referral = records.applications[target], records.leads[target], records.referrals[target]
    region = types_pb2.RegionCode
    sequence = next(PEOPLE)
    requests = {
        "SubmitApplication": lambda: application_in(target, request_id, sequence),
        "GetApplication": lambda: intake_pb2.GetApplicationRequest(application_id=app),
        "ListApplications": lambda: intake_pb2.ListApplicationsRequest(
            township=region(code=TOWNSHIP[target])
        ),
        "AcceptApplication": lambda: intake_pb2.AcceptApplicationRequest(
            request_id=request_id, application_id=app
        ),
        "RequestCorrection": lambda: intake_pb2.RequestCorrectionRequest(
            request_id=request_id, application_id=app, missing_items=["户口簿"]
        ),
        "ResubmitApplication": lambda: intake_pb2.ResubmitApplicationRequest(
            request_id=request_id,
            application_id=app,
            household=application_in(target, request_id, 100).household,
        ),
        "RejectIntake": lambda: intake_pb2.RejectIntakeRequest(
            request_id=request_id, application_id=app, reason="不属本窗口"
        ),
        "TransferApplication": lambda: intake_pb2.TransferApplicationRequest(
            request_id=request_id,
            application_id=app,
            to_township=region(code="640402102000"),
            reason="户籍迁出",
        ),
        "WithdrawApplication": lambda: intake_pb2.WithdrawApplicationRequest(
            request_id=request_id, application_id=app, reason="申请人撤回"
        ),
        "RegisterLead": lambda: intake_pb2.RegisterLeadRequest(
            request_id=request_id,
            person=person(sequence),
            residence_region=region(code=VILLAGE[target]),
            found_by="走访",
            reason="因病致贫",
        ),
        "ConvertLead": lambda: intake_pb2.ConvertLeadRequest(
            request_id=request_id,
            lead_id=lead,
            application=application_in(target, f"{request_id}-app", sequence),
            mandate_reference="委托书 2026-001",
        ),
        "GetLead": lambda: intake_pb2.GetLeadRequest(lead_id=lead),
        "ListLeads": lambda: intake_pb2.ListLeadsRequest(region=region(code=VILLAGE[target])),
        "ContactLead": lambda: intake_pb2.ContactLeadRequest(
            request_id=request_id, lead_id=lead, note="已告知"
        ),
        "CloseLead": lambda: intake_pb2.CloseLeadRequest(
            request_id=request_id, lead_id=lead, outcome=intake_pb2.LEAD_STATE_DECLINED, reason="不愿申请"
        ),
        "ReferToDepartment": lambda: intake_pb2.ReferToDepartmentRequest(
            request_id=request_id,
            application_id=app,
            person=person(sequence),
            department=intake_pb2.DEPARTMENT_HOUSING,
            need="危房改造",
        ),
        "GetReferral": lambda: intake_pb2.GetReferralRequest(referral_id=referral),
        "RecordReferralProgress": lambda: intake_pb2.RecordReferralProgressRequest(
            request_id=request_id, referral_id=referral, state=intake_pb2.REFERRAL_STATE_SENT
        ),
    }
    return requests[rpc]()


def test_every_rpc_has_a_rule_and_a_row_in_the_table() -> None:
    service = intake_pb2.DESCRIPTOR.services_by_name["IntakeService"]
    assert missing_rules(service, RULES) == []
    assert sorted(TABLE) == sorted(method.name for method in service.methods)


def test_each_role_may_call_each_rpc_in_its_region_only(served) -> None:  # type: ignore[no-untyped-def]
    stub, records = served
    assert mismatches(stub, TABLE, lambda rpc, target, rid: build(records, rpc, target, rid)) == []


# Every RPC that names an application, lead or referral, with the field that names it.
BY_ID = [
    (rpc, field)
    for rpc, field in [
        ("GetApplication", "application_id"),
        ("AcceptApplication", "application_id"),
        ("RequestCorrection", "application_id"),
        ("ResubmitApplication", "application_id"),
        ("RejectIntake", "application_id"),
        ("TransferApplication", "application_id"),
        ("WithdrawApplication", "application_id"),
        ("ReferToDepartment", "application_id"),
        ("ConvertLead", "lead_id"),
        ("GetLead", "lead_id"),
        ("ContactLead", "lead_id"),
        ("CloseLead", "lead_id"),
        ("GetReferral", "referral_id"),
        ("RecordReferralProgress", "referral_id"),
    ]
]


@pytest.mark.parametrize(("rpc", "field"), BY_ID, ids=[rpc for rpc, _ in BY_ID])
def test_another_townships_record_cannot_be_told_from_a_missing_one(served, rpc: str, field: str) -> None:  # type: ignore[no-untyped-def]
    stub, records = served
    caller = "village_a" if rpc in {"GetLead", "ContactLead", "CloseLead"} else "township_a"
    answers = []
    for record_id in ("theirs", "app_does_not_exist"):
        request = build(records, rpc, "A", f"bola-{rpc}-{record_id}")
        if record_id == "theirs":
            theirs = {"application_id": records.applications, "lead_id": records.leads}.get(
                field, records.referrals
            )
            setattr(request, field, theirs["B"])
        else:
            setattr(request, field, record_id)
        if rpc == "ConvertLead":
            request.application.township.code = TOWNSHIP_A  # type: ignore[attr-defined]
        with pytest.raises(grpc.RpcError) as raised:
            getattr(stub, rpc)(request, metadata=metadata(caller), timeout=10)
        answers.append((raised.value.code(), raised.value.details()))
    assert answers[0] == answers[1]
    assert answers[0][0] is grpc.StatusCode.NOT_FOUND


def test_a_list_without_a_region_is_narrowed_to_the_callers_scope(served) -> None:  # type: ignore[no-untyped-def]
    stub, records = served
    found = stub.ListLeads(intake_pb2.ListLeadsRequest(), metadata=metadata("village_a"), timeout=10).leads
    assert [lead.lead_id for lead in found] == [records.leads["A"]]
    everything = stub.ListLeads(
        intake_pb2.ListLeadsRequest(region=types_pb2.RegionCode(code="640402000000")),
        metadata=metadata("county"),
        timeout=10,
    ).leads
    assert {lead.lead_id for lead in everything} == set(records.leads.values())
