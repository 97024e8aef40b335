"""Randomised fault schedules: crashes between any two steps of a run, a bank that fails before or after
booking, events heard twice. After each schedule, every (beneficiary, programme, period, component) of
the roster is paid exactly once and the sums match (issue: "≥ 50 randomized schedules in CI")."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from sqlalchemy import func, select

from doudi.common.v1 import programme_pb2, types_pb2
from doudi.eligibility.v1 import eligibility_pb2
from doudi.eligibility.v1 import events_pb2 as eligibility_events
from doudi_disbursement.app.bank_gateway import Order, Result
from doudi_disbursement.app.payroll import PayrollUseCases
from doudi_disbursement.domain.runs import RunState
from doudi_disbursement.main import DEFINITION
from doudi_disbursement.store import payroll as store
from doudi_disbursement.store.tables import payments
from doudi_runtime.events.envelope import new_envelope
from doudi_runtime.service import ServiceContext
from doudi_sim.ledger import Ledger
from doudi_sim.ledger import Order as LedgerOrder

SCHEDULES = 50
COUNTY = "640402000000"
TOWNSHIPS = ("640402100000", "640402101000", "640402102000")


class Crash(Exception):
    """The process died here."""


class UnreliableBank:
    """The simulator's books behind a line that drops requests before or after the bank books them."""

    def __init__(self, rng: random.Random, failure_rate: float) -> None:
        self.ledger = Ledger(return_accounts_ending="0000")
        self.submissions: dict[str, set[str]] = {}
        self._rng = rng
        self._rate = failure_rate

    def submit(self, request_id: str, orders: list[Order]) -> str:
        if self._rng.random() < self._rate:
            raise _Unavailable()
        for order in orders:
            self.submissions.setdefault(order.idempotency_key, set()).add(request_id)
        accepted = self.ledger.submit(
            request_id,
            [LedgerOrder(o.idempotency_key, o.account_name, o.account_number, o.amount_fen) for o in orders],
            len(orders),
            sum(o.amount_fen for o in orders),
        )
        if self._rng.random() < self._rate:
            raise _Unavailable()  # booked, but the answer is lost
        return accepted.batch_id

    def status(self, batch_id: str) -> list[Result]:
        if self._rng.random() < self._rate:
            raise _Unavailable()
        return [Result(o.idempotency_key, o.result, o.reason) for o in self.ledger.status(batch_id)]


class _Unavailable(grpc.RpcError):
    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.UNAVAILABLE


def entitlement(index: int, rng: random.Random) -> eligibility_events.EntitlementActivated:
    account = "6228480000000000" if index % 11 == 0 else f"62284800{index:08d}"
    return eligibility_events.EntitlementActivated(
        entitlement=eligibility_pb2.Entitlement(
            entitlement_id=f"ent_{index:04d}",
            subject_id=f"hh_{index:04d}",
            programme=programme_pb2.PROGRAMME_DIBAO,
            start_month=types_pb2.Period(month="2026-10"),
            region=types_pb2.RegionCode(code=rng.choice(TOWNSHIPS)),
            components=[
                eligibility_pb2.EntitlementComponent(
                    component=programme_pb2.BENEFIT_COMPONENT_BASE,
                    monthly_amount=types_pb2.Money(amount_fen=rng.randrange(1_000, 200_000)),
                )
            ],
            payee=eligibility_pb2.Payee(account_name=f"户主{index}", account_number=account),
        )
    )


def crashing(rng: random.Random, rate: float, original):  # type: ignore[no-untyped-def]
    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        if rng.random() < rate:
            raise Crash(original.__name__)
        result = original(*args, **kwargs)
        if rng.random() < rate:
            raise Crash(f"after {original.__name__}")
        return result

    return wrapper


