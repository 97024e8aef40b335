"""Who may call which care RPC in which region: the role × RPC × region table, and the audit it leaves."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from itertools import count
from pathlib import Path

import grpc
import pytest

from doudi.audit.v1 import audit_pb2, audit_pb2_grpc
from doudi.care.v1 import care_pb2
from doudi.common.v1 import types_pb2
from doudi_care.api.policy import RULES
from doudi_common.testing import make_resident_id
from doudi_runtime.grpc.errors import field_violations_from
from doudi_runtime.testing.authz import (
    COUNTY,
    PRINCIPALS,
    TOWNSHIP_A,
    TOWNSHIP_B,
    VILLAGE_A,
    VILLAGE_B,
    auth_tokens,
    metadata,
    mismatches,
    missing_rules,
)

from .conftest import Care, at, elder_registration, person, running_care, zhou_registration

VILLAGE = {"A": VILLAGE_A, "B": VILLAGE_B}
TOWNSHIP = {"A": TOWNSHIP_A, "B": TOWNSHIP_B}
#: The care-service provider of each township's people; the provider caller is the one of township A.
PROVIDER = {"A": "prov_a", "B": "prov_b"}
#: The clock starts on 1 June 2026: May has ended and may be settled (its work orders are none).
MAY = types_pb2.Period(month="2026-05")
JUNE = types_pb2.Period(month="2026-06")
PEOPLE = count(1)

S, T, C, V, P = "service", "township_a", "county", "village_a", "provider"
LOCAL_A = {S, T, C, V}
OFFICES_A = {S, T, C}
COUNTY_WIDE = {S, C}
TABLE: dict[str, tuple[set[str], set[str]]] = {
    # Ledgers: the village keeps them, the township runs them, the county supervises (DOMAIN §1.2).
    "RegisterPerson": (LOCAL_A, COUNTY_WIDE),
    "ImportLedger": (OFFICES_A, COUNTY_WIDE),
    "GetLedgerEntry": (LOCAL_A, COUNTY_WIDE),
    "ListLedgerEntries": (LOCAL_A, COUNTY_WIDE),
    "ChangeRiskLevel": (LOCAL_A, COUNTY_WIDE),
    "ListDueVisits": (LOCAL_A, COUNTY_WIDE),
    "RecordVisit": (LOCAL_A, COUNTY_WIDE),
    # Work orders: the provider works and lists only its own (B's belong to another provider).
    "CreateWorkOrder": (OFFICES_A, COUNTY_WIDE),
    "ListWorkOrders": (OFFICES_A | {P}, COUNTY_WIDE),
    "CompleteWorkOrder": (OFFICES_A | {P}, COUNTY_WIDE),
    "MissWorkOrder": (OFFICES_A | {P}, COUNTY_WIDE),
    "AuditWorkOrder": (OFFICES_A, COUNTY_WIDE),
    # The fee is the county's to settle, for a provider whose people all live in its county.
    "SettleProvider": (COUNTY_WIDE, COUNTY_WIDE),
    # Children's protection: a report names where the child is; the case is then the region's.
    "ReportChildProtection": (LOCAL_A, COUNTY_WIDE),
    "RecordProtectionStep": (LOCAL_A, COUNTY_WIDE),
    "GetProtectionCase": (LOCAL_A, COUNTY_WIDE),
    # Taking a person off a ledger is the township's or the county's decision; last, as it stops the rest.
    "CloseLedgerEntry": (OFFICES_A, COUNTY_WIDE),
}

#: The provider caller is bound to its provider id; a second department may file mandatory reports.
CALLERS = {
    "provider": {**PRINCIPALS["provider"], "subject": PROVIDER["A"]},  # type: ignore[dict-item]
    "police": {
        "name": "police",
        "org": "县公安局",
        "role": "external_system",
        "scopes": ["protection.report"],
    },
}


@dataclass
class Records:
    care: Care
    entries: dict[str, str]
    orders: dict[str, str]
    cases: dict[str, str]


def resident(born: int) -> str:
    """A new person's identity number each time (born in ``born``)."""
    n = next(PEOPLE)
    return make_resident_id(date(born, 1, 1 + n % 28), n // 28 % 99 + 1)


def new_elder(target: str) -> care_pb2.LedgerRegistration:
    return elder_registration(resident(1950), VILLAGE[target])


def child_report(target: str, request_id: str) -> care_pb2.ReportChildProtectionRequest:
    return care_pb2.ReportChildProtectionRequest(
        request_id=request_id,
        child=person(resident(2015), "马小军"),
        region=types_pb2.RegionCode(code=VILLAGE[target]),
        description="孩子独自在家三天无人照看",
        reporter="学校",
    )


@pytest.fixture
def records(database_url: str, tmp_path: Path) -> Iterator[Records]:
    with running_care(
        database_url,
        tmp_path,
        auth_tokens=auth_tokens(CALLERS),
        client_token="service",
        rate_limit="off",
    ) as care:
        entries, orders, cases = {}, {}, {}
        for target in "AB":
            # A dispersed Tekun person gets care work orders from the provider of their township.
            registration = zhou_registration(
                person=person(resident(1945), "周秀兰"),
                region=types_pb2.RegionCode(code=VILLAGE[target]),
                provider_id=PROVIDER[target],
            )
            entries[target] = care.stub.RegisterPerson(
                care_pb2.RegisterPersonRequest(request_id=f"seed-{target}", registration=registration),
                metadata=metadata("service"),
            ).entry.entry_id
            orders[target] = care.stub.CreateWorkOrder(
                care_pb2.CreateWorkOrderRequest(
                    request_id=f"seed-order-{target}",
                    entry_id=entries[target],
                    provider_id=PROVIDER[target],
                    period=JUNE,
                    content="打扫卫生",
                ),
                metadata=metadata("service"),
            ).work_order_id
            cases[target] = care.stub.ReportChildProtection(
                child_report(target, f"seed-case-{target}"), metadata=metadata("service")
            ).protection_case.case_id
        yield Records(care, entries, orders, cases)


def build(records: Records, rpc: str, target: str, request_id: str) -> object:
    c = care_pb2
    entry, order, case = records.entries[target], records.orders[target], records.cases[target]
    village = types_pb2.RegionCode(code=VILLAGE[target])
    requests = {
        "RegisterPerson": lambda: c.RegisterPersonRequest(
            request_id=request_id, registration=new_elder(target)
        ),
        "ImportLedger": lambda: c.ImportLedgerRequest(
            request_id=request_id,
            rows=[new_elder(target)],
            region=types_pb2.RegionCode(code=TOWNSHIP[target]),
        ),
        "GetLedgerEntry": lambda: c.GetLedgerEntryRequest(entry_id=entry),
        "ListLedgerEntries": lambda: c.ListLedgerEntriesRequest(region=village),
        "ChangeRiskLevel": lambda: c.ChangeRiskLevelRequest(
            request_id=request_id, entry_id=entry, risk_level=c.RISK_LEVEL_KEY, reason="独居且患病"
        ),
        "CloseLedgerEntry": lambda: c.CloseLedgerEntryRequest(
            request_id=request_id, entry_id=entry, reason="迁出本县"
        ),
        "ListDueVisits": lambda: c.ListDueVisitsRequest(region=village),
        "RecordVisit": lambda: c.RecordVisitRequest(
            request_id=request_id,
            entry_id=entry,
            visited_at=at(records.care.clock()),
            place="家中",
            findings="身体尚好",
            mode=c.VISIT_MODE_HOME,
            visitor="马主任",
        ),
        "CreateWorkOrder": lambda: c.CreateWorkOrderRequest(
            request_id=request_id, entry_id=entry, provider_id=PROVIDER[target], period=JUNE, content="洗衣"
        ),
        "ListWorkOrders": lambda: c.ListWorkOrdersRequest(
            provider_id=PROVIDER[target], period=JUNE, region=types_pb2.RegionCode(code=TOWNSHIP[target])
        ),
        "CompleteWorkOrder": lambda: c.CompleteWorkOrderRequest(
            request_id=request_id, work_order_id=order, confirmed=True, quality_score=4, confirmed_by="本人"
        ),
        "MissWorkOrder": lambda: c.MissWorkOrderRequest(
            request_id=request_id, work_order_id=order, reason="老人外出就医"
        ),
        "AuditWorkOrder": lambda: c.AuditWorkOrderRequest(
            request_id=request_id, work_order_id=order, passed=True
        ),
        "SettleProvider": lambda: c.SettleProviderRequest(
            request_id=request_id, provider_id=PROVIDER[target], period=MAY
        ),
        "ReportChildProtection": lambda: child_report(target, request_id),
        "RecordProtectionStep": lambda: c.RecordProtectionStepRequest(
            request_id=request_id, case_id=case, step=c.PROTECTION_STEP_DISPATCH, note="村儿童主任已到场"
        ),
        "GetProtectionCase": lambda: c.GetProtectionCaseRequest(case_id=case),
    }
    return requests[rpc]()


def test_every_rpc_has_a_rule_and_a_row_in_the_table() -> None:
    service = care_pb2.DESCRIPTOR.services_by_name["CareService"]
    assert missing_rules(service, RULES) == []
    assert sorted(TABLE) == sorted(method.name for method in service.methods)


def test_each_role_may_call_each_rpc_in_its_region_only(records: Records) -> None:
    found = mismatches(
        records.care.stub, TABLE, lambda rpc, target, rid: build(records, rpc, target, rid), PRINCIPALS
    )
    assert found == [], "\n".join(found)


def refusal(call: object, request: object, caller: str) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        call(request, metadata=metadata(caller), timeout=10)  # type: ignore[operator]
    return raised.value


def test_a_report_naming_another_townships_child_reads_like_an_unknown_one(records: Records) -> None:
    stub = records.care.stub
    child = care_pb2.ReportChildProtectionRequest(
        request_id="report-b", entry_id=records.entries["B"], description="邻居反映", reporter="邻居"
    )
    unknown = care_pb2.ReportChildProtectionRequest(
        request_id="report-x", entry_id="entry_unknown", description="邻居反映", reporter="邻居"
    )
    answers = {
        (e.code(), e.details()) for e in (refusal(stub.ReportChildProtection, r, T) for r in (child, unknown))
    }
    assert answers == {(grpc.StatusCode.NOT_FOUND, "entry not found")}


def test_another_department_reports_a_child_with_the_protection_scope_only(records: Records) -> None:
    answer = records.care.stub.ReportChildProtection(
        child_report("B", "police-1"), metadata=metadata("police")
    )
    assert answer.protection_case.region.code == VILLAGE_B
    assert refusal(
        records.care.stub.ReportChildProtection, child_report("A", "hospital-1"), "hospital"
    ).code() is (grpc.StatusCode.PERMISSION_DENIED)


def test_an_import_refuses_the_rows_outside_its_region(records: Records) -> None:
    request = care_pb2.ImportLedgerRequest(
        request_id="import-a",
        rows=[new_elder("A"), new_elder("B")],
        region=types_pb2.RegionCode(code=TOWNSHIP_A),
    )
    result = records.care.stub.ImportLedger(request, metadata=metadata(T))
    assert [row.row for row in result.imported] == [0]
    [error] = result.errors
    assert (error.row, [v.field for v in error.violations]) == (1, ["region"])


def test_a_work_order_list_left_unfiltered_holds_only_the_callers_township(records: Records) -> None:
    stub = records.care.stub
    # prov_a now also serves a person of township B.
    other = stub.RegisterPerson(
        care_pb2.RegisterPersonRequest(
            request_id="reg-b2",
            registration=zhou_registration(
                person=person(resident(1945), "周桂英"),
                region=types_pb2.RegionCode(code=VILLAGE_B),
                provider_id=PROVIDER["A"],
            ),
        ),
        metadata=metadata(S),
    ).entry.entry_id
    stub.CreateWorkOrder(
        care_pb2.CreateWorkOrderRequest(
            request_id="order-b2", entry_id=other, provider_id=PROVIDER["A"], period=JUNE, content="洗衣"
        ),
        metadata=metadata(S),
    )
    request = care_pb2.ListWorkOrdersRequest(provider_id=PROVIDER["A"], period=JUNE)
    listed = {
        caller: stub.ListWorkOrders(request, metadata=metadata(caller)).work_orders for caller in (S, T, P)
    }
    assert {o.entry_id for o in listed[T]} == {records.entries["A"]}
    assert {o.entry_id for o in listed[S]} == {o.entry_id for o in listed[P]} == {records.entries["A"], other}
    # A provider lists only its own orders.
    mine = care_pb2.ListWorkOrdersRequest(provider_id=PROVIDER["B"], period=JUNE)
    assert refusal(stub.ListWorkOrders, mine, P).code() is grpc.StatusCode.PERMISSION_DENIED


def test_a_county_settles_only_a_provider_whose_people_all_live_in_it(records: Records) -> None:
    stub = records.care.stub
    # prov_b now also serves a person of a neighbouring county.
    neighbour = stub.RegisterPerson(
        care_pb2.RegisterPersonRequest(
            request_id="reg-neighbour",
            registration=zhou_registration(
                person=person(resident(1945), "周淑芬"),
                region=types_pb2.RegionCode(code="640403100201"),
                provider_id=PROVIDER["B"],
            ),
        ),
        metadata=metadata(S),
    ).entry.entry_id
    stub.CreateWorkOrder(
        care_pb2.CreateWorkOrderRequest(
            request_id="order-neighbour",
            entry_id=neighbour,
            provider_id=PROVIDER["B"],
            period=JUNE,
            content="洗衣",
        ),
        metadata=metadata(S),
    )
    settle = care_pb2.SettleProviderRequest(request_id="settle-b", provider_id=PROVIDER["B"], period=MAY)
    refused = refusal(stub.SettleProvider, settle, C)
    assert (refused.code(), refused.details()) == (grpc.StatusCode.NOT_FOUND, "provider not found")
    stub.SettleProvider(
        care_pb2.SettleProviderRequest(request_id="settle-a", provider_id=PROVIDER["A"], period=MAY),
        metadata=metadata(C),
    )


def test_a_change_is_audited_with_who_why_and_the_record_before_and_after(records: Records) -> None:
    entry_id = records.entries["A"]
    records.care.stub.ChangeRiskLevel(
        care_pb2.ChangeRiskLevelRequest(
            request_id="risk-1", entry_id=entry_id, risk_level=care_pb2.RISK_LEVEL_HIGH, reason="独居且跌倒"
        ),
        metadata=metadata(V),
    )
    audit = audit_pb2_grpc.AuditServiceStub(records.care.channel)
    trail = audit.ListAuditRecords(audit_pb2.ListAuditRecordsRequest(), metadata=metadata("auditor")).records
    [record] = [r for r in trail if r.method.endswith("/ChangeRiskLevel")]
    assert (record.actor, record.actor_role, record.subject_kind, record.subject_id, record.reason) == (
        "committee.a",
        "village_committee",
        "entry",
        entry_id,
        "独居且跌倒",
    )
    before, after = json.loads(record.before_json), json.loads(record.after_json)
    assert (before["risk_level"], after["risk_level"]) == ("GENERAL", "HIGH")
    # The trail keeps who changed what, not a second copy of identity numbers.
    assert "********" in after["id_number"]
    verified = audit.GetChainVerification(
        audit_pb2.GetChainVerificationRequest(), metadata=metadata("auditor")
    )
    assert verified.intact and verified.records_checked == len(trail)
    # The seeds were audited too, as the service that made them.
    assert {r.method.rsplit("/", 1)[1] for r in trail} >= {"RegisterPerson", "CreateWorkOrder"}


def test_a_county_imports_for_its_whole_county_and_a_malformed_region_names_the_field(
    records: Records,
) -> None:
    stub = records.care.stub
    county_wide = care_pb2.ImportLedgerRequest(
        request_id="import-county",
        rows=[new_elder("A"), new_elder("B")],
        region=types_pb2.RegionCode(code=COUNTY),
    )
    assert len(stub.ImportLedger(county_wide, metadata=metadata(C)).imported) == 2
    malformed = care_pb2.ImportLedgerRequest(
        request_id="import-bad", rows=[new_elder("A")], region=types_pb2.RegionCode(code="6404021")
    )
    error = refusal(stub.ImportLedger, malformed, S)
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert [field for field, _ in field_violations_from(error)] == ["region"]


BY_RECORD = [rpc for rpc, entry in RULES.items() if entry.record is not None and rpc != "SettleProvider"]


def test_another_townships_record_reads_exactly_like_an_unknown_id_on_every_path(records: Records) -> None:
    unknown = Records(records.care, {"B": "entry_unknown"}, {"B": "wo_unknown"}, {"B": "case_unknown"})
    for rpc in BY_RECORD:
        answers = set()
        for held in (records, unknown):
            request = build(held, rpc, "B", f"bola-{rpc}")
            if rpc == "ReportChildProtection":
                request.ClearField("region")  # type: ignore[attr-defined]
                request.entry_id = held.entries["B"]  # type: ignore[attr-defined]
            error = refusal(getattr(records.care.stub, rpc), request, T)
            answers.add((error.code(), error.details()))
        assert len(answers) == 1 and next(iter(answers))[0] is grpc.StatusCode.NOT_FOUND, (rpc, answers)
