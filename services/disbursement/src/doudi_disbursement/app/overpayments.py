"""Overpayments (DOMAIN §11.4, §12.1; H11): recorded with the decision that established them, then
recovered by the runs, which offset part of each later month's payment under the same programme, and by
the household's repayments.

An entitlement change, end or suspension that takes effect from a month already paid records one itself,
in the consumer's transaction: what the month was paid beyond what is now due (``domain.paid_ahead``).

Eligibility's post-check after advance aid (DOMAIN §7.4) records one too, once per case: what a
misrepresentation recovers, under urgent temporary assistance, owed by the household the reserve fund's
advance paid (named ``advance:<advance id>``, as the fund names an advance's overpayment). That programme
pays no later month, and the runs offset an overpayment only against the same beneficiary's payments under
its own programme (the advance's household is no roster beneficiary either), so such an overpayment is
recovered by repayment (``RecordRepayment``) only."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prometheus_client import Counter
from sqlalchemy.orm import Session

from doudi_common.errors import InvalidArgument, NotFound
from doudi_common.ids import new_id
from doudi_common.period import Period
from doudi_disbursement.domain import paid_ahead, ta_recovery
from doudi_disbursement.domain.arrears import ARREARS
from doudi_disbursement.domain.payments import idempotency_key
from doudi_disbursement.domain.roster import RosterEntry
from doudi_disbursement.events import overpayments as events
from doudi_disbursement.store import derived as store
from doudi_disbursement.store import payroll as payroll_store
from doudi_runtime.commands import AfterCommit, Commands, request_id_check, require_id, validate_together
from doudi_runtime.idempotency import MAX_REQUEST_ID_LENGTH, fingerprint_of, run_once

#: Who records a post-check's recovery, and the key of its case among the service's idempotency keys.
POST_CHECK_RECORDER = "eligibility post-check"
POST_CHECK_KEY = "ta-post-check:"
#: Who records the months an entitlement change found paid beyond what is now due.
PAID_AHEAD_RECORDER = "entitlement change"

log = logging.getLogger(__name__)
RECORDED_FEN = Counter(
    "doudi_disbursement_overpayment_recorded_fen_total", "Overpayments recorded for recovery, in fen."
)
OWED_FEN = Counter(
    "doudi_disbursement_owed_fen_total",
    "Months a change found paid short of what it made due, owed as ARREARS lines (DOMAIN §11.4), in fen.",
)
OWED_LEFT = Counter(
    "doudi_disbursement_owed_left_total",
    "Months a change found paid short that are not paid automatically (a line returned, refused or held, or "
    "the month's ARREARS line taken): a caseworker decides.",
)
REPAID_FEN = Counter(
    "doudi_disbursement_overpayment_repaid_fen_total", "Overpayments repaid directly by households, in fen."
)


@dataclass(frozen=True)
class OverpaymentView:
    row: Any
    offsets: list[Any]
    repaid_fen: int

    @property
    def recovered_fen(self) -> int:
        return sum(int(o.amount_fen) for o in self.offsets) + self.repaid_fen

    @property
    def balance_fen(self) -> int:
        return int(self.row.amount_fen) - self.recovered_fen


def _text(value: str, field: str, limit: int) -> None:
    if not value.strip():
        raise InvalidArgument.single(field, "is required")
    if len(value) > limit:
        raise InvalidArgument.single(field, f"is longer than {limit} characters")


def _positive(amount_fen: int) -> None:
    if amount_fen <= 0:
        raise InvalidArgument.single("amount.amount_fen", "must be a positive amount in fen")


class Overpayments(Commands):
    def _view(self, session: Session, overpayment_id: str) -> OverpaymentView:
        row = store.get_overpayment(session, overpayment_id)
        if row is None:
            raise NotFound(f"no overpayment {overpayment_id!r}")
        repaid = store.repaid_fen(session, [overpayment_id]).get(overpayment_id, 0)
        return OverpaymentView(row, store.offsets_of(session, overpayment_id), repaid)

    def _insert(self, session: Session, now: datetime, cause: str, **values: Any) -> OverpaymentView:
        """Store an overpayment and announce it (OverpaymentDetected) in the caller's transaction."""
        overpayment_id = new_id("ovp")
        store.insert_overpayment(session, {"overpayment_id": overpayment_id, **values, "recorded_at": now})
        view = self._view(session, overpayment_id)
        self.persistence.outbox.add(
            session,
            topic=events.TOPIC_PAYMENTS,
            subject_key=values["beneficiary_id"],
            payload=events.overpayment_detected(view.row),
            causation_id=cause,
        )
        return view

    def record(
        self,
        request_id: str,
        beneficiary_id: str,
        programme: str,
        amount_fen: int,
        reason: str,
        decision_reference: str,
        recorded_by: str,
    ) -> OverpaymentView:
        validate_together(
            request_id_check(request_id),
            require_id(beneficiary_id, "beneficiary_id"),
            lambda: _text(programme, "programme", 40),
            lambda: _positive(amount_fen),
            lambda: _text(reason, "reason", 2000),
            lambda: _text(decision_reference, "decision_reference", 200),
        )

        def perform(session: Session, now: datetime, after: AfterCommit) -> tuple[str, OverpaymentView]:
            township = payroll_store.township_of(session, beneficiary_id, programme)
            if township is None:
                raise NotFound(f"no {programme} payments to beneficiary {beneficiary_id!r} to offset against")
            view = self._insert(
                session,
                now,
                request_id,
                beneficiary_id=beneficiary_id,
                programme=programme,
                township=township,
                amount_fen=amount_fen,
                reason=reason.strip(),
                decision_reference=decision_reference.strip(),
                recorded_by=recorded_by,
            )
            after.add(lambda: RECORDED_FEN.inc(amount_fen))
            return view.row.overpayment_id, view

        return self.once(
            "RecordOverpayment",
            request_id,
            fingerprint_of(beneficiary_id, programme, amount_fen, reason.strip(), decision_reference.strip()),
            perform,
            self._view,
        )

    def repay(
        self, request_id: str, overpayment_id: str, amount_fen: int, reference: str, recorded_by: str
    ) -> OverpaymentView:
        validate_together(
            request_id_check(request_id),
            require_id(overpayment_id, "overpayment_id"),
            lambda: _positive(amount_fen),
            lambda: _text(reference, "reference", 200),
        )

        def perform(session: Session, now: datetime, after: AfterCommit) -> tuple[str, OverpaymentView]:
            if store.lock_overpayment(session, overpayment_id) is None:
                raise NotFound(f"no overpayment {overpayment_id!r}")
            balance = self._view(session, overpayment_id).balance_fen
            if amount_fen > balance:
                raise InvalidArgument.single(
                    "amount.amount_fen", f"is more than the {balance} fen still owed"
                )
            store.insert_repayment(
                session,
                {
                    "repayment_id": new_id("rpy"),
                    "overpayment_id": overpayment_id,
                    "amount_fen": amount_fen,
                    "reference": reference.strip(),
                    "recorded_by": recorded_by,
                    "recorded_at": now,
                },
            )
            after.add(lambda: REPAID_FEN.inc(amount_fen))
            return overpayment_id, self._view(session, overpayment_id)

        return self.once(
            "RecordRepayment",
            request_id,
            fingerprint_of(overpayment_id, amount_fen, reference.strip()),
            perform,
            self._view,
        )

    def record_post_check(
        self,
        session: Session,
        now: datetime,
        *,
        case_reference: str,
        beneficiary_id: str,
        township: str,
        amount_fen: int,
        reason: str,
        cause: str,
    ) -> OverpaymentView:
        """The recovery a temporary-assistance post-check found, inside the consumer's transaction, once per
        case: a second delivery of the case's post-check records and announces nothing more (the same
        recovery answers with the first record; another amount is refused as AlreadyExists)."""
        validate_together(
            lambda: _positive(amount_fen),
            lambda: _text(reason, "reason", 2000),
            lambda: _text(case_reference, "decision_reference", MAX_REQUEST_ID_LENGTH - len(POST_CHECK_KEY)),
        )

        def perform() -> tuple[str, OverpaymentView]:
            view = self._insert(
                session,
                now,
                cause,
                beneficiary_id=beneficiary_id,
                programme=ta_recovery.PROGRAMME,
                township=township,
                amount_fen=amount_fen,
                reason=reason,
                decision_reference=case_reference,
                recorded_by=POST_CHECK_RECORDER,
            )
            RECORDED_FEN.inc(amount_fen)
            return view.row.overpayment_id, view

        return run_once(
            session,
            self.persistence.store.idempotency,
            method="TemporaryAssistancePostChecked",
            request_id=f"{POST_CHECK_KEY}{case_reference}",
            fingerprint=fingerprint_of(beneficiary_id, amount_fen),
            perform=perform,
            replay=lambda overpayment_id: self._view(session, overpayment_id),
        )

    def review_paid_months(
        self, session: Session, now: datetime, entry: RosterEntry, first: Period, change: str, cause: str
    ) -> None:
        """Compare what ``entry``'s months from ``first`` on were paid with what its change (``change``) now
        makes due (DOMAIN §11.4, §12.1), inside the consumer's transaction. What was paid beyond it is one
        overpayment, announced, each month's share in its reason; what was paid short of it is owed as the
        month's ARREARS line, paid by the next run. A month is compared net of what earlier changes found, so
        hearing the event again records nothing more. A line of a run not released yet is looked at again
        when that run is released (:meth:`recheck_released`)."""
        components = paid_ahead.monthly_components(entry)
        unreleased = payroll_store.unreleased_runs_paying(session, entry, components, first)
        store.add_rechecks(session, unreleased, entry.entitlement_id, first, change, cause)
        paid = payroll_store.monthly_paid_since(session, entry, components, first)
        if not paid:
            return
        adjusted = store.adjusted_since(session, entry.entitlement_id, first)
        overpaid = paid_ahead.overpaid_by_month(entry, paid, adjusted)
        if overpaid:
            self._recover(session, now, entry, overpaid, change, cause)
        owed = paid_ahead.owed_by_month(entry, paid, adjusted)
        if owed:
            not_whole = payroll_store.months_not_paid_whole(session, entry, components, first)
            self._pay_owed(session, now, entry, owed, not_whole, change)

    def _recover(
        self,
        session: Session,
        now: datetime,
        entry: RosterEntry,
        overpaid: dict[Period, int],
        change: str,
        cause: str,
    ) -> None:
        amount_fen = sum(overpaid.values())
        view = self._insert(
            session,
            now,
            cause,
            beneficiary_id=entry.beneficiary_id,
            programme=entry.programme,
            township=entry.township,
            amount_fen=amount_fen,
            reason=paid_ahead.overpaid_reason(overpaid, change),
            decision_reference=cause,
            recorded_by=PAID_AHEAD_RECORDER,
        )
        overpayment_id = view.row.overpayment_id
        store.record_adjustments(
            session, entry.entitlement_id, dict.fromkeys(overpaid, overpayment_id), overpaid
        )
        RECORDED_FEN.inc(amount_fen)

    def _pay_owed(
        self,
        session: Session,
        now: datetime,
        entry: RosterEntry,
        owed: dict[Period, int],
        not_whole: set[Period],
        change: str,
    ) -> None:
        """Owe each month its ARREARS line. A month with a line the bank returned or refused, or one held, is
        left to the caseworker re-issuing it, and so is a month whose ARREARS line is taken (one line a
        month): both are logged and counted, never paid twice."""
        keys = {
            month: idempotency_key(entry.beneficiary_id, entry.programme, month, ARREARS) for month in owed
        }
        taken = payroll_store.existing_keys(session, keys.values()) | store.arrears_keys(
            session, keys.values()
        )
        payable = {m: amount for m, amount in owed.items() if m not in not_whole and keys[m] not in taken}
        for month in sorted(owed.keys() - payable.keys()):
            OWED_LEFT.inc()
            log.warning(
                "a month paid short of what a change made due is not paid automatically",
                extra={"entitlement": entry.entitlement_id, "period": str(month), "owed_fen": owed[month]},
            )
        if not payable:
            return
        lines = {keys[month]: (month, amount) for month, amount in payable.items()}
        store.record_arrears(
            session, entry.entitlement_id, lines, paid_ahead.owed_reason(payable, change), now
        )
        store.record_adjustments(
            session,
            entry.entitlement_id,
            {month: keys[month] for month in payable},
            {month: -amount for month, amount in payable.items()},
        )
        OWED_FEN.inc(sum(payable.values()))

    def recheck_released(self, session: Session, now: datetime, run_id: str) -> None:
        """The run was released in this transaction: each change that found one of its lines no longer due as
        generated compares it now (as :meth:`review_paid_months` would have, had the run been released
        before the change)."""
        for recheck in store.rechecks_of(session, run_id):
            entry = payroll_store.get_roster_entry(session, recheck.entitlement_id)
            if entry is not None:
                first = Period.parse(recheck.first_period)
                self.review_paid_months(session, now, entry, first, recheck.change, recheck.cause)
        store.drop_rechecks(session, run_id)

    def get(self, overpayment_id: str) -> OverpaymentView:
        validate_together(require_id(overpayment_id, "overpayment_id"))
        with self.persistence.database.read() as session:
            return self._view(session, overpayment_id)

    def of_beneficiary(self, beneficiary_id: str) -> list[OverpaymentView]:
        validate_together(require_id(beneficiary_id, "beneficiary_id"))
        with self.persistence.database.read() as session:
            return [
                self._view(session, row.overpayment_id)
                for row in store.overpayments_of(session, beneficiary_id)
            ]
