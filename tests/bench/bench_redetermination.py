"""Benchmark: Dibao re-determination after a new standard, and single Assess calls over gRPC (issue 4).

1. Rules in memory: the bulk Dibao evaluation (``DibaoRates``) over BENCH_RULE_HOUSEHOLDS (1,000,000)
   synthetic households, the number comparable with OpenFisca's bulk runs, beside the single-household rule
   (``assess_dibao``, with its explanation) on a sample of the same run; both must decide alike.
2. Through the store, on SQLite and on PostgreSQL (when 127.0.0.1:5432 answers): BENCH_REDETERMINATION_
   HOUSEHOLDS approved urban households, each its own case and entitlement, are loaded directly (not timed);
   the timed part is what production does when a city publishes a new urban standard: validate and store the
   version, then re-determine every entitlement in batches (each with its audit records, its
   EntitlementChanged events and the run's cursor, in its own transaction). The baseline is an executemany
   UPDATE of every entitlement's amount and body (the least any re-determination must write).
3. Assess over gRPC through doudi's server chain (p50/p99, one fresh case per call, SQLite store) beside a
   bare gRPC echo measured in the same run. Each server runs in its own process, as callers meet it (a
   client in the same process would share the service's interpreter lock); both get the same warm-up.

Sizes: BENCH_RULE_HOUSEHOLDS (default 1000000), BENCH_REDETERMINATION_HOUSEHOLDS (default 20000, about a
minute on both stores; 1000000 for a province), BENCH_REDETERMINATION_DATABASES (default
"sqlite,postgresql"), BENCH_ASSESS_CALLS (default 1000).
"""

from __future__ import annotations

import multiprocessing
import os
import random
import resource
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from fractions import Fraction
from multiprocessing.connection import Connection
from pathlib import Path

import grpc
from bench_grpc import bare_echo
from sqlalchemy import bindparam, event, func, insert, select, text, update

from doudi.eligibility.v1 import eligibility_pb2, eligibility_pb2_grpc
from doudi_common.disability import Disability, DisabilityType
from doudi_common.parameters import Parameters, shipped_registry
from doudi_common.period import Period
from doudi_eligibility.app.common import Actor
from doudi_eligibility.app.parameters import NewVersion
from doudi_eligibility.domain.case_file import (
    Applicant,
    ApplicationFacts,
    MemberFindings,
    ReportFacts,
    SurveyFacts,
)
from doudi_eligibility.domain.explain import Category, Outcome, Programme
from doudi_eligibility.domain.machines.entitlement import Entitlement, State
from doudi_eligibility.domain.machines.procedure import Case, Step
from doudi_eligibility.domain.machines.roles import Role
from doudi_eligibility.domain.rules.dibao import assess_dibao
from doudi_eligibility.domain.rules.dibao_bulk import DibaoFacts, DibaoRates, facts_of
from doudi_eligibility.domain.rules.facts import (
    AssetTest,
    CategoryOverride,
    Household,
    HouseholdType,
    Income,
    Member,
    Person,
)
from doudi_eligibility.main import DEFINITION, EligibilitySettings, build
from doudi_eligibility.store import records
from doudi_eligibility.store.tables import cases, entitlements
from doudi_runtime.grpc.server import GrpcServer
from doudi_runtime.service import build_context, migrate
from doudi_runtime.testing.databases import (
    create_postgres_database,
    drop_postgres_database,
    postgres_reachable,
)

RULE_HOUSEHOLDS = int(os.environ.get("BENCH_RULE_HOUSEHOLDS", "1000000"))
HOUSEHOLDS = int(os.environ.get("BENCH_REDETERMINATION_HOUSEHOLDS", "20000"))
ASSESS_CALLS = int(os.environ.get("BENCH_ASSESS_CALLS", "1000"))
DATABASES = tuple(os.environ.get("BENCH_REDETERMINATION_DATABASES", "sqlite,postgresql").split(","))
SINGLE_SAMPLE = 5_000
VILLAGE, TOWNSHIP, CITY = "640402100201", "640402100000", "640400000000"
NOW = datetime(2025, 6, 10, 2, 0, tzinfo=UTC)
TOKEN = "bench-token"
MEMBERS = (
    Applicant(0, "640402198403091139", "李明", True, True),
    Applicant(1, "640402198607021247", "王芳", True, True),
    Applicant(2, "640402201105201373", "李小军", True, True),
)
SURVEY = SurveyFacts("svy_bench", ("a", "b"), "入户核实", False)
ASSETS = (("dibao.assets.financial_pc", "PASS", ""), ("dibao.assets.housing", "PASS", ""))


