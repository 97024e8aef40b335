"""Seeded fault schedules against real processes: a real broker, the bank simulator and disbursement as OS
processes on a SQLite store (a PostgreSQL one with FAULT_STORE=postgresql). Each schedule publishes a
county's entitlement events (every one twice, the second copies out of order and some late), runs the
month's payroll through the gRPC API and, at points its seed picks, SIGKILLs disbursement and starts it
again, restarts the broker, makes the bank time out after booking, fail, or go down. Afterwards, read only
through disbursement's API and the bank simulator's books: every (beneficiary, programme, period, component)
due is paid once, in one bank batch, with the roster's amount, and the run's totals are the roster's.

FAULT_SCHEDULES sets how many schedules run (50 by default; `make bench` runs more), FAULT_SEED the
first seed; a failing schedule is replayed by its seed.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from google.protobuf.message import Message

from doudi.bank.v1 import bank_pb2
from doudi.common.v1 import programme_pb2, types_pb2
from doudi.common.v1.envelope_pb2 import EventEnvelope
from doudi.disbursement.v1 import disbursement_pb2
from doudi.eligibility.v1 import eligibility_pb2
from doudi.eligibility.v1 import events_pb2 as eligibility_events
from doudi_runtime.events.envelope import new_envelope

pytestmark = [pytest.mark.fault, pytest.mark.broker]

SCHEDULES = int(os.environ.get("FAULT_SCHEDULES", "50"))
FIRST_SEED = int(os.environ.get("FAULT_SEED", "0"))
PERIOD = "2026-12"
#: Suspensions are announced in November: payment holds from December, the run's month.
SUSPENDED_ON = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)
#: The bank simulator returns payments to accounts ending so ("account closed").
CLOSED_ACCOUNT_ENDING = "0000"
STEP_TIMEOUT_SECONDS = 60.0
RETURNED, SETTLED = bank_pb2.PAYMENT_RESULT_RETURNED, bank_pb2.PAYMENT_RESULT_SETTLED

PHASES = ("consuming", "generating", "approving", "submitting", "reconciling")
BROKER_RESTART_PHASES = ("consuming", "generating", "submitting")


@dataclass(frozen=True)
class Due:
    amount_fen: int
    returned: bool


@dataclass
class Roster:
    """One county's entitlement events and what they make due for PERIOD, by payment identity."""

    county: str
    beneficiary_prefix: str
    first_delivery: list[EventEnvelope]
    due: dict[tuple[str, str, str, str], Due]

    @property
    def total_fen(self) -> int:
        return sum(d.amount_fen for d in self.due.values())


def _entitlement(
    entitlement_id: str,
    beneficiary: str,
    programme: str,
    township: str,
    start: str,
    components: dict[str, int],
    account: str,
) -> eligibility_pb2.Entitlement:
    return eligibility_pb2.Entitlement(
        entitlement_id=entitlement_id,
        subject_id=beneficiary,
        programme=programme_pb2.Programme.Value(f"PROGRAMME_{programme}"),
        state=eligibility_pb2.ENTITLEMENT_STATE_ACTIVE,
        monthly_amount=types_pb2.Money(amount_fen=sum(components.values())),
        start_month=types_pb2.Period(month=start),
        region=types_pb2.RegionCode(code=township),
        components=[
            eligibility_pb2.EntitlementComponent(
                component=programme_pb2.BenefitComponent.Value(f"BENEFIT_COMPONENT_{name}"),
                monthly_amount=types_pb2.Money(amount_fen=amount),
            )
            for name, amount in components.items()
        ],
        payee=eligibility_pb2.Payee(account_name=f"户主{beneficiary[-2:]}", account_number=account),
    )


def _envelope(payload: Message, beneficiary: str, occurred: datetime | None = None) -> EventEnvelope:
    envelope = new_envelope(payload, producer="eligibility", subject_key=beneficiary)
    if occurred is not None:
        envelope.occurred_at.FromDatetime(occurred)
    return envelope


def _components(rng: random.Random, tekun: bool) -> dict[str, int]:
    components = {"BASE": rng.randrange(10_000, 120_000)}
    if tekun:
        components["CARE"] = rng.randrange(5_000, 60_000)
    return components


