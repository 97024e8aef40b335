"""Incidents other services open: a child's mandatory protection report at care, offered at once to the
nearest volunteers, and an emergency monitoring alert; each once, however often its event is heard."""

from __future__ import annotations

from datetime import UTC, date, datetime

from doudi.care.v1 import care_pb2
from doudi.care.v1 import events_pb2 as care_events
from doudi.common.v1 import types_pb2
from doudi.dispatch.v1 import dispatch_pb2
from doudi.verification.v1 import events_pb2 as verification_events
from doudi.verification.v1 import monitoring_pb2
from doudi_common.testing import make_resident_id
from doudi_dispatch.events.alerts import TOPIC_ALERTS
from doudi_dispatch.events.care import TOPIC_CARE_VISITS
from doudi_dispatch.main import DEFINITION
from doudi_runtime.events.envelope import new_envelope

from .conftest import AUTH, VILLAGE, Dispatch, register_team

CHILD = make_resident_id(date(2016, 4, 12), 17, female=True)


def case_opened() -> care_events.ProtectionCaseOpened:
    case = care_pb2.ProtectionCase(
        case_id="pc_1",
        child=types_pb2.Person(id_number=types_pb2.IdNumber(value=CHILD), name="马小花"),
        region=types_pb2.RegionCode(code=VILLAGE),
        description="学校报告：孩子连续三天未到校，家中无人",
        reporter="镇中心小学",
        contact_phone="13912345678",
    )
    case.reported_at.FromDatetime(datetime(2026, 11, 28, 1, 0, tzinfo=UTC))
    return care_events.ProtectionCaseOpened(protection_case=case)


def test_a_protection_case_heard_twice_opens_one_incident_offered_to_volunteers(dispatch: Dispatch) -> None:
    register_team(dispatch)
    (subscription,) = [s for s in DEFINITION.subscriptions(dispatch.context) if s.topic == TOPIC_CARE_VISITS]
    for _ in range(2):
        envelope = new_envelope(case_opened(), producer="care", subject_key="pc_1")
        with dispatch.context.database.transaction() as session:  # type: ignore[union-attr]
            subscription.handler(session, envelope)
    reported = [e for e in dispatch.outbox() if e[2].endswith("IncidentReported")]
    assert len(reported) == 1
    incident = dispatch.stub.GetIncident(
        dispatch_pb2.GetIncidentRequest(incident_id=reported[0][1]), metadata=AUTH, timeout=10
    ).incident
    assert incident.kind == dispatch_pb2.INCIDENT_KIND_CHILD_PROTECTION
    assert incident.source_reference == "protection:pc_1"
    assert incident.state == dispatch_pb2.INCIDENT_STATE_OFFERED and incident.offers, "offered at once"


def alert_raised(alert_id: str, urgency: int, source: str = "hotline", region: str = VILLAGE):  # type: ignore[no-untyped-def]
    return verification_events.AlertRaised(
        alert_id=alert_id,
        trigger=monitoring_pb2.TRIGGER_ACCIDENT,
        region=types_pb2.RegionCode(code=region),
        person=types_pb2.IdNumber(value=CHILD),
        urgency=urgency,
        source=source,
        source_reference="ticket-7",
    )


def test_only_an_emergency_alert_from_outside_dispatch_sends_the_team(dispatch: Dispatch) -> None:
    register_team(dispatch)
    (subscription,) = [s for s in DEFINITION.subscriptions(dispatch.context) if s.topic == TOPIC_ALERTS]
    alerts = [
        alert_raised("al_1", monitoring_pb2.ALERT_URGENCY_EMERGENCY),
        alert_raised("al_1", monitoring_pb2.ALERT_URGENCY_EMERGENCY),
        alert_raised("al_2", monitoring_pb2.ALERT_URGENCY_ROUTINE),
        alert_raised("al_3", monitoring_pb2.ALERT_URGENCY_EMERGENCY, source="dispatch"),
        alert_raised("al_4", monitoring_pb2.ALERT_URGENCY_EMERGENCY, region="640402100000"),
    ]
    for alert in alerts:
        envelope = new_envelope(alert, producer="verification", subject_key=alert.alert_id)
        with dispatch.context.database.transaction() as session:  # type: ignore[union-attr]
            subscription.handler(session, envelope)
    reported = [e for e in dispatch.outbox() if e[2].endswith("IncidentReported")]
    (only,) = reported
    incident = dispatch.stub.GetIncident(
        dispatch_pb2.GetIncidentRequest(incident_id=only[1]), metadata=AUTH, timeout=10
    ).incident
    assert (incident.kind, incident.source_reference) == (dispatch_pb2.INCIDENT_KIND_ACCIDENT, "alert:al_1")
