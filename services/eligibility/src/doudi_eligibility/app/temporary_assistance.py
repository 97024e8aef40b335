"""Use-cases of the temporary-assistance case from report to follow-up (DOMAIN §7.4): the township triages a
reported incident (or refers it out), the procedure's steps move a TA application's case along (advance,
assessment, decision), disbursement's settlement of its payment pays it, the township's follow-up closes it
and the post-check after advance aid records what is recovered.

The procedure calls the ``on_*`` functions inside its own transactions; a case opened before this record
existed gets one at its next step. Every change has an audit line; commands are idempotent on request_id.
The post-check is announced (TemporaryAssistancePostChecked, with what a misrepresentation recovers);
disbursement records that recovery as an overpayment, once per case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy.orm import Session

from doudi.eligibility.v1 import events_pb2
from doudi_common.calendar import china_date
from doudi_common.errors import InvalidArgument, NotFound
from doudi_common.period import Period
from doudi_eligibility.app.common import TOPIC_DECISIONS, Actor, Commands, require_text
from doudi_eligibility.app.parameters import ParameterBook
from doudi_eligibility.domain.explain import Programme
from doudi_eligibility.domain.machines.roles import Role
from doudi_eligibility.domain.machines.temporary_assistance import (
    PostCheck,
    ReceivingBody,
    TaLifecycle,
    TaState,
    Triage,
)
from doudi_eligibility.events import mapping
from doudi_eligibility.store import ta_lifecycles as store
from doudi_eligibility.store.ta_lifecycles import TaRecord

_URGENT = Programme.TEMPORARY_ASSISTANCE_URGENT.value
#: The states whose rest a payment settles.
_GRANTED = (TaState.APPROVED, TaState.PARTIAL)


def _audit(
    commands: Commands, session: Session, record: TaRecord, action: str, actor: Actor, **detail: object
) -> None:
    commands.audit(
        session,
        record.lifecycle.reference,
        f"temporary assistance: {action}",
        actor,
        {**detail, "state": record.lifecycle.state.value},
    )


def _save(
    commands: Commands, session: Session, record: TaRecord, action: str, actor: Actor, **detail: object
) -> None:
    store.put(session, record, commands.clock())
    _audit(commands, session, record, action, actor, **detail)


# -- the procedure's steps of a TA application --------------------------------------------------------


def on_case_opened(
    commands: Commands,
    session: Session,
    reference: str,
    programme: str,
    region: str,
    on: date,
    advance_fen: int,
) -> TaRecord:
    """A TA application's case opened: the window's choice of programme is its triage. A case the township
    triaged under the application's id keeps its record; advances paid before the opening count."""
    found = store.get(session, reference, for_update=True)
    if found is not None:
        return found
    kind = Triage.URGENT if programme == _URGENT else Triage.EXPENDITURE
    life = TaLifecycle.reported(reference, on).triage(kind, Role.SYSTEM)
    if advance_fen > 0 and kind is Triage.URGENT:
        life = life.record_advance(advance_fen)
    record = TaRecord(life, region)
    _save(commands, session, record, "opened", Actor.system(), advance_fen=advance_fen)
    return record


def on_advance_paid(commands: Commands, session: Session, reference: str, amount_fen: int) -> None:
    """Advance aid under a case's reference moves an urgent case on; any other state records nothing."""
    found = store.get(session, reference, for_update=True)
    if found is None or found.lifecycle.state not in (TaState.URGENT, TaState.ADVANCE_PAID):
        return
    moved = replace(found, lifecycle=found.lifecycle.record_advance(amount_fen))
    _save(commands, session, moved, "advance paid", Actor.system(), amount_fen=amount_fen)


