"""Who may call which verification and monitoring RPC in which region: the role × RPC × region tables."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from itertools import count
from pathlib import Path

import grpc
import pytest

from doudi.common.v1 import types_pb2
from doudi.verification.v1 import monitoring_pb2, monitoring_pb2_grpc, verification_pb2, verification_pb2_grpc
from doudi_common.testing import make_resident_id
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
from doudi_sim.main import RECORDS
from doudi_sim.settings import RecordsSettings
from doudi_verification.api.policy import MONITORING_RULES, VERIFICATION_RULES
from doudi_verification.main import DEFINITION, VerificationSettings, use_cases

from .test_checks_api import H01, H02, Verification, accepted, deliver
from .test_monitoring_api import fire_report

TOWNSHIP = {"A": TOWNSHIP_A, "B": TOWNSHIP_B}
VILLAGE = {"A": VILLAGE_A, "B": VILLAGE_B}
PEOPLE = count(1)

S, T, C, V = "service", "township_a", "county", "village_a"
VERIFICATION_TABLE: dict[str, tuple[set[str], set[str]]] = {
    "RequestVerification": ({S, T, C}, {S, C}),
    "GetReport": ({S, T, C}, {S, C}),
    "RecordHomeSurvey": ({S, T, C}, {S, C}),
    "DisputeReport": ({S, T, C}, {S, C}),
    "ListReviews": ({S, T, C}, {S, C}),
}
MONITORING_TABLE: dict[str, tuple[set[str], set[str]]] = {
    "ReportMonitoringEvent": ({S, T, C, V}, {S, C}),
    "GetAlert": ({S, T, C}, {S, C}),
    "ListAlerts": ({S, T, C}, {S, C}),
    "AssignAlert": ({S, T, C}, {S, C}),
    "RecordAlertVerification": ({S, T, C}, {S, C}),
    "DisposeAlert": ({S, T, C}, {S, C}),
    "CloseAlert": ({S, T, C}, {S, C}),
    "ListMonitoredHouseholds": ({S, T, C}, {S, C}),
}


@dataclass
class Records:
    applications: dict[str, str]
    reports: dict[str, str]
    alerts: dict[str, str]


@dataclass
class Served:
    checks: verification_pb2_grpc.VerificationServiceStub
    monitoring: monitoring_pb2_grpc.MonitoringServiceStub
    records: Records


def person() -> types_pb2.IdNumber:
    number = next(PEOPLE)
    return types_pb2.IdNumber(value=make_resident_id(date(1970, 2, 1 + number % 28), number % 100))


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[Served]:
    sim_settings = RecordsSettings(grpc_port=0, metrics_port=0, auth_tokens='{"sim": "verification"}')
    sim = GrpcServer(sim_settings, list(RECORDS.grpc_bindings(build_context(RECORDS, sim_settings))))
    sim_port = sim.start()
    settings = VerificationSettings(
        grpc_port=0,
        metrics_port=0,
        data_dir=tmp_path,
        database_url=database_url,
        auth_tokens=auth_tokens(),
        client_token="sim",
        shutdown_grace_seconds=0,
        records_target=f"127.0.0.1:{sim_port}",
        records_deadline_seconds=3,
    )
    migrate(DEFINITION, settings)
    context = build_context(DEFINITION, settings)
    server = GrpcServer(settings, list(DEFINITION.grpc_bindings(context)))
    channel = grpc.insecure_channel(f"127.0.0.1:{server.start()}")
    checks = verification_pb2_grpc.VerificationServiceStub(channel)
    monitoring = monitoring_pb2_grpc.MonitoringServiceStub(channel)
    records = Records({}, {}, {})
    verification = Verification(checks, context, use_cases(context), None)
    for target, members in (("A", H01), ("B", H02)):
        application_id = f"app_{target.lower()}"
        event = accepted(application_id, members)
        event.application.township.code = TOWNSHIP[target]
        event.application.household.residence_region.code = VILLAGE[target]
        deliver(verification, event, application_id)
        records.applications[target] = application_id
    verification.checks.run_due()
    for target in "AB":
        report = checks.GetReport(
            verification_pb2.GetReportRequest(application_id=records.applications[target]),
            metadata=metadata("service"),
        ).report
        records.reports[target] = report.report_id
        alert = monitoring.ReportMonitoringEvent(
            fire_report(f"seed-{target}", person=person(), region=types_pb2.RegionCode(code=VILLAGE[target])),
            metadata=metadata("service"),
        )
        records.alerts[target] = alert.alert_id
    try:
        yield Served(checks, monitoring, records)
    finally:
        channel.close()
        server.stop(0)
        sim.stop(0)
        context.database.dispose()  # type: ignore[union-attr]


def verification_request(records: Records, rpc: str, target: str, request_id: str) -> object:
    application, report = records.applications[target], records.reports[target]
    requests = {
        "RequestVerification": lambda: verification_pb2.RequestVerificationRequest(
            request_id=request_id, application_id=application, reason="复核"
        ),
        "GetReport": lambda: verification_pb2.GetReportRequest(application_id=application),
        "RecordHomeSurvey": lambda: verification_pb2.RecordHomeSurveyRequest(
            request_id=request_id, application_id=application, surveyor_ids=["s1", "s2"], findings="入户核实"
        ),
        "DisputeReport": lambda: verification_pb2.DisputeReportRequest(
            request_id=request_id,
            report_id=report,
            item=verification_pb2.SourceItem(member_index=0, source="HUMAN_RESOURCES", item="pension"),
            evidence="养老金已停发",
        ),
        "ListReviews": lambda: verification_pb2.ListReviewsRequest(
            region=types_pb2.RegionCode(code=TOWNSHIP[target])
        ),
    }
    return requests[rpc]()


def monitoring_request(records: Records, rpc: str, target: str, request_id: str) -> object:
    alert = records.alerts[target]
    m = monitoring_pb2
    requests = {
        "ReportMonitoringEvent": lambda: fire_report(
            request_id, person=person(), region=types_pb2.RegionCode(code=VILLAGE[target])
        ),
        "GetAlert": lambda: m.GetAlertRequest(alert_id=alert),
        "ListAlerts": lambda: m.ListAlertsRequest(region=types_pb2.RegionCode(code=TOWNSHIP[target])),
        "AssignAlert": lambda: m.AssignAlertRequest(request_id=request_id, alert_id=alert, assignee="网格员"),
        "RecordAlertVerification": lambda: m.RecordAlertVerificationRequest(
            request_id=request_id, alert_id=alert
        ),
        "DisposeAlert": lambda: m.DisposeAlertRequest(request_id=request_id, alert_id=alert, reason="已处置"),
        "CloseAlert": lambda: m.CloseAlertRequest(request_id=request_id, alert_id=alert, note="已办结"),
        "ListMonitoredHouseholds": lambda: m.ListMonitoredHouseholdsRequest(
            region=types_pb2.RegionCode(code=TOWNSHIP[target])
        ),
    }
    return requests[rpc]()


def test_every_rpc_has_a_rule_and_a_row_in_the_tables() -> None:
    for name, rules, table in (
        ("VerificationService", VERIFICATION_RULES, VERIFICATION_TABLE),
        ("MonitoringService", MONITORING_RULES, MONITORING_TABLE),
    ):
        descriptor = (verification_pb2 if name == "VerificationService" else monitoring_pb2).DESCRIPTOR
        service = descriptor.services_by_name[name]
        assert missing_rules(service, rules) == []
        assert sorted(table) == sorted(method.name for method in service.methods)


def test_each_role_may_check_households_in_its_region_only(served: Served) -> None:
    found = mismatches(
        served.checks,
        VERIFICATION_TABLE,
        lambda rpc, target, rid: verification_request(served.records, rpc, target, rid),
    )
    assert found == [], "\n".join(found)


def test_each_role_may_work_alerts_in_its_region_only(served: Served) -> None:
    found = mismatches(
        served.monitoring,
        MONITORING_TABLE,
        lambda rpc, target, rid: monitoring_request(served.records, rpc, target, rid),
    )
    assert found == [], "\n".join(found)


def test_another_townships_report_and_alert_cannot_be_told_from_missing_ones(served: Served) -> None:
    township_a = metadata("township_a")
    answers = []
    for report_id in (served.records.reports["B"], "rep_missing"):
        with pytest.raises(grpc.RpcError) as raised:
            served.checks.GetReport(
                verification_pb2.GetReportRequest(report_id=report_id), metadata=township_a
            )
        answers.append((raised.value.code(), raised.value.details()))
    for alert_id in (served.records.alerts["B"], "alert_missing"):
        with pytest.raises(grpc.RpcError) as raised:
            served.monitoring.GetAlert(monitoring_pb2.GetAlertRequest(alert_id=alert_id), metadata=township_a)
        answers.append((raised.value.code(), raised.value.details()))
    assert answers[0] == answers[1] and answers[2] == answers[3]
    assert {code for code, _ in answers} == {grpc.StatusCode.NOT_FOUND}
