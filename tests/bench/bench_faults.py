"""More fault schedules than `make test` runs: tests/fault with FAULT_SCHEDULES raised, on SQLite and, when
127.0.0.1:5432 answers, on PostgreSQL.

Not a speed target: it prints how many schedules ran, how many failed, and how long they took, so a
longer soak of the payroll under kills, broker restarts and bank faults rides along with `make bench`.
BENCH_FAULT_SCHEDULES sets the count on SQLite (300 by default), BENCH_FAULT_PG_SCHEDULES on PostgreSQL
(100), BENCH_FAULT_SEED the first seed (the schedules of `make test` start at 0, so these start past them
by default; PostgreSQL's start past SQLite's).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from doudi_runtime.testing.databases import postgres_reachable

ROOT = Path(__file__).resolve().parents[2]
SCHEDULES = int(os.environ.get("BENCH_FAULT_SCHEDULES", "300"))
PG_SCHEDULES = int(os.environ.get("BENCH_FAULT_PG_SCHEDULES", "100"))
FIRST_SEED = int(os.environ.get("BENCH_FAULT_SEED", "100000"))


def _schedules(store: str, count: int, first_seed: int) -> Iterator[str]:
    env = {**os.environ, "FAULT_SCHEDULES": str(count), "FAULT_SEED": str(first_seed), "FAULT_STORE": store}
    started = time.perf_counter()
    finished = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/fault"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    summary = [line for line in finished.stdout.splitlines() if line.strip()][-1:]
    rate = count / elapsed * 60
    yield f"{store}: fault schedules: {count} from seed {first_seed}, {elapsed:.0f} s ({rate:.0f} a minute)"
    yield f"{store}: pytest: {summary[0] if summary else '(no output)'}"
    for line in finished.stdout.splitlines():
        if line.startswith("FAILED"):
            yield line


def main() -> Iterator[str]:
    yield from _schedules("sqlite", SCHEDULES, FIRST_SEED)
    if PG_SCHEDULES and postgres_reachable():
        yield from _schedules("postgresql", PG_SCHEDULES, FIRST_SEED + SCHEDULES)
    elif PG_SCHEDULES:
        yield "postgresql: not reachable at 127.0.0.1:5432, skipped"