@pytest.mark.parametrize("seed", range(SCHEDULES))
def test_every_payment_is_made_exactly_once_whatever_fails(
    context: ServiceContext, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    rng = random.Random(seed)
    subscription, *_others = DEFINITION.subscriptions(context)
    events = [entitlement(i, rng) for i in range(rng.randrange(5, 25))]
    for event in events + rng.sample(events, k=len(events) // 3):  # a third of them heard twice
        with context.database.transaction() as session:
            subscription.handler(session, new_envelope(event, producer="eligibility", subject_key="k"))
    expected_total = sum(e.entitlement.components[0].monthly_amount.amount_fen for e in events)

    for name in ("insert_prepared", "finish_shard", "form_batch", "mark_batch", "settle_payment"):
        monkeypatch.setattr(store, name, crashing(rng, 0.08, getattr(store, name)))
    bank = UnreliableBank(rng, failure_rate=0.25)
    now = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)

    def worker() -> PayrollUseCases:
        """A fresh process: nothing in memory, and the clock past any lease its predecessor held."""
        nonlocal now
        now += timedelta(minutes=10)
        frozen = now
        return PayrollUseCases(
            context, bank, batch_size=rng.choice((1, 3, 7)), roster_page_size=4, clock=lambda: frozen
        )

    run = None
    for _ in range(400):
        try:
            if run is None:
                run = worker().generate_run(f"gen-{seed}", "2026-12", COUNTY, "county-clerk")
            current = store_run(context, run.run_id)
            if current.state is RunState.CLOSED:
                break
            if current.state is RunState.GENERATING:
                worker().generate_shards()
            elif current.state is RunState.AWAITING_APPROVAL:
                worker().approve(
                    f"ok-{seed}", run.run_id, "finance-officer", current.payment_count, current.total_fen
                )
            else:
                use_cases = worker()
                use_cases.send_to_bank()
                use_cases.reconcile()
        except Crash:
            continue
    final = store_run(context, run.run_id)
    assert final.state is RunState.CLOSED, f"seed {seed}: the run did not finish ({final.state})"
    assert (final.payment_count, final.total_fen) == (len(events), expected_total)
    with context.database.read() as session:
        count, total, keys = session.execute(
            select(
                func.count(),
                func.sum(payments.c.amount_fen),
                func.count(func.distinct(payments.c.idempotency_key)),
            )
        ).one()
    assert (count, total, keys) == (len(events), expected_total, len(events))
    assert bank.ledger.paid_count() == len(events)
    assert all(len(batches) == 1 for batches in bank.submissions.values()), (
        "a payment went out in two batches"
    )


def store_run(context: ServiceContext, run_id: str):  # type: ignore[no-untyped-def]
    with context.database.read() as session:
        return store.get_run(session, run_id)


def on_the_roster(context: ServiceContext, events: list, now: datetime) -> None:  # type: ignore[type-arg]
    subscription, *_others = DEFINITION.subscriptions(context)
    for event in events:
        envelope = new_envelope(event, producer="eligibility", subject_key="k")
        envelope.occurred_at.FromDatetime(now)
        with context.database.transaction() as session:
            subscription.handler(session, envelope)


def payments_per_identity(context: ServiceContext) -> dict[str, int]:
    with context.database.read() as session:
        rows = session.execute(
            select(payments.c.idempotency_key, func.count()).group_by(payments.c.idempotency_key)
        ).all()
    return dict(rows)


def released_run(
    context: ServiceContext, bank: UnreliableBank, events: list, now: datetime, batch_size: int = 1000
):  # type: ignore[no-untyped-def]
    """A county's December run generated from ``events`` in batches of ``batch_size``, and released by a
    second person."""
    on_the_roster(context, events, now)
    use_cases = PayrollUseCases(context, bank, batch_size=batch_size, clock=lambda: now)
    run = use_cases.generate_run("gen", "2026-12", COUNTY, "county-clerk")
    use_cases.generate_shards()
    opened = store_run(context, run.run_id)
    use_cases.approve("ok", run.run_id, "finance-officer", opened.payment_count, opened.total_fen)
    return use_cases, run.run_id


def test_a_released_run_with_nothing_to_pay_closes(context: ServiceContext) -> None:
    """Every household of the county is suspended from December: the run pays nobody, and still closes."""
    now = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)
    rng = random.Random(7)
    activated = [entitlement(i, rng) for i in range(3)]
    suspended = [
        eligibility_events.EntitlementSuspended(entitlement=e.entitlement, reason="annual review")
        for e in activated
    ]
    use_cases, run_id = released_run(context, UnreliableBank(rng, 0.0), activated + suspended, now)
    assert store_run(context, run_id).payment_count == 0
    use_cases.send_to_bank()
    use_cases.reconcile()
    assert store_run(context, run_id).state is RunState.CLOSED


