"""The in-process benchmarks still run against today's code: each at a toy size, so a schema or API change
that breaks one shows here and not first in `make bench`. The sizes say nothing about speed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

RUNNER = Path(__file__).with_name("run.py")
TOY_SIZES = {
    "BENCH_PAYROLL_BENEFICIARIES": "300",
    "BENCH_RULE_HOUSEHOLDS": "2000",
    "BENCH_REDETERMINATION_HOUSEHOLDS": "300",
    "BENCH_ASSESS_CALLS": "20",
    "BENCH_CARE_ENTRIES": "200",
    "BENCH_DISPATCH_VOLUNTEERS": "200",
    "BENCH_DISPATCH_SECONDS": "2",
}


@pytest.mark.parametrize(
    "benchmark", ["bench_payroll", "bench_redetermination", "bench_care_sweep", "bench_dispatch"]
)
def test_the_benchmark_runs_and_prints_its_ratio_to_the_baseline(benchmark: str) -> None:
    finished = subprocess.run(
        [sys.executable, str(RUNNER), benchmark],
        env={**os.environ, **TOY_SIZES},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    assert f"== {benchmark}" in finished.stdout
    assert "ratio" in finished.stdout, finished.stdout
