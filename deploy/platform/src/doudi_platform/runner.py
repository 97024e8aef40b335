"""`make run`: broker, topics, stores, services and simulators on loopback; Ctrl-C stops them all."""

from __future__ import annotations

import os
import secrets
import signal
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from doudi_platform import prometheus
from doudi_platform.broker import MEMORY_NOTE, broker_argv, create_topics, wait_until_ready
from doudi_platform.certificates import OPERATOR, TLS_DIR_NAME, LocalPki, ensure_certificates
from doudi_platform.components import (
    Component,
    ComponentsFactory,
    RunContext,
    default_base_env,
    platform_components,
)
from doudi_platform.field_keys import KEYS_DIR_NAME, ServiceKeys, ensure_field_keys
from doudi_platform.ports import GRPC_PORTS, SERVICES, PortPlan, busy_ports, port_in_use
from doudi_platform.processes import Supervisor, tail
from doudi_platform.readiness import is_serving, wait_until_serving
from doudi_platform.signin import DIR_NAME as SIGNIN_DIR_NAME
from doudi_platform.signin import LocalIssuer, ensure_issuer
from doudi_platform.state import AlreadyRunning, acquire_lock, release_lock, remove_state, write_state

MIGRATION_TIMEOUT_SECONDS = 60.0
BROKER_TIMEOUT_SECONDS = 30.0
PROMETHEUS_TIMEOUT_SECONDS = 30.0


class StartupFailed(Exception):
    """The platform could not come up; the message says which process and why."""


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _say(text: str = "") -> None:
    print(text, flush=True)


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows)
    return "\n".join(line.rstrip() for line in lines)