def _ex_gy(on: date = date(2025, 7, 1)) -> Parameters:
    return shipped_registry().resolve(VILLAGE, on)


# -- 1. rules in memory ------------------------------------------------------------------------


def _household(rng: random.Random, index: int) -> Household:
    """A synthetic household: 1–6 members of any age, some disabled or ill, incomes around the standards."""
    members = []
    for m in range(rng.choice((1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 6))):
        gross = rng.choice((0, rng.randrange(0, 1_000_000), rng.randrange(0, 4_000_000)))
        disabled = rng.random() < 0.08
        members.append(
            Member(
                Person(
                    f"p{index}-{m}",
                    rng.randrange(0, 95),
                    disability=Disability(rng.choice(list(DisabilityType)), rng.randrange(1, 5))
                    if disabled
                    else None,
                    seriously_ill=rng.random() < 0.05,
                    lost_labour_capacity=rng.random() < 0.03,
                ),
                Income(gross, rng.randrange(0, gross + 1), rng.choice((0, 0, 0, rng.randrange(0, 300_000)))),
            )
        )
    return Household(
        f"h{index}",
        HouseholdType.URBAN if rng.random() < 0.4 else HouseholdType.RURAL,
        tuple(members),
        rng.random() < 0.5,
        (AssetTest("financial", Outcome.FAIL if rng.random() < 0.05 else Outcome.PASS),),
        category_override=CategoryOverride(Category.A, "核实") if rng.random() < 0.02 else None,
    )


def _synthetic_facts(count: int, seed: int) -> Iterator[list[DibaoFacts]]:
    """Distinct synthetic households in chunks (memory stays bounded whatever the count)."""
    rng = random.Random(seed)
    kinds = ("", "", "", "", "", "", "", "", "PHYSICAL", "VISUAL", "INTELLECTUAL", "MENTAL", "MULTIPLE")
    pool = [
        (
            age := rng.randrange(0, 95),
            kind := rng.choice(kinds),
            rng.randrange(1, 5) if kind else 0,
            rng.random() < 0.05,
            rng.random() < 0.03 and age > 30,
        )
        for _ in range(50_000)
    ]
    chunk = 100_000
    for start in range(0, count, chunk):
        facts = []
        for _ in range(min(chunk, count - start)):
            n = rng.choice((1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 6))
            gross = rng.randrange(0, 1_200_000 * n)
            facts.append(
                DibaoFacts(
                    rng.random() < 0.4,
                    n,
                    gross,
                    rng.randrange(0, gross + 1),
                    rng.choice((0, 0, 0, rng.randrange(0, 300_000))),
                    rng.random() > 0.05,
                    rng.random() > 0.03,
                    rng.random() < 0.5,
                    Category.A if rng.random() < 0.02 else None,
                    tuple(rng.choice(pool) for _ in range(n)),
                )
            )
        yield facts


def _rules(count: int) -> list[str]:
    params = _ex_gy().override({"dibao.std.urban.monthly": Fraction(600)})
    rates = DibaoRates.of(params)
    evaluate = rates.evaluate
    seconds = 0.0
    approved = 0
    for facts in _synthetic_facts(count, seed=4):
        started = time.perf_counter()
        outcomes = [evaluate(f) for f in facts]
        seconds += time.perf_counter() - started
        approved += sum(1 for o in outcomes if o.approved)
    rng = random.Random(5)
    sample = [_household(rng, i) for i in range(SINGLE_SAMPLE)]
    started = time.perf_counter()
    singles = [assess_dibao(h, params).decision for h in sample]
    single_seconds = time.perf_counter() - started
    flat = [facts_of(h) for h in sample]
    started = time.perf_counter()
    bulk = [evaluate(f) for f in flat]
    bulk_sample_seconds = time.perf_counter() - started
    for d, b in zip(singles, bulk, strict=True):
        if (d.approved, d.monthly_amount_fen if d.approved else 0, d.category) != b[:3]:
            raise RuntimeError(f"bulk and single rules disagree on {d.household_id}")
    return [
        f"rules in memory: bulk Dibao evaluation of {count} synthetic households: {seconds:6.2f} s"
        f" ({count / seconds:8.0f} households/s; {approved / count:.0%} approved;"
        " bar 100000/s, OpenFisca country template ≈130000/s)",
        f"rules in memory: single-household rule with explanation (baseline), {SINGLE_SAMPLE} households:"
        f" {SINGLE_SAMPLE / single_seconds:8.0f} households/s; bulk on the same sample"
        f" {SINGLE_SAMPLE / bulk_sample_seconds:8.0f}/s (ratio {single_seconds / bulk_sample_seconds:.0f}×,"
        " decisions identical)",
    ]


