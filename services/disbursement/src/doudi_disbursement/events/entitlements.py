"""Eligibility's entitlement events → the payroll roster (through the inbox: a repeat changes nothing)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from doudi.common.v1 import programme_pb2
from doudi.common.v1.envelope_pb2 import EventEnvelope
from doudi.eligibility.v1 import eligibility_pb2, events_pb2
from doudi_common.calendar import china_date
from doudi_common.period import Period
from doudi_contracts.topics import topic
from doudi_disbursement.domain import roster
from doudi_disbursement.store import payroll as store
from doudi_runtime.events.consumer import Subscription
from doudi_runtime.events.envelope import unpack

TOPIC_ENTITLEMENTS = topic("doudi.eligibility.entitlement.v1").name


class UnusableEntitlement(ValueError):
    """An entitlement event the roster cannot apply; retried, then dead-lettered with this message."""


def _components(entitlement: eligibility_pb2.Entitlement) -> dict[str, int]:
    components = {
        programme_pb2.BenefitComponent.Name(c.component).removeprefix(
            "BENEFIT_COMPONENT_"
        ): c.monthly_amount.amount_fen
        for c in entitlement.components
    }
    if not components and entitlement.monthly_amount.amount_fen:
        components = {"BASE": entitlement.monthly_amount.amount_fen}
    if "UNSPECIFIED" in components:
        raise UnusableEntitlement(f"entitlement {entitlement.entitlement_id} has a component without a kind")
    return components


def _period(message_month: str, field: str, entitlement_id: str) -> Period:
    try:
        return Period.parse(message_month, field=field)
    except Exception as exc:
        raise UnusableEntitlement(
            f"entitlement {entitlement_id}: {field} {message_month!r} is not a month"
        ) from exc


def _existing(session: Session, entitlement_id: str) -> roster.RosterEntry:
    entry = store.get_roster_entry(session, entitlement_id)
    if entry is None:
        raise UnusableEntitlement(f"entitlement {entitlement_id} is not on the roster yet")
    return entry


def apply_entitlement_event(session: Session, envelope: EventEnvelope, now: datetime) -> None:
    kind = envelope.event_type.rsplit(".", 1)[1]
    occurred = (
        envelope.occurred_at.ToDatetime().replace(tzinfo=now.tzinfo)
        if envelope.HasField("occurred_at")
        else now
    )
    if kind == "EntitlementActivated":
        e = unpack(envelope, events_pb2.EntitlementActivated).entitlement
        entry = roster.activated(
            entitlement_id=e.entitlement_id,
            beneficiary_id=e.subject_id,
            programme=programme_pb2.Programme.Name(e.programme).removeprefix("PROGRAMME_"),
            township=e.region.code,
            payee_name=e.payee.account_name,
            payee_account=e.payee.account_number,
            start=_period(e.start_month.month, "start_month", e.entitlement_id),
            components=_components(e),
            existing=store.get_roster_entry(session, e.entitlement_id),
        )
    elif kind == "EntitlementChanged":
        event = unpack(envelope, events_pb2.EntitlementChanged)
        e = event.after
        entry = roster.changed(
            _existing(session, e.entitlement_id),
            _period(event.effective_month.month, "effective_month", e.entitlement_id),
            _components(e),
            event.reason,
        )
    elif kind == "EntitlementSuspended":
        event = unpack(envelope, events_pb2.EntitlementSuspended)
        entry = roster.suspended(
            _existing(session, event.entitlement.entitlement_id), Period.of(china_date(occurred)).next()
        )
    elif kind == "EntitlementTerminated":
        event = unpack(envelope, events_pb2.EntitlementTerminated)
        entry = roster.terminated(
            _existing(session, event.entitlement.entitlement_id),
            _period(event.last_month.month, "last_month", event.entitlement.entitlement_id),
        )
    else:
        return
    store.save_roster_entry(session, entry, now)


def entitlement_subscription(clock: Callable[[], datetime]) -> Subscription:
    return Subscription(
        TOPIC_ENTITLEMENTS, lambda session, envelope: apply_entitlement_event(session, envelope, clock())
    )
