"""An emergency monitoring alert sends the village's rapid-response team (DOMAIN §8.2 M4, §10.3).

Only alerts whose urgency is EMERGENCY (an accident or fire: aid within 24 hours) become incidents;
the others are the township's to verify at its own pace. An alert that dispatch itself caused (a
team's hand-over) is not sent back to the team, and an alert known only to the township level, with
no village to send anyone to, stays with the township.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from doudi.common.v1.envelope_pb2 import EventEnvelope
from doudi.verification.v1 import events_pb2 as verification_events
from doudi.verification.v1 import monitoring_pb2
from doudi_common.errors import InvalidArgument
from doudi_common.region import RegionCode, RegionLevel
from doudi_contracts.topics import topic
from doudi_dispatch.app.incidents import IncidentUseCases
from doudi_dispatch.domain.incident import IncidentKind, IncidentReport, IncidentSource
from doudi_runtime.events.consumer import Subscription
from doudi_runtime.events.envelope import unpack

TOPIC_ALERTS = topic("doudi.verification.alert.v1").name
_RAISED = verification_events.AlertRaised.DESCRIPTOR.full_name
#: The monitoring source name dispatch's own hand-overs carry.
OWN_SOURCE = "dispatch"

KIND_OF_TRIGGER = {
    monitoring_pb2.TRIGGER_ACCIDENT: IncidentKind.ACCIDENT,
    monitoring_pb2.TRIGGER_SERIOUS_ILLNESS: IncidentKind.ILLNESS,
    monitoring_pb2.TRIGGER_DISASTER: IncidentKind.DISASTER,
}

log = logging.getLogger(__name__)


def report_of_alert(event: verification_events.AlertRaised) -> IncidentReport | None:
    """The incident an emergency alert opens, or None when it is not the team's to answer."""
    if event.urgency != monitoring_pb2.ALERT_URGENCY_EMERGENCY or event.source == OWN_SOURCE:
        return None
    try:
        region = RegionCode.parse(event.region.code)
    except InvalidArgument:
        return None
    if region.level is not RegionLevel.VILLAGE:
        log.info(
            "an emergency alert names no village; the township works it", extra={"alert": event.alert_id}
        )
        return None
    return IncidentReport(
        kind=KIND_OF_TRIGGER.get(event.trigger, IncidentKind.OUT_OF_CONTACT),
        region=region.code,
        source=IncidentSource.MONITORING,
        description=f"监测预警（{monitoring_pb2.Trigger.Name(event.trigger).removeprefix('TRIGGER_')}）：请尽快上门",
        person_id_number=event.person.value,
        source_reference=f"alert:{event.alert_id}",
    )


def alert_subscription(incidents: IncidentUseCases) -> Subscription:
    def handle(session: Session, envelope: EventEnvelope) -> None:
        if envelope.event_type != _RAISED:
            return
        event = unpack(envelope, verification_events.AlertRaised)
        report = report_of_alert(event)
        if report is not None:
            incidents.report_in(session, f"alert-{event.alert_id}", report)

    return Subscription(TOPIC_ALERTS, handle)
