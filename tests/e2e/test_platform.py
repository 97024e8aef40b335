"""The whole local platform, started by the runner behind `make run`, driven only through its public APIs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from kafka import KafkaConsumer

from doudi.common.v1 import programme_pb2, types_pb2
from doudi.eligibility.v1 import eligibility_pb2, eligibility_pb2_grpc
from doudi.intake.v1 import events_pb2, intake_pb2, intake_pb2_grpc
from doudi.verification.v1 import verification_pb2, verification_pb2_grpc
from doudi_common.testing import EXAMPLE_TOWNSHIP, EXAMPLE_VILLAGE, make_resident_id
from doudi_runtime.events.envelope import decode, unpack
from doudi_runtime.grpc.errors import field_violations_from
from doudi_sim.fixtures import example_households

# The platform listens on fixed ports (the offset below): its tests run on one pytest worker.
pytestmark = [pytest.mark.platform, pytest.mark.xdist_group("platform-e2e")]

PORT_OFFSET = 3000
START_TIMEOUT_SECONDS = 150
API_OF = {
    "intake": "doudi.intake.v1.IntakeService",
    "verification": "doudi.verification.v1.VerificationService",
    "eligibility": "doudi.eligibility.v1.EligibilityService",
    "disbursement": "doudi.disbursement.v1.DisbursementService",
    "care": "doudi.care.v1.CareService",
    "dispatch": "doudi.dispatch.v1.DispatchService",
    "records": "doudi.records.v1.DepartmentRecordsService",
    "bank": "doudi.bank.v1.BankService",
}


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone in every way that matters here.
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split(") ", 1)[-1].startswith("Z"))


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    run_dir = tmp_path_factory.mktemp("platform")
    output = (run_dir / "runner.out").open("wb")
    runner = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "doudi_platform",
            "run",
            "--run-dir",
            str(run_dir),
            "--port-offset",
            str(PORT_OFFSET),
        ],
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    state_file = run_dir / "platform.json"
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not state_file.exists():
        if runner.poll() is not None or time.monotonic() > deadline:
            runner.kill()
            pytest.fail(f"the platform did not come up:\n{(run_dir / 'runner.out').read_text()[-4000:]}")
        time.sleep(0.2)
    state = json.loads(state_file.read_text())
    state["token"] = Path(state["operator_token_file"]).read_text().strip()
    state["by_name"] = {c["name"]: c for c in state["components"]}
    # Every gRPC port takes mutual TLS only: the tests connect with the runner's operator certificate.
    tls = state["tls"]
    credentials = _credentials(Path(tls["ca"]), Path(tls["cert"]), Path(tls["key"]))
    for component in state["components"]:
        component["credentials"] = credentials
    print(f"platform up in {state['startup_seconds']:.1f} s")
    try:
        yield state
    finally:
        runner.send_signal(signal.SIGINT)
        try:
            runner.wait(timeout=60)
        except subprocess.TimeoutExpired:
            runner.kill()
            pytest.fail("the runner did not stop within 60 s of Ctrl-C")
        leftovers = [c["name"] for c in state["components"] if c.get("pid") and _pid_alive(c["pid"])]
        assert leftovers == [], f"processes left behind after Ctrl-C: {leftovers}"
        assert not state_file.exists()


def _credentials(ca: Path, cert: Path | None = None, key: Path | None = None) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(
        root_certificates=ca.read_bytes(),
        private_key=key.read_bytes() if key else None,
        certificate_chain=cert.read_bytes() if cert else None,
    )


def _channel(component: dict[str, Any]) -> grpc.Channel:
    return grpc.secure_channel(f"127.0.0.1:{component['grpc_port']}", component["credentials"])


def _auth(platform: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {platform['token']}"),)


def _served_components(platform: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in platform["components"] if c.get("grpc_port")]


def test_every_component_answers_health_serving(platform: dict[str, Any]) -> None:
    served = _served_components(platform)
    assert {c["name"] for c in served} >= set(API_OF) | {"gateway"}
    for component in served:
        with _channel(component) as channel:
            answer = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=5
            )
        assert answer.status == health_pb2.HealthCheckResponse.SERVING, component["name"]


def _reflected_services(channel: grpc.Channel, metadata: Any) -> set[str]:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    responses = stub.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")]), metadata=metadata, timeout=5
    )
    return {service.name for response in responses for service in response.list_services_response.service}


def test_every_component_lists_its_api_by_reflection(platform: dict[str, Any]) -> None:
    for component in _served_components(platform):
        with _channel(component) as channel:
            services = _reflected_services(channel, _auth(platform))
        assert "grpc.health.v1.Health" in services, component["name"]
        if component["name"] in API_OF:
            assert API_OF[component["name"]] in services, component["name"]


def test_reflection_needs_a_token(platform: dict[str, Any]) -> None:
    with _channel(platform["by_name"]["intake"]) as channel, pytest.raises(grpc.RpcError) as raised:
        _reflected_services(channel, ())
    assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED


def _health(channel: grpc.Channel) -> int:
    return (
        health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=5).status
    )


def test_no_component_takes_a_connection_without_a_certificate_of_the_platform(
    platform: dict[str, Any],
) -> None:
    ca = Path(platform["tls"]["ca"])
    for component in _served_components(platform):
        target = f"127.0.0.1:{component['grpc_port']}"
        for channel in (grpc.insecure_channel(target), grpc.secure_channel(target, _credentials(ca))):
            with channel, pytest.raises(grpc.RpcError) as raised:
                _health(channel)
            assert raised.value.code() == grpc.StatusCode.UNAVAILABLE, component["name"]


def test_a_service_certificate_names_the_service_without_a_token(platform: dict[str, Any]) -> None:
    tls = Path(platform["tls"]["dir"])
    gateway = _credentials(tls / "ca.pem", tls / "gateway.pem", tls / "gateway.key")
    target = f"127.0.0.1:{platform['by_name']['intake']['grpc_port']}"
    with grpc.secure_channel(target, gateway) as channel:
        assert API_OF["intake"] in _reflected_services(channel, ())


def test_every_component_exposes_grpc_metrics_after_a_call(platform: dict[str, Any]) -> None:
    for component in _served_components(platform):
        with _channel(component) as channel:
            _reflected_services(channel, _auth(platform))
        url = f"http://127.0.0.1:{component['metrics_port']}/metrics"
        body = urllib.request.urlopen(url, timeout=5).read().decode()
        handled = [line for line in body.splitlines() if line.startswith("grpc_server_handled_total{")]
        assert any('grpc_method="ServerReflectionInfo"' in line for line in handled), component["name"]
        assert "grpc_server_handling_seconds_bucket" in body, component["name"]


def _application(request_id: str, id_number: str) -> intake_pb2.SubmitApplicationRequest:
    return intake_pb2.SubmitApplicationRequest(
        request_id=request_id,
        programme=programme_pb2.PROGRAMME_TEKUN,
        channel=programme_pb2.CHANNEL_HOTLINE,
        township=types_pb2.RegionCode(code=EXAMPLE_TOWNSHIP),
        household=intake_pb2.Household(
            household_type=intake_pb2.HOUSEHOLD_TYPE_RURAL,
            residence_region=types_pb2.RegionCode(code=EXAMPLE_VILLAGE),
            members=[
                intake_pb2.HouseholdMember(
                    person=types_pb2.Person(id_number=types_pb2.IdNumber(value=id_number), name="张玉兰"),
                    relation_to_applicant=intake_pb2.RELATION_SELF,
                    counted=True,
                    consent_signed=True,
                )
            ],
        ),
    )


def test_a_malformed_rpc_is_invalid_argument_naming_the_field(platform: dict[str, Any]) -> None:
    broken = make_resident_id(date(1959, 3, 8), female=True)[:-1] + "0"
    if broken == make_resident_id(date(1959, 3, 8), female=True):
        broken = broken[:-1] + "1"
    with _channel(platform["by_name"]["intake"]) as channel, pytest.raises(grpc.RpcError) as raised:
        intake_pb2_grpc.IntakeServiceStub(channel).SubmitApplication(
            _application(f"e2e-{uuid.uuid4()}", broken), metadata=_auth(platform), timeout=10
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert ("household.members[0].person.id_number") in {f for f, _ in field_violations_from(raised.value)}


def test_a_submitted_application_is_announced_on_its_topic(platform: dict[str, Any]) -> None:
    with _channel(platform["by_name"]["intake"]) as channel:
        response = intake_pb2_grpc.IntakeServiceStub(channel).SubmitApplication(
            _application(f"e2e-{uuid.uuid4()}", make_resident_id(date(1959, 3, 8), female=True)),
            metadata=_auth(platform),
            timeout=10,
        )
    application_id = response.application.application_id
    consumer = KafkaConsumer(
        "doudi.intake.application.v1",
        bootstrap_servers=platform["broker"],
        auto_offset_reset="earliest",
        consumer_timeout_ms=15000,
    )
    found = None
    for message in consumer:
        event = unpack(decode(message.value), events_pb2.ApplicationSubmitted)
        if event.application_id == application_id:
            found = (message.key, event)
            break
    consumer.close()
    assert found is not None, "ApplicationSubmitted never reached the topic"
    assert found[0] == application_id.encode()
    assert found[1].application.state == intake_pb2.APPLICATION_STATE_SUBMITTED


def _http(platform: dict[str, Any], method: str, path: str, body: Any = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        platform["gateway_http"] + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {platform['token']}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_gateway_fronts_intake_over_http(platform: dict[str, Any]) -> None:
    body = {
        "request_id": f"e2e-{uuid.uuid4()}",
        "programme": "PROGRAMME_DIBAO",
        "channel": "CHANNEL_ONLINE",
        "township": {"code": EXAMPLE_TOWNSHIP},
        "household": {
            "household_type": "HOUSEHOLD_TYPE_URBAN",
            "residence_region": {"code": EXAMPLE_VILLAGE},
            "members": [
                {
                    "person": {
                        "id_number": {"value": make_resident_id(date(1975, 6, 1), 21)},
                        "name": "李志强",
                    },
                    "relation_to_applicant": "RELATION_SELF",
                    "counted": True,
                }
            ],
        },
    }
    status, created = _http(platform, "POST", "/v1/applications", body)
    assert status == 201, created
    application_id = created["application"]["application_id"]
    status, fetched = _http(platform, "GET", f"/v1/applications/{application_id}")
    assert status == 200 and fetched["application"]["state"] == "APPLICATION_STATE_SUBMITTED"

    body["request_id"] = f"e2e-{uuid.uuid4()}"
    body["township"] = {"code": "not-a-region"}
    status, refused = _http(platform, "POST", "/v1/applications", body)
    assert status == 422
    assert [v["field"] for v in refused["error"]["field_violations"]] == ["township"]


def test_an_accepted_application_is_verified_against_the_departments(platform: dict[str, Any]) -> None:
    """H01 of DOMAIN §13, end to end: intake accepts, verification hears it over Kafka, asks the
    department-records simulator, and reports y = 540.00 < 560 with every asset rule passed or exempt."""
    applicant, wife, son = example_households()["H01"]
    request = intake_pb2.SubmitApplicationRequest(
        request_id=f"e2e-{uuid.uuid4()}",
        programme=programme_pb2.PROGRAMME_DIBAO,
        channel=programme_pb2.CHANNEL_WINDOW,
        township=types_pb2.RegionCode(code=EXAMPLE_TOWNSHIP),
        household=intake_pb2.Household(
            household_type=intake_pb2.HOUSEHOLD_TYPE_URBAN,
            residence_region=types_pb2.RegionCode(code=EXAMPLE_VILLAGE),
            members=[
                intake_pb2.HouseholdMember(
                    person=types_pb2.Person(id_number=types_pb2.IdNumber(value=id_number), name=name),
                    relation_to_applicant=relation,
                    counted=True,
                    consent_signed=True,
                )
                for id_number, name, relation in (
                    (applicant, "李建军", intake_pb2.RELATION_SELF),
                    (wife, "王丽", intake_pb2.RELATION_SPOUSE),
                    (son, "李明", intake_pb2.RELATION_CHILD),
                )
            ],
        ),
    )
    with _channel(platform["by_name"]["intake"]) as channel:
        intake = intake_pb2_grpc.IntakeServiceStub(channel)
        submitted = intake.SubmitApplication(request, metadata=_auth(platform), timeout=10).application
        intake.AcceptApplication(
            intake_pb2.AcceptApplicationRequest(
                request_id=f"e2e-{uuid.uuid4()}", application_id=submitted.application_id
            ),
            metadata=_auth(platform),
            timeout=10,
        )
    report = None
    deadline = time.monotonic() + 60
    with _channel(platform["by_name"]["verification"]) as channel:
        verification = verification_pb2_grpc.VerificationServiceStub(channel)
        while time.monotonic() < deadline:
            try:
                report = verification.GetReport(
                    verification_pb2.GetReportRequest(application_id=submitted.application_id),
                    metadata=_auth(platform),
                    timeout=5,
                ).report
                break
            except grpc.RpcError as error:
                assert error.code() == grpc.StatusCode.NOT_FOUND, error
                time.sleep(0.5)
    assert report is not None, "no verification report within 60 s of acceptance"
    assert report.state == verification_pb2.REPORT_STATE_COMPLETE, report.missing_sources
    assert (report.per_capita_monthly.numerator, report.per_capita_monthly.denominator) == (54_000, 1)
    assert report.per_capita_monthly.display_yuan == "540.00"
    assert report.income_band == verification_pb2.INCOME_BAND_BELOW_STANDARD
    assert {t.outcome for t in report.asset_tests} <= {
        verification_pb2.ASSET_OUTCOME_PASS,
        verification_pb2.ASSET_OUTCOME_EXEMPT,
    }


def test_h01_reaches_eligibility_and_its_opinion_is_posted(platform: dict[str, Any]) -> None:
    """H01 again, one service further: eligibility hears intake's acceptance and verification's report over
    Kafka, opens the case, and the township's steps give the approving opinion of 60 yuan a month, posted
    for public notice. (The notice runs 7 calendar days, so confirmation is covered in-process by
    tests/contract/test_eligibility_to_disbursement.py, not here.)"""
    applicant, wife, son = example_households()["H01"]
    request = intake_pb2.SubmitApplicationRequest(
        request_id=f"e2e-{uuid.uuid4()}",
        programme=programme_pb2.PROGRAMME_DIBAO,
        channel=programme_pb2.CHANNEL_WINDOW,
        township=types_pb2.RegionCode(code=EXAMPLE_TOWNSHIP),
        household=intake_pb2.Household(
            household_type=intake_pb2.HOUSEHOLD_TYPE_URBAN,
            residence_region=types_pb2.RegionCode(code=EXAMPLE_VILLAGE),
            members=[
                intake_pb2.HouseholdMember(
                    person=types_pb2.Person(id_number=types_pb2.IdNumber(value=id_number), name=name),
                    relation_to_applicant=relation,
                    counted=True,
                    consent_signed=True,
                )
                for id_number, name, relation in (
                    (applicant, "李建军", intake_pb2.RELATION_SELF),
                    (wife, "王丽", intake_pb2.RELATION_SPOUSE),
                    (son, "李明", intake_pb2.RELATION_CHILD),
                )
            ],
        ),
    )
    with _channel(platform["by_name"]["intake"]) as channel:
        intake = intake_pb2_grpc.IntakeServiceStub(channel)
        submitted = intake.SubmitApplication(request, metadata=_auth(platform), timeout=10).application
        intake.AcceptApplication(
            intake_pb2.AcceptApplicationRequest(
                request_id=f"e2e-{uuid.uuid4()}", application_id=submitted.application_id
            ),
            metadata=_auth(platform),
            timeout=10,
        )
    application_id = submitted.application_id
    township = eligibility_pb2.Actor(role=eligibility_pb2.ACTOR_ROLE_TOWNSHIP, user_id="township-e2e")
    village = eligibility_pb2.Actor(role=eligibility_pb2.ACTOR_ROLE_VILLAGE, user_id="village-e2e")
    with _channel(platform["by_name"]["eligibility"]) as channel:
        eligibility = eligibility_pb2_grpc.EligibilityServiceStub(channel)
        case = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                case = eligibility.GetCase(
                    eligibility_pb2.GetCaseRequest(application_id=application_id),
                    metadata=_auth(platform),
                    timeout=5,
                ).case
                break
            except grpc.RpcError as error:
                assert error.code() == grpc.StatusCode.NOT_FOUND, error
                time.sleep(0.5)
        assert case is not None, "eligibility opened no case within 90 s of acceptance"
        assert case.step == eligibility_pb2.CASE_STEP_INVESTIGATING and case.report_done
        eligibility.RecordHomeSurvey(
            eligibility_pb2.RecordHomeSurveyRequest(
                request_id=f"e2e-{uuid.uuid4()}",
                application_id=application_id,
                surveyor_ids=["township-e2e", "village-e2e"],
                findings="入户核实：打零工，无固定合同",
                income_stable=False,
                actor=township,
            ),
            metadata=_auth(platform),
            timeout=10,
        )
        eligibility.RecordDemocraticReview(
            eligibility_pb2.RecordDemocraticReviewRequest(
                request_id=f"e2e-{uuid.uuid4()}",
                application_id=application_id,
                minutes="评议通过",
                actor=village,
            ),
            metadata=_auth(platform),
            timeout=10,
        )
        proposed = eligibility.Assess(
            eligibility_pb2.AssessRequest(
                request_id=f"e2e-{uuid.uuid4()}", application_id=application_id, actor=township
            ),
            metadata=_auth(platform),
            timeout=10,
        ).proposed
        case = eligibility.GetCase(
            eligibility_pb2.GetCaseRequest(application_id=application_id), metadata=_auth(platform), timeout=5
        ).case
    assert proposed.outcome == eligibility_pb2.DECISION_OUTCOME_APPROVED
    assert proposed.monthly_amount.amount_fen == 6_000
    assert proposed.category == programme_pb2.HOUSEHOLD_CATEGORY_C
    assert case.step == eligibility_pb2.CASE_STEP_PUBLIC_NOTICE
    assert case.notice.entries[0].household_size == 3
    assert applicant not in str(case.notice)
