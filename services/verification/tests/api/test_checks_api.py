"""The household economic check through verification's gRPC API, against the department-records
simulator over a real socket and a real store (SQLite and PostgreSQL): DOMAIN §13's households give the
income, bands and asset outcomes stated there; failures are named, retried, and never half-answered."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from sqlalchemy import select, text

from doudi.common.v1 import programme_pb2, types_pb2
from doudi.intake.v1 import events_pb2 as intake_events
from doudi.intake.v1 import intake_pb2
from doudi.verification.v1 import verification_pb2, verification_pb2_grpc
from doudi_runtime.events.envelope import decode, new_envelope
from doudi_runtime.grpc.errors import field_violations_from
from doudi_runtime.grpc.server import GrpcServer
from doudi_runtime.service import ServiceContext, build_context, migrate
from doudi_runtime.store.migrations import downgrade_migrations, run_migrations
from doudi_sim.fixtures import example_households
from doudi_sim.main import RECORDS
from doudi_sim.settings import RecordsSettings
from doudi_verification.app.checks import VerificationUseCases
from doudi_verification.events.intake import TOPIC_APPLICATIONS
from doudi_verification.main import DEFINITION, VerificationSettings, use_cases
from doudi_verification.store import cases as case_store
from doudi_verification.store.tables import STORE

TOKEN = "verification-test-token"
AUTH = (("authorization", f"Bearer {TOKEN}"),)
TOWNSHIP, VILLAGE = "640402100000", "640402100201"

#: DOMAIN §13 households as the simulator's worked examples list them (applicant first).
HOUSEHOLDS = example_households()
H01, H02, H03, H05, H15 = (HOUSEHOLDS[name] for name in ("H01", "H02", "H03", "H05", "H15"))


@dataclass
class Verification:
    stub: verification_pb2_grpc.VerificationServiceStub
    context: ServiceContext
    checks: VerificationUseCases
    records: object


@pytest.fixture
def verification(database_url: str, tmp_path: Path) -> Iterator[Verification]:
    sim_settings = RecordsSettings(grpc_port=0, metrics_port=0, auth_tokens=f'{{"{TOKEN}": "verification"}}')
    sim_context = build_context(RECORDS, sim_settings)
    sim_bindings = list(RECORDS.grpc_bindings(sim_context))
    sim = GrpcServer(sim_settings, sim_bindings)
    sim_port = sim.start()
    settings = VerificationSettings(
        grpc_port=0,
        metrics_port=0,
        data_dir=tmp_path,
        database_url=database_url,
        auth_tokens=f'{{"{TOKEN}": "township-clerk"}}',
        client_token=TOKEN,
        shutdown_grace_seconds=0,
        records_target=f"127.0.0.1:{sim_port}",
        records_deadline_seconds=3,
        retry_first_seconds=60,
    )
    migrate(DEFINITION, settings)
    context = build_context(DEFINITION, settings)
    server = GrpcServer(settings, list(DEFINITION.grpc_bindings(context)))
    port = server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield Verification(
            verification_pb2_grpc.VerificationServiceStub(channel),
            context,
            use_cases(context),
            sim_bindings[0].servicer,
        )
    finally:
        channel.close()
        server.stop(0)
        sim.stop(0)
        assert context.database is not None
        context.database.dispose()


def accepted(
    application_id: str,
    members: tuple[str, ...],
    household_type: int = intake_pb2.HOUSEHOLD_TYPE_URBAN,
    programme: int = programme_pb2.PROGRAMME_DIBAO,
) -> intake_events.ApplicationAccepted:
    application = intake_pb2.Application(
        application_id=application_id,
        programme=programme,
        township=types_pb2.RegionCode(code=TOWNSHIP),
        household=intake_pb2.Household(
            residence_region=types_pb2.RegionCode(code=VILLAGE),
            household_type=household_type,
            members=[
                intake_pb2.HouseholdMember(
                    person=types_pb2.Person(id_number=types_pb2.IdNumber(value=id_number)),
                    counted=True,
                    consent_signed=True,
                )
                for id_number in members
            ],
        ),
        state=intake_pb2.APPLICATION_STATE_ACCEPTED,
    )
    application.accepted_at.FromDatetime(datetime(2026, 11, 2, 2, 0, tzinfo=UTC))
    return intake_events.ApplicationAccepted(application_id=application_id, application=application)


def deliver(v: Verification, event: object, subject: str) -> None:
    (subscription,) = [s for s in DEFINITION.subscriptions(v.context) if s.topic == TOPIC_APPLICATIONS]
    envelope = new_envelope(event, producer="intake", subject_key=subject)  # type: ignore[arg-type]
    with v.context.database.transaction() as session:
        subscription.handler(session, envelope)


def report_of(v: Verification, application_id: str) -> verification_pb2.Report:
    return v.stub.GetReport(
        verification_pb2.GetReportRequest(application_id=application_id), metadata=AUTH, timeout=10
    ).report


def event_types(v: Verification) -> list[str]:
    outbox = v.context.store.messaging.outbox
    with v.context.database.read() as session:
        rows = session.execute(select(outbox.c.envelope)).all()
    return [decode(row.envelope).event_type.rsplit(".", 1)[1] for row in rows]


def exact(amount: verification_pb2.ExactFen) -> tuple[int, int]:
    return amount.numerator, amount.denominator


def outcomes(report: verification_pb2.Report) -> dict[str, str]:
    return {
        t.rule.rsplit(".", 1)[1]: verification_pb2.AssetOutcome.Name(t.outcome).removeprefix("ASSET_OUTCOME_")
        for t in report.asset_tests
    }


@pytest.mark.parametrize(
    ("members", "household_type", "per_capita", "band", "marginal"),
    [
        (
            H01,
            intake_pb2.HOUSEHOLD_TYPE_URBAN,
            (54_000, 1),
            verification_pb2.INCOME_BAND_BELOW_STANDARD,
            False,
        ),
        (H02, intake_pb2.HOUSEHOLD_TYPE_URBAN, (56_000, 1), verification_pb2.INCOME_BAND_MARGINAL, True),
        (
            H03,
            intake_pb2.HOUSEHOLD_TYPE_RURAL,
            (10_000, 1),
            verification_pb2.INCOME_BAND_BELOW_STANDARD,
            False,
        ),
        (H05, intake_pb2.HOUSEHOLD_TYPE_URBAN, (72_000, 1), verification_pb2.INCOME_BAND_MARGINAL, True),
        (
            H15,
            intake_pb2.HOUSEHOLD_TYPE_RURAL,
            (25_000, 1),
            verification_pb2.INCOME_BAND_BELOW_STANDARD,
            False,
        ),
    ],
    ids=["H01", "H02", "H03", "H05", "H15"],
)
def test_worked_examples_give_domains_income_and_status(  # type: ignore[no-untyped-def]
    verification, members, household_type, per_capita, band, marginal
) -> None:
    deliver(verification, accepted("app_h", members, household_type), "app_h")
    assert verification.checks.run_due() == 1
    report = report_of(verification, "app_h")
    assert report.state == verification_pb2.REPORT_STATE_COMPLETE
    assert report.counted_members == len(members)
    assert exact(report.per_capita_monthly) == per_capita
    assert report.income_band == band
    assert report.marginal_household is marginal
    assert event_types(verification) == ["HouseholdVerified"]


def test_h15_the_van_fails_until_a_survey_confirms_it_is_the_only_livelihood_vehicle(verification) -> None:  # type: ignore[no-untyped-def]
    deliver(verification, accepted("app_h15", H15, intake_pb2.HOUSEHOLD_TYPE_RURAL), "app_h15")
    verification.checks.run_due()
    assert outcomes(report_of(verification, "app_h15"))["vehicle"] == "FAIL"

    survey = verification_pb2.RecordHomeSurveyRequest(
        request_id="sv-1",
        application_id="app_h15",
        surveyor_ids=["staff-1"],
        findings="面包车用于运送自产蔬菜，家庭唯一生计来源",
        overrides=[
            verification_pb2.SurveyOverride(
                member_index=0,
                source="PUBLIC_SECURITY",
                item="vehicle",
                attributes={"type": "van", "use": "livelihood"},
            )
        ],
    )
    with pytest.raises(grpc.RpcError) as raised:
        verification.stub.RecordHomeSurvey(survey, metadata=AUTH, timeout=10)
    assert {f for f, _ in field_violations_from(raised.value)} == {"surveyor_ids", "override_reason"}

    survey.surveyor_ids.append("staff-2")
    survey.override_reason = "入户核实：该车为唯一生计用车，有村委会证明"
    response = verification.stub.RecordHomeSurvey(survey, metadata=AUTH, timeout=10)
    assert outcomes(response.report)["vehicle"] == "EXEMPT"
    vehicle = next(i for i in response.report.items if i.item == "vehicle")
    assert vehicle.overridden_by == response.survey_id
    assert report_of(verification, "app_h15").report_id == response.report.report_id
    assert event_types(verification) == ["HouseholdVerified", "HomeSurveyCompleted", "HouseholdVerified"]


def test_a_redelivered_acceptance_is_checked_once(verification) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):
        deliver(verification, accepted("app_twice", H02), "app_twice")
    assert verification.checks.run_due() == 1
    assert verification.checks.run_due() == 0
    assert event_types(verification) == ["HouseholdVerified"]


def test_a_source_that_times_out_is_named_and_the_retry_completes_the_report(verification) -> None:  # type: ignore[no-untyped-def]
    verification.records.slow_sources.add("FINANCIAL")
    deliver(verification, accepted("app_slow", H01), "app_slow")
    verification.checks.run_due()
    first = report_of(verification, "app_slow")
    assert first.state == verification_pb2.REPORT_STATE_INCOMPLETE
    assert {m.source for m in first.missing_sources} == {"FINANCIAL"}
    assert {m.member_index for m in first.missing_sources} == {0, 1, 2}
    assert not first.HasField("per_capita_monthly") and not first.asset_tests
    assert verification.checks.run_due() == 0, "the retry waits for its back-off"

    verification.records.slow_sources.clear()
    verification.checks.clock = lambda: datetime.now(UTC) + timedelta(minutes=5)
    assert verification.checks.run_due() == 1
    second = report_of(verification, "app_slow")
    assert second.state == verification_pb2.REPORT_STATE_COMPLETE
    assert exact(second.per_capita_monthly) == (54_000, 1)
    assert event_types(verification) == ["VerificationIncomplete", "HouseholdVerified"]


def test_a_department_that_is_down_leaves_the_report_incomplete_not_wrong(verification) -> None:  # type: ignore[no-untyped-def]
    verification.records.down_sources.add("HUMAN_RESOURCES")
    deliver(verification, accepted("app_down", H02), "app_down")
    verification.checks.run_due()
    report = report_of(verification, "app_down")
    assert report.state == verification_pb2.REPORT_STATE_INCOMPLETE
    assert report.income_band == verification_pb2.INCOME_BAND_UNSPECIFIED


def test_a_dispute_reopens_the_check_with_a_deadline(verification) -> None:  # type: ignore[no-untyped-def]
    deliver(verification, accepted("app_dispute", H02), "app_dispute")
    verification.checks.run_due()
    disputed = report_of(verification, "app_dispute")
    request = verification_pb2.DisputeReportRequest(
        request_id="d-1",
        report_id=disputed.report_id,
        item=verification_pb2.SourceItem(member_index=0, source="HUMAN_RESOURCES", item="pension"),
        evidence="养老金已于2026年9月停发，附社保中心证明",
    )
    response = verification.stub.DisputeReport(request, metadata=AUTH, timeout=10)
    again = verification.stub.DisputeReport(request, metadata=AUTH, timeout=10)
    assert again.dispute_id == response.dispute_id
    assert response.recheck_due.year == 2026 or response.recheck_due.year == 2027
    assert verification.checks.run_due() == 1
    assert report_of(verification, "app_dispute").report_id != disputed.report_id


def test_a_withdrawn_application_is_not_checked(verification) -> None:  # type: ignore[no-untyped-def]
    deliver(verification, accepted("app_gone", H02), "app_gone")
    deliver(
        verification,
        intake_events.ApplicationWithdrawn(application_id="app_gone", reason="申请人撤回"),
        "app_gone",
    )
    assert verification.checks.run_due() == 0
    with pytest.raises(grpc.RpcError) as raised:
        report_of(verification, "app_gone")
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND


def test_asking_about_an_unknown_application_is_not_found_and_a_bare_request_names_the_field(  # type: ignore[no-untyped-def]
    verification,
) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        verification.stub.RequestVerification(
            verification_pb2.RequestVerificationRequest(
                request_id="r", application_id="app_x", reason="复查"
            ),
            metadata=AUTH,
            timeout=10,
        )
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as raised:
        verification.stub.GetReport(verification_pb2.GetReportRequest(), metadata=AUTH, timeout=10)
    assert [f for f, _ in field_violations_from(raised.value)] == ["report_id"]


def test_the_store_holds_households_reports_surveys_and_disputes_sealed(verification) -> None:  # type: ignore[no-untyped-def]
    deliver(verification, accepted("app_sealed", H15, intake_pb2.HOUSEHOLD_TYPE_RURAL), "app_sealed")
    verification.checks.run_due()
    findings, evidence = "户主腿部残疾，长期服药", "养老金已停发，附社保中心证明"
    survey = verification_pb2.RecordHomeSurveyRequest(
        request_id="sv-sealed",
        application_id="app_sealed",
        surveyor_ids=["staff-1", "staff-2"],
        findings=findings,
    )
    verification.stub.RecordHomeSurvey(survey, metadata=AUTH, timeout=10)
    report = report_of(verification, "app_sealed")
    dispute = verification_pb2.DisputeReportRequest(
        request_id="d-sealed",
        report_id=report.report_id,
        item=verification_pb2.SourceItem(member_index=0, source="HUMAN_RESOURCES", item="pension"),
        evidence=evidence,
    )
    verification.stub.DisputeReport(dispute, metadata=AUTH, timeout=10)

    with verification.context.database.engine.connect() as connection:
        stored = {
            table: " ".join(str(v) for row in connection.execute(text(f"SELECT * FROM {table}")) for v in row)
            for table in ("cases", "reports", "surveys", "disputes")
        }
        audit = " ".join(connection.execute(text("SELECT after_json FROM audit_records")).scalars())
    for table, rows in stored.items():
        assert "v1.dev." in rows, table
        assert not [s for s in (*H15, findings, evidence) if s in rows], table
    assert "v1.dev." not in audit
    assert report.state == verification_pb2.REPORT_STATE_COMPLETE and report.counted_members == len(H15)


def test_the_migration_seals_cases_and_reports_written_before_it(verification) -> None:  # type: ignore[no-untyped-def]
    deliver(verification, accepted("app_before", H02), "app_before")
    verification.checks.run_due()
    url = verification.context.settings.effective_database_url
    downgrade_migrations(url, STORE.migrations_dir, "0005")
    with verification.context.database.engine.connect() as connection:
        assert H02[0] in connection.execute(text("SELECT household FROM cases")).scalar_one()
    run_migrations(url, STORE.migrations_dir)
    with verification.context.database.engine.connect() as connection:
        stored = " ".join(connection.execute(text("SELECT household FROM cases")).scalars())
    assert "v1.dev." in stored and not [m for m in H02 if m in stored]
    assert report_of(verification, "app_before").state == verification_pb2.REPORT_STATE_COMPLETE
    with verification.context.database.read() as session:
        case = case_store.get_case(session, "app_before")
    assert case is not None and tuple(m.id_number for m in case.members) == tuple(H02)
