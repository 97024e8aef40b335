"""More fault schedules than `make test` runs: tests/fault with FAULT_SCHEDULES raised.

Not a speed target: it prints how many schedules ran, how many failed, and how long they took, so a
longer soak of the payroll under kills, broker restarts and bank faults rides along with `make bench`.
BENCH_FAULT_SCHEDULES sets the count (300 by default), BENCH_FAULT_SEED the first seed (the schedules
of `make test` start at 0, so these start past them by default).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCHEDULES = int(os.environ.get("BENCH_FAULT_SCHEDULES", "300"))
FIRST_SEED = int(os.environ.get("BENCH_FAULT_SEED", "100000"))


def main() -> Iterator[str]:
    env = {**os.environ, "FAULT_SCHEDULES": str(SCHEDULES), "FAULT_SEED": str(FIRST_SEED)}
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
    rate = SCHEDULES / elapsed * 60
    yield f"fault schedules: {SCHEDULES} from seed {FIRST_SEED}, {elapsed:.0f} s ({rate:.0f} a minute)"
    yield f"pytest: {summary[0] if summary else '(no output)'}"
    for line in finished.stdout.splitlines():
        if line.startswith("FAILED"):
            yield line
