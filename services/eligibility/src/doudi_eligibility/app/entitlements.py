"""Use-cases of the entitlement lifecycle (DOMAIN §7.3, §5.1.6, §7.6): reviews, gradual exit, suspension,
termination, and appeals that reverse a decision with arrears (re-determination under a new standard is
in ``redetermination``).

Every change of amount or state is announced on doudi.eligibility.entitlement.v1 in the transaction that
makes it, and takes effect from the month after its decision.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime

from google.protobuf.message import Message
from sqlalchemy.orm import Session

from doudi.common.v1 import types_pb2
from doudi.eligibility.v1 import events_pb2
from doudi_common.bank_account import PayeeAccount, normalise
from doudi_common.calendar import china_date
from doudi_common.errors import FailedPrecondition, InvalidArgument, NotFound
from doudi_common.ids import new_id
from doudi_common.masking import mask_bank_account
from doudi_common.parameters import Parameters
from doudi_common.period import Period
from doudi_eligibility.app.common import (
    TOPIC_DECISIONS,
    TOPIC_ENTITLEMENTS,
    Actor,
    Commands,
    require_text,
)
from doudi_eligibility.app.dependents import (
    dibao_moved,
    dibao_restored,
    follow_dibao,
    restore_with_dibao,
    save_and_audit,
)
from doudi_eligibility.app.parameters import ParameterBook
from doudi_eligibility.domain.machines.entitlement import State, arrears_after_reversal
from doudi_eligibility.domain.machines.procedure import Step
from doudi_eligibility.domain.machines.roles import Role, require_role
from doudi_eligibility.domain.near_relative import require_not_recused
from doudi_eligibility.domain.payee import change_violations, entitlement_parties, from_account
from doudi_eligibility.domain.rules.dibao_changes import ReviewOutcome, ReviewResult, TerminationReason
from doudi_eligibility.events import mapping
from doudi_eligibility.store import near_relatives as archive
from doudi_eligibility.store import records as store
from doudi_eligibility.store.records import EntitlementRecord


@dataclass
class EntitlementUseCases:
    commands: Commands
    book: ParameterBook

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.commands.clock

    @property
    def database(self):  # type: ignore[no-untyped-def]
        return self.commands.persistence.database

    def today(self) -> date:
        return china_date(self.clock())

    def next_month(self) -> Period:
        return Period.of(self.today()).next()

    # -- queries ----------------------------------------------------------------------------

    def get(self, entitlement_id: str) -> EntitlementRecord:
        with self.database.read() as session:
            return self._entitlement(session, entitlement_id, lock=False)

    def list(
        self, state: str | None, after: str | None, limit: int, region_prefix: str = ""
    ) -> list[EntitlementRecord]:
        with self.database.read() as session:
            return store.list_entitlements(
                session, state=state, after=after, limit=limit, region_prefix=region_prefix
            )

    # -- lifecycle --------------------------------------------------------------------------

    def periodic_review_reported(
        self, session: Session, application_id: str, report_id: str, review_id: str
    ) -> list[EntitlementRecord]:
        """Verification's report for a periodic review (DOMAIN §5.1.6 cadence): the household's active
        entitlement goes under review, payments continuing, for the township to conclude with CompleteReview.

        An entitlement already under review, suspended or ended is left as it is: the review in hand, or
        the decision taken, already covers it; a redelivered report therefore changes nothing."""
        reviewed = []
        for record in store.entitlements_of_application(session, application_id):
            if record.entitlement.state is not State.ACTIVE:
                continue
            moved = record.moved(record.entitlement.start_review(Role.SYSTEM), new_id("dec"))
            detail = {"reason": "periodic review", "review_id": review_id, "report_id": report_id}
            self.save(session, moved, "review started", Actor.system(), detail)
            reviewed.append(moved)
        return reviewed

    def activate_due(self, limit: int = 500) -> int:
        """PENDING_START → ACTIVE once the first month comes (the roster already knows the start month)."""
        month = Period.of(self.today())
        activated = 0
        with self.database.transaction() as session:
            for record in store.due_to_activate(session, limit):
                if record.entitlement.start_month <= month:
                    moved = record.moved(
                        record.entitlement.activate(month, Role.SYSTEM), record.last_decision_id
                    )
                    self.save(session, moved, "activated", Actor.system(), {})
                    activated += 1
        return activated

    def start_review(
        self, request_id: str, entitlement_id: str, reason: str, actor: Actor
    ) -> EntitlementRecord:
        text = require_text(reason, "reason")

        def change(session: Session, record: EntitlementRecord) -> tuple[EntitlementRecord, Message | None]:
            if record.entitlement.state is State.GRADUAL_EXIT:
                raise FailedPrecondition(
                    f"entitlement {entitlement_id} is in gradual exit: its review is concluded directly "
                    "with CompleteReview (CONTINUE when income fell back below the standard)"
                )
            return record.moved(record.entitlement.start_review(actor.role), new_id("dec")), None

        return self.command(
            "StartReview",
            request_id,
            entitlement_id,
            (text,),
            actor,
            "review started",
            change,
            text,
            step="start a review",
        )

    def complete_review(
        self,
        request_id: str,
        entitlement_id: str,
        result: str,
        amount_fen: int,
        termination_reason: str,
        reason: str,
        actor: Actor,
    ) -> EntitlementRecord:
        text = require_text(reason, "reason")
        if result not in ("CONTINUE", "GRADUAL_EXIT", "TERMINATE"):
            raise InvalidArgument.single("result", "must be CONTINUE, GRADUAL_EXIT or TERMINATE")
        if result == "CONTINUE" and amount_fen <= 0:
            raise InvalidArgument.single("monthly_amount.amount_fen", "must be positive to continue")
        code = _termination_reason(termination_reason) if result == "TERMINATE" else None

        def change(session: Session, record: EntitlementRecord) -> tuple[EntitlementRecord, Message | None]:
            before = record.entitlement
            effective = self.next_month()
            params = self.params_for(session, record)
            if before.state is State.GRADUAL_EXIT:
                return self._review_in_gradual_exit(record, result, amount_fen, params, text, actor)
            if result == "CONTINUE":
                kind = (
                    ReviewResult.UNCHANGED
                    if amount_fen == before.monthly_amount_fen
                    else (
                        ReviewResult.INCREASE
                        if amount_fen > before.monthly_amount_fen
                        else ReviewResult.REDUCE
                    )
                )
                outcome = ReviewOutcome(kind, effective, amount_fen, ())
            elif result == "GRADUAL_EXIT":
                last = effective.plus(params.integer("dibao.gradual_exit.months") - 1)
                outcome = ReviewOutcome(
                    ReviewResult.GRADUAL_EXIT,
                    effective,
                    before.monthly_amount_fen,
                    (),
                    gradual_exit_last_month=last,
                )
            else:
                outcome = ReviewOutcome(ReviewResult.TERMINATE, effective, 0, (), termination_reason=code)
            after = replace(before.apply_review(outcome, actor.role, params), changed_from=effective)
            moved = record.moved(after, new_id("dec"))
            event = None
            if after.monthly_amount_fen != before.monthly_amount_fen or after.state is State.GRADUAL_EXIT:
                event = self._changed(record, moved, effective, text)
            return moved, event

        return self.command(
            "CompleteReview",
            request_id,
            entitlement_id,
            (result, amount_fen, termination_reason, text),
            actor,
            "review completed",
            change,
            text,
            step="complete a review",
        )

    def _review_in_gradual_exit(
        self,
        record: EntitlementRecord,
        result: str,
        amount_fen: int,
        params: Parameters,
        reason: str,
        actor: Actor,
    ) -> tuple[EntitlementRecord, Message]:
        """§7.3: a review during 渐退 that finds income back below the standard returns the entitlement to
        ACTIVE with the recomputed amount from next month, without a new application; the announcement tells
        disbursement the frozen months no longer end it. The gradual exit is not decided twice (its period
        does not restart), and it ends by itself at its last frozen month (or sooner by a voluntary exit, or
        for fraud)."""
        before = record.entitlement
        if result != "CONTINUE":
            raise FailedPrecondition(
                f"entitlement {record.entitlement_id} is in gradual exit until "
                f"{before.gradual_exit_last_month}: a review concludes it only with CONTINUE (income back "
                "below the standard); it ends by itself after its last frozen month"
            )
        month = Period.of(self.today())
        moved = record.moved(
            before.return_from_gradual_exit(amount_fen, month, actor.role, params), new_id("dec")
        )
        return moved, self._changed(record, moved, month.next(), reason)

    def suspend(self, request_id: str, entitlement_id: str, reason: str, actor: Actor) -> EntitlementRecord:
        text = require_text(reason, "reason")

        def change(session: Session, record: EntitlementRecord) -> tuple[EntitlementRecord, Message | None]:
            moved = record.moved(record.entitlement.suspend(self.next_month(), actor.role), new_id("dec"))
            return moved, events_pb2.EntitlementSuspended(
                entitlement=mapping.entitlement_pb(moved), reason=text
            )

        return self.command(
            "Suspend", request_id, entitlement_id, (text,), actor, "suspended", change, text, step="suspend"
        )

    def resume(
        self, request_id: str, entitlement_id: str, reason: str, actor: Actor
    ) -> tuple[EntitlementRecord, int]:
        """Resolved in the household's favour: payments resume next month, the held months are owed."""
        text = require_text(reason, "reason")
        owed: dict[str, int] = {}

        def change(session: Session, record: EntitlementRecord) -> tuple[EntitlementRecord, Message | None]:
            resumed, arrears = record.entitlement.resume(self.next_month(), actor.role)
            owed["arrears"] = arrears
            moved = record.moved(replace(resumed, changed_from=self.next_month()), new_id("dec"))
            activated = mapping.entitlement_pb(moved)
            activated.start_month.month = str(self.next_month())
            return moved, events_pb2.EntitlementActivated(
                entitlement=activated, arrears=types_pb2.Money(amount_fen=arrears)
            )

        record = self.command(
            "Resume", request_id, entitlement_id, (text,), actor, "resumed", change, text, owed, step="resume"
        )
        return record, owed.get("arrears", 0)

    def terminate(self, request_id: str, entitlement_id: str, reason: str, actor: Actor) -> EntitlementRecord:
        code = _termination_reason(reason)
        if code is TerminationReason.VOLUNTARY:
            raise InvalidArgument.single(
                "reason", "a voluntary exit is recorded with ExitVoluntarily, which pays its bonus"
            )

        def change(session: Session, record: EntitlementRecord) -> tuple[EntitlementRecord, Message | None]:
            e = record.entitlement
            today = self.today()
            if code is TerminationReason.FRAUD:
                after = e.terminate_for_fraud(today, actor.role)
            else:
                after = e.terminate(today, actor.role, self.params_for(session, record))
            after = replace(after, termination_reason=after.termination_reason or code)
            moved = record.moved(after, new_id("dec"))
            assert after.terminated_from is not None
            return moved, events_pb2.EntitlementTerminated(
                entitlement=mapping.entitlement_pb(moved),
                reason=code.value,
                last_month=mapping.period_pb(after.terminated_from.previous()),
            )

        return self.command(
            "Terminate",
            request_id,
            entitlement_id,
            (code.value,),
            actor,
            "terminated",
            change,
            code.value,
            step="terminate",
        )

    # -- appeals ----------------------------------------------------------------------------

    def file_appeal(self, request_id: str, decision_id: str, kind: str, grounds: str, actor: Actor) -> str:
        """§7.6: the decision stays in force while the appeal is pending."""
        text = require_text(grounds, "grounds")
        if kind not in ("RECONSIDERATION", "LITIGATION"):
            raise InvalidArgument.single("kind", "must be RECONSIDERATION or LITIGATION")
        require_role(actor.role, "file an appeal", frozenset({Role.APPLICANT}))
        with self.database.transaction() as session:

            def perform() -> tuple[str, str]:
                decision = store.get_decision(session, decision_id)
                entitlement = store.entitlement_by_decision(session, decision_id)
                if decision is None and entitlement is None:
                    raise NotFound(f"no decision {decision_id!r}")
                application_id = (
                    decision.application_id if decision is not None else entitlement.application_id
                )  # type: ignore[union-attr]
                appeal_id = new_id("apl")
                store.insert_appeal(
                    session,
                    appeal_id,
                    decision_id,
                    {
                        "kind": kind,
                        "grounds": text,
                        "application_id": application_id,
                        "filed_by": actor.user_id,
                    },
                    self.clock(),
                )
                self._audit(session, decision_id, "appeal filed", actor, {"appeal_id": appeal_id})
                self.commands.announce(
                    session,
                    TOPIC_DECISIONS,
                    application_id,
                    events_pb2.AppealFiled(decision_id=decision_id, appeal_id=appeal_id),
                )
                return appeal_id, appeal_id

            return self.commands.once(
                session, "FileAppeal", request_id, (decision_id, kind, text), perform, lambda r: r
            )

    def decide_appeal(
        self, request_id: str, appeal_id: str, revoke: bool, reason: str, actor: Actor
    ) -> tuple[str, EntitlementRecord | None, int]:
        """A revocation restores the state before the decision; an entitlement owes what it withheld."""
        text = require_text(reason, "reason")
        require_role(actor.role, "decide an appeal", frozenset({Role.REVIEWING_BODY}))
        with self.database.transaction() as session:

            def perform() -> tuple[str, tuple[str, EntitlementRecord | None, int]]:
                appeal = store.get_appeal(session, appeal_id)
                if appeal is None:
                    raise NotFound(f"no appeal {appeal_id!r}")
                if appeal.state != "FILED":
                    raise FailedPrecondition(f"appeal {appeal_id} is already {appeal.state}")
                body = json.loads(appeal.body)
                result: EntitlementRecord | None = None
                arrears = 0
                if revoke:
                    result, arrears = self._reverse(
                        session, appeal.decision_id, body["application_id"], actor, text
                    )
                state = "REVOKED" if revoke else "UPHELD"
                store.close_appeal(
                    session,
                    appeal_id,
                    state,
                    {**body, "outcome": state, "reason": text, "arrears_fen": arrears},
                )
                self._audit(
                    session, appeal.decision_id, f"appeal {state.lower()}", actor, {"appeal_id": appeal_id}
                )
                ref = f"{appeal_id}|{result.entitlement_id if result else ''}|{arrears}"
                return ref, (appeal_id, result, arrears)

            def replay(ref: str) -> tuple[str, EntitlementRecord | None, int]:
                found, entitlement_id, arrears = ref.split("|")
                record = store.get_entitlement(session, entitlement_id) if entitlement_id else None
                return found, record, int(arrears)

            return self.commands.once(
                session, "DecideAppeal", request_id, (appeal_id, revoke, text), perform, replay
            )

    def _reverse(
        self, session: Session, decision_id: str, application_id: str, actor: Actor, reason: str
    ) -> tuple[EntitlementRecord | None, int]:
        record = store.entitlement_by_decision(session, decision_id)
        if record is not None:
            restored = record.entitlement.reverse_on_appeal(actor.role)
            restore_from = self.next_month()
            owed = arrears_after_reversal(record.entitlement, restored, restore_from)
            restored = replace(restored, changed_from=restore_from, previous=None)
            moved = record.moved(restored, new_id("dec"))
            # The dependents follow first: the top-ups paid in full while the Dibao was stopped already paid
            # the children's shares its arrears would pay again.
            overlap = 0
            if dibao_restored(record, moved):
                params = self.params_for(session, moved)
                overlap = restore_with_dibao(
                    self.commands, session, record, moved, params, restore_from, moved.last_decision_id
                )
            arrears = max(0, owed - overlap)
            self.save(
                session,
                moved,
                "reversed on appeal",
                actor,
                {
                    "arrears_fen": arrears,
                    "withheld_fen": owed,
                    "paid_by_top_ups_fen": overlap,
                    "decision_id": decision_id,
                },
            )
            event = self._changed(
                record, moved, restore_from, f"appeal revoked decision {decision_id}: {reason}"
            )
            event.reversed_decision_id = decision_id
            event.arrears.amount_fen = arrears
            self.commands.announce(session, TOPIC_ENTITLEMENTS, record.subject_id, event)
            if not dibao_restored(record, moved) and dibao_moved(record, moved):
                params = self.params_for(session, moved)
                follow_dibao(self.commands, session, record, moved, params, moved.last_decision_id)
            return moved, arrears
        case = store.get_case(session, application_id, for_update=True)
        if case is not None and case.decision_id == decision_id and case.case.step is Step.REJECTED:
            # §7.6: the case reopens where the reviewing body says; here, back to the deciding authority.
            reopened = replace(case, case=replace(case.case, step=Step.CONFIRMATION_REVIEW, decided_on=None))
            store.save_case(session, reopened, self.clock())
            self._audit(session, application_id, "reopened on appeal", actor, {"decision_id": decision_id})
            return None, 0
        raise FailedPrecondition(f"decision {decision_id} is no longer the one in force; nothing to reverse")

    # -- helpers ----------------------------------------------------------------------------

    def change_payee(
        self,
        request_id: str,
        entitlement_id: str,
        account: PayeeAccount,
        reason: str,
        actor: Actor,
        *,
        institution_account: bool = False,
    ) -> EntitlementRecord:
        """DOMAIN §11.1: the account the entitlement is paid into from the next run, its holder the one the
        programme pays (``institution_account``: the support institution's, for centralised Tekun only);
        announced as EntitlementChanged from next month, audited with the account masked."""
        text = require_text(reason, "reason")
        number = normalise(account.account_number)

        def change(session: Session, record: EntitlementRecord) -> tuple[EntitlementRecord, Message | None]:
            if record.entitlement.state is State.TERMINATED:
                raise FailedPrecondition(
                    f"entitlement {record.entitlement_id} is terminated: it pays no one any more"
                )
            case = store.get_case(session, record.application_id)
            parties = entitlement_parties(
                record.entitlement.programme.value,
                case.application if case else None,
                case.survey if case else None,
                record.persons,
                record.payee_name,
            )
            violations = change_violations(account, parties, institution_account=institution_account)
            if violations:
                raise InvalidArgument(violations)
            payee = from_account(account)
            moved = replace(
                record,
                payee_name=payee.name,
                payee_account=payee.account_number,
                payee_bank=payee.bank_name,
                payee_guardian=payee.guardian_name,
            )
            self._audit(
                session,
                record.entitlement_id,
                "payee account changed",
                actor,
                {
                    "from": mask_bank_account(record.payee_account),
                    "to": mask_bank_account(payee.account_number),
                    "bank": payee.bank_name,
                },
            )
            return moved, self._changed(record, moved, self.next_month(), text)

        return self.command(
            "ChangePayeeAccount",
            request_id,
            entitlement_id,
            (account.holder_name, number, account.bank_name, account.guardian_name, text)
            + (("institution_account",) if institution_account else ()),
            actor,
            "payee changed",
            change,
            text,
            step="change the payee account",
        )

    def command(
        self,
        method: str,
        request_id: str,
        entitlement_id: str,
        parts: tuple[object, ...],
        actor: Actor,
        action: str,
        change: Callable[[Session, EntitlementRecord], tuple[EntitlementRecord, Message | None]],
        reason: str,
        extra: dict[str, int] | None = None,
        *,
        step: str,
    ) -> EntitlementRecord:
        """One change of one entitlement by ``actor``, idempotent on the request id; ``step`` names it for the
        recusal of a staff member registered as a near relative of the household (§12.2)."""
        with self.database.transaction() as session:

            def perform() -> tuple[str, EntitlementRecord]:
                record = self._entitlement(session, entitlement_id)
                self._require_not_recused(session, record, step, actor)
                moved, event = change(session, record)
                self.save(session, moved, action, actor, {"reason": reason, **(extra or {})})
                if event is not None:
                    self.commands.announce(
                        session, TOPIC_ENTITLEMENTS, record.subject_id, event, moved.last_decision_id
                    )
                if dibao_moved(record, moved):
                    params = self.params_for(session, moved)
                    follow_dibao(self.commands, session, record, moved, params, moved.last_decision_id)
                ref = entitlement_id if not extra else f"{entitlement_id}|{json.dumps(extra)}"
                return ref, moved

            def replay(ref: str) -> EntitlementRecord:
                found, _, saved = ref.partition("|")
                if saved and extra is not None:
                    extra.update(json.loads(saved))
                return self._entitlement(session, found)

            return self.commands.once(session, method, request_id, (entitlement_id, *parts), perform, replay)

    def _changed(
        self, before: EntitlementRecord, after: EntitlementRecord, effective: Period, reason: str
    ) -> events_pb2.EntitlementChanged:
        before_pb, after_pb = mapping.entitlement_change_pbs(before, after)
        return events_pb2.EntitlementChanged(
            before=before_pb,
            after=after_pb,
            effective_month=mapping.period_pb(effective),
            reason=reason,
        )

    def _require_not_recused(
        self, session: Session, record: EntitlementRecord, step: str, actor: Actor
    ) -> None:
        """§12.2: a staff member registered as a near relative of the household recuses from the reviews and
        decisions of its entitlement. Only an entitlement marked as registered reads the archive."""
        if record.near_relative:
            staff = archive.registered_staff(session, record.application_id)
            require_not_recused(record.application_id, staff, (actor.user_id,), step)

    def _entitlement(self, session: Session, entitlement_id: str, *, lock: bool = True) -> EntitlementRecord:
        if not entitlement_id:
            raise InvalidArgument.single("entitlement_id", "is required")
        record = store.get_entitlement(session, entitlement_id, for_update=lock)
        if record is None:
            raise NotFound(f"no entitlement {entitlement_id!r}")
        return record

    def params_for(self, session: Session, record: EntitlementRecord) -> Parameters:
        case = store.get_case(session, record.application_id)
        region = case.application.region if case else record.region
        return self.book.resolve(session, region, self.today())

    def save(
        self,
        session: Session,
        record: EntitlementRecord,
        action: str,
        actor: Actor,
        detail: dict[str, object],
    ) -> None:
        save_and_audit(self.commands, session, record, action, actor, detail)

    def _entry(self, record: EntitlementRecord, action: str, detail: dict[str, object]) -> dict[str, object]:
        return {
            "subject_id": record.entitlement_id,
            "action": action,
            "actor_role": Role.SYSTEM.value,
            "actor_id": "system",
            "at": self.clock(),
            "detail": {**detail, "state": record.entitlement.state.value},
        }

    def _audit(
        self, session: Session, subject: str, action: str, actor: Actor, detail: dict[str, object]
    ) -> None:
        self.commands.audit(session, subject, action, actor, detail)


def _termination_reason(text: str) -> TerminationReason:
    try:
        return TerminationReason(text.strip().upper())
    except ValueError:
        codes = ", ".join(r.value for r in TerminationReason)
        raise InvalidArgument.single("reason", f"must be a termination reason code: {codes}") from None