# -- 2. through the store ----------------------------------------------------------------------


def _settings(url: str, work: Path, **extra: object) -> EligibilitySettings:
    return EligibilitySettings(
        grpc_port=0,
        metrics_port=0,
        data_dir=work,
        database_url=url,
        shutdown_grace_seconds=0,
        **extra,  # type: ignore[arg-type]
    )


def _rows(count: int) -> Iterator[tuple[list[dict[str, object]], list[dict[str, object]], int]]:
    """Approved urban households of three with monthly wages of 1,500–1,820 yuan, and their entitlements at
    the amount the EX-GY set gave them; yields chunks of rows and the amounts they should have at 600."""
    before = DibaoRates.of(_ex_gy(date(2025, 4, 1)))
    after = DibaoRates.of(_ex_gy().override({"dibao.std.urban.monthly": Fraction(600)}))
    for start in range(0, count, 5_000):
        case_rows, entitlement_rows, expected = [], [], 0
        for index in range(start, min(start + 5_000, count)):
            application_id = f"app_{index:08d}"
            wages = 1_800_000 + (index % 400) * 1_000
            report = ReportFacts("rep_bench", "EX", wages, (MemberFindings(0, wages, wages, 0),), ASSETS)
            application = ApplicationFacts(
                application_id, "DIBAO", TOWNSHIP, VILLAGE, HouseholdType.URBAN, MEMBERS, NOW
            )
            case = replace(Case.accepted(application_id, date(2025, 3, 3)), step=Step.APPROVED)
            record = records.CaseRecord(case, application, report, SURVEY, date(2025, 4, 15))
            case_rows.append({"application_id": application_id, **records._case_values(record, NOW)})
            facts = DibaoFacts(
                True, 3, wages, wages, 0, True, True, False, None, ((42, "", 0, False, False),) * 3
            )
            amount = before.evaluate(facts).monthly_amount_fen
            expected += after.evaluate(facts).monthly_amount_fen
            held = records.EntitlementRecord(
                Entitlement(f"ent_{index:08d}", Programme.DIBAO, State.ACTIVE, amount, Period(2025, 4)),
                application_id,
                application_id,
                TOWNSHIP,
                "李明",
                Category.C,
                "EX",
                "d",
            )
            entitlement_rows.append(
                {"entitlement_id": held.entitlement_id, **records._entitlement_values(held, NOW)}
            )
        yield case_rows, entitlement_rows, expected


def _load(url: str, work: Path, count: int):  # type: ignore[no-untyped-def]
    settings = _settings(url, work, auth_mode="off")
    migrate(DEFINITION, settings)
    context = build_context(DEFINITION, settings)
    database = context.persistence().database
    expected = 0
    for case_rows, entitlement_rows, amounts in _rows(count):
        with database.transaction() as session:
            session.execute(insert(cases), case_rows)
            session.execute(insert(entitlements), entitlement_rows)
        expected += amounts
    return context, expected


def _raw_update_seconds(context) -> float:  # type: ignore[no-untyped-def]
    """An executemany UPDATE of every entitlement's amount and body, a page of rows at a time in one
    transaction (reading the pages is not timed). The body is bound through its column's type, as the
    service writes it (sealed at rest where the column says so)."""
    database = context.persistence().database
    update_rows = (
        update(entitlements)
        .where(entitlements.c.entitlement_id == bindparam("id"))
        .values(monthly_amount_fen=entitlements.c.monthly_amount_fen + 1, body=bindparam("body"))
    )
    elapsed = 0.0
    after = ""
    with database.transaction() as session:
        while True:
            rows = session.execute(
                select(entitlements.c.entitlement_id, entitlements.c.body)
                .where(entitlements.c.entitlement_id > after)
                .order_by(entitlements.c.entitlement_id)
                .limit(5_000)
            ).all()
            if not rows:
                break
            after = rows[-1].entitlement_id
            started = time.perf_counter()
            session.execute(
                update_rows, [{"body": body, "id": entitlement_id} for entitlement_id, body in rows]
            )
            elapsed += time.perf_counter() - started
        started = time.perf_counter()
    elapsed += time.perf_counter() - started  # the commit
    with database.transaction() as session:
        session.execute(text("UPDATE entitlements SET monthly_amount_fen = monthly_amount_fen - 1"))
    return elapsed


