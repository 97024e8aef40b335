"""Intake's facts verification acts on: an accepted application opens a case, a withdrawn one closes it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from doudi.common.v1.envelope_pb2 import EventEnvelope
from doudi.intake.v1 import events_pb2, intake_pb2
from doudi_contracts.topics import topic
from doudi_runtime.events.consumer import Subscription
from doudi_runtime.events.envelope import unpack
from doudi_runtime.grpc.convert import programme_name
from doudi_verification.app.checks import VerificationUseCases
from doudi_verification.domain.case import Case, CaseState, Member
from doudi_verification.domain.policy import HouseholdType

TOPIC_APPLICATIONS = topic("doudi.intake.application.v1").name
_ACCEPTED = events_pb2.ApplicationAccepted.DESCRIPTOR.full_name
_WITHDRAWN = events_pb2.ApplicationWithdrawn.DESCRIPTOR.full_name


class UnusableEvent(ValueError):
    """An event that cannot become a case; the consumer retries it, then sends it to the DLQ."""


def case_from_accepted(event: events_pb2.ApplicationAccepted, now: datetime) -> Case:
    application = event.application
    household_type = intake_pb2.HouseholdType.Name(application.household.household_type).removeprefix(
        "HOUSEHOLD_TYPE_"
    )
    if household_type not in HouseholdType.__members__:
        raise UnusableEvent(f"application {event.application_id} has no household type")
    members = tuple(
        Member(
            index=index,
            id_number=member.person.id_number.value,
            counted=member.counted,
            consent_signed=member.consent_signed,
        )
        for index, member in enumerate(application.household.members)
    )
    if not any(m.counted for m in members):
        raise UnusableEvent(f"application {event.application_id} has no counted member")
    accepted_at = application.accepted_at.ToDatetime(UTC) if application.HasField("accepted_at") else now
    return Case(
        application_id=event.application_id,
        programme=programme_name(application.programme),
        township=application.township.code,
        residence_region=application.household.residence_region.code,
        household_type=HouseholdType(household_type),
        members=members,
        accepted_at=accepted_at,
        state=CaseState.PENDING,
        attempts=0,
        next_attempt_at=now,
        latest_report_id="",
        updated_at=now,
    )


def intake_subscription(use_cases: VerificationUseCases, clock: Callable[[], datetime]) -> Subscription:
    def handle(session: Session, envelope: EventEnvelope) -> None:
        if envelope.event_type == _ACCEPTED:
            use_cases.open_case(
                session, case_from_accepted(unpack(envelope, events_pb2.ApplicationAccepted), clock())
            )
        elif envelope.event_type == _WITHDRAWN:
            use_cases.cancel_case(session, unpack(envelope, events_pb2.ApplicationWithdrawn).application_id)

    return Subscription(TOPIC_APPLICATIONS, handle)
