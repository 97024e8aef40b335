"""A rapid-response team's hand-over opens an M4 monitoring alert for the township (DOMAIN §10.3).

The team decides nothing and approves no money; the alert puts the household in front of the township,
whose SLA for M4 is the emergency one. Intake opens the temporary-assistance lead from the same event.
"""

from __future__ import annotations

from datetime import UTC

from sqlalchemy.orm import Session

from doudi.common.v1.envelope_pb2 import EventEnvelope
from doudi.dispatch.v1 import events_pb2 as dispatch_events
from doudi_contracts.topics import topic
from doudi_runtime.events.consumer import Subscription
from doudi_runtime.events.envelope import unpack
from doudi_verification.app.alerts import AlertUseCases
from doudi_verification.domain.triggers import MAX_TEXT, MonitoringEvent, Trigger

TOPIC_INCIDENTS = topic("doudi.dispatch.incident.v1").name
_HANDED_OVER = dispatch_events.IncidentHandedOver.DESCRIPTOR.full_name
SOURCE = "dispatch"


def event_from_hand_over(event: dispatch_events.IncidentHandedOver) -> MonitoringEvent | None:
    """The M4 event of a hand-over, or None when the team found no need for assistance."""
    if not event.assessment.assistance_needed:
        return None
    said = event.assessment.summary.strip() or event.description.strip()
    return MonitoringEvent(
        trigger=Trigger.ACCIDENT,
        person_id=event.person.value,
        region=event.region.code,
        source=SOURCE,
        source_reference=f"incident:{event.incident_id}",
        occurred_at=event.reported_at.ToDatetime(UTC) if event.HasField("reported_at") else None,
        description=said[:MAX_TEXT],
    )


def hand_over_subscription(alerts: AlertUseCases) -> Subscription:
    def handle(session: Session, envelope: EventEnvelope) -> None:
        if envelope.event_type != _HANDED_OVER:
            return
        monitoring_event = event_from_hand_over(unpack(envelope, dispatch_events.IncidentHandedOver))
        if monitoring_event is not None:
            alerts.report_in(session, monitoring_event, cause=envelope.event_id)

    return Subscription(TOPIC_INCIDENTS, handle)
