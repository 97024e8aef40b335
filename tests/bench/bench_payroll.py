"""Benchmark: a monthly payroll from roster to bank acknowledgement and reconciliation, on SQLite and on
PostgreSQL (when 127.0.0.1:5432 answers), against a raw bulk write of the same number of payment rows
measured in the same run (SQLite: executemany in one transaction; PostgreSQL: COPY), before and after
each run: a run is set against the mean of the two. Beside that baseline (the target's measure), the same
rows are written the same plain way into the service's own payments table, township by township with a
commit per page as the shards write them: what the table's indexes cost before doudi does anything else.

The roster is loaded directly (not timed). The timed run is what production does: open the run, generate
every township shard page by page, release it, send it to the bank in batches under deterministic request
ids, and reconcile every payment until the run closes; the time of each phase is printed beside the total.
The run is measured twice on each store: by one worker, and by several replicas (processes started before
the clock, one per CPU up to four, ``BENCH_PAYROLL_REPLICAS``) sharing its shards and its batches as the
service's replicas do. The bank is the simulator's books in a process of their own, which every worker
reaches through a multiprocessing manager: orders and answers travel pickled over a local socket (cheaper
than the gRPC the real bank speaks), and the books' own time is counted. Peak RSS is reported for each
process: nothing of doudi's loads the roster or the payroll whole.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import resource
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.managers import BaseManager
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, Table, create_engine, insert

from doudi_disbursement.app.bank_gateway import Order, Result
from doudi_disbursement.app.payroll import PayrollUseCases
from doudi_disbursement.domain.runs import RunState
from doudi_disbursement.main import DEFINITION, DisbursementSettings
from doudi_disbursement.store import payroll as payroll_store
from doudi_disbursement.store.tables import payments, roster
from doudi_runtime.service import build_context, freeze_startup_objects, migrate
from doudi_runtime.store import Database, create_engine_for
from doudi_runtime.testing.databases import (
    _postgres_reachable,
    create_postgres_database,
    drop_postgres_database,
)
from doudi_sim.ledger import Ledger
from doudi_sim.ledger import Order as LedgerOrder

BENEFICIARIES = int(os.environ.get("BENCH_PAYROLL_BENEFICIARIES", "1000000"))
REPLICAS = int(os.environ.get("BENCH_PAYROLL_REPLICAS", str(min(os.cpu_count() or 1, 4))))
PAGE_SIZE = BATCH_SIZE = 5_000
TOWNSHIPS = 100
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


class BooksOfTheBank:
    """The bank's side: the simulator's books, served to every worker from the bank's own process."""

    def __init__(self) -> None:
        self.ledger = Ledger(return_accounts_ending="")

    def submit(self, request_id: str, orders: list[tuple[str, str, str, int]]) -> str:
        booked = [LedgerOrder._make(order) for order in orders]
        return self.ledger.submit(request_id, booked, len(booked), sum(o.amount_fen for o in booked)).batch_id

    def status(self, batch_id: str) -> list[tuple[str, str, str]]:
        return [tuple(outcome) for outcome in self.ledger.status(batch_id)]  # type: ignore[misc]

    def paid_count(self) -> int:
        return self.ledger.paid_count()

    def peak_mib(self) -> float:
        return _peak_mib()


class _BankManager(BaseManager):
    pass


_books: BooksOfTheBank | None = None


def _the_books() -> BooksOfTheBank:
    """The one set of books the bank's process serves, whoever asks."""
    global _books
    if _books is None:
        _books = BooksOfTheBank()
    return _books


_BankManager.register("books", callable=_the_books)
_AUTHKEY = b"doudi-bench-bank"


class BankClient:
    """doudi's side: what the bank gateway does, over the manager's socket instead of gRPC."""

    def __init__(self, address: Any) -> None:
        manager = _BankManager(address=address, authkey=_AUTHKEY)
        manager.connect()
        self.books: Any = manager.books()  # type: ignore[attr-defined]

    def submit(self, request_id: str, orders: list[Order]) -> str:
        return str(self.books.submit(request_id, [tuple(order) for order in orders]))

    def status(self, batch_id: str) -> list[Result]:
        return [Result(*answer) for answer in self.books.status(batch_id)]


