"""Benchmark: a monthly payroll from roster to bank acknowledgement and reconciliation, on SQLite and on
PostgreSQL (when 127.0.0.1:5432 answers), against a raw bulk write of the same number of payment rows
measured in the same run (SQLite: executemany in one transaction; PostgreSQL: COPY).

The roster is loaded directly (not timed). The timed run is what production does: open the run, generate
every township shard page by page, release it, send it to the bank in batches under deterministic request
ids, and reconcile every payment until the run closes; the time of each phase is printed beside the total.
The bank is the simulator's books in process: no network time is counted, the books' own time is. Peak RSS
is reported, with the part the bank's books take: nothing of doudi's loads the roster or the payroll whole.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import MetaData, Table, create_engine, insert

from doudi_disbursement.app.bank_gateway import Order, Result
from doudi_disbursement.app.payroll import PayrollUseCases
from doudi_disbursement.domain.runs import RunState
from doudi_disbursement.main import DEFINITION, DisbursementSettings
from doudi_disbursement.store import payroll as payroll_store
from doudi_disbursement.store.tables import payments, roster
from doudi_runtime.service import build_context, freeze_startup_objects, migrate
from doudi_runtime.store import Database
from doudi_runtime.testing.databases import (
    _postgres_reachable,
    create_postgres_database,
    drop_postgres_database,
)
from doudi_sim.ledger import Ledger
from doudi_sim.ledger import Order as LedgerOrder

BENEFICIARIES = int(os.environ.get("BENCH_PAYROLL_BENEFICIARIES", "1000000"))
TOWNSHIPS = 100
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


class InProcessBank:
    def __init__(self) -> None:
        self.ledger = Ledger(return_accounts_ending="")

    def submit(self, request_id: str, orders: list[Order]) -> str:
        booked = [
            LedgerOrder(o.idempotency_key, o.account_name, o.account_number, o.amount_fen) for o in orders
        ]
        return self.ledger.submit(request_id, booked, len(booked), sum(o.amount_fen for o in orders)).batch_id

    def status(self, batch_id: str) -> list[Result]:
        return [Result(o.idempotency_key, o.result, o.reason) for o in self.ledger.status(batch_id)]


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


def _raw_write_seconds(url: str, count: int) -> float:
    """The same rows written the fastest plain way this store offers, into a table shaped like payments."""
    engine = create_engine(url)
    raw_table = Table("raw_payments", MetaData(), *(column.copy() for column in payments.columns))
    raw_table.create(engine)
    names = [column.name for column in payments.columns]

    def row(index: int) -> tuple[object, ...]:
        values = {
            "payment_id": f"pay_{index:08d}",
            "idempotency_key": f"DIBAO:hh_{index:08d}:2026-12:BASE",
            "run_id": "run_x",
            "entitlement_id": f"ent_{index:08d}",
            "beneficiary_id": f"hh_{index:08d}",
            "programme": "DIBAO",
            "period": "2026-12",
            "component": "BASE",
            "township": "640402100000",
            "amount_fen": 48_000,
            "state": "PENDING",
            "reason": "",
            "payee_name": f"户主{index}",
            "payee_account": f"6228{index:012d}",
            "batch_request_id": "",
            "attempt": 1,
            "offsets_key": "",
            "updated_at": NOW.isoformat(),
        }
        return tuple(values[name] for name in names)

    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        if engine.dialect.name == "postgresql":
            with (
                raw.cursor() as cursor,
                cursor.copy(f"COPY raw_payments ({', '.join(names)}) FROM STDIN") as copy,
            ):
                for index in range(count):
                    copy.write_row(row(index))
        else:
            placeholders = ", ".join("?" * len(names))
            raw.executemany(
                f"INSERT INTO raw_payments ({', '.join(names)}) VALUES ({placeholders})",
                (row(index) for index in range(count)),
            )
        raw.commit()
    finally:
        raw.close()
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def _payroll_seconds(url: str, work: Path, count: int) -> tuple[Phases, int]:
    settings = DisbursementSettings(
        grpc_port=0, metrics_port=0, data_dir=work, database_url=url, auth_mode="off"
    )
    migrate(DEFINITION, settings)
    context = build_context(DEFINITION, settings)
    database = context.persistence().database
    for chunk in _roster_rows(count):
        with database.transaction() as session:
            session.execute(insert(roster), chunk)
    bank = InProcessBank()
    payroll = PayrollUseCases(context, bank, roster_page_size=5_000, batch_size=5_000)
    freeze_startup_objects()  # as the service does once started
    started = time.perf_counter()
    run = payroll.generate_run("bench", "2026-12", "640402000000", "county-clerk")
    payroll.generate_shards()
    generated = time.perf_counter()
    current = payroll.get_run(run.run_id)[0]
    payroll.approve("bench-ok", run.run_id, "finance-officer", current.payment_count, current.total_fen)
    while payroll.send_to_bank():
        pass
    sent = time.perf_counter()
    while _run_state(database, run.run_id) is not RunState.CLOSED:
        payroll.reconcile()
    finished = time.perf_counter()
    paid = bank.ledger.paid_count()
    database.dispose()
    return Phases(generated - started, sent - generated, finished - sent), paid


@dataclass(frozen=True)
class Phases:
    generating: float
    approving_and_sending: float
    reconciling: float

    @property
    def total(self) -> float:
        return self.generating + self.approving_and_sending + self.reconciling


def _run_state(database: Database, run_id: str) -> RunState | None:
    with database.read() as session:
        run = payroll_store.get_run(session, run_id)
    return None if run is None else run.state


def _measure(name: str, url: str, work: Path, count: int) -> list[str]:
    raw = _raw_write_seconds(url, count)
    phases, paid = _payroll_seconds(url, work, count)
    if paid != count:
        raise RuntimeError(f"{name}: the bank booked {paid} payments for {count} beneficiaries")
    run = phases.total
    return [
        f"{name}: raw bulk write of {count} payment rows (baseline): {raw:7.1f} s"
        f" ({count / raw:8.0f} rows/s)",
        f"{name}: payroll run of {count} beneficiaries, roster → bank → reconciled: {run:7.1f} s"
        f" ({count / run:8.0f} payments/s)",
        f"{name}: of which generating {phases.generating:.1f} s, approving and sending"
        f" {phases.approving_and_sending:.1f} s, reconciling {phases.reconciling:.1f} s",
        f"{name}: run / raw write time ratio: {run / raw:.1f}",
    ]


def _resident_mib() -> float:
    """The process's resident set now (a forked child inherits its parent's peak, so the peak says nothing
    of the child's own)."""
    resident_pages = int(Path("/proc/self/statm").read_text().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _bank_books_mib(count: int) -> float:
    """How much the bank's books of ``count`` orders grow a process by: the benchmark keeps them in its own
    process, so they are part of its peak RSS, though in production they are the bank's memory."""
    before = _resident_mib()
    bank = InProcessBank()
    for start in range(0, count, 5_000):
        orders = [
            Order(f"DIBAO:hh_{index:08d}:2026-12:BASE", f"户主{index}", f"6228{index:012d}", 48_000)
            for index in range(start, min(start + 5_000, count))
        ]
        bank.status(bank.submit(f"books-{start}", orders))
    return _resident_mib() - before


def main(count: int = BENEFICIARIES) -> list[str]:
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        lines += _measure("sqlite", f"sqlite:///{Path(tmp) / 'payroll.db'}", Path(tmp), count)
    if _postgres_reachable():
        url = create_postgres_database()
        try:
            with tempfile.TemporaryDirectory() as tmp:
                lines += _measure("postgresql", url, Path(tmp), count)
        finally:
            drop_postgres_database(url)
    else:
        lines.append("postgresql: not reachable at 127.0.0.1:5432, skipped")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as alone:
        books_mib = alone.submit(_bank_books_mib, count).result()
    lines.append(
        f"peak RSS of the benchmark process: {peak_mib:.0f} MiB, of which the in-process bank's books of"
        f" {count} orders take about {books_mib:.0f} MiB (measured alone in a child process)"
    )
    return lines


if __name__ == "__main__":
    print("\n".join(main()))
