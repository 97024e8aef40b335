"""Monitoring and early warning through the gRPC API over a real socket and a real store (SQLite and
PostgreSQL), and through the bus with a real broker: DOMAIN §8.3's life cycle, its validation, idempotency,
the overdue sweep, and one alert per fact however often it is delivered."""

from __future__ import annotations

import hashlib
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import grpc
import pytest
from kafka import KafkaProducer
from prometheus_client import REGISTRY
from sqlalchemy import func, select, text

from doudi.care.v1 import events_pb2 as care_events
from doudi.common.v1 import programme_pb2, types_pb2
from doudi.dispatch.v1 import dispatch_pb2
from doudi.dispatch.v1 import events_pb2 as dispatch_events
from doudi.verification.v1 import events_pb2, monitoring_pb2, monitoring_pb2_grpc
from doudi_common.fieldcrypt import KeyRing, LookupHasher
from doudi_common.testing import EXAMPLE_TOWNSHIP, EXAMPLE_VILLAGE, make_resident_id
from doudi_runtime.events.admin import ensure_topics
from doudi_runtime.events.consumer import EventConsumer
from doudi_runtime.events.envelope import decode, encode, new_envelope, unpack
from doudi_runtime.grpc.errors import field_violations_from
from doudi_runtime.grpc.server import GrpcServer
from doudi_runtime.service import ServiceContext, build_context, migrate
from doudi_runtime.store.migrations import downgrade_migrations, run_migrations
from doudi_runtime.store.sealed import FieldCrypto, field_crypto, reseal_table, use_field_crypto
from doudi_runtime.testing.broker import BrokerProcess
from doudi_verification.api.monitoring import monitoring_binding
from doudi_verification.app.alerts import (
    AlertUseCases,
    monitoring_subscriptions,
    monitoring_use_cases,
    monitoring_workers,
)
from doudi_verification.events.alerts import TOPIC_MONITORING_EVENTS
from doudi_verification.events.care import overdue_visit_subscription
from doudi_verification.events.dispatch import hand_over_subscription
from doudi_verification.main import DEFINITION, VerificationSettings
from doudi_verification.store.tables import STORE
from doudi_verification.store.tables import alerts as alerts_table

TOKEN = "monitoring-test-token"
AUTH = (("authorization", f"Bearer {TOKEN}"),)
PERSON = make_resident_id(date(1986, 7, 9), 23)
OTHER_PERSON = make_resident_id(date(1952, 1, 30), 41, female=True)
M = monitoring_pb2
#: One moment for every report, so a retried request is byte for byte the same.
OCCURRED = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)


