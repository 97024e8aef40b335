"""Use-cases on care-service work orders (DOMAIN §9.3): the monthly plan, completion with the person's
confirmation and score, missed orders, audits, and the provider's monthly settlement (H14)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from google.protobuf.message import Message
from sqlalchemy.orm import Session

from doudi_care.app import metrics
from doudi_care.domain import workorders as rules
from doudi_care.domain.ledger import LedgerEntry
from doudi_care.domain.workorders import ContractTerms, Settlement, WorkOrder, WorkOrderState
from doudi_care.events import publish
from doudi_care.store import ledger as ledger_store
from doudi_care.store import workorders as store
from doudi_common.calendar import china_date
from doudi_common.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from doudi_common.ids import new_id
from doudi_common.period import Period
from doudi_common.region import RegionCode
from doudi_runtime.commands import AfterCommit, Commands, request_id_check, require_id, validate_together
from doudi_runtime.idempotency import fingerprint_of
from doudi_runtime.paging import Page

log = logging.getLogger(__name__)

MAX_ID = 64
MAX_CONTENT = 200


@dataclass
class WorkOrderUseCases(Commands):
    terms: ContractTerms = field(default_factory=ContractTerms)
    services_per_month: int = 2
    batch_size: int = 200

    def announce(self, session: Session, provider_id: str, payload: Message, cause: str) -> None:
        self.persistence.outbox.add(
            session,
            topic=publish.TOPIC_WORK_ORDERS,
            subject_key=provider_id,
            payload=payload,
            causation_id=cause,
        )

    def _load(self, session: Session, work_order_id: str, *, for_update: bool = False) -> WorkOrder:
        order = store.get_order(session, work_order_id, for_update=for_update)
        if order is None:
            raise NotFound(f"no work order {work_order_id!r}")
        return order

    def _served(self, session: Session, entry_id: str) -> LedgerEntry:
        entry = ledger_store.get_entry(session, entry_id)
        if entry is None:
            raise NotFound(f"no ledger entry {entry_id!r}")
        if not entry.is_open:
            raise FailedPrecondition(f"ledger entry {entry_id} is closed")
        if not entry.is_worked:
            raise FailedPrecondition(f"ledger entry {entry_id} rests while its entitlement is suspended")
        if not entry.care_services:
            raise FailedPrecondition(
                f"ledger entry {entry_id} gets no care-service work orders (dispersed Tekun, or rural "
                "class-1 Dibao where the county extends them)"
            )
        return entry

    def _new_order(
        self,
        entry: LedgerEntry,
        provider_id: str,
        period: Period,
        now: datetime,
        *,
        seq: int | None,
        content: str,
    ) -> WorkOrder:
        return WorkOrder(
            work_order_id=new_id("wo"),
            entry_id=entry.entry_id,
            provider_id=provider_id,
            period=period,
            state=WorkOrderState.ASSIGNED,
            region=entry.region,
            township=entry.township,
            created_at=now,
            updated_at=now,
            seq=seq,
            content=content,
        )

    # -- commands -------------------------------------------------------------------------------

    def create(
        self, request_id: str, entry_id: str, provider_id: str, period_text: str, content: str
    ) -> WorkOrder:
        periods: list[Period] = []

        def check_period() -> None:
            periods.append(Period.parse(period_text, field="period.month"))

        def check_content() -> None:
            if len(content) > MAX_CONTENT:
                raise InvalidArgument.single("content", f"must be at most {MAX_CONTENT} characters")

        validate_together(
            request_id_check(request_id),
            require_id(entry_id, "entry_id"),
            lambda: _require_text(provider_id, "provider_id", MAX_ID),
            check_period,
            check_content,
        )
        period = periods[0]

        def perform(session: Session, now: datetime, _after: AfterCommit) -> tuple[str, WorkOrder]:
            if period < Period.of(china_date(now)):
                raise FailedPrecondition(f"{period} has ended; work orders are made for this month or later")
            entry = self._served(session, entry_id)
            order = self._new_order(entry, provider_id, period, now, seq=None, content=content)
            store.insert_order(session, order)
            return order.work_order_id, order

        return self.once(
            "CreateWorkOrder",
            request_id,
            fingerprint_of(entry_id, provider_id, period, content),
            perform,
            lambda s, ref: self._load(s, ref),
        )

    def complete(
        self,
        request_id: str,
        work_order_id: str,
        *,
        confirmed: bool,
        score: int,
        confirmed_by: str,
        completed_at: datetime | None,
    ) -> WorkOrder:
        def check_confirmed() -> None:
            if not confirmed:
                raise InvalidArgument.single(
                    "confirmed",
                    "must be true: a service is complete only once the person or carer confirms it",
                )

        def check_score() -> None:
            if not rules.MIN_SCORE <= score <= rules.MAX_SCORE:
                raise InvalidArgument.single("quality_score", "must be a satisfaction score from 1 to 5")

        def check_time() -> None:
            if completed_at is not None and completed_at > self.clock() + timedelta(minutes=5):
                raise InvalidArgument.single("completed_at", "must not be in the future")

        validate_together(
            request_id_check(request_id),
            require_id(work_order_id, "work_order_id"),
            check_confirmed,
            check_score,
            lambda: _require_text(confirmed_by, "confirmed_by", 50),
            check_time,
        )

        def perform(session: Session, now: datetime, after: AfterCommit) -> tuple[str, WorkOrder]:
            order = self._load(session, work_order_id, for_update=True)
            done = rules.complete(
                order, score=score, confirmed_by=confirmed_by.strip(), at=completed_at or now, now=now
            )
            store.save_order(session, done)
            self.announce(session, done.provider_id, publish.work_order_completed(done), request_id)
            after.add(lambda: metrics.WORK_ORDERS.labels("completed").inc())
            return done.work_order_id, done

        return self.once(
            "CompleteWorkOrder",
            request_id,
            fingerprint_of(work_order_id, confirmed, score, confirmed_by, completed_at),
            perform,
            lambda s, ref: self._load(s, ref),
        )

    def miss(self, request_id: str, work_order_id: str, reason: str) -> WorkOrder:
        validate_together(
            request_id_check(request_id),
            require_id(work_order_id, "work_order_id"),
            lambda: _require_text(reason, "reason", 2000),
        )

        def perform(session: Session, now: datetime, after: AfterCommit) -> tuple[str, WorkOrder]:
            missed = self._miss(
                session, self._load(session, work_order_id, for_update=True), reason.strip(), now, request_id
            )
            after.add(lambda: metrics.WORK_ORDERS.labels("missed").inc())
            return missed.work_order_id, missed

        return self.once(
            "MissWorkOrder",
            request_id,
            fingerprint_of(work_order_id, reason),
            perform,
            lambda s, ref: self._load(s, ref),
        )

    def _miss(self, session: Session, order: WorkOrder, reason: str, now: datetime, cause: str) -> WorkOrder:
        missed = rules.miss(order, reason=reason, now=now)
        store.save_order(session, missed)
        # H14: a missed order sends the township to check on the person.
        self.announce(session, missed.provider_id, publish.work_order_missed(missed), cause)
        return missed

    def audit(self, request_id: str, work_order_id: str, passed: bool) -> WorkOrder:
        validate_together(request_id_check(request_id), require_id(work_order_id, "work_order_id"))

        def perform(session: Session, now: datetime, _after: AfterCommit) -> tuple[str, WorkOrder]:
            audited = rules.audit(self._load(session, work_order_id, for_update=True), passed=passed, now=now)
            store.save_order(session, audited)
            return audited.work_order_id, audited

        return self.once(
            "AuditWorkOrder",
            request_id,
            fingerprint_of(work_order_id, passed),
            perform,
            lambda s, ref: self._load(s, ref),
        )

    def settle(self, request_id: str, provider_id: str, period_text: str) -> Settlement:
        """The provider's month, once: open orders of the ended month count as missed first."""
        periods: list[Period] = []

        def check_period() -> None:
            periods.append(Period.parse(period_text, field="period.month"))

        validate_together(
            request_id_check(request_id),
            lambda: _require_text(provider_id, "provider_id", MAX_ID),
            check_period,
        )
        period = periods[0]

        def perform(session: Session, now: datetime, after: AfterCommit) -> tuple[str, Settlement]:
            if period >= Period.of(china_date(now)):
                raise FailedPrecondition(f"{period} has not ended; a month is settled after it")
            earlier = store.find_settlement(session, provider_id, period)
            if earlier is not None:
                raise AlreadyExists(
                    f"{provider_id} was already settled for {period} ({earlier.settlement_id})"
                )
            orders = []
            for order in store.provider_orders(session, provider_id, period, for_update=True):
                if order.state is WorkOrderState.ASSIGNED:
                    order = self._miss(session, order, "not done within its month", now, request_id)
                    after.add(lambda: metrics.WORK_ORDERS.labels("missed").inc())
                orders.append(order)
            figures = rules.settle(orders, self.terms)
            average = figures.average_score
            settlement = Settlement(
                settlement_id=new_id("settle"),
                provider_id=provider_id,
                period=period,
                figures=figures,
                average_score_x100=int(average * 100) if average is not None else 0,
                settled_at=now,
            )
            store.insert_settlement(session, settlement)
            self.announce(session, provider_id, publish.provider_fee_settled(settlement), request_id)
            return settlement.settlement_id, settlement

        def replay(session: Session, settlement_id: str) -> Settlement:
            settlement = store.get_settlement(session, settlement_id)
            assert settlement is not None
            return settlement

        return self.once("SettleProvider", request_id, fingerprint_of(provider_id, period), perform, replay)

    # -- queries --------------------------------------------------------------------------------

    def list(self, provider_id: str, period_text: str, region: str, page: Page) -> list[WorkOrder]:
        """A provider's orders of a month, only those of people living in ``region`` when it is named."""
        periods: list[Period] = []
        regions: list[RegionCode] = []
        validate_together(
            lambda: _require_text(provider_id, "provider_id", MAX_ID),
            lambda: periods.append(Period.parse(period_text, field="period.month")),
            lambda: regions.append(RegionCode.parse(region, field="region")) if region else None,
        )
        with self.persistence.database.read() as session:
            return store.list_orders(session, provider_id, periods[0], regions[0] if regions else None, page)

    # -- the monthly plan -----------------------------------------------------------------------

    def plan_month(self) -> int:
        """Give every person with care services and a provider ``services_per_month`` orders this month
        (EX 2, SEED-2); running it again makes none twice. Returns how many it made."""
        database = self.persistence.database
        now = self.clock()
        period = Period.of(china_date(now))
        made = 0
        after_id = ""
        while True:
            with database.read() as session:
                entries = ledger_store.care_service_entries(session, after_id, self.batch_size)
            if not entries:
                break
            after_id = entries[-1].entry_id
            for entry in entries:
                with database.transaction() as session:
                    have = store.planned_seqs(session, entry.entry_id, period)
                    for seq in range(1, self.services_per_month + 1):
                        if seq in have:
                            continue
                        store.insert_order(
                            session,
                            self._new_order(entry, entry.provider_id, period, now, seq=seq, content=""),
                        )
                        made += 1
        return made

    def close_past_months(self) -> int:
        """Orders still open after their month ended are missed (WorkOrderMissed → the township checks)."""
        database = self.persistence.database
        now = self.clock()
        period = Period.of(china_date(now))
        closed = 0
        while True:
            with database.read() as session:
                ids = store.open_order_ids_before(session, period, self.batch_size)
            if not ids:
                break
            for work_order_id in ids:
                with database.transaction() as session:
                    order = store.get_order(session, work_order_id, for_update=True)
                    if order is None or order.state is not WorkOrderState.ASSIGNED:
                        continue
                    self._miss(session, order, "not done within its month", now, "work-order-sweep")
                    closed += 1
                metrics.WORK_ORDERS.labels("missed").inc()
        return closed

    def run_monthly(self) -> int:
        return self.close_past_months() + self.plan_month()


def _require_text(value: str, field_name: str, limit: int) -> None:
    if not value.strip():
        raise InvalidArgument.single(field_name, "is required")
    if len(value) > limit:
        raise InvalidArgument.single(field_name, f"must be at most {limit} characters")
