"""Eligibility's entitlement facts verification follows to know who is due a periodic review (DOMAIN §7.3),
and who enters the monitored population on leaving Dibao after a gradual exit (DOMAIN §8.1).

``doudi.eligibility.entitlement.v1`` is keyed by household, so one household's events arrive in order;
each is applied inside the inbox transaction. A suspension or termination is taken from the event's type
even if the snapshot it carries says otherwise.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from doudi.common.v1 import programme_pb2
from doudi.common.v1.envelope_pb2 import EventEnvelope
from doudi.eligibility.v1 import eligibility_pb2
from doudi.eligibility.v1 import events_pb2 as eligibility_events
from doudi_common.period import Period
from doudi_contracts.topics import topic
from doudi_runtime.events.consumer import Subscription
from doudi_runtime.events.envelope import unpack
from doudi_runtime.grpc.convert import programme_name
from doudi_verification.app.monitored import MonitoredUseCases
from doudi_verification.app.reviews import ReviewUseCases
from doudi_verification.domain.monitored import Exit
from doudi_verification.domain.review import Category, EntitlementFacts

TOPIC_ENTITLEMENTS = topic("doudi.eligibility.entitlement.v1").name
_ACTIVATED = eligibility_events.EntitlementActivated.DESCRIPTOR.full_name
_CHANGED = eligibility_events.EntitlementChanged.DESCRIPTOR.full_name
_SUSPENDED = eligibility_events.EntitlementSuspended.DESCRIPTOR.full_name
_TERMINATED = eligibility_events.EntitlementTerminated.DESCRIPTOR.full_name


class UnusableEntitlement(ValueError):
    """An entitlement event without what a schedule needs; retried, then dead-lettered with the reason."""


def facts_of(entitlement: eligibility_pb2.Entitlement, state: str | None = None) -> EntitlementFacts:
    if not entitlement.entitlement_id:
        raise UnusableEntitlement("the entitlement has no id")
    # A malformed start month raises InvalidArgument naming the field: retried, then dead-lettered.
    start = Period.parse(entitlement.start_month.month, field="start_month").first_day
    category = programme_pb2.HouseholdCategory.Name(entitlement.category).removeprefix("HOUSEHOLD_CATEGORY_")
    return EntitlementFacts(
        entitlement_id=entitlement.entitlement_id,
        household_id=entitlement.subject_id,
        application_id=entitlement.application_id,
        programme=programme_name(entitlement.programme),
        state=state
        or eligibility_pb2.EntitlementState.Name(entitlement.state).removeprefix("ENTITLEMENT_STATE_"),
        category=Category.__members__.get(category),
        start_month_first_day=start,
        region=entitlement.region.code,
    )


def facts_from(envelope: EventEnvelope) -> EntitlementFacts | None:
    """The facts an entitlement event carries; None for an event type the schedule does not follow."""
    if envelope.event_type == _ACTIVATED:
        return facts_of(unpack(envelope, eligibility_events.EntitlementActivated).entitlement)
    if envelope.event_type == _CHANGED:
        return facts_of(unpack(envelope, eligibility_events.EntitlementChanged).after)
    if envelope.event_type == _SUSPENDED:
        return facts_of(unpack(envelope, eligibility_events.EntitlementSuspended).entitlement, "SUSPENDED")
    if envelope.event_type == _TERMINATED:
        return facts_of(unpack(envelope, eligibility_events.EntitlementTerminated).entitlement, "TERMINATED")
    return None


def exit_of(event: eligibility_events.EntitlementTerminated) -> Exit:
    """What an end says about monitoring; a malformed month is retried, then dead-lettered."""
    e = event.entitlement
    if not e.entitlement_id:
        raise UnusableEntitlement("the entitlement has no id")
    until = event.monitored_until.month
    return Exit(
        entitlement_id=e.entitlement_id,
        household_id=e.subject_id,
        application_id=e.application_id,
        region=e.region.code,
        last_month=Period.parse(event.last_month.month, field="last_month"),
        monitored_until=Period.parse(until, field="monitored_until") if until else None,
    )


def _reinstated(event: eligibility_events.EntitlementChanged) -> bool:
    """An appeal reversed the end: the household is a Dibao recipient again, monitored as such."""
    terminated = eligibility_pb2.ENTITLEMENT_STATE_TERMINATED
    return event.before.state == terminated and event.after.state != terminated


def entitlement_subscription(
    reviews: ReviewUseCases, monitored: MonitoredUseCases | None = None
) -> Subscription:
    def handle(session: Session, envelope: EventEnvelope) -> None:
        if envelope.event_type == _TERMINATED:
            ended = unpack(envelope, eligibility_events.EntitlementTerminated)
            reviews.follow(session, facts_of(ended.entitlement, "TERMINATED"))
            if monitored is not None and ended.monitored_until.month:
                monitored.register(session, exit_of(ended))
        elif envelope.event_type == _CHANGED:
            changed = unpack(envelope, eligibility_events.EntitlementChanged)
            reviews.follow(session, facts_of(changed.after))
            if monitored is not None and _reinstated(changed):
                monitored.withdraw(session, changed.after.entitlement_id)
        else:
            facts = facts_from(envelope)
            if facts is not None:
                reviews.follow(session, facts)

    return Subscription(TOPIC_ENTITLEMENTS, handle)
