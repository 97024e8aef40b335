"""The log scan: with logging at DEBUG through the runtime's logging layer, no log line of any service
holds a valid resident ID number (GB 11643) unmasked — neither in a realistic scenario across intake,
verification and care, nor when every string field of every request of every RPC carries one, bare or
inside text (so error messages, tracebacks and echoed values are scanned too)."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import grpc
import pytest

from doudi.care.v1 import care_pb2, care_pb2_grpc
from doudi.common.v1 import programme_pb2, types_pb2
from doudi.intake.v1 import intake_pb2, intake_pb2_grpc
from doudi.verification.v1 import monitoring_pb2, monitoring_pb2_grpc
from doudi_care.main import DEFINITION as CARE
from doudi_common.idcard import is_valid_id_number
from doudi_common.testing import EXAMPLE_TOWNSHIP, EXAMPLE_VILLAGE, make_resident_id
from doudi_disbursement.main import DEFINITION as DISBURSEMENT
from doudi_dispatch.main import DEFINITION as DISPATCH
from doudi_eligibility.main import DEFINITION as ELIGIBILITY
from doudi_intake.main import DEFINITION as INTAKE
from doudi_runtime.logging import configure_logging
from doudi_runtime.service import ServiceDefinition
from doudi_runtime.settings import ServiceSettings
from doudi_runtime.testing.authz import metadata
from doudi_runtime.testing.fuzz import call, saturated, unary_methods
from doudi_runtime.testing.serving import RunningService, serving
from doudi_verification.main import DEFINITION as VERIFICATION

#: An 18-character token shaped like a resident ID number, outside a longer run of digits.
CANDIDATE = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
CALLER = metadata("service")
APPLICANT = make_resident_id(date(1980, 5, 17), 12)
CHILD = make_resident_id(date(2012, 2, 29), 31, female=True)
ELDER = make_resident_id(date(1945, 3, 8), 31, female=True)
#: A valid number whose check character is X, written in lower case as people sometimes type it.
WITH_X = "11010519491231002x"
SERVICES: tuple[ServiceDefinition[Any], ...] = (
    INTAKE,
    VERIFICATION,
    ELIGIBILITY,
    DISBURSEMENT,
    CARE,
    DISPATCH,
)


def unmasked_id_numbers(text: str) -> list[str]:
    """Every valid resident ID number written out in full in ``text``."""
    return [found for found in CANDIDATE.findall(text) if is_valid_id_number(found.upper())]


def test_the_scan_finds_an_id_number_written_in_full() -> None:
    line = f'{{"message": "member {APPLICANT} added", "masked": "{APPLICANT[:6]}********{APPLICANT[-4:]}"}}'
    assert unmasked_id_numbers(line) == [APPLICANT]
    assert unmasked_id_numbers(f"order 9{APPLICANT}") == []  # part of a longer number, not an ID


@contextmanager
def captured_logs() -> Iterator[io.StringIO]:
    """Every log line of the process at DEBUG, formatted (and masked) as a service writes them."""
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    settings = ServiceSettings(
        service_name="logscan", grpc_port=0, metrics_port=0, auth_mode="off", log_level="DEBUG"
    )
    handler = configure_logging(settings, stream=stream)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        handler.close()
        root.setLevel(level)


def _scenario(intake: RunningService, verification: RunningService, care: RunningService) -> None:
    window = intake_pb2_grpc.IntakeServiceStub(intake.channel)
    submitted = window.SubmitApplication(
        intake_pb2.SubmitApplicationRequest(
            request_id="scan-1",
            programme=programme_pb2.PROGRAMME_DIBAO,
            channel=programme_pb2.CHANNEL_WINDOW,
            township=types_pb2.RegionCode(code=EXAMPLE_TOWNSHIP),
            household=intake_pb2.Household(
                household_type=intake_pb2.HOUSEHOLD_TYPE_RURAL,
                residence_region=types_pb2.RegionCode(code=EXAMPLE_VILLAGE),
                members=[
                    intake_pb2.HouseholdMember(
                        person=types_pb2.Person(id_number=types_pb2.IdNumber(value=APPLICANT), name="马建国"),
                        relation_to_applicant=intake_pb2.RELATION_SELF,
                        counted=True,
                        consent_signed=True,
                    ),
                    intake_pb2.HouseholdMember(
                        person=types_pb2.Person(id_number=types_pb2.IdNumber(value=CHILD), name="马小花"),
                        relation_to_applicant=intake_pb2.RELATION_CHILD,
                        counted=True,
                    ),
                ],
            ),
            statement=f"申请人身份证号 {APPLICANT}，丈夫因病去世。",
        ),
        metadata=CALLER,
        timeout=10,
    ).application
    application_id = submitted.application_id
    window.GetApplication(intake_pb2.GetApplicationRequest(application_id=application_id), metadata=CALLER)
    with pytest.raises(grpc.RpcError):  # the child has not signed: refused, and the refusal is logged
        window.AcceptApplication(
            intake_pb2.AcceptApplicationRequest(request_id="scan-2", application_id=application_id),
            metadata=CALLER,
        )

    monitoring = monitoring_pb2_grpc.MonitoringServiceStub(verification.channel)
    report = monitoring_pb2.ReportMonitoringEventRequest(
        request_id="scan-3",
        trigger=monitoring_pb2.TRIGGER_ACCIDENT,
        person=types_pb2.IdNumber(value=APPLICANT),
        region=types_pb2.RegionCode(code=EXAMPLE_VILLAGE),
        source="hotline",
        source_reference="ticket-0042",
        household_id="hh-ma",
        description=f"house fire; {APPLICANT} in hospital",
    )
    report.occurred_at.FromDatetime(datetime(2026, 6, 1, 2, 0, tzinfo=UTC))
    alert = monitoring.ReportMonitoringEvent(report, metadata=CALLER, timeout=10)
    monitoring.GetAlert(monitoring_pb2.GetAlertRequest(alert_id=alert.alert_id), metadata=CALLER)

    ledgers = care_pb2_grpc.CareServiceStub(care.channel)
    registration = care_pb2.LedgerRegistration(
        ledger=care_pb2.LEDGER_ELDERLY_LEFT_BEHIND,
        person=types_pb2.Person(id_number=types_pb2.IdNumber(value=ELDER), name="周秀兰"),
        region=types_pb2.RegionCode(code=EXAMPLE_VILLAGE),
        elderly=care_pb2.ElderlyDetails(
            contact_name="周丽",
            contact_phone="13909541234",
            support_agreement_signed=True,
            living_arrangement=care_pb2.LIVING_ARRANGEMENT_ALONE,
        ),
    )
    entry = ledgers.RegisterPerson(
        care_pb2.RegisterPersonRequest(request_id="scan-4", registration=registration),
        metadata=CALLER,
        timeout=10,
    ).entry
    with pytest.raises(grpc.RpcError):  # the same person again under another request: refused
        ledgers.RegisterPerson(
            care_pb2.RegisterPersonRequest(request_id="scan-5", registration=registration),
            metadata=CALLER,
            timeout=10,
        )
    ledgers.GetLedgerEntry(care_pb2.GetLedgerEntryRequest(entry_id=entry.entry_id), metadata=CALLER)


def test_a_scenario_across_services_logs_no_id_number_in_full(tmp_path: Path) -> None:
    with ExitStack() as stack:
        logs = stack.enter_context(captured_logs())
        intake = stack.enter_context(serving(INTAKE, tmp_path / "intake"))
        verification = stack.enter_context(serving(VERIFICATION, tmp_path / "verification"))
        care = stack.enter_context(serving(CARE, tmp_path / "care"))
        _scenario(intake, verification, care)
    text = logs.getvalue()
    for line in (
        "grpc call /doudi.intake.v1.IntakeService/SubmitApplication OK",
        "grpc call /doudi.intake.v1.IntakeService/AcceptApplication FAILED_PRECONDITION",
        "grpc call /doudi.verification.v1.MonitoringService/ReportMonitoringEvent OK",
        "grpc call /doudi.care.v1.CareService/RegisterPerson OK",
    ):
        assert line in text  # the calls were logged, and so scanned
    assert unmasked_id_numbers(text) == []


@pytest.mark.parametrize("definition", SERVICES, ids=lambda d: d.name)
def test_id_numbers_in_every_field_of_every_rpc_never_reach_a_log_in_full(
    definition: ServiceDefinition[Any], tmp_path: Path
) -> None:
    answered = 0
    with captured_logs() as logs, serving(definition, tmp_path) as running:
        for api in running.apis:
            for method in unary_methods(api):
                for text in (APPLICANT, f"证件号码{ELDER}有误", WITH_X):
                    call(running.channel, method, saturated(method.input_type, text), metadata=CALLER)
                    answered += 1
    assert answered > 0
    leaks = [line for line in logs.getvalue().splitlines() if unmasked_id_numbers(line)]
    assert leaks == []