def draw_roster(rng: random.Random, index: int) -> Roster:
    """Entitlements that start before, in or after the month; some changed, ended or suspended."""
    city, county_number = divmod(index, 99)
    county = f"64{city + 1:02d}{county_number + 1:02d}000000"
    townships = [f"{county[:6]}{100 + t:03d}000" for t in range(rng.randint(1, 3))]
    prefix = f"hh-s{index:05d}-"
    #: Now and then a county whose every household is suspended: a run that pays nobody.
    quiet = rng.random() < 0.06
    histories: list[list[EventEnvelope]] = []
    due: dict[tuple[str, str, str, str], Due] = {}
    for n in range(rng.randint(2, 12)):
        beneficiary, entitlement_id = f"{prefix}{n:02d}", f"ent-s{index:05d}-{n:02d}"
        tekun = rng.random() < 0.3
        programme = "TEKUN" if tekun else "DIBAO"
        township = rng.choice(townships)
        start = rng.choice(("2026-06", "2026-10", "2026-12", "2026-12", "2027-01"))
        closed = rng.random() < 0.15
        account = f"62284800{index:04d}{n:02d}" + (CLOSED_ACCOUNT_ENDING if closed else f"{n + 1:04d}")
        components = _components(rng, tekun)
        entitlement = _entitlement(
            entitlement_id, beneficiary, programme, township, start, components, account
        )
        history = [_envelope(eligibility_events.EntitlementActivated(entitlement=entitlement), beneficiary)]
        in_force = dict(components) if start <= PERIOD else {}
        roll = 0.4 if quiet else rng.random()
        if roll < 0.25:
            effective = rng.choice(("2026-11", "2026-12", "2027-01"))
            after = _components(rng, tekun)
            changed = _entitlement(entitlement_id, beneficiary, programme, township, start, after, account)
            history.append(
                _envelope(
                    eligibility_events.EntitlementChanged(
                        before=entitlement,
                        after=changed,
                        effective_month=types_pb2.Period(month=effective),
                        reason="income re-assessed",
                    ),
                    beneficiary,
                )
            )
            if start <= PERIOD and effective <= PERIOD:
                in_force = after
        elif roll < 0.35 and start <= "2026-10":
            last = rng.choice(("2026-11", "2026-12"))
            history.append(
                _envelope(
                    eligibility_events.EntitlementTerminated(
                        entitlement=entitlement,
                        reason="household left",
                        last_month=types_pb2.Period(month=last),
                    ),
                    beneficiary,
                )
            )
            if last < PERIOD:
                in_force = {}
        elif roll < 0.45:
            history.append(
                _envelope(
                    eligibility_events.EntitlementSuspended(entitlement=entitlement, reason="annual review"),
                    beneficiary,
                    SUSPENDED_ON,
                )
            )
            in_force = {}
        for component, amount in in_force.items():
            due[(beneficiary, programme, PERIOD, component)] = Due(amount, closed)
        histories.append(history)
    return Roster(county, prefix, _interleave(rng, histories), due)


def _interleave(rng: random.Random, histories: list[list[EventEnvelope]]) -> list[EventEnvelope]:
    """One household's events in their order, the households' events mixed."""
    queues = [list(h) for h in histories]
    merged: list[EventEnvelope] = []
    while any(queues):
        queue = rng.choice([q for q in queues if q])
        merged.append(queue.pop(0))
    return merged


@dataclass
class FaultPlan:
    """Where a schedule's faults strike; drawn from its seed."""

    kills: set[str]
    broker_restart: str | None
    bank_fault: str
    bank_window_seconds: float
    redeliver_at: str
    kill_after_written: int
    log: list[str] = field(default_factory=list)

    @classmethod
    def draw(cls, rng: random.Random) -> FaultPlan:
        return cls(
            kills={phase for phase in PHASES if rng.random() < 0.15},
            broker_restart=rng.choice(BROKER_RESTART_PHASES) if rng.random() < 0.1 else None,
            bank_fault=rng.choices(("none", "timeout", "down", "errors"), weights=(3, 3, 2, 2))[0],
            bank_window_seconds=rng.uniform(0.3, 1.5),
            redeliver_at=rng.choice(("consuming", "generating", "submitting")),
            kill_after_written=rng.randint(1, 8),
        )