def _redetermination_seconds(context, count: int, expected: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """The run's wall-clock seconds and the benchmark process's CPU seconds during it."""
    app = build(context, clock=lambda: NOW)
    version = NewVersion(
        "GY-2025-07", CITY, date(2025, 7, 1), "bench", {"dibao.std.urban.monthly": "600"}, {}
    )
    cpu = time.process_time()
    started = time.perf_counter()
    _, result = app.standards.publish("bench-publish", version, Actor(Role.COUNTY, "county-bench"))
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    if not result.done or result.changed != count:
        raise RuntimeError(f"re-determined {result.changed} of {count} entitlements")
    with context.persistence().database.read() as session:
        amounts = session.execute(select(func.sum(entitlements.c.monthly_amount_fen))).scalar_one()
    if amounts != expected:
        raise RuntimeError(f"the new amounts add up to {amounts} fen, not {expected}")
    return elapsed, cpu


def _store(name: str, url: str, work: Path, count: int) -> list[str]:
    context, expected = _load(url, work, count)
    try:
        raw = _raw_update_seconds(context)
        run, cpu = _redetermination_seconds(context, count, expected)
    finally:
        context.persistence().database.dispose()
    return [
        f"{name}: raw bulk update of {count} entitlement rows (baseline): {raw:7.2f} s"
        f" ({count / raw:8.0f} rows/s)",
        f"{name}: publish a standard + re-determine {count} entitlements in batches (events, audit):"
        f" {run:7.2f} s ({count / run:8.0f} households/s; CPU {cpu * 1e6 / count:.0f} µs per household)",
        f"{name}: re-determination / raw update time ratio: {run / raw:.1f}",
    ]


# -- 3. Assess over gRPC -----------------------------------------------------------------------


def _assess_settings(work: Path) -> EligibilitySettings:
    return _settings(
        f"sqlite:///{work / 'assess.db'}",
        work,
        auth_tokens=f'{{"{TOKEN}": "eligibility-bench"}}',
        client_token=TOKEN,
    )


def _seed_assess_cases(work: Path, cases: int) -> None:
    settings = _assess_settings(work)
    migrate(DEFINITION, settings)
    context = build_context(DEFINITION, settings)
    database = context.persistence().database
    accepted = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)
    with database.transaction() as session:
        for index in range(cases):
            application_id = f"app_assess_{index:06d}"
            wages = 1_800_000 + (index % 400) * 1_000
            report = ReportFacts("rep_1", "EX", wages, (MemberFindings(0, wages, wages, 0),), ASSETS)
            application = ApplicationFacts(
                application_id, "DIBAO", TOWNSHIP, VILLAGE, HouseholdType.URBAN, MEMBERS, accepted
            )
            case = Case(application_id, Step.INITIAL_OPINION, date(2025, 3, 3), True, True)
            records.insert_case(
                session, records.CaseRecord(case, application, report, SURVEY, date(2025, 4, 15)), accepted
            )
    database.dispose()


def serve_assess(work: str, control: Connection) -> None:
    """The eligibility service in its own process, as callers meet it: sends its port; after the warm-up
    counts the SQL statements of the calls it is told to count, then, without counting (a listener on
    every statement would slow what is measured), the CPU time it uses until told to stop; sends both."""
    settings = _assess_settings(Path(work))
    context = build_context(DEFINITION, settings)
    database = context.persistence().database
    app = build(context, clock=lambda: datetime(2025, 3, 11, 1, 0, tzinfo=UTC))
    context.shared("eligibility-app", lambda: app)
    statements = [0]

    def count(*_: object) -> None:
        statements[0] += 1

    server = GrpcServer(settings, list(DEFINITION.grpc_bindings(context)))
    control.send(server.start())
    control.recv()  # the warm-up is done: count the statements of the next calls
    event.listen(database.engine, "before_cursor_execute", count)
    control.recv()  # counted: measure from here
    event.remove(database.engine, "before_cursor_execute", count)
    cpu = time.process_time()
    control.recv()
    control.send((statements[0], time.process_time() - cpu))
    server.stop(0)
    database.dispose()