def test_a_run_whose_closing_was_interrupted_closes_at_the_next_reconciliation(
    context: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last answers are recorded, then the process dies before the run is closed."""
    now = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)
    rng = random.Random(8)
    bank = UnreliableBank(rng, 0.0)
    use_cases, run_id = released_run(context, bank, [entitlement(i, rng) for i in range(4)], now)
    use_cases.send_to_bank()
    original = store.open_payments_left
    monkeypatch.setattr(store, "open_payments_left", crashing(random.Random(0), 1.0, original))
    with pytest.raises(Crash):
        use_cases.reconcile()
    assert store_run(context, run_id).state is RunState.RELEASED
    monkeypatch.setattr(store, "open_payments_left", original)
    PayrollUseCases(context, bank, clock=lambda: now).reconcile()
    assert store_run(context, run_id).state is RunState.CLOSED
    assert bank.ledger.paid_count() == 4


class CrowdedBank(UnreliableBank):
    """A bank that lets no batch through until ``together`` batches are on their way to it at once, and
    refuses each batch in ``refused`` the first time it arrives."""

    def __init__(self, together: int, refused: frozenset[str] = frozenset()) -> None:
        super().__init__(random.Random(0), 0.0)
        self.arrived = threading.Barrier(together, timeout=10)
        self.refused = set(refused)
        self.requests: list[str] = []

    def submit(self, request_id: str, orders: list[Order]) -> str:
        self.requests.append(request_id)
        if request_id in self.refused:
            self.refused.discard(request_id)
            raise _Unavailable()
        self.arrived.wait()
        return super().submit(request_id, orders)

    def status(self, batch_id: str) -> list[Result]:
        self.arrived.wait()
        return super().status(batch_id)


def test_a_worker_has_several_batches_on_their_way_to_the_bank_at_once(context: ServiceContext) -> None:
    """Three batches in flight: the bank sees three at a time (it holds each until three are there), each
    batch goes once, and every payment is paid once and settled."""
    now = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)
    rng = random.Random(9)
    bank = CrowdedBank(together=3)
    _, run_id = released_run(context, bank, [entitlement(i, rng) for i in range(12)], now, batch_size=1)
    worker = PayrollUseCases(context, bank, batch_size=1, bank_batches_in_flight=3, clock=lambda: now)
    assert worker.send_to_bank() == 12
    assert sorted(bank.requests) == sorted(set(bank.requests)) and len(bank.requests) == 12
    assert worker.reconcile() == 12
    assert store_run(context, run_id).state is RunState.CLOSED
    assert bank.ledger.paid_count() == 12


def test_a_batch_the_bank_refuses_ends_the_pass_and_goes_again_in_the_next(context: ServiceContext) -> None:
    now = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)
    rng = random.Random(10)
    bank = CrowdedBank(together=1)
    _, run_id = released_run(context, bank, [entitlement(i, rng) for i in range(12)], now, batch_size=1)
    worker = PayrollUseCases(context, bank, batch_size=1, bank_batches_in_flight=3, clock=lambda: now)
    with context.database.read() as session:
        batches = [row.batch_request_id for row in store.open_batches(session, store.FORMED)]
    bank.refused = {batches[4]}
    first_pass = worker.send_to_bank()
    assert first_pass < 12, "the pass went on past the batch the bank refused"
    assert worker.send_to_bank() == 12 - first_pass
    worker.reconcile()
    assert store_run(context, run_id).state is RunState.CLOSED
    assert bank.ledger.paid_count() == 12
    assert all(len(batches) == 1 for batches in bank.submissions.values())


def test_a_worker_generates_several_shards_at_once(
    context: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two shards in flight: the first two pages made wait for each other (so both shards are on their way
    at once), each township is generated once, and every identity has one payment."""
    now = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)
    rng = random.Random(11)
    events = [entitlement(i, rng) for i in range(12)]
    on_the_roster(context, events, now)
    together = threading.Barrier(2, timeout=10)
    first_two = threading.Semaphore(2)
    prepare_payments = store.prepare_payments

    def crowded(*args, **kwargs):  # type: ignore[no-untyped-def]
        if first_two.acquire(blocking=False):
            together.wait()
        return prepare_payments(*args, **kwargs)

    monkeypatch.setattr(store, "prepare_payments", crowded)
    worker = PayrollUseCases(context, UnreliableBank(rng, 0.0), shards_in_flight=2, clock=lambda: now)
    run = worker.generate_run("gen", "2026-12", COUNTY, "county-clerk")
    townships = {event.entitlement.region.code for event in events}
    assert worker.generate_shards() == len(townships)
    generated = store_run(context, run.run_id)
    assert generated.state is RunState.AWAITING_APPROVAL
    assert generated.payment_count == len(events)
    assert generated.total_fen == sum(e.entitlement.components[0].monthly_amount.amount_fen for e in events)
    assert sorted(payments_per_identity(context).values()) == [1] * len(events)


def test_after_a_shard_fails_the_pass_ends_and_the_next_one_generates_the_rest_once(
    context: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)
    rng = random.Random(12)
    events = [entitlement(i, rng) for i in range(12)]
    on_the_roster(context, events, now)
    insert_prepared = store.insert_prepared
    failures = [Crash("the store went away while the first page was written")]

    def failing_once(*args, **kwargs):  # type: ignore[no-untyped-def]
        if failures:
            raise failures.pop()
        return insert_prepared(*args, **kwargs)

    monkeypatch.setattr(store, "insert_prepared", failing_once)
    worker = PayrollUseCases(context, UnreliableBank(rng, 0.0), shards_in_flight=2, clock=lambda: now)
    run = worker.generate_run("gen", "2026-12", COUNTY, "county-clerk")
    with pytest.raises(Crash):
        worker.generate_shards()
    assert store_run(context, run.run_id).state is RunState.GENERATING
    later = now + timedelta(minutes=10)  # the failed shard's lease has run out
    again = PayrollUseCases(context, UnreliableBank(rng, 0.0), shards_in_flight=2, clock=lambda: later)
    again.generate_shards()
    generated = store_run(context, run.run_id)
    assert generated.state is RunState.AWAITING_APPROVAL
    assert generated.payment_count == len(events)
    assert sorted(payments_per_identity(context).values()) == [1] * len(events)
