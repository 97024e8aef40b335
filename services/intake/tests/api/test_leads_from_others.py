"""Leads other services find: a team's hand-over that needs assistance, and a township's disposal of an
alert with INCLUDE_* outcomes, each become leads the village works through the API; nothing else does."""

from __future__ import annotations

from datetime import UTC, date, datetime

from doudi.common.v1 import programme_pb2, types_pb2
from doudi.dispatch.v1 import dispatch_pb2
from doudi.dispatch.v1 import events_pb2 as dispatch_events
from doudi.intake.v1 import intake_pb2
from doudi.verification.v1 import events_pb2 as verification_events
from doudi.verification.v1 import monitoring_pb2
from doudi_common.testing import EXAMPLE_TOWNSHIP, EXAMPLE_VILLAGE, make_resident_id
from doudi_intake.events.leads_from_others import NAME_TO_BE_CONFIRMED, TOPIC_ALERTS, TOPIC_INCIDENTS
from doudi_intake.main import DEFINITION
from doudi_runtime.events.envelope import new_envelope

from .conftest import AUTH

FARMER = make_resident_id(date(1971, 3, 9), 51)
WIDOW = make_resident_id(date(1950, 1, 2), 62, female=True)


def deliver(context, topic: str, event, producer: str) -> None:  # type: ignore[no-untyped-def]
    (subscription,) = [s for s in DEFINITION.subscriptions(context) if s.topic == topic]
    envelope = new_envelope(event, producer=producer, subject_key="k")
    with context.database.transaction() as session:
        subscription.handler(session, envelope)


def leads_in_village(stub) -> list[intake_pb2.Lead]:  # type: ignore[no-untyped-def]
    return list(
        stub.ListLeads(
            intake_pb2.ListLeadsRequest(region=types_pb2.RegionCode(code=EXAMPLE_VILLAGE)),
            metadata=AUTH,
            timeout=10,
        ).leads
    )


def hand_over(incident_id: str, *, needs_assistance: bool) -> dispatch_events.IncidentHandedOver:
    event = dispatch_events.IncidentHandedOver(
        incident_id=incident_id,
        kind=dispatch_pb2.INCIDENT_KIND_FIRE,
        region=types_pb2.RegionCode(code=EXAMPLE_VILLAGE),
        township=types_pb2.RegionCode(code=EXAMPLE_TOWNSHIP),
        person=types_pb2.IdNumber(value=FARMER),
        person_name="马有福",
        contact_phone="13912345678",
        description="夜间厨房起火",
        assessment=dispatch_pb2.Assessment(
            shelter_needed=True, assistance_needed=needs_assistance, summary="房屋烧毁两间，需临时安置"
        ),
    )
    event.reported_at.FromDatetime(datetime(2026, 11, 28, 14, 0, tzinfo=UTC))
    return event


def test_a_hand_over_needing_assistance_opens_a_temporary_assistance_lead(intake) -> None:  # type: ignore[no-untyped-def]
    stub, context = intake
    deliver(context, TOPIC_INCIDENTS, hand_over("inc_1", needs_assistance=True), "dispatch")
    deliver(context, TOPIC_INCIDENTS, hand_over("inc_2", needs_assistance=False), "dispatch")
    (lead,) = leads_in_village(stub)
    assert lead.state == intake_pb2.LEAD_STATE_NEW
    assert (lead.person.name, lead.source_reference) == ("马有福", "incident:inc_1")
    assert lead.reason == "临时救助：房屋烧毁两间，需临时安置"
    assert lead.found_by == "急难问题快速响应服务队"
    assert not lead.application_id, "a lead is never an application"


def test_a_disposed_alert_opens_one_lead_per_include_outcome(intake) -> None:  # type: ignore[no-untyped-def]
    stub, context = intake
    disposed = verification_events.AlertDisposed(
        alert_id="alert_9",
        person=types_pb2.IdNumber(value=WIDOW),
        region=types_pb2.RegionCode(code=EXAMPLE_VILLAGE),
        reason="独居，收入骤降",
        leads=[
            monitoring_pb2.AlertLead(
                programme=programme_pb2.PROGRAMME_DIBAO,
                person=types_pb2.IdNumber(value=WIDOW),
                residence_region=types_pb2.RegionCode(code=EXAMPLE_VILLAGE),
                reason="人均收入低于标准",
                source_reference="alert:alert_9",
                found_by="monitoring-alert",
            )
        ],
    )
    deliver(context, TOPIC_ALERTS, disposed, "verification")
    deliver(context, TOPIC_ALERTS, verification_events.AlertDisposed(alert_id="alert_10"), "verification")
    (lead,) = leads_in_village(stub)
    assert (lead.person.name, lead.source_reference, lead.found_by) == (
        NAME_TO_BE_CONFIRMED,
        "alert:alert_9",
        "monitoring-alert",
    )
    assert lead.reason == "DIBAO: 人均收入低于标准"