def _roster_rows(count: int) -> Iterator[list[dict[str, object]]]:
    body = json.dumps(
        {
            "start": "2026-01",
            "last": None,
            "suspended_from": None,
            "changes": [{"from": "2026-01", "components": {"BASE": 48_000}, "reason": "activated"}],
        }
    )
    chunk: list[dict[str, object]] = []
    for index in range(count):
        chunk.append(
            {
                "entitlement_id": f"ent_{index:08d}",
                "beneficiary_id": f"hh_{index:08d}",
                "programme": "DIBAO",
                "township": f"640402{100 + index % TOWNSHIPS:03d}000",
                "payee_name": f"户主{index}",
                "payee_account": f"6228{index:012d}",
                "body": body,
                "updated_at": NOW,
            }
        )
        if len(chunk) == 10_000:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _settle(url: str) -> None:
    """Before a timed part: PostgreSQL writes out what earlier work left in its buffers (a checkpoint), so
    that neither the baseline nor the run pays for what came before it."""
    if not url.startswith("postgresql"):
        return
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql("CHECKPOINT")
    engine.dispose()


_COLUMNS = [column.name for column in payments.columns]


def _payment_row(
    index: int, township: str = "640402100000", batch: str = "", written: int | None = None
) -> tuple[object, ...]:
    """The ``index``-th beneficiary's payment; its id counts up in the order rows are ``written`` (as ids
    made at generation do), by default the beneficiary's."""
    values = {
        "payment_id": f"pay_{index if written is None else written:08d}",
        "idempotency_key": f"DIBAO:hh_{index:08d}:2026-12:BASE",
        "run_id": "run_x",
        "entitlement_id": f"ent_{index:08d}",
        "beneficiary_id": f"hh_{index:08d}",
        "programme": "DIBAO",
        "period": "2026-12",
        "component": "BASE",
        "township": township,
        "amount_fen": 48_000,
        "state": "PENDING",
        "reason": "",
        "payee_name": f"户主{index}",
        "payee_account": f"6228{index:012d}",
        "batch_request_id": batch,
        "attempt": 1,
        "offsets_key": "",
        "updated_at": NOW.isoformat(),
    }
    return tuple(values[name] for name in _COLUMNS)


def _bulk_write_seconds(
    url: str,
    engine: Engine,
    table: str,
    commits: Iterable[Iterable[tuple[object, ...]]],
    *,
    wait_for_disk: bool = True,
) -> float:
    """Write each group of rows in a transaction of its own, the fastest plain way this store offers
    (PostgreSQL: COPY; SQLite: executemany); without ``wait_for_disk``, PostgreSQL's commits return before
    its log is flushed, as the run's page commits do."""
    columns = ", ".join(_COLUMNS)
    _settle(url)
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        if engine.dialect.name == "postgresql" and not wait_for_disk:
            raw.cursor().execute("SET synchronous_commit TO OFF")
        for rows in commits:
            if engine.dialect.name == "postgresql":
                with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                placeholders = ", ".join("?" * len(_COLUMNS))
                raw.execute("BEGIN")  # one transaction, whether or not the driver would open it itself
                raw.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)
            raw.commit()
    finally:
        raw.close()
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def _raw_write_seconds(url: str, count: int) -> float:
    """The same rows written the fastest plain way this store offers, into a table shaped like payments,
    in one transaction."""
    engine = create_engine(url)
    Table("raw_payments", MetaData(), *(column.copy() for column in payments.columns)).create(engine)
    return _bulk_write_seconds(url, engine, "raw_payments", [(_payment_row(index) for index in range(count))])


def _own_table_write_seconds(url: str, work: Path, count: int) -> float:
    """The same rows written the same plain way into the service's own payments table, with every index it
    has, township by township and a commit per roster page, as the shards write them: what the run's
    inserts cost before doudi computes, checks or sends anything. The store is opened as the service opens
    it, and each page commits as the run's pages do: without waiting for the disk."""
    migrate(DEFINITION, _settings(url, work))

    def rows(page: range, township: str, batch: str, first: int) -> Iterator[tuple[object, ...]]:
        for at, index in enumerate(page):
            yield _payment_row(index, township, batch, first + at)

    def pages() -> Iterator[Iterator[tuple[object, ...]]]:
        written = 0
        for number in range(TOWNSHIPS):
            township = f"640402{100 + number:03d}000"
            indexes = range(number, count, TOWNSHIPS)
            for start in range(0, len(indexes), PAGE_SIZE):
                page = indexes[start : start + PAGE_SIZE]
                yield rows(page, township, f"run_x:{township}:{start}", written)
                written += len(page)

    return _bulk_write_seconds(url, create_engine_for(url), "payments", pages(), wait_for_disk=False)


