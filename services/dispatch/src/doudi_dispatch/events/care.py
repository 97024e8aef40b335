"""A child's mandatory protection report at care opens an incident here (DOMAIN §9.2 四位一体).

Someone must be with the child at once: the nearest available volunteers are offered the incident
like any other, and it escalates to the township if nobody accepts in time. The case id is the key,
so the same report heard twice opens one incident.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from doudi.care.v1 import events_pb2 as care_events
from doudi.common.v1.envelope_pb2 import EventEnvelope
from doudi_contracts.topics import topic
from doudi_dispatch.app.incidents import IncidentUseCases
from doudi_dispatch.domain.incident import IncidentKind, IncidentReport, IncidentSource
from doudi_runtime.events.consumer import Subscription
from doudi_runtime.events.envelope import unpack

TOPIC_CARE_VISITS = topic("doudi.care.visit.v1").name
_CASE_OPENED = care_events.ProtectionCaseOpened.DESCRIPTOR.full_name


def report_of_case(event: care_events.ProtectionCaseOpened) -> IncidentReport:
    case = event.protection_case
    said = case.description.strip() or "强制报告：儿童需要紧急保护"
    return IncidentReport(
        kind=IncidentKind.CHILD_PROTECTION,
        region=case.region.code,
        source=IncidentSource.CARE,
        description=f"{said}（报告人：{case.reporter}）" if case.reporter.strip() else said,
        person_id_number=case.child.id_number.value,
        person_name=case.child.name,
        contact_phone=case.contact_phone,
        source_reference=f"protection:{case.case_id}",
    )


def protection_subscription(incidents: IncidentUseCases) -> Subscription:
    def handle(session: Session, envelope: EventEnvelope) -> None:
        if envelope.event_type != _CASE_OPENED:
            return
        event = unpack(envelope, care_events.ProtectionCaseOpened)
        incidents.report_in(
            session, f"care-protection-{event.protection_case.case_id}", report_of_case(event)
        )

    return Subscription(TOPIC_CARE_VISITS, handle)
