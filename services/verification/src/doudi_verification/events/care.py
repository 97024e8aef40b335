"""Care's overdue visits become M14 monitoring events (DOMAIN §8.2: visit or care overdue).

The rule decides: a visit overdue by more than the threshold (EX 7 days) opens an alert for the
township; a later escalation of the same overdue visit folds into that alert instead of opening another.
"""

from __future__ import annotations

from datetime import UTC, date

from sqlalchemy.orm import Session

from doudi.care.v1 import events_pb2 as care_events
from doudi.common.v1.envelope_pb2 import EventEnvelope
from doudi_common.calendar import china_date
from doudi_contracts.topics import topic
from doudi_runtime.events.consumer import Subscription
from doudi_runtime.events.envelope import unpack
from doudi_verification.app.alerts import AlertUseCases
from doudi_verification.domain.triggers import Facts, MonitoringEvent, Trigger

TOPIC_VISITS = topic("doudi.care.visit.v1").name
_OVERDUE = care_events.VisitOverdue.DESCRIPTOR.full_name
SOURCE = "care"


def event_from_overdue_visit(
    event: care_events.VisitOverdue, envelope: EventEnvelope
) -> MonitoringEvent | None:
    """The M14 event of an overdue visit, or None when care could not say whose visit it is."""
    if not event.person.value:
        return None
    noticed = envelope.occurred_at.ToDatetime(UTC)
    due = date(event.due.year, event.due.month, event.due.day)
    return MonitoringEvent(
        trigger=Trigger.OVERDUE_CARE,
        person_id=event.person.value,
        region=event.region.code or event.township.code,
        source=SOURCE,
        source_reference=f"visit:{event.entry_id}:{due.isoformat()}",
        occurred_at=noticed,
        facts=Facts(overdue_days=max((china_date(noticed) - due).days, 0)),
        description="a care visit is overdue",
    )


def overdue_visit_subscription(alerts: AlertUseCases) -> Subscription:
    def handle(session: Session, envelope: EventEnvelope) -> None:
        if envelope.event_type != _OVERDUE:
            return
        monitoring_event = event_from_overdue_visit(unpack(envelope, care_events.VisitOverdue), envelope)
        if monitoring_event is not None:
            alerts.report_in(session, monitoring_event, cause=envelope.event_id)

    return Subscription(TOPIC_VISITS, handle)
