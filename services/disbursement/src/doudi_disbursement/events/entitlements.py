"""Eligibility's entitlement events → the payroll roster (through the inbox: a repeat changes nothing)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from prometheus_client import Counter
from sqlalchemy.orm import Session

from doudi.common.v1 import programme_pb2
from doudi.common.v1.envelope_pb2 import EventEnvelope
from doudi.eligibility.v1 import eligibility_pb2, events_pb2
from doudi_common.calendar import china_date
from doudi_common.errors import InvalidArgument
from doudi_common.period import Period
from doudi_contracts.topics import topic
from doudi_disbursement.app.overpayments import Overpayments
from doudi_disbursement.domain import arrears, roster
from doudi_disbursement.domain.arrears import ARREARS
from doudi_disbursement.domain.exit_bonus import exit_bonus_key
from doudi_disbursement.domain.payments import idempotency_key
from doudi_disbursement.store import derived as derived_store
from doudi_disbursement.store import exit_bonuses as bonus_store
from doudi_disbursement.store import payroll as store
from doudi_runtime.events.consumer import Subscription
from doudi_runtime.events.envelope import unpack
from doudi_runtime.grpc.convert import programme_name

TOPIC_ENTITLEMENTS = topic("doudi.eligibility.entitlement.v1").name
#: How much of eligibility's reason for a change an overpayment it finds quotes.
REASON_QUOTED = 200
log = logging.getLogger(__name__)
ARREARS_FEN = Counter(
    "doudi_disbursement_arrears_fen_total",
    "Arrears recorded from reversed decisions, lifted suspensions and late approvals (DOMAIN §11.4), in fen.",
)

EXIT_BONUS_FEN = Counter(
    "doudi_disbursement_exit_bonus_fen_total",
    "One-off bonuses owed on voluntary exits from Dibao (DOMAIN §5.1.6), in fen.",
)


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


def _birth_month(entitlement: eligibility_pb2.Entitlement) -> Period | None:
    """The birth month a person's entitlement names (none for a household, or in an older event). It only
    decides publication: one that is not a month is left unknown (never published) rather than hold up the
    payments."""
    if not entitlement.birth_month.month:
        return None
    try:
        return Period.parse(entitlement.birth_month.month)
    except InvalidArgument:
        log.warning(
            "entitlement names a birth month that is not one; left off the publication list",
            extra={"entitlement": entitlement.entitlement_id},
        )
        return None


def _digests_per_person(entitlement: eligibility_pb2.Entitlement) -> int:
    """How many consecutive covered person keys are one person's (one each in an event announced before
    eligibility named every key of its ring)."""
    size = entitlement.digests_per_person or 1
    keys = len(entitlement.covered_person_keys)
    if size < 1 or keys % size:
        raise UnusableEntitlement(
            f"entitlement {entitlement.entitlement_id}: {keys} covered person keys "
            f"do not come {size} to a person"
        )
    return size


def _existing(session: Session, entitlement_id: str) -> roster.RosterEntry:
    entry = store.get_roster_entry(session, entitlement_id)
    if entry is None:
        raise UnusableEntitlement(f"entitlement {entitlement_id} is not on the roster yet")
    return entry


def _record_arrears(
    session: Session,
    entry: roster.RosterEntry,
    restored_fen: int,
    restore_from: Period,
    stated_fen: int,
    reason: str,
    now: datetime,
    owed: dict[Period, int] | None = None,
) -> None:
    """Eligibility's arrears as one ARREARS line per withheld month (by default the roster's months the
    reversed state withheld; ``owed`` names them otherwise), to be paid by the next run."""
    if owed is None:
        owed = arrears.owed_by_month(entry, restored_fen, restore_from)
    months = arrears.arrears_lines(stated_fen, owed, restore_from)
    if months and sum(owed.values()) != stated_fen:
        log.warning(
            "the roster's withheld months do not add up to the arrears eligibility stated; the stated "
            "amount is owed as one line of the last withheld month",
            extra={
                "entitlement": entry.entitlement_id,
                "stated_fen": stated_fen,
                "roster_fen": sum(owed.values()),
            },
        )
    keyed = {
        idempotency_key(entry.beneficiary_id, entry.programme, month, ARREARS): (month, amount)
        for month, amount in months.items()
    }
    derived_store.record_arrears(session, entry.entitlement_id, keyed, reason, now)
    ARREARS_FEN.inc(sum(amount for _, amount in keyed.values()))


def _record_delay_arrears(
    session: Session,
    entry: roster.RosterEntry,
    activation: events_pb2.EntitlementActivated,
    start: Period,
    now: datetime,
) -> None:
    """A new entitlement approved after its deadline (DOMAIN §11.4): the months from arrears_from to the one
    before its first month, at the monthly amount, each owed once as an ARREARS line."""
    e = activation.entitlement
    first = (
        _period(activation.arrears_from.month, "arrears_from", e.entitlement_id)
        if activation.arrears_from.month
        else start
    )
    monthly = sum(_components(e).values())
    _record_arrears(
        session,
        entry,
        monthly,
        start,
        activation.arrears.amount_fen,
        f"decided after its deadline: owed from {first}",
        now,
        owed=arrears.delay_owed(monthly, first, start),
    )


def _gradual_exit(entry: roster.RosterEntry, event: events_pb2.EntitlementChanged) -> roster.RosterEntry:
    """渐退 pays its frozen amount up to the last frozen month the event names; a return to ACTIVE (income
    fell back) pays on without an end."""
    after, gradual = event.after, eligibility_pb2.ENTITLEMENT_STATE_GRADUAL_EXIT
    if after.state == gradual:
        if not after.gradual_exit_last_month.month:
            raise UnusableEntitlement(
                f"entitlement {after.entitlement_id} is in gradual exit without its last frozen month"
            )
        last = _period(after.gradual_exit_last_month.month, "gradual_exit_last_month", after.entitlement_id)
        return roster.in_gradual_exit(entry, last)
    if event.before.state == gradual and after.state != eligibility_pb2.ENTITLEMENT_STATE_TERMINATED:
        return roster.back_from_gradual_exit(entry)
    return entry


def _record_exit_bonus(
    session: Session,
    entry: roster.RosterEntry,
    last: Period,
    event: events_pb2.EntitlementTerminated,
    now: datetime,
) -> None:
    """The voluntary exit's bonus, owed once as the EXIT_BONUS line of the last month paid."""
    recorded = bonus_store.record_exit_bonus(
        session,
        exit_bonus_key(entry, last),
        entry.entitlement_id,
        last,
        event.exit_bonus.amount_fen,
        event.exit_bonus_months,
        now,
    )
    if recorded:
        EXIT_BONUS_FEN.inc(event.exit_bonus.amount_fen)


