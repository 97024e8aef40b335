"""Benchmark: the daily visit sweep over a care ledger of 100,000 entries whose visits are due or overdue,
against a raw scan and bulk update of the same table measured in the same run, on a SQLite file and on
PostgreSQL (when the test server answers, see doudi_runtime.testing.databases).

The ledger is filled through the service's own ImportLedger RPC (1,000 left-behind elderly a request),
the clock moving a day between requests, so registration dates, and with the tiers (weekly, monthly,
quarterly visits) the due dates, spread over months; the sweep day is then chosen so that every entry is
due, some just due and most overdue to the township or the county (filling is not timed). The timed run
is one full ``sweep_visits`` (the ``care-visits`` periodic worker) until it has announced every entry.
The baseline is what the database alone needs to find and touch the same rows: ``SELECT count(*)`` of
the open entries due by the sweep day, then one ``UPDATE`` stamping them all, in one transaction (run
after the sweep, on the same table, so the sweep finds its work untouched). A second sweep the same day
is timed too: it must announce nothing.

Sizes: BENCH_CARE_ENTRIES (default 100000, the size issue 6 asks for); BENCH_CARE_DATABASES
(default "sqlite,postgresql").
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import grpc
from sqlalchemy import func, select, text

from doudi.care.v1 import care_pb2, care_pb2_grpc
from doudi.common.v1 import types_pb2
from doudi_care.main import DEFINITION, SHARED_APP, CareSettings, build
from doudi_care.store.ledger import OPEN
from doudi_care.store.tables import ledger_entries
from doudi_common.calendar import china_date
from doudi_common.testing import make_resident_id
from doudi_runtime.grpc.server import GrpcServer
from doudi_runtime.service import ServiceContext, build_context, migrate
from doudi_runtime.testing.databases import (
    create_postgres_database,
    drop_postgres_database,
    postgres_reachable,
)

ENTRIES = int(os.environ.get("BENCH_CARE_ENTRIES", "100000"))
DATABASES = tuple(os.environ.get("BENCH_CARE_DATABASES", "sqlite,postgresql").split(","))
IMPORT_ROWS = 1000
TOKEN = "bench-care-token"
AUTH = (("authorization", f"Bearer {TOKEN}"),)
TOWNSHIPS = 12
VILLAGES_PER_TOWNSHIP = 20
RISKS = (care_pb2.RISK_LEVEL_GENERAL, care_pb2.RISK_LEVEL_KEY, care_pb2.RISK_LEVEL_HIGH)
ARRANGEMENTS = (
    care_pb2.LIVING_ARRANGEMENT_ALONE,
    care_pb2.LIVING_ARRANGEMENT_COUPLE_ONLY,
    care_pb2.LIVING_ARRANGEMENT_WITH_GRANDCHILDREN,
)
#: The first import: 09:00 China time on 1 March 2026.
START = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
#: Longest visit interval of the ledger's tiers (quarterly), in days, plus a little.
LONGEST_INTERVAL_DAYS = 93


class Clock:
    """The service's time, moved by the benchmark."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def set(self, now: datetime) -> None:
        with self._lock:
            self.now = now