def on_assessed(
    commands: Commands,
    session: Session,
    reference: str,
    programme: str,
    region: str,
    on: date,
    actor: Actor,
    advance_fen: int,
) -> None:
    """The township's opinion assesses the case; a case already assessed (a file returned for more
    investigation) or one that is not waiting for it (an incident referred out under the same reference)
    is left as it is, and the procedure goes on."""
    found = on_case_opened(commands, session, reference, programme, region, on, advance_fen)
    life = found.lifecycle
    if life.state not in (TaState.URGENT, TaState.ADVANCE_PAID, TaState.EXPENDITURE):
        return
    if life.state in (TaState.URGENT, TaState.ADVANCE_PAID) and advance_fen > life.advance_paid_fen:
        life = life.record_advance(advance_fen - life.advance_paid_fen)  # paid under the event's reference
    moved = replace(found, lifecycle=life.assess(actor.role))
    _save(commands, session, moved, "assessed", actor)


def on_decided(
    commands: Commands,
    session: Session,
    reference: str,
    actor: Actor,
    *,
    granted_fen: int,
    advance_fen: int,
    payment_month: Period,
    on: date,
    meeting_requested_fen: int,
    meeting_granted_fen: int,
    minutes: str,
    entitlement_id: str | None,
) -> None:
    found = store.get(session, reference, for_update=True)
    if found is None or found.lifecycle.state is not TaState.ASSESSED:
        return
    life = found.lifecycle
    if advance_fen > life.advance_paid_fen:  # an advance recorded after the assessment
        life = replace(life, advance_paid_fen=advance_fen)
    decided = life.decide(
        Role.COUNTY if actor.role is Role.COUNTY else Role.TOWNSHIP,
        granted_fen=granted_fen,
        payment_month=payment_month,
        on=on,
        meeting_requested_fen=meeting_requested_fen,
        meeting_granted_fen=meeting_granted_fen,
        minutes_reference=minutes,
    )
    moved = replace(found, lifecycle=decided, entitlement_id=entitlement_id)
    _save(commands, session, moved, "decided", actor, granted_fen=granted_fen, minutes=minutes)


# -- disbursement's news ------------------------------------------------------------------------------


def on_payment_settled(
    commands: Commands, session: Session, entitlement_id: str, payment_id: str, amount_fen: int, on: date
) -> bool:
    """Disbursement announced the payment of what remained of a grant settled at the bank: the case is paid,
    on the day it settled, and a problem an earlier attempt met is over. The same news again, or news of a
    payment no case waits on, changes nothing. A settlement of another amount than the rest is recorded as a
    problem and does not pay the case. Returns whether the case moved."""
    found = store.by_entitlement(session, entitlement_id)
    if found is None or found.lifecycle.state not in _GRANTED:
        return False
    due = found.lifecycle.remaining_fen
    if amount_fen != due:
        _record_problem(commands, session, found, f"payment {payment_id} settled {amount_fen} fen, {due} due")
        return False
    paid = replace(found, lifecycle=found.lifecycle.settle(on), payment_problem="")
    _save(commands, session, paid, "paid", Actor.system(), payment_id=payment_id, amount_fen=amount_fen)
    return True


def on_payment_problem(commands: Commands, session: Session, entitlement_id: str, reason: str) -> None:
    """The rest came back (returned or failed): the case stays granted, with the reason, until a later attempt
    settles. News that arrives after it was paid is recorded beside the paid state."""
    found = store.by_entitlement(session, entitlement_id)
    if found is None or found.lifecycle.state not in (*_GRANTED, TaState.PAID):
        return
    _record_problem(commands, session, found, reason.strip() or "payment returned or failed")


def _record_problem(commands: Commands, session: Session, found: TaRecord, problem: str) -> None:
    if found.payment_problem == problem:
        return
    _save(
        commands,
        session,
        replace(found, payment_problem=problem),
        "payment problem",
        Actor.system(),
        reason=problem,
    )


# -- the township's and the county's commands ---------------------------------------------------------


