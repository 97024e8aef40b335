"""Command line of the local platform: run, status, stop."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from doudi_platform.ports import PortPlan
from doudi_platform.runner import print_status, run
from doudi_platform.state import read_state

STOP_WAIT_SECONDS = 60


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="doudi-platform", description="doudi's local platform on loopback")
    parser.add_argument(
        "--run-dir", type=Path, default=Path(".run"), help="logs, stores, tokens (default .run)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("run", help="start everything and keep running until Ctrl-C")
    start.add_argument("--port-offset", type=int, default=0, help="shift every port by N")
    start.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for SERVING (default 90)")
    start.add_argument(
        "--prometheus",
        action="store_true",
        help="also start Debian's Prometheus on 127.0.0.1:9090 with doudi's rules (make run PROMETHEUS=1)",
    )
    commands.add_parser("status", help="show the running platform")
    commands.add_parser("stop", help="stop the running platform")
    for sub in commands.choices.values():
        sub.add_argument("--run-dir", type=Path, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "run":
        try:
            ports = PortPlan(args.port_offset)
        except ValueError as exc:
            print(exc)
            return 2
        return run(args.run_dir, ports, timeout=args.timeout, with_prometheus=args.prometheus)
    state = read_state(args.run_dir)
    if state is None:
        print(f"doudi is not running (no state in {args.run_dir})")
        return 1
    if args.command == "status":
        print_status(state)
        return 0
    os.kill(int(state["runner_pid"]), signal.SIGINT)
    deadline = time.monotonic() + STOP_WAIT_SECONDS
    while read_state(args.run_dir) is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    stopped = read_state(args.run_dir) is None
    print("stopped" if stopped else "the platform did not stop in time")
    return 0 if stopped else 1


if __name__ == "__main__":
    sys.exit(main())