def _settings(url: str, work: Path) -> DisbursementSettings:
    return DisbursementSettings(grpc_port=0, metrics_port=0, data_dir=work, database_url=url, auth_mode="off")


def _use_cases(url: str, work: Path, bank: BankClient) -> PayrollUseCases:
    settings = _settings(url, work)
    return PayrollUseCases(
        build_context(DEFINITION, settings),
        bank,
        roster_page_size=PAGE_SIZE,
        batch_size=BATCH_SIZE,
        bank_batches_in_flight=settings.bank_batches_in_flight,  # the service's settings
        shards_in_flight=settings.shards_in_flight,
    )


_replica: PayrollUseCases | None = None
_together: Barrier | None = None


def _start_replica(url: str, work: str, bank_address: Any, ready: Barrier, together: Barrier) -> None:
    """A replica's process, started as the service starts (context built, start-up objects frozen) before
    the clock starts."""
    global _replica, _together
    _replica = _use_cases(url, Path(work), BankClient(bank_address))
    _together = together
    freeze_startup_objects()
    ready.wait()


def _in_replica(step: Callable[[PayrollUseCases], int]) -> tuple[int, float]:
    """Do ``step`` in this replica once every replica has taken a step of its own (so that no process takes
    two): what it returned, and the replica's peak resident set since it started (MiB)."""
    assert _replica is not None and _together is not None
    _together.wait()
    return step(_replica), _peak_mib()


def _generate(payroll: PayrollUseCases) -> int:
    return payroll.generate_shards()


def _send(payroll: PayrollUseCases) -> int:
    sent = 0
    while batches := payroll.send_to_bank():
        sent += batches
    return sent


def _reconcile(payroll: PayrollUseCases) -> int:
    """Ask the bank until every run is closed; a worker with nothing to take waits a little, as the
    service's loop does between passes."""
    database = payroll.persistence.database
    closed = 0
    while _open_runs(database):
        answered = payroll.reconcile()
        closed += answered
        if not answered:
            time.sleep(0.01)
    return closed


