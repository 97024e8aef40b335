"""`make bench`: run every benchmark and print its numbers beside the baseline measured in the same run."""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = (
    "bench_grpc",
    "bench_events",
    "bench_scaling",
    "bench_verification",
    "bench_payroll",
    "bench_redetermination",
    "bench_dispatch",
    "bench_care_sweep",
    "bench_faults",
)


def _load(name: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered under its name so that a benchmark can start a server in its own process by reference.
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def main() -> int:
    selected = sys.argv[1:] or list(BENCHMARKS)
    for name in selected:
        started = time.perf_counter()
        print(f"== {name}", flush=True)
        for line in _load(name).main():
            print(f"   {line}", flush=True)
        print(f"   ({time.perf_counter() - started:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
