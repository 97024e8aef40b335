"""Command line of the local platform: run, status, stop, and sign-in tokens for local users."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from doudi_platform.ports import PortPlan
from doudi_platform.runner import print_status, run
from doudi_platform.signin import DIR_NAME as SIGNIN_DIR_NAME
from doudi_platform.signin import ensure_issuer
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
    token = commands.add_parser("token", help="print a gateway sign-in token for a local user")
    token.add_argument("--name", required=True, help="the user id (the token's subject)")
    token.add_argument(
        "--role", required=True, help="village_committee, township_office, county_bureau, auditor, …"
    )
    token.add_argument("--region", action="append", default=[], help="a 6-, 9- or 12-digit code (repeat)")
    token.add_argument("--org", default="", help="the user's organisation")
    token.add_argument("--scope", action="append", default=[], help="a scope of an external system (repeat)")
    token.add_argument("--subject", default="", help="a volunteer's or provider's own id")
    token.add_argument("--hours", type=float, default=8.0, help="how long the token is valid (default 8)")
    for sub in commands.choices.values():
        sub.add_argument("--run-dir", type=Path, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


def _print_token(args: argparse.Namespace) -> int:
    if not 0 < args.hours <= 24:
        print("--hours must be more than 0 and at most 24")
        return 2
    issuer, _ = ensure_issuer(args.run_dir / SIGNIN_DIR_NAME)
    print(
        issuer.issue(
            name=args.name,
            role=args.role,
            region=args.region,
            org=args.org,
            scopes=args.scope,
            subject=args.subject,
            valid_for=timedelta(hours=args.hours),
        )
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "run":
        try:
            ports = PortPlan(args.port_offset)
        except ValueError as exc:
            print(exc)
            return 2
        return run(args.run_dir, ports, timeout=args.timeout, with_prometheus=args.prometheus)
    if args.command == "token":
        return _print_token(args)
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
