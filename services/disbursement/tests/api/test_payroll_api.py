"""The monthly payroll through disbursement's gRPC API, against the bank simulator over a real socket
and a real store (SQLite and PostgreSQL): roster from entitlement events, a run in township shards,
dual-control release, bank submission, reconciliation — and nobody paid twice, whatever repeats."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
from prometheus_client import REGISTRY

from doudi.common.v1 import programme_pb2, types_pb2
from doudi.disbursement.v1 import disbursement_pb2, disbursement_pb2_grpc
from doudi.eligibility.v1 import eligibility_pb2
from doudi.eligibility.v1 import events_pb2 as eligibility_events
from doudi_common.period import Period
from doudi_disbursement.app.payroll import PayrollUseCases
from doudi_disbursement.domain.payments import lines_for
from doudi_disbursement.main import DEFINITION, DisbursementSettings, payroll
from doudi_disbursement.store import payroll as store
from doudi_runtime.events.envelope import new_envelope
from doudi_runtime.grpc.errors import field_violations_from
from doudi_runtime.grpc.server import GrpcServer
from doudi_runtime.paging import encode_token
from doudi_runtime.service import ServiceContext, build_context, migrate
from doudi_sim.main import BANK
from doudi_sim.settings import BankSettings

CLERK, FINANCE = "clerk-token", "finance-token"
AS_CLERK = (("authorization", f"Bearer {CLERK}"),)
AS_FINANCE = (("authorization", f"Bearer {FINANCE}"),)
COUNTY = "640402000000"
TOWNSHIPS = ("640402100000", "640402101000")


@dataclass
class Payroll:
    stub: disbursement_pb2_grpc.DisbursementServiceStub
    context: ServiceContext
    use_cases: PayrollUseCases
    bank: object


@pytest.fixture
def disbursement(database_url: str, tmp_path: Path) -> Iterator[Payroll]:
    bank_settings = BankSettings(grpc_port=0, metrics_port=0, auth_tokens=f'{{"{CLERK}": "disbursement"}}')
    bank_bindings = list(BANK.grpc_bindings(build_context(BANK, bank_settings)))
    bank = GrpcServer(bank_settings, bank_bindings)
    bank_port = bank.start()
    settings = DisbursementSettings(
        grpc_port=0,
        metrics_port=0,
        data_dir=tmp_path,
        database_url=database_url,
        auth_tokens=f'{{"{CLERK}": "county-clerk", "{FINANCE}": "finance-officer"}}',
        client_token=CLERK,
        shutdown_grace_seconds=0,
        bank_target=f"127.0.0.1:{bank_port}",
        bank_deadline_seconds=1,
        bank_batch_size=3,
        roster_page_size=2,
    )
    migrate(DEFINITION, settings)
    context = build_context(DEFINITION, settings)
    server = GrpcServer(settings, list(DEFINITION.grpc_bindings(context)))
    port = server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield Payroll(
            disbursement_pb2_grpc.DisbursementServiceStub(channel),
            context,
            payroll(context),
            bank_bindings[0].servicer,
        )
    finally:
        channel.close()
        server.stop(0)
        bank.stop(0)
        context.database.dispose()


def activated(index: int, township: str, amount_fen: int, account: str | None = None, care: int = 0):  # type: ignore[no-untyped-def]
    components = [
        eligibility_pb2.EntitlementComponent(
            component=programme_pb2.BENEFIT_COMPONENT_BASE,
            monthly_amount=types_pb2.Money(amount_fen=amount_fen),
        )
    ]
    if care:
        components.append(
            eligibility_pb2.EntitlementComponent(
                component=programme_pb2.BENEFIT_COMPONENT_CARE,
                monthly_amount=types_pb2.Money(amount_fen=care),
            )
        )
    return eligibility_events.EntitlementActivated(
        entitlement=eligibility_pb2.Entitlement(
            entitlement_id=f"ent_{index:03d}",
            subject_id=f"hh_{index:03d}",
            programme=programme_pb2.PROGRAMME_TEKUN if care else programme_pb2.PROGRAMME_DIBAO,
            state=eligibility_pb2.ENTITLEMENT_STATE_ACTIVE,
            monthly_amount=types_pb2.Money(amount_fen=amount_fen + care),
            start_month=types_pb2.Period(month="2026-10"),
            region=types_pb2.RegionCode(code=township),
            components=components,
            payee=eligibility_pb2.Payee(
                account_name=f"户主{index}", account_number=account or f"62284800{index:08d}"
            ),
        )
    )


def deliver(p: Payroll, event) -> None:  # type: ignore[no-untyped-def]
    subscription, *_others = DEFINITION.subscriptions(p.context)
    envelope = new_envelope(event, producer="eligibility", subject_key="k")
    with p.context.database.transaction() as session:
        subscription.handler(session, envelope)


def roster_of_seven(p: Payroll) -> int:
    """Seven entitlements in two townships; one Tekun with care; one account that the bank returns."""
    events = [
        activated(1, TOWNSHIPS[0], 6_000),
        activated(2, TOWNSHIPS[0], 87_000),
        activated(3, TOWNSHIPS[0], 56_000, account="6228480000000000"),
        activated(4, TOWNSHIPS[0], 41_200, care=19_500),
        activated(5, TOWNSHIPS[1], 24_000),
        activated(6, TOWNSHIPS[1], 33_300),
        activated(7, TOWNSHIPS[1], 67_200),
    ]
    for event in events:
        deliver(p, event)
    return sum(e.entitlement.monthly_amount.amount_fen for e in events)


def generate(p: Payroll, request_id: str = "gen-1", period: str = "2026-11") -> disbursement_pb2.Run:
    return p.stub.GenerateMonthlyRun(
        disbursement_pb2.GenerateMonthlyRunRequest(
            request_id=request_id,
            period=types_pb2.Period(month=period),
            region=types_pb2.RegionCode(code=COUNTY),
        ),
        metadata=AS_CLERK,
        timeout=10,
    ).run


def released_seven(p: Payroll) -> disbursement_pb2.Run:
    """The roster of seven, its month generated and released by a second person."""
    roster_of_seven(p)
    run = generate(p)
    p.use_cases.generate_shards()
    approve(p, get_run(p, run.run_id))
    return run


def get_run(p: Payroll, run_id: str) -> disbursement_pb2.Run:
    return p.stub.GetRun(disbursement_pb2.GetRunRequest(run_id=run_id), metadata=AS_CLERK, timeout=10).run


def approve(p: Payroll, run: disbursement_pb2.Run, metadata=AS_FINANCE, total: int | None = None):  # type: ignore[no-untyped-def]
    return p.stub.ApproveRun(
        disbursement_pb2.ApproveRunRequest(
            request_id=f"approve-{run.run_id}-{total}-{metadata[0][1]}",
            run_id=run.run_id,
            expected_payment_count=run.payment_count,
            expected_total_fen=run.total_fen if total is None else total,
        ),
        metadata=metadata,
        timeout=10,
    ).run


def every_page(fetch: Callable[[str], Any], items: str) -> list[Any]:
    """The ``items`` of every page a list RPC answers: ``fetch`` asks for the page a token names."""
    found: list[Any] = []
    token = ""
    while True:
        page = fetch(token)
        found.extend(getattr(page, items))
        token = page.page.next_page_token
        if not token:
            return found


def all_payments(p: Payroll, run_id: str) -> list[disbursement_pb2.Payment]:
    return every_page(
        lambda token: p.stub.ListPayments(
            disbursement_pb2.ListPaymentsRequest(
                run_id=run_id, page=types_pb2.PageRequest(page_size=3, page_token=token)
            ),
            metadata=AS_CLERK,
            timeout=10,
        ),
        "payments",
    )


def test_a_month_is_generated_released_by_a_second_person_paid_and_reconciled(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    expected_total = roster_of_seven(p)
    run = generate(p)
    assert run.state == disbursement_pb2.RUN_STATE_GENERATING
    assert [s.township.code for s in run.shards] == list(TOWNSHIPS)
    assert p.use_cases.generate_shards() == 2
    run = get_run(p, run.run_id)
    assert run.state == disbursement_pb2.RUN_STATE_AWAITING_APPROVAL
    assert (run.payment_count, run.total_fen) == (8, expected_total)

    with pytest.raises(grpc.RpcError) as raised:
        approve(p, run, metadata=AS_CLERK)
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as raised:
        approve(p, run, total=run.total_fen + 1)
    assert [f for f, _ in field_violations_from(raised.value)] == ["expected_total_fen"]
    assert approve(p, run).state == disbursement_pb2.RUN_STATE_RELEASED

    while p.use_cases.send_to_bank():
        pass
    p.use_cases.reconcile()
    run = get_run(p, run.run_id)
    assert run.state == disbursement_pb2.RUN_STATE_CLOSED
    assert dict(run.payments_by_state) == {"SETTLED": 7, "RETURNED": 1}
    returned = [x for x in all_payments(p, run.run_id) if x.state == disbursement_pb2.PAYMENT_STATE_RETURNED]
    assert [(x.beneficiary_id, x.reason, x.masked_account[-4:]) for x in returned] == [
        ("hh_003", "account closed", "0000")
    ]
    assert "*" in returned[0].masked_account
    assert p.bank.ledger.paid_count() == 8


def test_generating_a_month_twice_finds_the_same_run_and_pays_nobody_twice(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    roster_of_seven(p)
    first = generate(p, "gen-1")
    again = generate(p, "gen-2")
    assert again.run_id == first.run_id
    p.use_cases.generate_shards()
    p.use_cases.generate_shards()
    assert len(all_payments(p, first.run_id)) == 8


def test_a_worker_that_dies_mid_shard_is_replaced_and_the_totals_are_unchanged(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    total = roster_of_seven(p)
    run = generate(p)
    # The first worker claims a shard, writes one page and dies: nothing marks the shard done.
    with p.context.database.transaction() as session:
        run_id, township = store.claim_shard(
            session, datetime.now(UTC), datetime.now(UTC) + timedelta(minutes=5)
        )

    with p.context.database.read() as reader:
        first_page = next(store.roster_pages(reader, township, 2))
    with p.context.database.transaction() as session:
        store.insert_payments_once(
            session, run_id, list(lines_for(first_page, Period(2026, 11))), datetime.now(UTC)
        )
    assert p.use_cases.generate_shards() == 1, "the live lease keeps the other worker off that shard"
    later = PayrollUseCases(
        p.context, p.use_cases.bank, clock=lambda: datetime.now(UTC) + timedelta(minutes=10)
    )
    assert later.generate_shards() == 1
    run = get_run(p, run.run_id)
    assert (run.state, run.payment_count, run.total_fen) == (
        disbursement_pb2.RUN_STATE_AWAITING_APPROVAL,
        8,
        total,
    )


def test_a_worker_claims_the_next_shard_while_another_is_claiming_one(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    if p.context.database.engine.dialect.name == "sqlite":
        pytest.skip("SQLite has one writer: a second claim waits for the first to commit")
    roster_of_seven(p)
    generate(p)
    now = datetime.now(UTC)
    with p.context.database.transaction() as first:
        taken = store.claim_shard(first, now, now + timedelta(minutes=5))
        with p.context.database.transaction() as second:
            other = store.claim_shard(second, now, now + timedelta(minutes=5))
    assert taken is not None and other is not None
    assert {taken[1], other[1]} == set(TOWNSHIPS), "the run's row is shared, not locked by the first claim"


def test_an_entitlement_event_heard_twice_changes_nothing(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    for _ in range(2):
        deliver(p, activated(1, TOWNSHIPS[0], 6_000))
    run = generate(p)
    p.use_cases.generate_shards()
    assert (get_run(p, run.run_id).payment_count, get_run(p, run.run_id).total_fen) == (1, 6_000)


def test_a_bank_that_times_out_after_booking_is_asked_again_and_pays_once(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    run = released_seven(p)
    bank_settings = p.bank._settings
    p.bank._settings = bank_settings.model_copy(update={"sim_timeout_after_commit_rate": 1.0})
    failures_before = bank_failures()
    with p.context.database.read() as session:
        first_two = store.open_batches(session, store.FORMED)[:2]
    two_in_flight = replace(p.use_cases, bank_batches_in_flight=2)
    assert two_in_flight.send_to_bank() == 0, "the bank booked the batches, but its answers came too late"
    assert p.bank.ledger.paid_count() == sum(batch.payment_count for batch in first_two), (
        "the first two batches, on their way at once: the pass went no further"
    )
    assert bank_failures() == failures_before + 2, "SREs see the failed submissions"
    p.bank._settings = bank_settings
    while p.use_cases.send_to_bank():
        pass
    p.use_cases.reconcile()
    assert get_run(p, run.run_id).state == disbursement_pb2.RUN_STATE_CLOSED
    assert p.bank.ledger.paid_count() == 8
    payments = all_payments(p, run.run_id)
    assert len({x.idempotency_key for x in payments}) == len(payments) == 8


def bank_failures() -> float:
    return REGISTRY.get_sample_value("doudi_disbursement_payroll_failures_total", {"stage": "bank"}) or 0.0


def test_a_run_left_unreleased_past_the_pay_date_is_counted_late(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    roster_of_seven(p)
    run = generate(p)
    p.use_cases.generate_shards()
    pay_date_passed = PayrollUseCases(
        p.context, p.use_cases.bank, clock=lambda: datetime(2026, 12, 11, 2, 0, tzinfo=UTC)
    )
    before_pay_date = PayrollUseCases(
        p.context, p.use_cases.bank, clock=lambda: datetime(2026, 11, 9, 2, 0, tzinfo=UTC)
    )
    assert before_pay_date.measure_lateness() == 0
    assert pay_date_passed.measure_lateness() == 1
    assert REGISTRY.get_sample_value("doudi_disbursement_payroll_runs_late") == 1
    approve(p, get_run(p, run.run_id))
    assert pay_date_passed.measure_lateness() == 0


def test_a_cancelled_run_withdraws_its_payments_and_the_month_can_be_generated_again(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    roster_of_seven(p)
    run = generate(p)
    p.use_cases.generate_shards()
    cancelled = p.stub.CancelRun(
        disbursement_pb2.CancelRunRequest(request_id="c-1", run_id=run.run_id, reason="名单有误，重新生成"),
        metadata=AS_CLERK,
        timeout=10,
    ).run
    assert cancelled.state == disbursement_pb2.RUN_STATE_CANCELLED
    again = generate(p, "gen-again")
    assert again.run_id != run.run_id
    p.use_cases.generate_shards()
    assert get_run(p, again.run_id).payment_count == 8


def test_bad_requests_name_their_fields(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    with pytest.raises(grpc.RpcError) as raised:
        p.stub.GenerateMonthlyRun(
            disbursement_pb2.GenerateMonthlyRunRequest(
                request_id="",
                period=types_pb2.Period(month="2026-13"),
                region=types_pb2.RegionCode(code=TOWNSHIPS[0]),
            ),
            metadata=AS_CLERK,
            timeout=10,
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert {f for f, _ in field_violations_from(raised.value)} == {"request_id", "period", "region"}


def list_runs(p: Payroll, page_size: int = 0, **wanted) -> list[disbursement_pb2.Run]:  # type: ignore[no-untyped-def]
    """Every run ListRuns answers for the county, page after page."""
    return every_page(
        lambda token: p.stub.ListRuns(
            disbursement_pb2.ListRunsRequest(
                region=types_pb2.RegionCode(code=COUNTY),
                page=types_pb2.PageRequest(page_size=page_size, page_token=token),
                **wanted,
            ),
            metadata=AS_CLERK,
            timeout=10,
        ),
        "runs",
    )


def test_the_county_finds_its_runs_newest_month_first_and_those_waiting_for_approval(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    roster_of_seven(p)
    september, october = generate(p, "gen-9", "2026-09"), generate(p, "gen-10", "2026-10")
    p.use_cases.generate_shards()
    november = generate(p, "gen-11", "2026-11")
    p.stub.CancelRun(
        disbursement_pb2.CancelRunRequest(request_id="c-9", run_id=september.run_id, reason="名单有误"),
        metadata=AS_CLERK,
        timeout=10,
    )
    september_again = generate(p, "gen-9-again", "2026-09")

    listed = list_runs(p, page_size=2)
    assert [(r.period.month, r.run_id) for r in listed] == [
        ("2026-11", november.run_id),
        ("2026-10", october.run_id),
        ("2026-09", september_again.run_id),
        ("2026-09", september.run_id),
    ]
    by_id = {r.run_id: r for r in listed}
    assert by_id[october.run_id].state == disbursement_pb2.RUN_STATE_AWAITING_APPROVAL
    assert (by_id[october.run_id].payment_count, by_id[october.run_id].total_fen) == (
        get_run(p, october.run_id).payment_count,
        get_run(p, october.run_id).total_fen,
    )
    assert by_id[october.run_id].payment_count == 8
    assert not by_id[october.run_id].shards  # GetRun gives them

    waiting = list_runs(p, states=[disbursement_pb2.RUN_STATE_AWAITING_APPROVAL])
    assert [r.run_id for r in waiting] == [october.run_id]
    opened = list_runs(
        p, states=[disbursement_pb2.RUN_STATE_GENERATING, disbursement_pb2.RUN_STATE_CANCELLED]
    )
    assert [r.run_id for r in opened] == [november.run_id, september_again.run_id, september.run_id]
    assert [r.run_id for r in list_runs(p, period=types_pb2.Period(month="2026-09"))] == [
        september_again.run_id,
        september.run_id,
    ]
    assert list_runs(p, period=types_pb2.Period(month="2026-12")) == []


def test_listing_runs_names_each_bad_field(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement

    def refused(**fields) -> set[str]:  # type: ignore[no-untyped-def]
        with pytest.raises(grpc.RpcError) as raised:
            p.stub.ListRuns(disbursement_pb2.ListRunsRequest(**fields), metadata=AS_CLERK, timeout=10)
        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        return {f for f, _ in field_violations_from(raised.value)}

    county = types_pb2.RegionCode(code=COUNTY)
    assert refused(region=county, page=types_pb2.PageRequest(page_size=-1)) == {"page.page_size"}
    assert refused(region=county, states=[disbursement_pb2.RUN_STATE_HELD, 99]) == {"states[1]"}
    assert refused(
        region=types_pb2.RegionCode(code="64040"),
        period=types_pb2.Period(month="2026-13"),
        page=types_pb2.PageRequest(page_token=encode_token("not-a-run")),
    ) == {"region.code", "period.month", "page.page_token"}


class _AnsweringInParts:
    """The bank's books, answering only the first payment of each batch the first time it is asked."""

    def __init__(self, bank) -> None:  # type: ignore[no-untyped-def]
        self.bank = bank
        self.asked: set[str] = set()

    def submit(self, request_id: str, orders: list) -> str:  # type: ignore[type-arg]
        return self.bank.submit(request_id, orders)

    def status(self, batch_id: str) -> list:  # type: ignore[type-arg]
        results = self.bank.status(batch_id)
        if batch_id in self.asked:
            return results
        self.asked.add(batch_id)
        return [r._replace(result="PENDING") if i else r for i, r in enumerate(results)]