#: Calls whose SQL statements are counted, between the warm-up and the measured calls.
COUNTED_CALLS = 100


def _assess_latencies(work: Path, calls: int, warmup: int) -> dict[str, float]:
    _seed_assess_cases(work, warmup + COUNTED_CALLS + calls)
    control, child_end = multiprocessing.get_context("spawn").Pipe()
    server = multiprocessing.get_context("spawn").Process(
        target=serve_assess, args=(str(work), child_end), daemon=True
    )
    server.start()
    actor = eligibility_pb2.Actor(role=eligibility_pb2.ACTOR_ROLE_TOWNSHIP, user_id="township-07")
    latencies = []
    try:
        port = control.recv()
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = eligibility_pb2_grpc.EligibilityServiceStub(channel)
            metadata = (("authorization", f"Bearer {TOKEN}"),)

            def assess(index: int) -> None:
                request = eligibility_pb2.AssessRequest(
                    request_id=f"assess-{index}", application_id=f"app_assess_{index:06d}", actor=actor
                )
                response = stub.Assess(request, metadata=metadata, timeout=10)
                if not response.proposed.decision_id:
                    raise RuntimeError("Assess returned no opinion")

            for index in range(warmup):
                assess(index)
            control.send("count")
            for index in range(warmup, warmup + COUNTED_CALLS):
                assess(index)
            control.send("measure")
            first = warmup + COUNTED_CALLS
            client_cpu = time.process_time()
            for index in range(first, first + calls):
                started = time.perf_counter()
                assess(index)
                latencies.append(time.perf_counter() - started)
            client_cpu = time.process_time() - client_cpu
        control.send("stop")
        statements, server_cpu = control.recv()
    finally:
        server.join(timeout=30)
        if server.is_alive():
            server.kill()
    latencies.sort()
    return {
        "calls_per_s": len(latencies) / sum(latencies),
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "statements": statements / COUNTED_CALLS,
        "server_cpu_ms": server_cpu * 1000 / calls,
        "client_cpu_ms": client_cpu * 1000 / calls,
    }


def _assess(calls: int) -> list[str]:
    warmup = min(300, calls)
    baseline = bare_echo(calls, warmup=warmup, own_process=True)
    with tempfile.TemporaryDirectory() as tmp:
        ours = _assess_latencies(Path(tmp), calls, warmup)
    return [
        "servers in their own process, the client in the benchmark's; "
        f"{warmup} warm-up calls each before the {calls} measured",
        f"grpc unary, bare echo (baseline): p50 {baseline['p50_ms']:.3f} ms  p99 {baseline['p99_ms']:.3f} ms",
        f"Assess (Dibao, a fresh case per call, opinion + notice stored): p50 {ours['p50_ms']:.3f} ms"
        f"  p99 {ours['p99_ms']:.3f} ms ({ours['calls_per_s']:.0f} calls/s; target p99 ≤ 5 ms)",
        f"Assess / bare echo p99 ratio: {ours['p99_ms'] / baseline['p99_ms']:.1f}",
        f"Assess per call: {ours['statements']:.1f} SQL statements (the server chain's included),"
        f" {ours['server_cpu_ms']:.2f} ms CPU in the service, {ours['client_cpu_ms']:.2f} ms in the client",
    ]


def _postgresql(count: int) -> list[str]:
    if not postgres_reachable():
        return ["postgresql: not reachable at 127.0.0.1:5432, skipped"]
    url = create_postgres_database()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            return _store("postgresql", url, Path(tmp), count)
    finally:
        drop_postgres_database(url)


def main(count: int = HOUSEHOLDS) -> list[str]:
    lines = _rules(RULE_HOUSEHOLDS)
    if "sqlite" in DATABASES:
        with tempfile.TemporaryDirectory() as tmp:
            lines += _store("sqlite", f"sqlite:///{Path(tmp) / 'eligibility.db'}", Path(tmp), count)
    if "postgresql" in DATABASES:
        lines += _postgresql(count)
    lines += _assess(ASSESS_CALLS)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines.append(f"peak RSS of the benchmark process: {peak_mib:.0f} MiB")
    return lines


if __name__ == "__main__":
    print("\n".join(main()))
