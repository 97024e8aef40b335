"""Use-cases of the township reserve funds (DOMAIN §11.3): each owns its transaction and its events."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import grpc
from google.protobuf.message import Message
from sqlalchemy.orm import Session

from doudi_common.calendar import china_date
from doudi_common.errors import AlreadyExists, InvalidArgument, NotFound
from doudi_common.ids import new_id
from doudi_common.validation import Violations
from doudi_disbursement.app.bank_gateway import Order
from doudi_disbursement.app.payroll import Bank
from doudi_disbursement.domain import reserve as domain
from doudi_disbursement.domain.reserve import Advance, AdvanceState, Fund
from doudi_disbursement.events import reserve as events
from doudi_disbursement.store import reserve as store
from doudi_runtime.idempotency import fingerprint_of, run_once, validate_request_id
from doudi_runtime.service import Persistence, ServiceContext

log = logging.getLogger(__name__)


@dataclass
class ReserveUseCases:
    context: ServiceContext
    bank: Bank
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    @property
    def persistence(self) -> Persistence:
        return self.context.persistence()

    def _announce(self, session: Session, advance: Advance, payload: Message, cause: str) -> None:
        self.persistence.outbox.add(
            session,
            topic=events.TOPIC_PAYMENTS,
            subject_key=advance.advance_id,
            payload=payload,
            causation_id=cause,
        )

    def _fund(self, session: Session, township: str, *, for_update: bool = False) -> Fund:
        fund = store.get_fund(session, township, for_update=for_update)
        if fund is None:
            raise NotFound(f"township {township!r} has no reserve fund")
        return fund

    def _once(self, session: Session, method: str, request_id: str, fingerprint: str, perform, replay):  # type: ignore[no-untyped-def]
        return run_once(
            session,
            self.persistence.store.idempotency,
            method=method,
            request_id=request_id,
            fingerprint=fingerprint,
            perform=perform,
            replay=replay,
        )

    # -- commands -------------------------------------------------------------------------------

    def open_fund(self, request_id: str, township: str, opening_fen: int, recorded_by: str) -> Fund:
        validate_request_id(request_id)
        now = self.clock()
        fund, entry = domain.open_fund(township, opening_fen, now)
        with self.persistence.database.transaction() as session:

            def perform() -> tuple[str, Fund]:
                if store.get_fund(session, township) is not None:
                    raise AlreadyExists(f"township {township} already has a reserve fund")
                store.insert_fund(session, fund)
                store.append_entry(session, fund, entry, recorded_by, now)
                return township, fund

            return self._once(
                session,
                "OpenReserveFund",
                request_id,
                fingerprint_of(township, opening_fen),
                perform,
                lambda reference: self._fund(session, reference),
            )

    def top_up(self, request_id: str, township: str, amount_fen: int, note: str, recorded_by: str) -> Fund:
        validate_request_id(request_id)
        now = self.clock()
        with self.persistence.database.transaction() as session:

            def perform() -> tuple[str, Fund]:
                fund, entry = domain.top_up(
                    self._fund(session, township, for_update=True), amount_fen, note, now
                )
                store.save_fund(session, fund)
                store.append_entry(session, fund, entry, recorded_by, now)
                return township, fund

            return self._once(
                session,
                "TopUpReserveFund",
                request_id,
                fingerprint_of(township, amount_fen, note),
                perform,
                lambda reference: self._fund(session, reference),
            )

    def pay_advance(
        self, request_id: str, advance: Advance, recorded_by: str, *, method_given: bool = True
    ) -> tuple[Advance, Fund]:
        now = self.clock()
        v = Violations()
        try:
            validate_request_id(request_id)
        except InvalidArgument as error:
            v.absorb(error)
        with v.nested("advance"):
            v.check(method_given, "method", "is required: BANK or CASH")
            domain.validate_advance(advance, china_date(now), into=v)
        v.raise_if_any()
        with self.persistence.database.transaction() as session:

            def perform() -> tuple[str, tuple[Advance, Fund]]:
                fund = self._fund(session, advance.township, for_update=True)
                numbered = Advance(**{**advance.__dict__, "advance_id": new_id("adv")})
                fund, paid, entry = domain.pay_advance(fund, numbered, now)
                store.save_fund(session, fund)
                store.append_entry(session, fund, entry, recorded_by, now, advance=paid)
                if paid.state is AdvanceState.PAID:
                    self._announce(session, paid, events.advance_paid(paid), request_id)
                return paid.advance_id, (paid, fund)

            def replay(advance_id: str) -> tuple[Advance, Fund]:
                found = self._advance(session, advance_id)
                return found, self._fund(session, found.township)

            return self._once(
                session,
                "PayAdvance",
                request_id,
                fingerprint_of(*advance.__dict__.values()),
                perform,
                replay,
            )

    def regularise(
        self, request_id: str, advance_id: str, approved_fen: int, decision_reference: str, recorded_by: str
    ) -> tuple[Advance, Fund, int]:
        validate_request_id(request_id)
        now = self.clock()
        with self.persistence.database.transaction() as session:

            def perform() -> tuple[str, tuple[Advance, Fund, int]]:
                advance = self._advance(session, advance_id)
                fund = self._fund(session, advance.township, for_update=True)
                done = domain.regularise(fund, advance, approved_fen, decision_reference, now)
                store.save_fund(session, done.fund)
                store.save_advance(session, done.advance)
                store.append_entry(session, done.fund, done.entry, recorded_by, now)
                self._announce(
                    session,
                    done.advance,
                    events.advance_regularised(done.advance, done.overpaid_fen),
                    request_id,
                )
                if done.overpaid_fen:
                    self._announce(
                        session, done.advance, events.overpayment(done.advance, done.overpaid_fen), request_id
                    )
                return advance_id, (done.advance, done.fund, done.overpaid_fen)

            def replay(reference: str) -> tuple[Advance, Fund, int]:
                found = self._advance(session, reference)
                overpaid = max(found.amount_fen - (found.approved_fen or 0), 0)
                return found, self._fund(session, found.township), overpaid

            return self._once(
                session,
                "RegulariseAdvance",
                request_id,
                fingerprint_of(advance_id, approved_fen, decision_reference),
                perform,
                replay,
            )

    # -- queries --------------------------------------------------------------------------------

    def _advance(self, session: Session, advance_id: str) -> Advance:
        if not advance_id:
            raise InvalidArgument.single("advance_id", "is required")
        advance = store.get_advance(session, advance_id)
        if advance is None:
            raise NotFound(f"no advance {advance_id!r}")
        return advance

    def get_advance(self, advance_id: str) -> Advance:
        with self.persistence.database.read() as session:
            return self._advance(session, advance_id)

    def get_fund(self, township: str, after_sequence: int, size: int) -> tuple[Fund, list]:  # type: ignore[type-arg]
        v = Violations()
        domain.validate_township(v, township)
        v.raise_if_any()
        with self.persistence.database.read() as session:
            return self._fund(session, township), store.ledger_page(session, township, after_sequence, size)

    # -- the bank (a worker) --------------------------------------------------------------------

    def send_advances(self, batch: int = 50) -> int:
        """Send bank advances to the bank, each as its own batch under a request id derived from it,
        so a retry after a crash or a timeout is the same batch; then record the bank's answers."""
        database = self.persistence.database
        with database.read() as session:
            pending = store.advances_in(session, AdvanceState.PENDING_BANK, batch)
        moved = 0
        for advance in pending:
            order = Order(
                domain.bank_key(advance), advance.person_name, advance.payee_account, advance.amount_fen
            )
            try:
                bank_batch_id = self.bank.submit(f"advance-{advance.advance_id}", [order])
            except grpc.RpcError as error:
                log.warning(
                    "bank did not take the advance; it will be sent again", extra={"code": error.code().name}
                )
                continue
            with database.transaction() as session:
                current = self._advance(session, advance.advance_id)
                store.save_advance(session, domain.submitted(current, bank_batch_id))
            moved += 1
        with database.read() as session:
            submitted = store.advances_in(session, AdvanceState.SUBMITTED, batch)
        for advance in submitted:
            try:
                results = [r for r in self.bank.status(advance.bank_batch_id) if r.result != "PENDING"]
            except grpc.RpcError as error:
                log.warning("bank status unavailable for an advance", extra={"code": error.code().name})
                continue
            if not results:
                continue
            now = self.clock()
            with database.transaction() as session:
                current = self._advance(session, advance.advance_id)
                fund = self._fund(session, current.township, for_update=True)
                fund, answered, entry = domain.bank_answered(
                    fund, current, results[0].result == "SETTLED", now
                )
                if answered == current:
                    continue
                store.save_advance(session, answered)
                if entry is not None:
                    store.save_fund(session, fund)
                    store.append_entry(session, fund, entry, "bank", now)
                if answered.state is AdvanceState.PAID:
                    self._announce(session, answered, events.advance_paid(answered), advance.advance_id)
            moved += 1
        return moved