def _relative(path: Path | None) -> str:
    if path is None:
        return "—"
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class Platform:
    def __init__(
        self,
        run_dir: Path,
        ports: PortPlan,
        *,
        factory: ComponentsFactory = platform_components,
        timeout: float = 90,
        with_prometheus: bool = False,
        scrape_interval_seconds: float = 5.0,
    ) -> None:
        self.run_dir = run_dir.resolve()
        self.ports = ports
        self.factory = factory
        self.timeout = timeout
        self.with_prometheus = with_prometheus
        self.scrape_interval_seconds = scrape_interval_seconds
        self.supervisor = Supervisor(self.run_dir / "logs")
        self.pids: dict[str, int] = {}
        self.pki: LocalPki | None = None

    def _start_broker(self) -> None:
        self.pids["broker"] = self.supervisor.start(
            "broker", broker_argv(self.ports.broker), dict(os.environ), stop_last=True
        ).pid
        _say(f"broker on {self.ports.bootstrap_servers}: {MEMORY_NOTE}")
        wait_until_ready(self.ports.bootstrap_servers, BROKER_TIMEOUT_SECONDS)
        topics = create_topics(self.ports.bootstrap_servers)
        _say(f"topics ready: {len(topics)} (catalogue and dead-letter topics)")

    def _certificates(self) -> LocalPki:
        pki, issued = ensure_certificates(self.run_dir / TLS_DIR_NAME, GRPC_PORTS)
        where = _relative(pki.directory)
        if issued:
            _say(
                f"certificates issued under {where}/: {', '.join(issued)} "
                "(mutual TLS between every component)"
            )
        else:
            _say(f"certificates reused from {where}/ (mutual TLS between every component)")
        return pki

    def _field_keys(self) -> dict[str, ServiceKeys]:
        # The gateway keeps no store, so no personal data at rest.
        stores = [name for name in SERVICES if name != "gateway"]
        keys, made = ensure_field_keys(self.run_dir / KEYS_DIR_NAME, stores)
        if made:
            where = _relative(self.run_dir / KEYS_DIR_NAME)
            _say(f"keys for personal data at rest made under {where}/: {', '.join(made)}")
        return keys

    def _sign_in(self) -> LocalIssuer:
        issuer, made = ensure_issuer(self.run_dir / SIGNIN_DIR_NAME)
        where = _relative(issuer.directory)
        _say(f"sign-in key {'made' if made else 'reused'} under {where}/ (the gateway accepts its tokens)")
        return issuer

    def _context(self) -> RunContext:
        self.pki = self._certificates()
        context = RunContext(
            run_dir=self.run_dir,
            ports=self.ports,
            platform_token=secrets.token_urlsafe(24),
            operator_token=secrets.token_urlsafe(24),
            python=sys.executable,
            base_env=default_base_env(),
            tls=self.pki,
            sign_in=self._sign_in(),
            field_keys=self._field_keys(),
        )
        context.data_dir.mkdir(parents=True, exist_ok=True)
        token_file = context.operator_token_file
        token_file.unlink(missing_ok=True)
        fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(context.operator_token + "\n")
        return context

    def _migrate(self, components: Sequence[Component]) -> None:
        runs = [
            self.supervisor.start(f"{c.name}-migrate", c.migrate_argv, c.env, log_name=f"{c.name}.migrate")
            for c in components
            if c.migrate_argv
        ]
        codes = self.supervisor.run_to_end(runs, MIGRATION_TIMEOUT_SECONDS)
        failed = [run for run in runs if codes[run.name] != 0]
        if failed:
            details = "\n".join(
                f"--- {run.name} (exit {codes[run.name]}):\n{tail(run.log, 30)}" for run in failed
            )
            raise StartupFailed(f"store migration failed:\n{details}")
        _say(f"stores migrated: {len(runs)}")

    def _start(self, components: Sequence[Component]) -> None:
        children = {c.name: self.supervisor.start(c.name, c.argv, c.env) for c in components}
        self.pids.update({name: child.pid for name, child in children.items()})

        def died() -> str | None:
            exited = self.supervisor.first_exited()
            return exited.name if exited else None

        credentials = self.pki.files(OPERATOR).channel_credentials() if self.pki else None
        waiting = wait_until_serving(
            {c.name: c.grpc_port for c in components if c.grpc_port},
            timeout=self.timeout,
            abort=died,
            check=partial(is_serving, credentials=credentials),
        )
        dead = died()
        if dead is not None:
            log = self.run_dir / "logs" / f"{dead}.log"
            raise StartupFailed(f"{dead} exited during start-up; the end of its log:\n{tail(log, 30)}")
        if waiting:
            raise StartupFailed(
                f"not SERVING after {self.timeout:.0f} s: {', '.join(waiting)} "
                f"(logs in {self.run_dir / 'logs'})"
            )

    def _start_prometheus(self, components: Sequence[Component]) -> str:
        """Debian's Prometheus on loopback, scraping every component with the chart's rule files."""
        try:
            executable = prometheus.binary()
            assets = prometheus.assets_dir()
        except FileNotFoundError as exc:
            raise StartupFailed(str(exc)) from None
        home = self.run_dir / "prometheus"
        home.mkdir(parents=True, exist_ok=True)
        config = home / "prometheus.yml"
        config.write_text(
            prometheus.config_text(
                components,
                port=self.ports.prometheus,
                assets=assets,
                scrape_interval_seconds=self.scrape_interval_seconds,
            )
        )
        port = self.ports.prometheus
        child = self.supervisor.start(
            "prometheus", prometheus.argv(config, home / "data", port, executable), dict(os.environ)
        )
        self.pids["prometheus"] = child.pid
        if not prometheus.wait_until_ready(
            port, PROMETHEUS_TIMEOUT_SECONDS, abort=lambda: not child.running()
        ):
            raise StartupFailed(
                f"prometheus did not become ready; the end of its log:\n{tail(child.log, 30)}"
            )
        return f"http://127.0.0.1:{port}"

    def _state(self, components: Sequence[Component], context: RunContext, startup: float) -> dict[str, Any]:
        return {
            "runner_pid": os.getpid(),
            "started_at": datetime.now(UTC).isoformat(),
            "startup_seconds": round(startup, 2),
            "run_dir": str(self.run_dir),
            "broker": self.ports.bootstrap_servers,
            "gateway_http": f"http://127.0.0.1:{self.ports.gateway_http}",
            "operator_token_file": str(context.operator_token_file),
            "sign_in": None if context.sign_in is None else str(context.sign_in.directory),
            "tls": None
            if self.pki is None
            else {
                "dir": str(self.pki.directory),
                "ca": str(self.pki.ca_file),
                "cert": str(self.pki.files(OPERATOR).cert),
                "key": str(self.pki.files(OPERATOR).key),
            },
            "logs": str(self.run_dir / "logs"),
            "components": [
                {
                    "name": "broker",
                    "pid": self.pids["broker"],
                    "grpc_port": None,
                    "metrics_port": None,
                    "store": "(memory)",
                    "kind": "broker",
                },
                *(
                    {
                        "name": c.name,
                        "pid": self.pids[c.name],
                        "grpc_port": c.grpc_port,
                        "metrics_port": c.metrics_port,
                        "store": str(c.store) if c.store else None,
                        "kind": "simulator"
                        if c.migrate_argv is None
                        and c.http_port is None
                        and c.store is None
                        and c.name in ("records", "bank")
                        else "service",
                    }
                    for c in components
                ),
            ],
        }

    def up(self) -> dict[str, Any]:
        started = time.monotonic()
        self._start_broker()
        context = self._context()
        components = self.factory(context)
        self._migrate(components)
        self._start(components)
        prometheus_url = self._start_prometheus(components) if self.with_prometheus else None
        state = self._state(components, context, time.monotonic() - started)
        if prometheus_url is not None:
            state["prometheus"] = {"url": prometheus_url, "pid": self.pids["prometheus"]}
        write_state(self.run_dir, state)
        return state

    def watch(self) -> None:
        """Until Ctrl-C: a process that dies is reported, and the platform stops rather than limp on."""
        while True:
            exited = self.supervisor.first_exited()
            if exited is not None:
                raise StartupFailed(
                    f"{exited.name} exited unexpectedly; the end of its log:\n{tail(exited.log, 30)}"
                )
            time.sleep(0.5)

    def down(self) -> None:
        self.supervisor.stop_all(report=True)
        remove_state(self.run_dir)


