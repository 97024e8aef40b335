"""Facts care learns from other services, through the inbox (a redelivered event changes nothing):
eligibility's entitlements open, rest, reopen and close ledger entries; verification's alerts re-tier
people on a ledger."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from doudi.common.v1.envelope_pb2 import EventEnvelope
from doudi.eligibility.v1 import eligibility_pb2
from doudi.eligibility.v1 import events_pb2 as eligibility_events
from doudi.verification.v1 import events_pb2 as verification_events
from doudi.verification.v1 import monitoring_pb2
from doudi_care.app.ledger import AlertNotice, EntitlementFact, LedgerUseCases
from doudi_care.domain.entitlements import Standing
from doudi_contracts.topics import topic
from doudi_runtime.events.consumer import Subscription
from doudi_runtime.events.envelope import unpack
from doudi_runtime.grpc.convert import programme_name

TOPIC_ENTITLEMENTS = topic("doudi.eligibility.entitlement.v1").name
TOPIC_ALERTS = topic("doudi.verification.alert.v1").name


#: How an entitlement in each state stands for care (DOMAIN §7.3): paid until it is suspended or ended.
STANDING_OF_STATE = {
    eligibility_pb2.ENTITLEMENT_STATE_ACTIVE: Standing.PAID,
    eligibility_pb2.ENTITLEMENT_STATE_UNDER_REVIEW: Standing.PAID,
    eligibility_pb2.ENTITLEMENT_STATE_GRADUAL_EXIT: Standing.PAID,
    eligibility_pb2.ENTITLEMENT_STATE_TERMINATION_PENDING: Standing.PAID,
    eligibility_pb2.ENTITLEMENT_STATE_SUSPENDED: Standing.SUSPENDED,
    eligibility_pb2.ENTITLEMENT_STATE_TERMINATED: Standing.ENDED,
}


def entitlement_fact(envelope: EventEnvelope) -> EntitlementFact | None:
    """The entitlement an event is about, read only from fields every Entitlement carries.

    Activation (and resumption, which eligibility announces as a new activation) means paid, suspension
    held, termination ended; a change says where the entitlement stands now by its state after.
    """
    kind = envelope.event_type.rsplit(".", 1)[-1]
    if kind == "EntitlementActivated":
        e = unpack(envelope, eligibility_events.EntitlementActivated).entitlement
        standing: Standing | None = Standing.PAID
    elif kind == "EntitlementSuspended":
        e = unpack(envelope, eligibility_events.EntitlementSuspended).entitlement
        standing = Standing.SUSPENDED
    elif kind == "EntitlementTerminated":
        e = unpack(envelope, eligibility_events.EntitlementTerminated).entitlement
        standing = Standing.ENDED
    elif kind == "EntitlementChanged":
        e = unpack(envelope, eligibility_events.EntitlementChanged).after
        standing = STANDING_OF_STATE.get(e.state)
    else:
        return None
    if standing is None:
        return None
    return EntitlementFact(
        kind=kind,
        standing=standing,
        entitlement_id=e.entitlement_id,
        subject_id=e.subject_id,
        programme=programme_name(e.programme),
        region=e.region.code,
        payee_name=e.payee.account_name,
        guardian_name=e.payee.guardian_name,
    )


def alert_notice(envelope: EventEnvelope) -> AlertNotice | None:
    if envelope.event_type.rsplit(".", 1)[-1] != "AlertRaised":
        return None
    alert = unpack(envelope, verification_events.AlertRaised)
    return AlertNotice(
        alert_id=alert.alert_id,
        trigger=monitoring_pb2.Trigger.Name(alert.trigger).removeprefix("TRIGGER_"),
        id_number=alert.person.value.strip().upper(),
        household_id=alert.household_id,
        emergency=alert.urgency == monitoring_pb2.ALERT_URGENCY_EMERGENCY,
    )


def subscriptions(ledger: LedgerUseCases, clock: Callable[[], datetime]) -> list[Subscription]:
    def on_entitlement(session: Session, envelope: EventEnvelope) -> None:
        fact = entitlement_fact(envelope)
        if fact is not None:
            ledger.apply_entitlement(session, fact, clock())

    def on_alert(session: Session, envelope: EventEnvelope) -> None:
        notice = alert_notice(envelope)
        if notice is not None:
            ledger.apply_alert(session, notice, clock())

    return [Subscription(TOPIC_ENTITLEMENTS, on_entitlement), Subscription(TOPIC_ALERTS, on_alert)]
