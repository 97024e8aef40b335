"""Leads that other services find: a rapid-response team's hand-over, a disposed monitoring alert.

Both arrive through the inbox, so an event heard twice registers its leads once. A lead is never an
application (DOMAIN §0.2.5): the village contacts the household, which decides whether to apply.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from doudi.common.v1.envelope_pb2 import EventEnvelope
from doudi.dispatch.v1 import events_pb2 as dispatch_events
from doudi.verification.v1 import events_pb2 as verification_events
from doudi_contracts.topics import topic
from doudi_intake.app.leads import LeadUseCases
from doudi_intake.domain.leads import LeadReport
from doudi_runtime.events.consumer import Subscription
from doudi_runtime.events.envelope import unpack
from doudi_runtime.grpc.convert import programme_name

TOPIC_INCIDENTS = topic("doudi.dispatch.incident.v1").name
TOPIC_ALERTS = topic("doudi.verification.alert.v1").name
_HANDED_OVER = dispatch_events.IncidentHandedOver.DESCRIPTOR.full_name
_DISPOSED = verification_events.AlertDisposed.DESCRIPTOR.full_name

#: The name a lead carries until the village has met the person, when the reporter could not give one.
NAME_TO_BE_CONFIRMED = "待核实"
RAPID_RESPONSE_TEAM = "急难问题快速响应服务队"

log = logging.getLogger(__name__)


def lead_from_hand_over(event: dispatch_events.IncidentHandedOver) -> LeadReport | None:
    """The temporary-assistance lead a hand-over opens, or None when the team found no need (DOMAIN §10.3)."""
    if not event.assessment.assistance_needed:
        return None
    said = event.assessment.summary.strip() or event.description.strip()
    return LeadReport(
        id_number=event.person.value,
        name=event.person_name.strip() or NAME_TO_BE_CONFIRMED,
        residence_region=event.region.code,
        found_by=RAPID_RESPONSE_TEAM,
        reason=f"临时救助：{said}" if said else "临时救助：快速响应服务队移交",
        source_reference=f"incident:{event.incident_id}",
        phone=event.contact_phone,
    )


def leads_from_disposal(event: verification_events.AlertDisposed) -> list[LeadReport]:
    """One lead per INCLUDE_* outcome the township chose (DOMAIN §8.3): the household is helped to apply."""
    return [
        LeadReport(
            id_number=lead.person.value or event.person.value,
            name=NAME_TO_BE_CONFIRMED,
            residence_region=lead.residence_region.code or event.region.code,
            found_by=lead.found_by or "monitoring-alert",
            reason=_with_programme(lead.programme, lead.reason or event.reason),
            source_reference=lead.source_reference or f"alert:{event.alert_id}",
        )
        for lead in event.leads
    ]


def _with_programme(programme: int, reason: str) -> str:
    name = programme_name(programme)
    return f"{name}: {reason.strip()}" if name != "UNSPECIFIED" else reason.strip()


def incident_subscription(use_cases: LeadUseCases) -> Subscription:
    def handle(session: Session, envelope: EventEnvelope) -> None:
        if envelope.event_type != _HANDED_OVER:
            return
        report = lead_from_hand_over(unpack(envelope, dispatch_events.IncidentHandedOver))
        if report is None:
            return
        lead = use_cases.register_in(session, report, cause=envelope.event_id)
        log.info("a hand-over opened a lead", extra={"lead": lead.lead_id, "source": report.source_reference})

    return Subscription(TOPIC_INCIDENTS, handle)


def alert_subscription(use_cases: LeadUseCases) -> Subscription:
    def handle(session: Session, envelope: EventEnvelope) -> None:
        if envelope.event_type != _DISPOSED:
            return
        for report in leads_from_disposal(unpack(envelope, verification_events.AlertDisposed)):
            use_cases.register_in(session, report, cause=envelope.event_id)

    return Subscription(TOPIC_ALERTS, handle)