def print_status(state: dict[str, Any]) -> None:
    rows = [["name", "pid", "gRPC", "tls", "metrics", "store", "state"]]
    secured = "mTLS" if state.get("tls") else "off"
    for c in state["components"]:
        grpc_port = str(c["grpc_port"]) if c["grpc_port"] else state["broker"].rsplit(":", 1)[1]
        # The broker listens on loopback only, in plaintext, like the metrics endpoints.
        tls = secured if c["grpc_port"] else "off"
        metrics = f"http://127.0.0.1:{c['metrics_port']}/metrics" if c["metrics_port"] else "—"
        store = c["store"] or "—"
        shown_store = _relative(Path(store)) if "/" in store else store
        state_text = "SERVING" if c["grpc_port"] else "ready"
        rows.append([c["name"], str(c["pid"]), grpc_port, tls, metrics, shown_store, state_text])
    _say(_table(rows))
    _say()
    _say(f"gateway HTTP:   {state['gateway_http']}/docs")
    if state.get("prometheus"):
        _say(f"prometheus:     {state['prometheus']['url']}  (rules and targets of deploy/prometheus)")
    _say(f"logs:           {_relative(Path(state['logs']))}/")
    _say(
        f"operator token: {_relative(Path(state['operator_token_file']))} "
        "(send as 'authorization: Bearer <token>')"
    )
    if state.get("sign_in"):
        _say(
            "sign in:        python -m doudi_platform token --name clerk.a --role township_office "
            "--region 640402100  (a gateway token for a local user)"
        )
    tls = state.get("tls")
    if tls:
        _say(
            f"mutual TLS:     CA {_relative(Path(tls['ca']))}, your client certificate "
            f"{_relative(Path(tls['cert']))} and key {_relative(Path(tls['key']))}"
        )


def run(
    run_dir: Path,
    ports: PortPlan,
    *,
    factory: ComponentsFactory = platform_components,
    timeout: float = 90,
    with_prometheus: bool = False,
) -> int:
    try:
        lock = acquire_lock(run_dir)
    except AlreadyRunning as exc:
        _say(str(exc))
        return 1
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    platform = Platform(run_dir, ports, factory=factory, timeout=timeout, with_prometheus=with_prometheus)
    code = 0
    try:
        busy = busy_ports(ports)
        if with_prometheus and port_in_use(ports.prometheus):
            busy.append((ports.prometheus, "prometheus HTTP"))
        if busy:
            for port, name in busy:
                _say(f"port {port} ({name}) is in use")
            _say("stop whatever holds it, or run with --port-offset N")
            return 1
        _say("starting doudi …")
        state = platform.up()
        _say()
        _say(f"doudi is up in {state['startup_seconds']:.1f} s  (broker data is in memory)")
        print_status(state)
        _say("Ctrl-C stops everything.")
        platform.watch()
    except KeyboardInterrupt:
        _say("\nstopping …")
    except (StartupFailed, TimeoutError) as exc:
        _say(f"doudi could not run: {exc}")
        code = 1
    finally:
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)
        platform.down()
        release_lock(lock)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _say("stopped")
    return code