class Schedule:
    """Drives one county's month through the API while the plan's faults strike."""

    def __init__(self, platform, rng: random.Random, seed: int, roster: Roster, plan: FaultPlan) -> None:  # type: ignore[no-untyped-def]
        self.platform, self.rng, self.seed, self.roster, self.plan = platform, rng, seed, roster, plan
        self.heal_bank_at: float | None = None
        self.started = time.monotonic()

    def note(self, what: str) -> None:
        self.plan.log.append(f"{time.monotonic() - self.started:.2f}s {what}")

    # -- faults -----------------------------------------------------------------------------------

    def tick(self) -> None:
        if self.heal_bank_at is not None and time.monotonic() >= self.heal_bank_at:
            self.platform.bank_faults(seed=self.seed)
            self.heal_bank_at = None
            self.note("bank healed")
        self.platform.disbursement.check_alive()

    def kill(self, where: str) -> None:
        """SIGKILL disbursement; it comes back with other batch and page sizes, as after a redeploy."""
        self.note(f"killed {where}")
        self.platform.kill_disbursement(
            BANK_BATCH_SIZE=str(self.rng.choice((1, 2, 3, 7, 1000))),
            ROSTER_PAGE_SIZE=str(self.rng.choice((1, 2, 5, 1000))),
        )

    def strike(self, phase: str, second_delivery: list[EventEnvelope]) -> None:
        if self.plan.redeliver_at == phase:
            self.platform.publish(second_delivery)
            self.note(f"redelivered {phase}")
        if self.plan.broker_restart == phase:
            self.platform.restart_broker(outage_seconds=self.rng.uniform(0, 1))
            self.note(f"broker restarted {phase}")

    def start_bank_fault(self) -> None:
        fault = self.plan.bank_fault
        if fault == "none":
            return
        faults = {
            "timeout": {"timeout_after_commit_permille": 600},
            "down": {"down": True},
            "errors": {"error_permille": 500},
        }[fault]
        self.platform.bank_faults(seed=self.seed, **faults)
        self.heal_bank_at = time.monotonic() + self.plan.bank_window_seconds
        self.note(f"bank {fault} for {self.plan.bank_window_seconds:.1f} s")

    # -- the API ----------------------------------------------------------------------------------

    def get_run(self, run_id: str) -> disbursement_pb2.Run:
        request = disbursement_pb2.GetRunRequest(run_id=run_id)
        return self.platform.call(self.platform.payroll.GetRun, request, self.platform.CLERK).run

    def wait_for(self, run_id: str, condition: Callable[[disbursement_pb2.Run], bool], what: str) -> None:
        self.platform.wait_until(
            lambda: condition(self.get_run(run_id)), timeout=STEP_TIMEOUT_SECONDS, what=what, tick=self.tick
        )

    def generate(self) -> disbursement_pb2.Run:
        request = disbursement_pb2.GenerateMonthlyRunRequest(
            request_id=f"gen-{self.seed}",
            period=types_pb2.Period(month=PERIOD),
            region=types_pb2.RegionCode(code=self.roster.county),
        )
        return self.platform.call(self.platform.payroll.GenerateMonthlyRun, request, self.platform.CLERK).run

    def approve(self, run: disbursement_pb2.Run) -> disbursement_pb2.Run:
        request = disbursement_pb2.ApproveRunRequest(
            request_id=f"ok-{self.seed}",
            run_id=run.run_id,
            expected_payment_count=run.payment_count,
            expected_total_fen=run.total_fen,
        )
        return self.platform.call(self.platform.payroll.ApproveRun, request, self.platform.FINANCE).run

    # -- the month --------------------------------------------------------------------------------

    def run(self) -> str:
        platform, plan, rng = self.platform, self.plan, self.rng
        second = list(self.roster.first_delivery)
        rng.shuffle(second)  # a household's events heard again, and out of their order

        platform.bank_faults(seed=self.seed)
        platform.publish(self.roster.first_delivery)
        if "consuming" in plan.kills:
            time.sleep(rng.uniform(0, 0.3))
            self.kill("while consuming")
        self.strike("consuming", second)
        platform.wait_until(
            platform.consumed_everything, timeout=STEP_TIMEOUT_SECONDS, what="the roster", tick=self.tick
        )
        self.note("roster consumed")

        run = self.generate()
        if "generating" in plan.kills:
            self.wait_for(
                run.run_id,
                lambda r: (
                    sum(r.payments_by_state.values()) >= plan.kill_after_written
                    or r.state != disbursement_pb2.RUN_STATE_GENERATING
                ),
                "payments written",
            )
            self.kill(f"after {sum(self.get_run(run.run_id).payments_by_state.values())} payments written")
            # The clerk, who never saw the answer, asks again with the same request id: the same run.
            assert self.generate().run_id == run.run_id
        self.strike("generating", second)
        self.wait_for(
            run.run_id, lambda r: r.state == disbursement_pb2.RUN_STATE_AWAITING_APPROVAL, "generation"
        )
        generated = self.get_run(run.run_id)
        self.note("generated")
        assert (generated.payment_count, generated.total_fen) == (len(self.roster.due), self.roster.total_fen)

        self.start_bank_fault()
        self.approve(generated)
        if "approving" in plan.kills:
            time.sleep(rng.uniform(0, 0.1))
            self.kill("after the approval")
            assert self.approve(generated).run_id == run.run_id

        if "submitting" in plan.kills:
            self.wait_for(
                run.run_id,
                lambda r: (
                    r.payments_by_state.get("PENDING", 0) < r.payment_count
                    or r.state == disbursement_pb2.RUN_STATE_CLOSED
                ),
                "the first batches",
            )
            self.kill(f"during submission {dict(self.get_run(run.run_id).payments_by_state)}")
        self.strike("submitting", second)
        if "reconciling" in plan.kills:
            self.wait_for(
                run.run_id,
                lambda r: r.payments_by_state.get("PENDING", 0) == 0,
                "every batch sent",
            )
            self.kill(f"during reconciliation {dict(self.get_run(run.run_id).payments_by_state)}")
        self.wait_for(run.run_id, lambda r: r.state == disbursement_pb2.RUN_STATE_CLOSED, "the run to close")
        self.note("closed")
        if self.heal_bank_at is not None:
            self.heal_bank_at = time.monotonic()
            self.tick()
        return run.run_id