class Clock:
    """The use-cases' clock, moved by the test (the SLA and the sweep read it)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Monitoring:
    stub: monitoring_pb2_grpc.MonitoringServiceStub
    context: ServiceContext
    alerts: AlertUseCases
    clock: Clock


def settings_for(database_url: str, tmp_path: Path, **overrides: object) -> VerificationSettings:
    return VerificationSettings(
        grpc_port=0,
        metrics_port=0,
        data_dir=tmp_path,
        database_url=database_url,
        auth_tokens=f'{{"{TOKEN}": "township-clerk"}}',
        client_token=TOKEN,
        shutdown_grace_seconds=0,
        **overrides,  # type: ignore[arg-type]
    )


@pytest.fixture
def monitoring(database_url: str, tmp_path: Path) -> Iterator[Monitoring]:
    settings = settings_for(database_url, tmp_path)
    migrate(DEFINITION, settings)
    context = build_context(DEFINITION, settings)
    clock = Clock()
    alerts = monitoring_use_cases(context)
    alerts.clock = clock
    server = GrpcServer(settings, [monitoring_binding(context)])
    port = server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield Monitoring(monitoring_pb2_grpc.MonitoringServiceStub(channel), context, alerts, clock)
    finally:
        channel.close()
        server.stop(0)
        assert context.database is not None
        context.database.dispose()


def fire_report(
    request_id: str = "r-fire", **overrides: object
) -> monitoring_pb2.ReportMonitoringEventRequest:
    """H09: a house fire reported by the hotline (M4)."""
    request = M.ReportMonitoringEventRequest(
        request_id=request_id,
        trigger=M.TRIGGER_ACCIDENT,
        person=types_pb2.IdNumber(value=PERSON),
        region=types_pb2.RegionCode(code=EXAMPLE_VILLAGE),
        source="hotline",
        source_reference="ticket-0042",
        household_id="hh-chen",
        description="house fire at night; the husband is in hospital",
    )
    request.occurred_at.FromDatetime(OCCURRED)
    for name, value in overrides.items():
        if isinstance(value, (str, int, bool)):
            setattr(request, name, value)
        else:
            getattr(request, name).CopyFrom(value)
    return request


def rpc_error(call: Callable[[], object]) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as error:
        call()
    return error.value


def violated_fields(error: grpc.RpcError) -> set[str]:
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
    return {field for field, _ in field_violations_from(error)}


def outbox_events(context: ServiceContext, message_type: type) -> list:  # type: ignore[type-arg]
    assert context.database is not None and context.store is not None
    outbox = context.store.messaging.outbox
    with context.database.read() as session:
        rows = session.execute(
            select(outbox.c.envelope)
            .where(outbox.c.event_type == message_type.DESCRIPTOR.full_name)
            .order_by(outbox.c.created_at)
        ).all()
    return [unpack(decode(row.envelope), message_type) for row in rows]


def metric(name: str, trigger: str) -> float:
    return REGISTRY.get_sample_value(name, {"trigger": trigger}) or 0.0


# -- the life cycle -----------------------------------------------------------------------------------


def test_an_alert_from_report_to_close_h09(monitoring: Monitoring) -> None:
    stub = monitoring.stub
    raised_before = metric("doudi_monitoring_alerts_raised_total", "M4")
    reported = stub.ReportMonitoringEvent(fire_report(), metadata=AUTH)
    assert reported.outcome == M.REPORT_OUTCOME_OPENED
    alert = reported.alert
    assert alert.state == M.ALERT_STATE_RAISED and alert.urgency == M.ALERT_URGENCY_EMERGENCY
    assert alert.township.code == EXAMPLE_TOWNSHIP
    assert alert.due_at.ToDatetime(UTC) == monitoring.clock.now + timedelta(hours=24)
    assert metric("doudi_monitoring_alerts_raised_total", "M4") == raised_before + 1

    got = stub.GetAlert(M.GetAlertRequest(alert_id=reported.alert_id), metadata=AUTH).alert
    assert got.person.value == PERSON and got.person_masked == PERSON[:6] + "********" + PERSON[-4:]
    listed = stub.ListAlerts(
        M.ListAlertsRequest(region=types_pb2.RegionCode(code="640402000000")), metadata=AUTH
    ).alerts
    assert [a.alert_id for a in listed] == [reported.alert_id]
    assert not listed[0].HasField("person") and listed[0].person_masked == got.person_masked

    assigned = stub.AssignAlert(
        M.AssignAlertRequest(
            request_id="r-assign",
            alert_id=alert.alert_id,
            assignee="cadre-12",
            role=M.ASSIGNEE_ROLE_VILLAGE_CADRE,
        ),
        metadata=AUTH,
    ).alert
    assert assigned.state == M.ALERT_STATE_ASSIGNED and assigned.assignment.assignee == "cadre-12"

    findings = M.Findings(
        method=M.VERIFICATION_METHOD_HOME_VISIT,
        verified_by="cadre-12",
        housing="house uninhabitable",
        needs="shelter, medical costs",
    )
    findings.verified_at.FromDatetime(monitoring.clock.now)
    verifying = stub.RecordAlertVerification(
        M.RecordAlertVerificationRequest(request_id="r-visit", alert_id=alert.alert_id, findings=findings),
        metadata=AUTH,
    ).alert
    assert (
        verifying.state == M.ALERT_STATE_VERIFYING and verifying.findings[0].housing == "house uninhabitable"
    )

    disposed = stub.DisposeAlert(
        M.DisposeAlertRequest(
            request_id="r-dispose",
            alert_id=alert.alert_id,
            dispositions=[
                M.AlertDisposition(kind=M.DISPOSITION_TA_URGENT, reason="house and breadwinner lost"),
                M.AlertDisposition(kind=M.DISPOSITION_INCLUDE_DIBAO, reason="income loss will continue"),
                M.AlertDisposition(
                    kind=M.DISPOSITION_REFER, reason="rebuild", refer_to=M.REFERRAL_TARGET_HOUSING
                ),
            ],
            reason="urgent need after the fire",
        ),
        metadata=AUTH,
    ).alert
    assert disposed.state == M.ALERT_STATE_DISPOSED

    premature = rpc_error(
        lambda: stub.CloseAlert(
            M.CloseAlertRequest(
                request_id="r-close-1",
                alert_id=alert.alert_id,
                downstream=[M.DownstreamCase(kind=M.DISPOSITION_TA_URGENT, reference="ta-1")],
            ),
            metadata=AUTH,
        )
    )
    assert premature.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "INCLUDE_DIBAO" in premature.details() and "REFER" in premature.details()

    closed = stub.CloseAlert(
        M.CloseAlertRequest(
            request_id="r-close-2",
            alert_id=alert.alert_id,
            downstream=[
                M.DownstreamCase(kind=M.DISPOSITION_TA_URGENT, reference="ta-1"),
                M.DownstreamCase(kind=M.DISPOSITION_INCLUDE_DIBAO, reference="lead-7"),
                M.DownstreamCase(kind=M.DISPOSITION_REFER, reference="ref-3"),
            ],
        ),
        metadata=AUTH,
    ).alert
    assert closed.state == M.ALERT_STATE_CLOSED
    assert [d.downstream_reference for d in closed.dispositions] == ["ta-1", "lead-7", "ref-3"]

    context = monitoring.context
    (raised_event,) = outbox_events(context, events_pb2.AlertRaised)
    assert raised_event.alert_id == alert.alert_id and raised_event.trigger == M.TRIGGER_ACCIDENT
    assert len(outbox_events(context, events_pb2.AlertAssigned)) == 1
    (disposed_event,) = outbox_events(context, events_pb2.AlertDisposed)
    (lead,) = disposed_event.leads
    assert lead.programme == programme_pb2.PROGRAMME_DIBAO and lead.person.value == PERSON
    assert lead.source_reference == alert.alert_id
    assert len(outbox_events(context, events_pb2.AlertClosed)) == 1


def test_reports_are_idempotent_and_the_same_fact_folds(monitoring: Monitoring) -> None:
    stub = monitoring.stub
    first = stub.ReportMonitoringEvent(fire_report("r-1"), metadata=AUTH)
    again = stub.ReportMonitoringEvent(fire_report("r-1"), metadata=AUTH)
    assert again.alert_id == first.alert_id and again.outcome == M.REPORT_OUTCOME_OPENED
    folded = stub.ReportMonitoringEvent(fire_report("r-2"), metadata=AUTH)
    assert folded.outcome == M.REPORT_OUTCOME_FOLDED and folded.alert_id == first.alert_id
    assert folded.alert.reports == 2
    another_fact = stub.ReportMonitoringEvent(
        fire_report("r-3", source_reference="ticket-0043"), metadata=AUTH
    )
    assert another_fact.outcome == M.REPORT_OUTCOME_OPENED and another_fact.alert_id != first.alert_id
    assert len(outbox_events(monitoring.context, events_pb2.AlertRaised)) == 2

    reused = rpc_error(
        lambda: stub.ReportMonitoringEvent(fire_report("r-1", household_id="hh-x"), metadata=AUTH)
    )
    assert reused.code() == grpc.StatusCode.ALREADY_EXISTS

    assign = M.AssignAlertRequest(
        request_id="r-a", alert_id=first.alert_id, assignee="officer-1", role=M.ASSIGNEE_ROLE_TOWNSHIP_OFFICER
    )
    assert stub.AssignAlert(assign, metadata=AUTH).alert == stub.AssignAlert(assign, metadata=AUTH).alert
    assert len(outbox_events(monitoring.context, events_pb2.AlertAssigned)) == 1


def test_below_the_threshold_no_alert_is_opened(monitoring: Monitoring) -> None:
    request = fire_report(
        "r-m1", trigger=M.TRIGGER_LARGE_MEDICAL_EXPENSE, amount=types_pb2.Money(amount_fen=1_999_999)
    )
    response = monitoring.stub.ReportMonitoringEvent(request, metadata=AUTH)
    assert response.outcome == M.REPORT_OUTCOME_BELOW_THRESHOLD and not response.alert_id
    assert "below" in response.reason
    replayed = monitoring.stub.ReportMonitoringEvent(request, metadata=AUTH)
    assert replayed.outcome == M.REPORT_OUTCOME_BELOW_THRESHOLD and replayed.reason == response.reason
    with_income = fire_report(
        "r-m1b",
        trigger=M.TRIGGER_LARGE_MEDICAL_EXPENSE,
        amount=types_pb2.Money(amount_fen=1_000_000),
        facts=M.MonitoringFacts(household_annual_income=types_pb2.Money(amount_fen=2_000_000)),
    )
    assert (
        monitoring.stub.ReportMonitoringEvent(with_income, metadata=AUTH).outcome == M.REPORT_OUTCOME_OPENED
    )


# -- errors -------------------------------------------------------------------------------------------


def test_invalid_input_names_every_field(monitoring: Monitoring) -> None:
    stub = monitoring.stub
    bad = fire_report(
        "",
        trigger=M.TRIGGER_UNSPECIFIED,
        person=types_pb2.IdNumber(value=PERSON[:-1] + ("1" if PERSON[-1] != "1" else "2")),
        region=types_pb2.RegionCode(code="6404"),
        amount=types_pb2.Money(amount_fen=-5),
        source_reference="",
    )
    bad.groups.append(99)
    assert violated_fields(rpc_error(lambda: stub.ReportMonitoringEvent(bad, metadata=AUTH))) == {"groups[0]"}
    del bad.groups[:]
    assert violated_fields(rpc_error(lambda: stub.ReportMonitoringEvent(bad, metadata=AUTH))) == {
        "request_id",
        "trigger",
        "person",
        "region",
        "amount",
        "source_reference",
    }
    missing = rpc_error(lambda: stub.GetAlert(M.GetAlertRequest(alert_id="alert_nope"), metadata=AUTH))
    assert missing.code() == grpc.StatusCode.NOT_FOUND
    assert violated_fields(rpc_error(lambda: stub.GetAlert(M.GetAlertRequest(), metadata=AUTH))) == {
        "alert_id"
    }
    assert violated_fields(
        rpc_error(
            lambda: stub.ListAlerts(M.ListAlertsRequest(region=types_pb2.RegionCode(code="x")), metadata=AUTH)
        )
    ) == {"region"}
    unknown_state = M.ListAlertsRequest(region=types_pb2.RegionCode(code=EXAMPLE_TOWNSHIP), state=42)
    assert violated_fields(rpc_error(lambda: stub.ListAlerts(unknown_state, metadata=AUTH))) == {"state"}


def test_wrong_states_and_missing_reasons(monitoring: Monitoring) -> None:
    stub = monitoring.stub
    alert_id = stub.ReportMonitoringEvent(fire_report(), metadata=AUTH).alert_id
    false_positive = M.DisposeAlertRequest(
        request_id="r-d",
        alert_id=alert_id,
        dispositions=[M.AlertDisposition(kind=M.DISPOSITION_NO_ACTION_FALSE_POSITIVE)],
        reason="nothing found",
    )
    assert violated_fields(rpc_error(lambda: stub.DisposeAlert(false_positive, metadata=AUTH))) == {
        "dispositions[0].reason"
    }
    false_positive.dispositions[0].reason = "the fire was at a neighbour's house"
    wrong_state = rpc_error(lambda: stub.DisposeAlert(false_positive, metadata=AUTH))
    assert wrong_state.code() == grpc.StatusCode.FAILED_PRECONDITION and "RAISED" in wrong_state.details()
    unknown = rpc_error(
        lambda: stub.AssignAlert(
            M.AssignAlertRequest(
                request_id="r-x", alert_id="alert_nope", assignee="a", role=M.ASSIGNEE_ROLE_ASSISTANT
            ),
            metadata=AUTH,
        )
    )
    assert unknown.code() == grpc.StatusCode.NOT_FOUND


# -- the SLA sweep --------------------------------------------------------------------------------------


def test_the_sweep_flags_an_unverified_alert_once(monitoring: Monitoring) -> None:
    stub, alerts, clock = monitoring.stub, monitoring.alerts, monitoring.clock
    fire = stub.ReportMonitoringEvent(fire_report(), metadata=AUTH).alert
    routine = stub.ReportMonitoringEvent(
        fire_report("r-death", trigger=M.TRIGGER_DEATH, source_reference="funeral-9"), metadata=AUTH
    ).alert
    overdue_before = metric("doudi_monitoring_alerts_overdue_total", "M4")
    clock.now += timedelta(hours=23)
    assert alerts.sweep() == 0
    clock.now += timedelta(hours=1)
    assert alerts.sweep() == 1
    assert alerts.sweep() == 0
    assert metric("doudi_monitoring_alerts_overdue_total", "M4") == overdue_before + 1
    assert (
        metric("doudi_monitoring_alerts_open", "M4") == 1
        and metric("doudi_monitoring_alerts_open", "M5") == 1
    )
    (overdue_event,) = outbox_events(monitoring.context, events_pb2.AlertOverdue)
    assert overdue_event.alert_id == fire.alert_id
    assert stub.GetAlert(M.GetAlertRequest(alert_id=fire.alert_id), metadata=AUTH).alert.overdue
    only_overdue = stub.ListAlerts(
        M.ListAlertsRequest(region=types_pb2.RegionCode(code=EXAMPLE_TOWNSHIP), overdue_only=True),
        metadata=AUTH,
    ).alerts
    assert [a.alert_id for a in only_overdue] == [fire.alert_id]
    assert not stub.GetAlert(M.GetAlertRequest(alert_id=routine.alert_id), metadata=AUTH).alert.overdue
    (worker,) = monitoring_workers(monitoring.context)
    assert worker.name == "alert-overdue-sweep"


def test_alerts_are_listed_by_region_page_by_page(monitoring: Monitoring) -> None:
    stub = monitoring.stub
    ids = [
        stub.ReportMonitoringEvent(fire_report(f"r-{n}", source_reference=f"t-{n}"), metadata=AUTH).alert_id
        for n in range(3)
    ]
    elsewhere = fire_report("r-far", person=types_pb2.IdNumber(value=OTHER_PERSON))
    elsewhere.region.code = "640402200000"
    stub.ReportMonitoringEvent(elsewhere, metadata=AUTH)
    request = M.ListAlertsRequest(
        region=types_pb2.RegionCode(code=EXAMPLE_TOWNSHIP), state=M.ALERT_STATE_RAISED, page={"page_size": 2}
    )
    first = stub.ListAlerts(request, metadata=AUTH)
    request.page.page_token = first.page.next_page_token
    second = stub.ListAlerts(request, metadata=AUTH)
    assert [a.alert_id for a in (*first.alerts, *second.alerts)] == ids[::-1]
    assert not second.page.next_page_token


# -- the bus ----------------------------------------------------------------------------------------------


@pytest.mark.broker
def test_a_bus_event_delivered_twice_opens_one_alert(kafka_broker: BrokerProcess, tmp_path: Path) -> None:
    """The same envelope twice is a no-op through the inbox; another envelope of the same fact folds."""
    settings = settings_for(
        f"sqlite:///{tmp_path / 'bus.db'}",
        tmp_path,
        kafka_bootstrap_servers=kafka_broker.bootstrap,
        consumer_retry_backoff_ms=10,
    )
    migrate(DEFINITION, settings)
    context = build_context(DEFINITION, settings)
    ensure_topics(kafka_broker.bootstrap, [TOPIC_MONITORING_EVENTS, f"{TOPIC_MONITORING_EVENTS}.dlq"])
    report = fire_report()
    fields = {f.name: getattr(report, f.name) for f in M.MonitoringEventReported.DESCRIPTOR.fields}
    event = M.MonitoringEventReported(**fields)
    envelope = new_envelope(event, producer="hotline", subject_key="person-key")
    repeat = new_envelope(event, producer="hotline", subject_key="person-key")
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap, acks="all")
    for value in (encode(envelope), encode(envelope), encode(repeat)):
        producer.send(TOPIC_MONITORING_EVENTS, key=b"person-key", value=value).get(timeout=10)
    producer.close()

    assert context.database is not None and context.store is not None
    consumer = EventConsumer(
        context.database,
        context.store.messaging,
        settings,
        group_id=f"doudi-verification-{uuid.uuid4().hex[:8]}",
        subscriptions=monitoring_subscriptions(context),
    )
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        reports = 0
        while time.monotonic() < deadline and reports < 2:
            with context.database.read() as session:
                reports = session.execute(
                    select(func.coalesce(func.sum(alerts_table.c.reports), 0))
                ).scalar_one()
            time.sleep(0.05)
        with context.database.read() as session:
            rows = session.execute(select(alerts_table.c.alert_id, alerts_table.c.reports)).all()
        assert [row.reports for row in rows] == [2]
        assert len(outbox_events(context, events_pb2.AlertRaised)) == 1
    finally:
        stop.set()
        thread.join(timeout=20)
        context.database.dispose()


def hand_over(needs_assistance: bool, incident_id: str = "inc_7") -> dispatch_events.IncidentHandedOver:
    event = dispatch_events.IncidentHandedOver(
        incident_id=incident_id,
        kind=dispatch_pb2.INCIDENT_KIND_FIRE,
        region=types_pb2.RegionCode(code=EXAMPLE_VILLAGE),
        person=types_pb2.IdNumber(value=PERSON),
        assessment=dispatch_pb2.Assessment(
            assistance_needed=needs_assistance, summary="房屋烧毁，需临时安置"
        ),
    )
    event.reported_at.FromDatetime(OCCURRED)
    return event


def test_a_team_hand_over_needing_assistance_opens_an_emergency_m4_alert(monitoring: Monitoring) -> None:
    subscription = hand_over_subscription(monitoring.alerts)
    for event in (hand_over(True), hand_over(True), hand_over(False, "inc_8")):
        envelope = new_envelope(event, producer="dispatch", subject_key=event.incident_id)
        with monitoring.context.database.transaction() as session:
            subscription.handler(session, envelope)
    listed = monitoring.stub.ListAlerts(
        M.ListAlertsRequest(region=types_pb2.RegionCode(code=EXAMPLE_VILLAGE)), metadata=AUTH, timeout=10
    ).alerts
    (alert,) = listed
    assert (alert.trigger, alert.source_reference) == (M.TRIGGER_ACCIDENT, "incident:inc_7")
    assert alert.urgency == M.ALERT_URGENCY_EMERGENCY


def overdue_visit(days_ago: int, entry_id: str = "entry_1") -> tuple[care_events.VisitOverdue, object]:
    due = (datetime.now(UTC) - timedelta(days=days_ago)).astimezone(timezone(timedelta(hours=8))).date()
    event = care_events.VisitOverdue(
        entry_id=entry_id,
        region=types_pb2.RegionCode(code=EXAMPLE_VILLAGE),
        township=types_pb2.RegionCode(code=EXAMPLE_TOWNSHIP),
        due=types_pb2.Date(year=due.year, month=due.month, day=due.day),
        person=types_pb2.IdNumber(value=OTHER_PERSON),
    )
    return event, new_envelope(event, producer="care", subject_key=entry_id)


def test_a_care_visit_overdue_beyond_the_threshold_opens_one_m14_alert(monitoring: Monitoring) -> None:
    subscription = overdue_visit_subscription(monitoring.alerts)
    for days_ago in (7, 8, 15):
        _event, envelope = overdue_visit(days_ago, entry_id=f"entry_{days_ago}")
        with monitoring.context.database.transaction() as session:
            subscription.handler(session, envelope)
    listed = monitoring.stub.ListAlerts(
        M.ListAlertsRequest(
            region=types_pb2.RegionCode(code=EXAMPLE_VILLAGE), trigger=M.TRIGGER_OVERDUE_CARE
        ),
        metadata=AUTH,
        timeout=10,
    ).alerts
    assert sorted(a.source_reference.split(":")[1] for a in listed) == ["entry_15", "entry_8"], (
        "seven days overdue is not more than the EX threshold of 7"
    )


# -- personal data at rest ----------------------------------------------------------------------------


def _raw_alert(context: ServiceContext) -> Any:
    assert context.database is not None
    with context.database.engine.connect() as connection:
        return connection.execute(text("SELECT * FROM alerts")).one()


def _whole(row: Any) -> str:
    """Every value of the row in full (a row's repr shortens long values)."""
    return " ".join(str(value) for value in row)


def test_an_alert_keeps_the_person_sealed_and_a_fact_folds_across_a_key_rotation(
    monitoring: Monitoring,
) -> None:
    stub, context = monitoring.stub, monitoring.context
    first = stub.ReportMonitoringEvent(fire_report("r-1"), metadata=AUTH)
    row = _raw_alert(context)
    assert PERSON not in _whole(row) and "in hospital" not in _whole(row)
    assert row.person_id.startswith("v1.") and row.open_fact.startswith("v1.")
    fact = "\x1f".join((PERSON, "ACCIDENT", "ticket-0042"))
    assert len(row.open_key) == 64 and row.open_key != hashlib.sha256(fact.encode()).hexdigest()

    before = field_crypto()

    def rotated(crypto: FieldCrypto, key_id: str) -> FieldCrypto:
        """A new primary key in front of ``crypto``'s keys, for sealing and for hashing."""
        return FieldCrypto(
            KeyRing(key_id, {key_id: os.urandom(32), **crypto.ring.keys}),
            LookupHasher(key_id, {key_id: os.urandom(32), **crypto.hasher.keys}),
        )

    try:
        use_field_crypto(rotated(before, "k2"))
        folded = stub.ReportMonitoringEvent(fire_report("r-2"), metadata=AUTH)
        assert folded.outcome == M.REPORT_OUTCOME_FOLDED and folded.alert_id == first.alert_id
        third = rotated(field_crypto(), "k3")
        use_field_crypto(third)
        with context.database.transaction() as session:
            assert reseal_table(session, alerts_table) == 1
        use_field_crypto(
            FieldCrypto(
                KeyRing("k3", {"k3": third.ring.keys["k3"]}),
                LookupHasher("k3", {"k3": third.hasher.keys["k3"]}),
            )
        )
        again = stub.ReportMonitoringEvent(fire_report("r-3"), metadata=AUTH)
        assert again.outcome == M.REPORT_OUTCOME_FOLDED and again.alert_id == first.alert_id
        assert again.alert.person.value == PERSON and again.alert.reports == 3
    finally:
        use_field_crypto(before)


def test_the_migration_seals_alerts_written_before_it_and_the_downgrade_opens_them(
    monitoring: Monitoring,
) -> None:
    stub, context = monitoring.stub, monitoring.context
    first = stub.ReportMonitoringEvent(fire_report("r-1"), metadata=AUTH)
    url = context.settings.effective_database_url
    assert downgrade_migrations(url, STORE.migrations_dir, "0005") == "0005"
    row = _raw_alert(context)
    fact = "\x1f".join((PERSON, "ACCIDENT", "ticket-0042"))
    assert (row.person_id, row.open_key) == (PERSON, hashlib.sha256(fact.encode()).hexdigest())
    assert "in hospital" in row.description and "open_fact" not in row._mapping

    assert run_migrations(url, STORE.migrations_dir) == "0007"
    row = _raw_alert(context)
    assert PERSON not in _whole(row) and "in hospital" not in _whole(row)
    folded = stub.ReportMonitoringEvent(fire_report("r-2"), metadata=AUTH)
    assert folded.outcome == M.REPORT_OUTCOME_FOLDED and folded.alert_id == first.alert_id
    assert folded.alert.person.value == PERSON
