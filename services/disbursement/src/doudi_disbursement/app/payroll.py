"""Use-cases of the monthly payroll: open a run, generate its shards, release it under dual control,
send it to the bank, reconcile. Every step is safe to repeat after a crash: payments are unique by
their idempotency key, bank batches carry deterministic request ids, and workers hold leases."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Protocol, TypeVar

import grpc
from google.protobuf.message import Message
from prometheus_client import Counter, Gauge
from sqlalchemy.orm import Session

from doudi_common.calendar import china_date
from doudi_common.errors import InvalidArgument, NotFound
from doudi_common.ids import new_id
from doudi_common.parameters import ParameterError, Parameters, shipped_registry
from doudi_common.period import Period
from doudi_common.region import RegionCode, RegionLevel
from doudi_common.validation import validate_together
from doudi_disbursement.app.bank_gateway import Order, Result
from doudi_disbursement.app.derived_lines import page_lines, shard_due
from doudi_disbursement.app.overpayments import Overpayments
from doudi_disbursement.app.provider_lines import provider_fee_lines, provider_fees_due
from doudi_disbursement.domain import runs as runs_domain
from doudi_disbursement.domain.batches import page_prefix, plan_batches
from doudi_disbursement.domain.payments import (
    PaymentLine,
    PaymentState,
    bank_key,
    identity_of,
    lines_for,
    net_amounts,
    settlement_announced,
)
from doudi_disbursement.domain.runs import Run, RunState, Totals
from doudi_disbursement.domain.schedule import QUARTERLY_TOWNSHIPS, months_paid
from doudi_disbursement.events import payroll as events
from doudi_disbursement.store import derived as derived_store
from doudi_disbursement.store import payroll as store
from doudi_runtime.events.outbox import PendingEvent
from doudi_runtime.idempotency import fingerprint_of, run_once, validate_request_id
from doudi_runtime.service import Persistence, ServiceContext
from doudi_runtime.store import redone_if_lost
from doudi_runtime.store.hooks import after_commit

log = logging.getLogger(__name__)

HELD_WITHOUT_ACCOUNT = Counter(
    "doudi_disbursement_payments_held_without_account_total",
    "Payment lines held at generation because no payee account is on record (DOMAIN §11.1).",
)
PAYMENTS = Counter(
    "doudi_disbursement_payments_total", "Payments by the state they reached, and their amounts.", ["state"]
)
PAYMENT_FEN = Counter(
    "doudi_disbursement_payment_fen_total", "Amounts in fen by the state they reached.", ["state"]
)
PAYROLL_FAILURES = Counter(
    "doudi_disbursement_payroll_failures_total",
    "A step of a payroll run that failed and will be tried again: generate, bank (submission) or reconcile.",
    ["stage"],
)
RUNS_LATE = Gauge(
    "doudi_disbursement_payroll_runs_late",
    "Runs past their pay date (DOMAIN §11.1) that have not been released to the bank.",
)
OFFSET_FEN = Counter(
    "doudi_disbursement_overpayment_offset_fen_total",
    "Overpayments recovered by offset in generated runs (DOMAIN §11.4), in fen.",
)
for _stage in ("generate", "bank", "reconcile"):
    PAYROLL_FAILURES.labels(_stage)
RESULT_STATES = {
    "SETTLED": PaymentState.SETTLED,
    "RETURNED": PaymentState.RETURNED,
    "FAILED": PaymentState.FAILED,
}


T = TypeVar("T")


class Bank(Protocol):
    def submit(self, request_id: str, orders: list[Order]) -> str: ...
    def status(self, batch_id: str) -> list[Result]: ...


@dataclass
class PayrollUseCases:
    context: ServiceContext
    bank: Bank
    shard_lease: timedelta = timedelta(minutes=5)
    #: How long a worker holds a batch it sends or asks the bank about before another may take it over.
    bank_lease: timedelta = timedelta(minutes=2)
    roster_page_size: int = 1000
    batch_size: int = 1000
    #: Batches a worker sends, or asks the bank about, at the same time: while the bank books one, the
    #: worker reads and opens the next.
    bank_batches_in_flight: int = 1
    #: Shards a worker generates at the same time, each on its own thread and two store connections.
    shards_in_flight: int = 1
    pay_day_of_month: int = 10
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    #: The parameters in force for a region on a day (the shipped parameter sets by default).
    parameters: Callable[[str, date], Parameters] = lambda region, day: shipped_registry().resolve(
        region, day
    )

    def months_paid(self, township: str, period: Period) -> tuple[Period, ...]:
        """The benefit months a run of ``period`` pays the township (DOMAIN §11.1): its own, or the rest of
        its quarter when the county's ``payment.quarterly.townships`` names it."""
        try:
            parameters = self.parameters(township, period.first_day)
        except ParameterError:
            log.warning(
                "no parameter set is in force for the township; it is paid monthly",
                extra={"township": township, "period": str(period)},
            )
            return months_paid(period, quarterly=False)
        quarterly = parameters.has(QUARTERLY_TOWNSHIPS) and township in parameters.texts(QUARTERLY_TOWNSHIPS)
        return months_paid(period, quarterly)

    def max_share(self, township: str, period: Period) -> Fraction:
        """DOMAIN §11.4: the most of a month's payment an offset may take (``recovery.offset.max_share``)."""
        return self.parameters(township, period.first_day).ratio("recovery.offset.max_share")

    @property
    def persistence(self) -> Persistence:
        return self.context.persistence()

    def _announce(self, session: Session, topic: str, key: str, payload: Message, cause: str) -> None:
        self.persistence.outbox.add(
            session, topic=topic, subject_key=key, payload=payload, causation_id=cause
        )

    def _announce_held(self, session: Session, payment_ids: list[str], cause: str) -> None:
        """Each payment held for want of an account is announced, as a caseworker's hold is."""
        for row in store.payments_by_id(session, payment_ids):
            self._announce(
                session,
                events.TOPIC_PAYMENTS,
                row.beneficiary_id,
                events.events_pb2.PaymentHeld(payment=events.payment_to_proto(row)),
                cause,
            )
        if payment_ids:
            after_commit(session, lambda: HELD_WITHOUT_ACCOUNT.inc(len(payment_ids)))

    def _run(self, session: Session, run_id: str) -> Run:
        if not run_id:
            raise InvalidArgument.single("run_id", "is required")
        run = store.get_run(session, run_id, for_update=True)
        if run is None:
            raise NotFound(f"no run {run_id!r}")
        return run

    # -- opening and generating -----------------------------------------------------------------

    def generate_run(self, request_id: str, period_text: str, region: str, created_by: str) -> Run:
        """Open the county's run for a month, one shard per township on the roster (DOMAIN §11.2)."""
        validate_together(
            lambda: validate_request_id(request_id),
            lambda: Period.parse(period_text, field="period"),
            lambda: _county(region),
        )
        period = Period.parse(period_text)
        now = self.clock()
        with self.persistence.database.transaction() as session:

            def perform() -> tuple[str, Run]:
                existing = store.live_run(session, period, region)
                if existing is not None:
                    return existing.run_id, existing
                run = Run(new_id("run"), period, region, RunState.GENERATING, created_by, now, now)
                townships = store.townships_within(session, RegionCode(region).prefix)
                if region not in townships and provider_fees_due(session, region, period):
                    # Providers' fees are the county's own shard (DOMAIN §9.3): paid by its bureau.
                    townships.append(region)
                store.insert_run(session, run, townships)
                if not townships:
                    run = runs_domain.generated(run, Totals(), now)
                    store.save_run(session, run)
                return run.run_id, run

            return run_once(
                session,
                self.persistence.store.idempotency,
                method="GenerateMonthlyRun",
                request_id=request_id,
                fingerprint=fingerprint_of(str(period), region),
                perform=perform,
                replay=lambda run_id: self._run(session, run_id),
            )

    def generate_shards(self) -> int:
        """Claim and generate shards until none is left; returns how many were generated. Up to
        ``shards_in_flight`` shards are generated at once, each on its own thread: while one waits for the
        store, another makes its next page. After a shard fails, no new one is claimed, and the failure is
        raised once the shards on their way are done."""
        if self.shards_in_flight <= 1:
            return self._generate_until_done(threading.Event())
        failed = threading.Event()
        with ThreadPoolExecutor(self.shards_in_flight, thread_name_prefix="shards") as pool:
            claims = [pool.submit(self._generate_until_done, failed) for _ in range(self.shards_in_flight)]
        return sum(claim.result() for claim in claims)

    def _generate_until_done(self, failed: threading.Event) -> int:
        done = 0
        try:
            while not failed.is_set() and self._generate_one_shard():
                done += 1
        except Exception:
            failed.set()
            PAYROLL_FAILURES.labels("generate").inc()
            raise
        return done

    def _page_prefix(self, run_id: str, township: str, page: int) -> str:
        return page_prefix(run_id, township, page, self.roster_page_size, self.batch_size)

    def _prepared(self, run_id: str, lines: list[PaymentLine], prefix: str) -> store.PreparedPayments:
        return store.prepare_payments(run_id, lines, plan_batches(lines, prefix, self.batch_size))

    def _generate_one_shard(self) -> bool:
        now = self.clock()
        database = self.persistence.database
        with database.transaction() as session:
            claimed = store.claim_shard(session, now, now + self.shard_lease)
            if claimed is None:
                return False
            run_id, township = claimed
            run = store.get_run(session, run_id)
            assert run is not None
        if township == run.region:
            with database.transaction() as session:
                fees = provider_fee_lines(session, run)
                batches = plan_batches(fees, self._page_prefix(run_id, township, 0), self.batch_size)
                inserted = store.insert_payments_once(session, run_id, fees, self.clock(), batches)
                self._announce_held(session, inserted.held, run_id)
        months = self.months_paid(township, run.period)
        with database.read() as reader:
            due = shard_due(reader, run, township)
            pages = store.roster_pages(reader, township, self.roster_page_size)
            for number, page in enumerate(pages, start=1):
                # The month's lines and their rows need nothing from the store: they are made before the
                # transaction, which then holds the store (SQLite's one writer) only while it writes.
                prefix = self._page_prefix(run_id, township, number)
                monthly = [line for month in months for line in lines_for(page, month)]
                prepared = self._prepared(run_id, monthly, prefix)
                with database.transaction() as session:
                    generated = page_lines(session, page, run, self.max_share, due, monthly)
                    if len(generated.lines) != len(monthly):  # more than the month is due: planned anew
                        prepared = self._prepared(run_id, generated.lines, prefix)
                    inserted = store.insert_prepared(session, prepared, self.clock())
                    self._announce_held(session, inserted.held, run_id)
                    if not inserted.held:
                        # Announcing nothing, a page lost in a server crash is generated again unseen: its
                        # shard is not finished (that commit waits for the disk, and for every page before).
                        redone_if_lost(session)
                    for key, taken in generated.recoveries.items():
                        derived_store.record_recoveries(session, key, taken)
                        OFFSET_FEN.inc(sum(part for _, part in taken))
                    for key, (kind, month, persons) in generated.persons.items():
                        derived_store.record_persons_paid(session, kind, month, key, persons)
        with database.transaction() as session:
            current = store.get_run(session, run_id, for_update=True)
            if current is None or current.state in (*runs_domain.PAID_OUT, RunState.CANCELLED):
                # A worker whose lease ran out while another finished the shard and the run went on: the
                # declared totals and batches stay as the run was approved or cancelled with.
                return True
            store.finish_shard(session, run_id, township, self.clock())
            totals = store.run_totals_if_generated(session, run_id)
            if totals is not None and current.state is RunState.GENERATING:
                opened = runs_domain.generated(current, totals, self.clock())
                store.save_run(session, opened)
                self._announce(session, events.TOPIC_PAYROLL, run_id, events.payroll_opened(opened), run_id)
        return True

    # -- dual control -----------------------------------------------------------------------------

    def _change_run(
        self,
        method: str,
        request_id: str,
        run_id: str,
        fingerprint: str,
        change: Callable[[Session, Run, datetime], Run],
        then: Callable[[Session, Run, datetime], None] | None = None,
    ) -> Run:
        """Change the run once per request id; ``then`` runs after the changed run is saved, in the same
        transaction."""
        validate_request_id(request_id)
        with self.persistence.database.transaction() as session:

            def perform() -> tuple[str, Run]:
                now = self.clock()
                changed = change(session, self._run(session, run_id), now)
                store.save_run(session, changed)
                if then is not None:
                    then(session, changed, now)
                return changed.run_id, changed

            return run_once(
                session,
                self.persistence.store.idempotency,
                method=method,
                request_id=request_id,
                fingerprint=fingerprint_of(run_id, fingerprint),
                perform=perform,
                replay=lambda reference: self._run(session, reference),
            )

    def approve(self, request_id: str, run_id: str, approver: str, count: int, total_fen: int) -> Run:
        """Release the run (dual control). Lines generated before a change made them due for another amount
        are paid as generated (the approver confirmed these totals), and compared with what is due with the
        release: overpaid, or owed as arrears (DOMAIN §11.4)."""

        def change(session: Session, run: Run, now: datetime) -> Run:
            released = runs_domain.approve(run, approver, count, total_fen, now)
            store.release_batches(session, run_id, now)
            return released

        def recheck(session: Session, released: Run, now: datetime) -> None:
            Overpayments(self.context, self.clock).recheck_released(session, now, released.run_id)

        return self._change_run(
            "ApproveRun", request_id, run_id, f"{approver}|{count}|{total_fen}", change, recheck
        )

    def hold(self, request_id: str, run_id: str, reason: str) -> Run:
        if not reason.strip():
            raise InvalidArgument.single("reason", "is required")
        return self._change_run(
            "HoldRun",
            request_id,
            run_id,
            reason,
            lambda _s, run, now: runs_domain.hold(run, reason.strip(), now),
        )

    def resume(self, request_id: str, run_id: str) -> Run:
        return self._change_run(
            "ResumeRun", request_id, run_id, "", lambda _s, run, now: runs_domain.resume(run, now)
        )

    def cancel(self, request_id: str, run_id: str, reason: str) -> Run:
        if not reason.strip():
            raise InvalidArgument.single("reason", "is required")

        def change(session: Session, run: Run, now: datetime) -> Run:
            cancelled = runs_domain.cancel(run, reason.strip(), now)
            store.delete_unsent_payments(session, run.run_id)
            derived_store.drop_rechecks(session, run.run_id)  # its lines are withdrawn: nothing to look at
            return cancelled

        return self._change_run("CancelRun", request_id, run_id, reason, change)

    def measure_lateness(self) -> int:
        """Count the runs past their pay date that are not released, for the payroll-late alert."""
        today = china_date(self.clock())
        with self.persistence.database.read() as session:
            unreleased = [run for state in runs_domain.UNRELEASED for run in store.runs_in(session, state)]
        late = sum(1 for run in unreleased if runs_domain.is_late(run, today, self.pay_day_of_month))
        RUNS_LATE.set(late)
        return late

    # -- the bank ---------------------------------------------------------------------------------

    def send_to_bank(self) -> int:
        """Send the batches of released runs (again, after a crash or a timeout), then form and send batches
        for payments waiting outside one (re-issued); a pass stops at the first batch the bank does not
        confirm. Each batch is sent by the worker that takes it: replicas share the batches, and a worker
        has up to ``bank_batches_in_flight`` of them on the way at once."""
        database = self.persistence.database
        with database.read() as session:
            formed = [row.batch_request_id for row in store.open_batches(session, store.FORMED)]
        refused = threading.Event()

        def send_formed(batch_request_id: str) -> int:
            if refused.is_set() or not self._take(batch_request_id, store.FORMED):
                return 0  # the bank is not answering, or another worker is sending it
            if self._send(batch_request_id):
                return 1
            refused.set()  # the rest waits for the next pass
            return 0

        sent = sum(self._in_flight(send_formed, formed))
        if refused.is_set():
            return sent
        with database.read() as session:
            released = store.runs_with_unsent_payments(session)
        for run_id in released:
            while True:
                with database.transaction() as session:
                    now = self.clock()
                    batch_request_id = store.form_batch(
                        session, run_id, self.batch_size, now, now + self.bank_lease
                    )
                if batch_request_id is None:
                    break
                if not self._send(batch_request_id):
                    break
                sent += 1
        return sent

    def _in_flight(self, step: Callable[[str], T], batch_request_ids: list[str]) -> Iterable[T]:
        """``step`` for each batch, up to ``bank_batches_in_flight`` at a time, answers in the batches'
        order; a step that raises raises here."""
        if self.bank_batches_in_flight <= 1 or len(batch_request_ids) <= 1:
            return [step(batch_request_id) for batch_request_id in batch_request_ids]
        workers = min(self.bank_batches_in_flight, len(batch_request_ids))
        with ThreadPoolExecutor(workers, thread_name_prefix="bank") as pool:
            return list(pool.map(step, batch_request_ids))

    def _take(self, batch_request_id: str, state: str) -> bool:
        """Hold a batch while this worker sends it or asks the bank about it (released after, or left to run
        out if the worker dies)."""
        now = self.clock()
        with self.persistence.database.transaction() as session:
            redone_if_lost(session)  # a lease lost in a server crash is a batch another worker may take
            return store.claim_batch(session, batch_request_id, state, now, now + self.bank_lease)

    def _let_go(self, batch_request_id: str) -> None:
        with self.persistence.database.transaction() as session:
            store.release_batch(session, batch_request_id)

    def _send(self, batch_request_id: str) -> int:
        database = self.persistence.database
        with database.read() as session:
            rows = store.batch_orders(session, batch_request_id)
        # Only a batch carrying RECOVERY lines sends anything but each line's own amount.
        net = (
            net_amounts([(key, offsets_key, amount) for key, offsets_key, amount, *_ in rows])
            if any(offsets_key for _, offsets_key, *_ in rows)
            else {}
        )
        orders = [
            Order(bank_key(key, attempt), name, account, net.get(key, amount))
            for key, offsets_key, amount, attempt, name, account in rows
            if not offsets_key
        ]
        try:
            bank_batch_id = self.bank.submit(batch_request_id, orders)
        except grpc.RpcError as error:
            PAYROLL_FAILURES.labels("bank").inc()
            log.warning(
                "bank did not confirm the batch; it will be sent again under the same request id",
                extra={"batch": batch_request_id, "code": error.code().name},
            )
            self._let_go(batch_request_id)
            return 0
        with database.transaction() as session:
            # Lost in a server crash, the batch is sent again under its request id, which the bank answers
            # with the batch it booked.
            redone_if_lost(session)
            store.mark_batch(session, batch_request_id, store.SUBMITTED, bank_batch_id, self.clock())
        PAYMENTS.labels("SUBMITTED").inc(len(orders))
        PAYMENT_FEN.labels("SUBMITTED").inc(sum(o.amount_fen for o in orders))
        return 1

    def reconcile(self) -> int:
        """Close every payment the bank has answered; close runs with nothing left open."""
        database = self.persistence.database
        with database.read() as session:
            submitted = {
                row.batch_request_id: (row.bank_batch_id, row.run_id)
                for row in store.open_batches(session, store.SUBMITTED)
            }

        def ask(batch_request_id: str) -> int | None:
            """The payments the bank's answers closed, or None when this worker did not ask."""
            bank_batch_id, run_id = submitted[batch_request_id]
            if not self._take(batch_request_id, store.SUBMITTED):
                return None  # another worker is asking the bank about it
            try:
                results = self.bank.status(bank_batch_id)
            except grpc.RpcError as error:
                PAYROLL_FAILURES.labels("reconcile").inc()
                log.warning(
                    "bank status unavailable", extra={"batch": batch_request_id, "code": error.code().name}
                )
                self._let_go(batch_request_id)
                return None
            with database.transaction() as session:
                return self._record_results(session, run_id, batch_request_id, bank_batch_id, results)

        answered = dict(zip(submitted, self._in_flight(ask, list(submitted)), strict=True))
        closed = sum(count for count in answered.values() if count is not None)
        touched_runs = {submitted[batch][1] for batch, count in answered.items() if count is not None}
        # Released runs with no batch open close here too: one with nothing to pay, and one whose
        # last answers were recorded by a process that died before it closed the run.
        with database.read() as session:
            touched_runs.update(store.released_runs_without_open_batches(session))
        for run_id in sorted(touched_runs):
            with database.transaction() as session:
                run = store.get_run(session, run_id, for_update=True)
                if (
                    run is None
                    or run.state is not RunState.RELEASED
                    or store.open_payments_left(session, run_id)
                ):
                    continue
                closed_run = runs_domain.close(run, self.clock())
                store.save_run(session, closed_run)
                self._announce(
                    session,
                    events.TOPIC_PAYROLL,
                    run_id,
                    events.payroll_closed(closed_run, store.payments_by_state(session, run_id)),
                    run_id,
                )
        return closed

    def _record_results(
        self, session: Session, run_id: str, batch_request_id: str, bank_batch_id: str, results: list[Result]
    ) -> int:
        """Settled payments in bulk with one event for the batch (and one each for a one-off programme's,
        whose case waits on it); each returned or failed one with its own event."""
        now = self.clock()
        if not store.lock_submitted_batch(session, batch_request_id):
            return 0  # another worker recorded these answers first
        answers = {identity_of(r.idempotency_key): r.result for r in results}
        # One pass over the payments waiting in the batch (a RECOVERY line is no order: it follows its
        # carrier): which the bank settled, for how much, and whether it answered for every order.
        settled_keys: list[str] = []
        settled_fen = 0
        one_offs: list[str] = []
        answered_whole = True
        carries_recoveries = False
        for payment_id, key, amount, programme, offsets_key in store.waiting_in_batch(
            session, batch_request_id
        ):
            if offsets_key:
                carries_recoveries = True
                continue
            answer = answers.get(key)
            if answer == "SETTLED":
                settled_keys.append(key)
                settled_fen += int(amount)
                if settlement_announced(programme, offsets_key):
                    one_offs.append(payment_id)
            elif answer not in RESULT_STATES:
                answered_whole = False
        settled = len(settled_keys)
        by_state = {"RETURNED": 0, "FAILED": 0}
        for result in results:
            state = RESULT_STATES.get(result.result)
            if state is None or state is PaymentState.SETTLED:
                continue
            row = store.settle_payment(
                session, batch_request_id, identity_of(result.idempotency_key), state, result.reason, now
            )
            if row is not None:
                by_state[state.value] += 1
                PAYMENTS.labels(state.value).inc()
                PAYMENT_FEN.labels(state.value).inc(int(row.amount_fen))
                self._announce(
                    session,
                    events.TOPIC_PAYMENTS,
                    row.beneficiary_id,
                    events.payment_event(row),
                    bank_batch_id,
                )
        if not answered_whole:
            # The rest of the batch waits: the payments settled so far are settled one by one.
            store.settle_in_batch(session, batch_request_id, settled_keys, now)
        if carries_recoveries:
            store.follow_carriers(session, batch_request_id, now)
        if answered_whole:
            # Every payment still waiting in the batch is settled with it (store.PAYMENT_STATE).
            store.mark_batch(session, batch_request_id, store.RECONCILED, bank_batch_id, now)
        else:
            store.release_batch(session, batch_request_id)  # asked again on a later pass
        self.persistence.outbox.add_many(
            session,
            topic=events.TOPIC_PAYMENTS,
            events=[
                PendingEvent(row.beneficiary_id, events.payment_event(row), bank_batch_id)
                for row in store.payments_by_id(session, one_offs)
            ],
        )
        if settled:
            PAYMENTS.labels("SETTLED").inc(settled)
            PAYMENT_FEN.labels("SETTLED").inc(settled_fen)
        if settled or any(by_state.values()):
            self._announce(
                session,
                events.TOPIC_PAYROLL,
                run_id,
                events.bank_batch_reconciled(
                    run_id, batch_request_id, settled, settled_fen, by_state["RETURNED"], by_state["FAILED"]
                ),
                bank_batch_id,
            )
        return settled + sum(by_state.values())

    # -- queries ----------------------------------------------------------------------------------

    def list_runs(
        self, region: str, states: list[RunState], period_text: str, after: str | None, limit: int
    ) -> tuple[list[Run], list[str]]:
        """Up to ``limit`` runs of the counties within ``region`` (see :func:`store.list_runs`), after the
        one a page token names; returns them with each one's key for the next page's token."""
        validate_together(
            lambda: RegionCode.parse(region, field="region.code"),
            lambda: Period.parse(period_text, field="period.month") if period_text else None,
            lambda: _after_run(after),
        )
        period = Period.parse(period_text) if period_text else None
        with self.persistence.database.read() as session:
            found = store.list_runs(
                session, RegionCode.parse(region).prefix, states, period, _after_run(after), limit
            )
        return found, [_run_key(run) for run in found]

    def get_run(self, run_id: str) -> tuple[Run, list, dict[str, int]]:  # type: ignore[type-arg]
        with self.persistence.database.read() as session:
            if not run_id:
                raise InvalidArgument.single("run_id", "is required")
            run = store.get_run(session, run_id)
            if run is None:
                raise NotFound(f"no run {run_id!r}")
            return run, store.shards_of(session, run_id), store.payments_by_state(session, run_id)


def _run_key(run: Run) -> str:
    """A run's place in :meth:`PayrollUseCases.list_runs`, as a page token carries it."""
    return f"{run.period}/{run.run_id}"


def _after_run(token_key: str | None) -> tuple[str, str] | None:
    """The (month, run id) a page token carries; a token this service did not issue is the caller's error."""
    if token_key is None:
        return None
    month, _, run_id = token_key.partition("/")
    try:
        period = Period.parse(month)
    except InvalidArgument:
        period = None
    if period is None or not run_id:
        raise InvalidArgument.single("page.page_token", "is not a token this service issued")
    return str(period), run_id


def _county(region: str) -> None:
    code = RegionCode.parse(region, field="region")
    if code.level is not RegionLevel.COUNTY:
        raise InvalidArgument.single(
            "region", "must be the 12-digit code of a county (the run pays a county)"
        )