def test_a_batch_answered_in_parts_settles_each_payment_once(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    run = released_seven(p)
    in_parts = PayrollUseCases(p.context, _AnsweringInParts(p.use_cases.bank))
    while in_parts.send_to_bank():
        pass
    assert in_parts.reconcile() > 0
    first_answers = dict(get_run(p, run.run_id).payments_by_state)
    assert sum(first_answers.values()) == 8
    assert first_answers["SUBMITTED"] == 8 - len(in_parts.bank.asked), "one answer per batch so far"
    assert get_run(p, run.run_id).state == disbursement_pb2.RUN_STATE_RELEASED
    in_parts.reconcile()
    closed = get_run(p, run.run_id)
    assert closed.state == disbursement_pb2.RUN_STATE_CLOSED
    assert dict(closed.payments_by_state) == {"SETTLED": 7, "RETURNED": 1}, "as when answered whole"
    assert p.bank.ledger.paid_count() == 8


class _CountingBank:
    """The bank, counting which batches it is sent and asked about."""

    def __init__(self, bank) -> None:  # type: ignore[no-untyped-def]
        self.bank = bank
        self.sent: list[str] = []
        self.asked: list[str] = []

    def submit(self, request_id: str, orders: list) -> str:  # type: ignore[type-arg]
        self.sent.append(request_id)
        return self.bank.submit(request_id, orders)

    def status(self, batch_id: str) -> list:  # type: ignore[type-arg]
        self.asked.append(batch_id)
        return self.bank.status(batch_id)


def test_replicas_share_the_batches_one_sends_and_asks_about_each(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    run = released_seven(p)
    now = datetime.now(UTC)
    bank = _CountingBank(p.use_cases.bank)
    replica = PayrollUseCases(p.context, bank, clock=lambda: now)
    after_the_lease = PayrollUseCases(p.context, bank, clock=lambda: now + timedelta(minutes=3))
    with p.context.database.read() as session:
        batches = [row.batch_request_id for row in store.open_batches(session, store.FORMED)]
    held_elsewhere = batches[0]
    with p.context.database.transaction() as session:
        assert store.claim_batch(session, held_elsewhere, store.FORMED, now, now + timedelta(minutes=2))

    while replica.send_to_bank():
        pass
    assert sorted(bank.sent) == sorted(batches[1:]), "the batch another worker holds is left to it"
    while after_the_lease.send_to_bank():
        pass
    assert sorted(bank.sent) == sorted(batches), "a lease that ran out is taken over; each batch sent once"

    with p.context.database.read() as session:
        submitted = {
            row.batch_request_id: row.bank_batch_id for row in store.open_batches(session, store.SUBMITTED)
        }
    with p.context.database.transaction() as session:
        assert store.claim_batch(session, held_elsewhere, store.SUBMITTED, now, now + timedelta(minutes=2))
    replica.reconcile()
    assert sorted(bank.asked) == sorted(submitted[b] for b in batches[1:])
    assert get_run(p, run.run_id).state == disbursement_pb2.RUN_STATE_RELEASED
    after_the_lease.reconcile()
    assert sorted(bank.asked) == sorted(submitted.values()), "each batch asked about once"
    assert get_run(p, run.run_id).state == disbursement_pb2.RUN_STATE_CLOSED
    assert p.bank.ledger.paid_count() == 8