def _peak_mib() -> float:
    """The process's own peak resident set (``VmHWM`` starts afresh with the program a process runs, where
    ``ru_maxrss`` keeps the peak of the process it was forked from)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass(frozen=True)
class Measured:
    phases: Phases
    #: Payments the bank booked.
    paid: int
    #: Peak resident sets (MiB): the largest replica's (0 for one worker), and the bank's process.
    replica_peak: float
    bank_peak: float


def _payroll_seconds(url: str, work: Path, count: int, replicas: int) -> Measured:
    """The run on a fresh bank, by one worker (``replicas`` 1) or by that many replica processes."""
    migrate(DEFINITION, _settings(url, work))
    spawn = multiprocessing.get_context("spawn")
    with contextlib.ExitStack() as stack:
        bank = stack.enter_context(_BankManager(authkey=_AUTHKEY, ctx=spawn))
        payroll = _use_cases(url, work, BankClient(bank.address))
        database = payroll.persistence.database
        stack.callback(database.dispose)
        for chunk in _roster_rows(count):
            with database.transaction() as session:
                session.execute(insert(roster), chunk)
        pool: ProcessPoolExecutor | None = None
        if replicas > 1:
            ready = spawn.Barrier(replicas + 1)
            pool = stack.enter_context(
                ProcessPoolExecutor(
                    replicas,
                    mp_context=spawn,
                    initializer=_start_replica,
                    initargs=(url, str(work), bank.address, ready, spawn.Barrier(replicas)),
                )
            )
            for _ in range(replicas):
                pool.submit(int)  # the pool starts a process for each task no started one is free for
            ready.wait()
        replica_peak = 0.0

        def everywhere(step: Callable[[PayrollUseCases], int]) -> int:
            nonlocal replica_peak
            if pool is None:
                return step(payroll)
            done = [future.result() for future in [pool.submit(_in_replica, step) for _ in range(replicas)]]
            replica_peak = max(replica_peak, *(peak for _, peak in done))
            return sum(result for result, _ in done)

        freeze_startup_objects()  # as the service does once started
        _settle(url)
        started = time.perf_counter()
        run = payroll.generate_run("bench", "2026-12", "640402000000", "county-clerk")
        if everywhere(_generate) != TOWNSHIPS:
            raise RuntimeError("the workers did not generate every township once")
        generated = time.perf_counter()
        current = payroll.get_run(run.run_id)[0]
        payroll.approve("bench-ok", run.run_id, "finance-officer", current.payment_count, current.total_fen)
        everywhere(_send)
        sent = time.perf_counter()
        everywhere(_reconcile)
        finished = time.perf_counter()
        books = BankClient(bank.address).books
        return Measured(
            Phases(generated - started, sent - generated, finished - sent),
            books.paid_count(),
            replica_peak,
            books.peak_mib(),
        )


@dataclass(frozen=True)
class Phases:
    generating: float
    approving_and_sending: float
    reconciling: float

    @property
    def total(self) -> float:
        return self.generating + self.approving_and_sending + self.reconciling


def _open_runs(database: Database) -> bool:
    with database.read() as session:
        return bool(payroll_store.runs_in(session, RunState.RELEASED))


@contextlib.contextmanager
def _fresh_store(name: str, work: Path) -> Iterator[str]:
    if name == "sqlite":
        yield f"sqlite:///{work / 'payroll.db'}"
        return
    url = create_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(url)


def _measure(name: str, count: int) -> list[str]:
    """The run by one worker and by ``REPLICAS``, each on a fresh store and bank, with a raw write before
    and after each: the machine's speed drifts, so each run is set against the mean of the raw writes on
    either side of it."""

    def raw_write() -> float:
        with tempfile.TemporaryDirectory() as tmp, _fresh_store(name, Path(tmp)) as url:
            return _raw_write_seconds(url, count)

    raws = [raw_write()]
    with tempfile.TemporaryDirectory() as tmp, _fresh_store(name, Path(tmp)) as url:
        own_table = _own_table_write_seconds(url, Path(tmp), count)
    worker = _settings("", Path(tempfile.gettempdir()))
    lines = [
        f"{name}: each worker generates {worker.shards_in_flight} shards and sends or asks about"
        f" {worker.bank_batches_in_flight} bank batches at once (the service's settings); roster pages and"
        f" bank batches of {PAGE_SIZE} and {BATCH_SIZE}",
        f"{name}: raw bulk write of {count} payment rows (baseline): {raws[0]:7.1f} s",
        f"{name}: the same rows written the same way into the payments table itself (all its indexes),"
        f" township by township, a commit every {PAGE_SIZE}: {own_table:7.1f} s"
        f" ({own_table / raws[0]:.1f}× the baseline; not the target's measure, shown for what the schema"
        " costs before doudi's own work)",
    ]
    for replicas in dict.fromkeys((1, REPLICAS)):
        with tempfile.TemporaryDirectory() as tmp, _fresh_store(name, Path(tmp)) as url:
            measured = _payroll_seconds(url, Path(tmp), count, replicas)
        if measured.paid != count:
            raise RuntimeError(f"{name}: the bank booked {measured.paid} payments for {count} beneficiaries")
        raws.append(raw_write())
        raw = (raws[-2] + raws[-1]) / 2
        phases = measured.phases
        run = phases.total
        who = "one worker" if replicas == 1 else f"{replicas} replicas"
        lines += [
            f"{name}, {who}: payroll run of {count} beneficiaries, roster → bank → reconciled: {run:7.1f} s"
            f" ({count / run:8.0f} payments/s)",
            f"{name}, {who}: of which generating {phases.generating:.1f} s, approving and sending"
            f" {phases.approving_and_sending:.1f} s, reconciling {phases.reconciling:.1f} s",
            f"{name}: raw bulk write of {count} payment rows (baseline) again: {raws[-1]:7.1f} s",
            f"{name}, {who}: run / raw write time ratio: {run / raw:.1f}"
            f" (against {raw:.1f} s, the mean of the raw writes before and after it);"
            f" run / payments-table write: {run / own_table:.1f}",
            f"{name}, {who}: peak RSS of the bank's process (its books of {count} orders):"
            f" {measured.bank_peak:.0f} MiB",
        ]
        if replicas > 1:
            lines.append(f"{name}, {who}: peak RSS of the largest replica: {measured.replica_peak:.0f} MiB")
    return lines


def main(count: int = BENEFICIARIES) -> list[str]:
    lines = _measure("sqlite", count)
    if _postgres_reachable():
        lines += _measure("postgresql", count)
    else:
        lines.append("postgresql: not reachable at 127.0.0.1:5432, skipped")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines.append(
        f"peak RSS of the benchmark process (the one worker, or the replicas' caller): {peak_mib:.0f} MiB"
    )
    return lines


if __name__ == "__main__":
    print("\n".join(main()))
