"""Returned and failed payments (DOMAIN §11.2 step 5): listed for caseworkers, held, given a corrected
account and re-issued as the next attempt of the same payment, so its identity never repeats."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from prometheus_client import Counter
from sqlalchemy.orm import Session

from doudi_common.errors import FailedPrecondition, InvalidArgument, NotFound
from doudi_common.region import RegionCode
from doudi_disbursement.domain import payments as domain
from doudi_disbursement.domain import runs as runs_domain
from doudi_disbursement.domain.payments import PaymentState
from doudi_disbursement.domain.provider_fees import PROVIDER_FEE
from doudi_disbursement.domain.runs import RunState
from doudi_disbursement.events import payroll as events
from doudi_disbursement.store import payroll as store
from doudi_disbursement.store import providers as provider_store
from doudi_runtime.commands import AfterCommit, Commands, request_id_check, require_id, validate_together
from doudi_runtime.idempotency import fingerprint_of

REISSUED = Counter(
    "doudi_disbursement_payments_reissued_total", "Returned, failed or held payments sent again."
)
HELD = Counter("doudi_disbursement_payments_held_total", "Returned or failed payments held by a caseworker.")


def _required(value: str, field: str) -> None:
    if not value.strip():
        raise InvalidArgument.single(field, "is required")


def _account_number(value: str) -> None:
    digits = value.replace(" ", "")
    if not digits.isdigit() or not 12 <= len(digits) <= 30:
        raise InvalidArgument.single("account_number", "must be 12 to 30 digits")


def _take_account_from_roster(session: Session, row: Any, now: datetime) -> None:
    """A payment held for want of an account is re-issued to the account the roster now holds (eligibility
    named one since); with none on record it stays held (DOMAIN §11.1)."""
    entry = store.get_roster_entry(session, row.entitlement_id)
    if entry is None or not entry.payee_account:
        raise FailedPrecondition(
            f"payment {row.payment_id} has no payee account and none is on record: record the account first"
        )
    store.update_payment_and_its_offsets(
        session, row, now, payee_name=entry.payee_name, payee_account=entry.payee_account
    )


def _count_reissued_held_line(session: Session, row: Any, held: tuple[int, int], now: datetime) -> None:
    """A held line re-issued counts once in its run. Before release it goes to the bank with the run: it moves
    into the control totals the approver confirms. After release it is paid outside those totals: its lines
    (``held``: how many, and their sum, as held at generation) leave the run's and the shard's held lines for
    those re-issued after release."""
    run = store.get_run(session, row.run_id, for_update=True)
    if run is None:
        return
    if run.state in runs_domain.UNRELEASED:
        totals = store.recount_shards(session, run.run_id, row.township)
        if run.state is not RunState.GENERATING:
            store.save_run(session, runs_domain.recounted(run, totals, now))
    elif run.state in runs_domain.PAID_OUT and held[0]:
        shard = store.shard_totals(session, run.run_id, row.township)
        if shard is not None:
            moved = runs_domain.reissued_after_release(shard, *held)
            store.save_shard_held(session, run.run_id, row.township, moved)
        store.save_run(session, runs_domain.reissued(run, *held, now))


class ReturnedPayments(Commands):
    def _payment(self, session: Session, payment_id: str) -> Any:
        row = store.get_payment(session, payment_id, for_update=True)
        if row is None:
            raise NotFound(f"no payment {payment_id!r}")
        if row.offsets_key:
            raise FailedPrecondition(
                f"payment {payment_id} is a RECOVERY line; it follows the payment it is deducted from"
            )
        return row

    def _announce(self, session: Session, payment_id: str, message_type: Any, cause: str) -> None:
        row = store.get_payment(session, payment_id)
        self.persistence.outbox.add(
            session,
            topic=events.TOPIC_PAYMENTS,
            subject_key=row.beneficiary_id,
            payload=message_type(payment=events.payment_to_proto(row)),
            causation_id=cause,
        )

    def _change(self, method: str, request_id: str, payment_id: str, fingerprint: str, change) -> Any:  # type: ignore[no-untyped-def]
        def perform(session: Session, now: datetime, after: AfterCommit) -> tuple[str, Any]:
            change(session, self._payment(session, payment_id), now, after)
            return payment_id, store.get_payment(session, payment_id)

        return self.once(
            method,
            request_id,
            fingerprint_of(payment_id, fingerprint),
            perform,
            lambda session, reference: store.get_payment(session, reference),
        )

    def correct_account(
        self, request_id: str, payment_id: str, account_name: str, account_number: str
    ) -> Any:
        validate_together(
            request_id_check(request_id),
            require_id(payment_id, "payment_id"),
            lambda: _account_number(account_number),
        )
        number = account_number.replace(" ", "")

        def change(session: Session, row: Any, now: datetime, after: AfterCommit) -> None:
            domain.check_correct(PaymentState(row.state))
            name = account_name.strip() or row.payee_name
            store.update_payment_and_its_offsets(session, row, now, payee_name=name, payee_account=number)
            entry = store.get_roster_entry(session, row.entitlement_id)
            if entry is not None:
                # Later months go to the corrected account too, until eligibility names another one.
                store.save_roster_entry(session, replace(entry, payee_name=name, payee_account=number), now)
            if row.component == PROVIDER_FEE:
                # A provider's later fees go to the corrected account too.
                provider_store.correct_account(session, row.beneficiary_id, name, number, now)

        return self._change(
            "CorrectPaymentAccount", request_id, payment_id, f"{account_name}|{number}", change
        )

    def hold(self, request_id: str, payment_id: str, reason: str) -> Any:
        validate_together(
            request_id_check(request_id),
            require_id(payment_id, "payment_id"),
            lambda: _required(reason, "reason"),
        )

        def change(session: Session, row: Any, now: datetime, after: AfterCommit) -> None:
            domain.check_hold(PaymentState(row.state))
            store.update_payment_and_its_offsets(
                session, row, now, state=PaymentState.HELD.value, reason=reason.strip()
            )
            self._announce(session, row.payment_id, events.events_pb2.PaymentHeld, request_id)
            after.add(HELD.inc)

        return self._change("HoldPayment", request_id, payment_id, reason.strip(), change)

    def reissue(self, request_id: str, payment_id: str) -> Any:
        validate_together(request_id_check(request_id), require_id(payment_id, "payment_id"))

        def change(session: Session, row: Any, now: datetime, after: AfterCommit) -> None:
            domain.check_reissue(PaymentState(row.state))
            if not row.payee_account:
                _take_account_from_roster(session, row, now)
            was_held = row.state == PaymentState.HELD.value
            held = store.held_since_generation(session, row) if was_held else (0, 0)
            store.update_payment_and_its_offsets(
                session,
                row,
                now,
                state=PaymentState.PENDING.value,
                attempt=int(row.attempt) + 1,
                batch_request_id="",
                reason="",
            )
            if was_held:
                _count_reissued_held_line(session, row, held, now)
            self._announce(session, row.payment_id, events.events_pb2.PaymentReissued, request_id)
            after.add(REISSUED.inc)

        return self._change("ReissuePayment", request_id, payment_id, "", change)

    def to_resolve(self, region: str, states: list[str], after: str | None, limit: int) -> list[Any]:
        prefix = RegionCode.parse(region, field="region.code").prefix
        wanted = states or sorted(s.value for s in domain.TO_RESOLVE)
        unknown = [s for s in wanted if s not in {x.value for x in domain.TO_RESOLVE}]
        if unknown:
            raise InvalidArgument.single(
                "states", "only RETURNED, FAILED and HELD payments wait to be resolved"
            )
        with self.persistence.database.read() as session:
            return store.payments_to_resolve(session, prefix, wanted, after, limit)