def _refresh(session: Session, envelope: EventEnvelope, now: datetime) -> None:
    """A re-announcement refreshes who the entry pays and for whom, and nothing else; one of an entitlement
    the roster does not know starts nothing (its activation, when it comes, carries the same)."""
    e = unpack(envelope, events_pb2.EntitlementReannounced).entitlement
    entry = store.get_roster_entry(session, e.entitlement_id)
    if entry is None:
        log.warning(
            "re-announced entitlement is not on the roster; nothing to refresh",
            extra={"entitlement": e.entitlement_id},
        )
        return
    refreshed = roster.reannounced(
        entry,
        payee_name=e.payee.account_name,
        payee_account=e.payee.account_number,
        persons=e.covered_persons,
        person_keys=tuple(e.covered_person_keys),
        household_keys=tuple(e.household_person_keys),
        digests_per_person=_digests_per_person(e),
    )
    refreshed = roster.with_birth_month(refreshed, _birth_month(e))
    if refreshed != entry:
        store.save_roster_entry(session, refreshed, now)


def _cause(text: str) -> str:
    """Eligibility's reason, as an overpayment's reason quotes it."""
    text = text.strip()
    return f" ({text[:REASON_QUOTED]})" if text else ""


def apply_entitlement_event(
    session: Session, envelope: EventEnvelope, now: datetime, overpayments: Overpayments
) -> None:
    """Apply one entitlement event to the roster. A change, stop or suspension taking effect from a month
    already paid records what that month was paid beyond what is now due as an overpayment, and owes what it
    was paid short of it (DOMAIN §11.4, §12.1)."""
    kind = envelope.event_type.rsplit(".", 1)[1]
    # The first month a change, stop or suspension takes effect from, and what it is.
    paid_ahead: tuple[Period, str] | None = None
    occurred = (
        envelope.occurred_at.ToDatetime().replace(tzinfo=now.tzinfo)
        if envelope.HasField("occurred_at")
        else now
    )
    if kind == "EntitlementActivated":
        activation = unpack(envelope, events_pb2.EntitlementActivated)
        e = activation.entitlement
        existing = store.get_roster_entry(session, e.entitlement_id)
        start = _period(e.start_month.month, "start_month", e.entitlement_id)
        # Arrears on a new entitlement (arrears_from names the first month) are the delay's; on one the roster
        # knows, the held months' of a lifted suspension. A redelivered activation owes nothing new.
        delayed = bool(activation.arrears_from.month) or existing is None
        if existing is not None and activation.arrears.amount_fen > 0 and not delayed:
            _record_arrears(
                session,
                existing,
                sum(_components(e).values()),
                start,
                activation.arrears.amount_fen,
                "suspension lifted in the household's favour",
                now,
            )
        entry = roster.activated(
            entitlement_id=e.entitlement_id,
            beneficiary_id=e.subject_id,
            programme=programme_name(e.programme),
            township=e.region.code,
            payee_name=e.payee.account_name,
            payee_account=e.payee.account_number,
            start=start,
            components=_components(e),
            existing=existing,
            persons=e.covered_persons,
            person_keys=tuple(e.covered_person_keys),
            household_keys=tuple(e.household_person_keys),
            digests_per_person=_digests_per_person(e),
        )
        if delayed and activation.arrears.amount_fen > 0:
            _record_delay_arrears(session, entry, activation, start, now)
        entry = roster.with_birth_month(entry, _birth_month(e))
    elif kind == "EntitlementChanged":
        event = unpack(envelope, events_pb2.EntitlementChanged)
        e = event.after
        before = _existing(session, e.entitlement_id)
        effective = _period(event.effective_month.month, "effective_month", e.entitlement_id)
        if event.reversed_decision_id:
            _record_arrears(
                session,
                before,
                sum(_components(e).values()),
                effective,
                event.arrears.amount_fen,
                f"decision {event.reversed_decision_id} revoked on appeal",
                now,
            )
            entry = roster.reinstated(
                before,
                effective,
                _components(e),
                event.reason,
                e.covered_persons,
                tuple(e.covered_person_keys),
                tuple(e.household_person_keys),
                _digests_per_person(e),
            )
        else:
            entry = roster.changed(
                before,
                effective,
                _components(e),
                event.reason,
                e.covered_persons,
                tuple(e.covered_person_keys),
                tuple(e.household_person_keys),
                _digests_per_person(e),
            )
            entry = _gradual_exit(entry, event)
            paid_ahead = (effective, f"the change effective {effective}{_cause(event.reason)}")
        entry = roster.with_payee(entry, e.payee.account_name, e.payee.account_number)
        entry = roster.with_birth_month(entry, _birth_month(e))
    elif kind == "EntitlementSuspended":
        event = unpack(envelope, events_pb2.EntitlementSuspended)
        suspended_from = Period.of(china_date(occurred)).next()
        entry = roster.suspended(_existing(session, event.entitlement.entitlement_id), suspended_from)
        paid_ahead = (suspended_from, f"the suspension from {suspended_from}{_cause(event.reason)}")
    elif kind == "EntitlementTerminated":
        event = unpack(envelope, events_pb2.EntitlementTerminated)
        last = _period(event.last_month.month, "last_month", event.entitlement.entitlement_id)
        entry = roster.terminated(_existing(session, event.entitlement.entitlement_id), last)
        if event.exit_bonus.amount_fen > 0:
            _record_exit_bonus(session, entry, last, event, now)
        paid_ahead = (last.next(), f"the end after {last}{_cause(event.reason)}")
    elif kind == "EntitlementReannounced":
        _refresh(session, envelope, now)
        return
    else:
        return
    store.save_roster_entry(session, entry, now)
    if paid_ahead is not None:
        first, change = paid_ahead
        overpayments.review_paid_months(session, now, entry, first, change, f"{kind} {envelope.event_id}")


def entitlement_subscription(clock: Callable[[], datetime], overpayments: Overpayments) -> Subscription:
    return Subscription(
        TOPIC_ENTITLEMENTS,
        lambda session, envelope: apply_entitlement_event(session, envelope, clock(), overpayments),
    )