def _identity(payment: disbursement_pb2.Payment) -> tuple[str, str, str, str]:
    return (
        payment.beneficiary_id,
        programme_pb2.Programme.Name(payment.programme).removeprefix("PROGRAMME_"),
        payment.period.month,
        programme_pb2.BenefitComponent.Name(payment.component).removeprefix("BENEFIT_COMPONENT_"),
    )


def payments_of(platform, run_id: str) -> list[disbursement_pb2.Payment]:  # type: ignore[no-untyped-def]
    payments: list[disbursement_pb2.Payment] = []
    token = ""
    while True:
        request = disbursement_pb2.ListPaymentsRequest(
            run_id=run_id, page=types_pb2.PageRequest(page_size=50, page_token=token)
        )
        answer = platform.call(platform.payroll.ListPayments, request, platform.CLERK)
        payments.extend(answer.payments)
        token = answer.page.next_page_token
        if not token:
            return payments


@pytest.mark.parametrize("index", range(SCHEDULES))
def test_every_identity_is_paid_once_whatever_fails(fault_platform, index: int) -> None:  # type: ignore[no-untyped-def]
    seed = FIRST_SEED + index
    rng = random.Random(seed)
    roster = draw_roster(rng, index)
    plan = FaultPlan.draw(rng)
    schedule = Schedule(fault_platform, rng, seed, roster, plan)
    try:
        run_id = schedule.run()
    finally:
        fault_platform.forget_events()
    story = f"seed {seed}: {'; '.join(plan.log)}"
    print(story)

    run = schedule.get_run(run_id)
    assert (run.payment_count, run.total_fen) == (len(roster.due), roster.total_fen), story
    payments = payments_of(fault_platform, run_id)
    assert sorted(_identity(p) for p in payments) == sorted(roster.due), story
    for payment in payments:
        due = roster.due[_identity(payment)]
        assert payment.amount.amount_fen == due.amount_fen, story
        expected_state = "RETURNED" if due.returned else "SETTLED"
        assert disbursement_pb2.PaymentState.Name(payment.state) == f"PAYMENT_STATE_{expected_state}", story

    booked = {b.idempotency_key: b for b in fault_platform.booked(roster.beneficiary_prefix)}
    assert sorted(booked) == sorted(p.idempotency_key for p in payments), story
    for payment in payments:
        at_bank = booked[payment.idempotency_key]
        assert at_bank.amount_fen == payment.amount.amount_fen, story
        assert len(at_bank.batch_request_ids) == 1, f"{story}: {payment.idempotency_key} in two batches"
        returned = roster.due[_identity(payment)].returned
        assert at_bank.result == (RETURNED if returned else SETTLED), story
    assert sum(b.amount_fen for b in booked.values()) == roster.total_fen, story
    assert fault_platform.disbursement.unexpected_exits == [], f"{story}: disbursement died by itself"