def _village(index: int) -> str:
    township = 100 + index % TOWNSHIPS
    village = 201 + (index // TOWNSHIPS) % VILLAGES_PER_TOWNSHIP
    return f"640402{township:03d}{village:03d}"


def _registration(index: int) -> care_pb2.LedgerRegistration:
    """A left-behind elder, unique by birth date and sequence number, aged 61 to 88."""
    birth = date(1938, 1, 1) + timedelta(days=index // 100)
    female = index % 2 == 1
    return care_pb2.LedgerRegistration(
        ledger=care_pb2.LEDGER_ELDERLY_LEFT_BEHIND,
        person=types_pb2.Person(
            id_number=types_pb2.IdNumber(value=make_resident_id(birth, index % 100, female=female)),
            name=f"老人{index}",
            phone=f"139{index:08d}",
        ),
        region=types_pb2.RegionCode(code=_village(index)),
        risk_level=RISKS[index % len(RISKS)],
        elderly=care_pb2.ElderlyDetails(
            contact_name=f"子女{index}",
            contact_phone=f"138{index:08d}",
            support_agreement_signed=index % 5 != 0,
            living_arrangement=ARRANGEMENTS[index % len(ARRANGEMENTS)],
        ),
    )


def _fill(stub: care_pb2_grpc.CareServiceStub, clock: Clock, count: int) -> datetime:
    """Import ``count`` entries a day's batch at a time; returns the moment of the last import."""
    moment = START
    for batch, first in enumerate(range(0, count, IMPORT_ROWS)):
        moment = START + timedelta(days=batch)
        clock.set(moment)
        rows = [_registration(i) for i in range(first, min(first + IMPORT_ROWS, count))]
        answer = stub.ImportLedger(
            care_pb2.ImportLedgerRequest(request_id=f"bench-import-{batch}", rows=rows),
            metadata=AUTH,
            timeout=120,
        )
        if answer.errors or len(answer.imported) != len(rows):
            problem = answer.errors[0] if answer.errors else "rows missing"
            raise RuntimeError(f"import {batch} refused {len(answer.errors)} rows, e.g. {problem}")
    return moment


def _due_by_sweep_day(context: ServiceContext, day: date) -> int:
    c = ledger_entries.c
    with context.database.read() as session:  # type: ignore[union-attr]
        return session.execute(
            select(func.count()).select_from(ledger_entries).where(c.next_due <= day)
        ).scalar_one()


def _stages(context: ServiceContext) -> Counter[str]:
    c = ledger_entries.c
    with context.database.read() as session:  # type: ignore[union-attr]
        rows = session.execute(select(c.announced_stage, func.count()).group_by(c.announced_stage)).all()
    return Counter({stage: count for stage, count in rows})


def _raw_seconds(context: ServiceContext, day: date, now: datetime) -> tuple[float, int, int]:
    """Count the open entries due by ``day``, then stamp them all in one UPDATE, in plain SQL."""
    engine = context.database.engine  # type: ignore[union-attr]
    started = time.perf_counter()
    with engine.begin() as connection:
        due = connection.execute(
            text(
                "SELECT count(*) FROM ledger_entries"
                " WHERE status IN ('ACTIVE', 'PENDING_DETAILS') AND next_due <= :day"
            ),
            {"day": day},
        ).scalar_one()
        updated = connection.execute(
            ledger_entries.update()
            .where(ledger_entries.c.status.in_(OPEN), ledger_entries.c.next_due <= day)
            .values(updated_at=now)
        ).rowcount
    return time.perf_counter() - started, due, updated


def _outbox_rows(context: ServiceContext) -> int:
    outbox = context.store.messaging.outbox  # type: ignore[union-attr]
    with context.database.read() as session:  # type: ignore[union-attr]
        return session.execute(select(func.count()).select_from(outbox)).scalar_one()


def main(count: int = ENTRIES, databases: tuple[str, ...] = DATABASES) -> list[str]:
    lines = []
    for database in databases:
        if database == "postgresql" and not postgres_reachable():
            lines.append("PostgreSQL: not reachable, skipped")
            continue
        lines += [f"{database}: {line}" for line in _run(count, database)]
    return lines


def _run(count: int, database: str) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        url = create_postgres_database() if database == "postgresql" else f"sqlite:///{work / 'care.db'}"
        try:
            return _measure(count, work, url)
        finally:
            if database == "postgresql":
                drop_postgres_database(url)


def _measure(count: int, work: Path, url: str) -> list[str]:
    settings = CareSettings(
        grpc_port=0,
        metrics_port=0,
        data_dir=work,
        database_url=url,
        auth_tokens=f'{{"{TOKEN}": "township-civil-affairs"}}',
        client_token=TOKEN,
        shutdown_grace_seconds=0,
        import_max_rows=IMPORT_ROWS,
    )
    migrate(DEFINITION, settings)
    context = build_context(DEFINITION, settings)
    clock = Clock(START)
    app = context.shared(SHARED_APP, lambda: build(context, clock=clock))
    server = GrpcServer(settings, list(DEFINITION.grpc_bindings(context)))
    port = server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        fill_started = time.perf_counter()
        last_import = _fill(care_pb2_grpc.CareServiceStub(channel), clock, count)
        fill = time.perf_counter() - fill_started
        sweep_moment = last_import + timedelta(days=LONGEST_INTERVAL_DAYS)
        clock.set(sweep_moment)
        day = china_date(sweep_moment)
        due = _due_by_sweep_day(context, day)
        if due != count:
            raise RuntimeError(f"{due} of {count} entries are due on {day}")
        outbox_before = _outbox_rows(context)

        started = time.perf_counter()
        announced = app.ledger.sweep_visits()
        sweep = time.perf_counter() - started
        started = time.perf_counter()
        again = app.ledger.sweep_visits()
        rerun = time.perf_counter() - started
        if again:
            raise RuntimeError(f"a second sweep the same day announced {again} more")

        stages = _stages(context)
        if stages["SCHEDULED"]:
            raise RuntimeError(f"the sweep left {stages['SCHEDULED']} due entries unannounced")

        # The baseline runs on the same table after the sweep, so the sweep finds its work untouched.
        raw, raw_due, raw_updated = _raw_seconds(context, day, sweep_moment)
        if raw_due != count or raw_updated != count:
            raise RuntimeError(f"raw scan saw {raw_due} and updated {raw_updated} of {count} rows")
        events = _outbox_rows(context) - outbox_before
    finally:
        channel.close()
        server.stop(0)
        context.database.dispose()  # type: ignore[union-attr]
    spread = ", ".join(f"{stage} {stages[stage]}" for stage in ("DUE", "OVERDUE_TOWNSHIP", "OVERDUE_COUNTY"))
    return [
        f"care ledger of {count} entries filled by ImportLedger in {fill:.1f} s (not timed);"
        f" sweep day {day}, all {due} due: {spread}",
        f"raw SQL count + bulk UPDATE of {count} due entries (baseline): {raw:7.3f} s",
        f"daily visit sweep of {count} due entries ({announced} announcements, {events} outbox events):"
        f" {sweep:7.2f} s ({count / sweep:6.0f} entries/s)",
        f"second sweep the same day (announces nothing): {rerun:7.3f} s",
        f"sweep / raw time ratio: {sweep / raw:.1f}",
    ]


if __name__ == "__main__":
    print("\n".join(main()))