@dataclass
class TemporaryAssistanceUseCases:
    commands: Commands
    book: ParameterBook

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.commands.clock

    @property
    def database(self):  # type: ignore[no-untyped-def]
        return self.commands.persistence.database

    def _record(self, session: Session, reference: str, *, lock: bool = True) -> TaRecord:
        if not reference:
            raise InvalidArgument.single("reference", "is required")
        found = store.get(session, reference, for_update=lock)
        if found is None:
            raise NotFound(f"no temporary assistance {reference!r}")
        return found

    def triage(
        self,
        request_id: str,
        reference: str,
        region: str,
        actor: Actor,
        outcome: Triage,
        receiving_body: ReceivingBody | None,
        reason: str,
    ) -> TaRecord:
        if outcome is Triage.REFERRED_OUT and receiving_body is None:
            raise InvalidArgument.single("receiving_body", "is required when the incident is referred out")
        if outcome is not Triage.REFERRED_OUT and receiving_body is not None:
            raise InvalidArgument.single("receiving_body", "is only for an incident referred out")
        text = require_text(reason, "reason")
        with self.database.transaction() as session:

            def perform() -> tuple[str, TaRecord]:
                if store.get(session, reference) is not None:
                    raise InvalidArgument.single("reference", "was already reported")
                today = china_date(self.clock())
                life = TaLifecycle.reported(reference, today)
                reported = TaRecord(life, region)
                _save(self.commands, session, reported, "reported", actor)
                triaged = replace(reported, lifecycle=life.triage(outcome, actor.role, receiving_body))
                _save(
                    self.commands,
                    session,
                    triaged,
                    "triaged",
                    actor,
                    triage=outcome.value,
                    receiving_body=receiving_body.value if receiving_body else "",
                    reason=text,
                )
                return reference, triaged

            return self.commands.once(
                session,
                "TriageTemporaryAssistance",
                request_id,
                (reference, region, outcome.value, receiving_body.value if receiving_body else "", text),
                perform,
                lambda ref: self._record(session, ref, lock=False),
            )

    def close(
        self, request_id: str, reference: str, actor: Actor, hardship_persists: bool, findings: str
    ) -> TaRecord:
        text = require_text(findings, "findings")
        with self.database.transaction() as session:

            def perform() -> tuple[str, TaRecord]:
                found = self._record(session, reference)
                today = china_date(self.clock())
                params = self.book.resolve(session, found.region, today)
                closed = replace(
                    found, lifecycle=found.lifecycle.close(actor.role, today, hardship_persists, params)
                )
                _save(
                    self.commands,
                    session,
                    closed,
                    "closed",
                    actor,
                    hardship_persists=hardship_persists,
                    refer_to_dibao=closed.lifecycle.refer_to_dibao,
                    findings=text,
                )
                self.commands.announce(
                    session,
                    TOPIC_DECISIONS,
                    reference,
                    events_pb2.TemporaryAssistanceClosed(temporary_assistance=mapping.ta_pb(closed)),
                )
                return reference, closed

            return self.commands.once(
                session,
                "CloseTemporaryAssistance",
                request_id,
                (reference, hardship_persists, text),
                perform,
                lambda ref: self._record(session, ref, lock=False),
            )

    def post_check(
        self, request_id: str, reference: str, actor: Actor, outcome: PostCheck, findings: str
    ) -> TaRecord:
        text = require_text(findings, "findings")
        with self.database.transaction() as session:

            def perform() -> tuple[str, TaRecord]:
                found = self._record(session, reference)
                checked = replace(found, lifecycle=found.lifecycle.record_post_check(actor.role, outcome))
                _save(
                    self.commands,
                    session,
                    checked,
                    "post-check",
                    actor,
                    outcome=outcome.value,
                    recovery_fen=checked.lifecycle.recovery_fen,
                    fraud_path=outcome is PostCheck.MISREPRESENTED,
                    findings=text,
                )
                self.commands.announce(
                    session,
                    TOPIC_DECISIONS,
                    reference,
                    events_pb2.TemporaryAssistancePostChecked(
                        temporary_assistance=mapping.ta_pb(checked), findings=text
                    ),
                )
                return reference, checked

            return self.commands.once(
                session,
                "RecordTemporaryAssistancePostCheck",
                request_id,
                (reference, outcome.value, text),
                perform,
                lambda ref: self._record(session, ref, lock=False),
            )

    def get(self, reference: str) -> TaRecord:
        with self.database.read() as session:
            return self._record(session, reference, lock=False)
