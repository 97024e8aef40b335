"""The composition root every service shares: one command line, four roles, same wiring.

A service declares what it is (a ServiceDefinition); this module turns that into the
``serve`` (gRPC front), ``consume`` (event consumers), ``relay`` (outbox publisher),
``migrate`` (store migrations), ``reseal`` (personal data moved to the primary keys after a
rotation) and ``all`` (everything in one process, for local runs) roles, and the one-off maintenance
tasks a service declares (each a role of its own that does its work and exits).
"""

from __future__ import annotations

import argparse
import gc
import logging
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from alembic.operations import Operations
from pydantic import ValidationError
from sqlalchemy import MetaData, Table

from doudi_runtime.audit.trail import AuditLog, AuditTables, add_audit_tables
from doudi_runtime.events.consumer import EventConsumer, Subscription
from doudi_runtime.events.outbox import Outbox
from doudi_runtime.events.relay import OutboxRelay
from doudi_runtime.events.tables import (
    MessagingTables,
    add_messaging_tables,
    create_messaging_tables,
    drop_messaging_tables,
)
from doudi_runtime.grpc.client import ChannelFactory
from doudi_runtime.grpc.server import GrpcServer, GrpcServiceBinding
from doudi_runtime.idempotency import TABLE_NAME as IDEMPOTENCY_TABLE
from doudi_runtime.idempotency import add_idempotency_table, create_idempotency_table
from doudi_runtime.logging import configure_logging
from doudi_runtime.metrics import start_metrics_server
from doudi_runtime.settings import ServiceSettings
from doudi_runtime.store import Database, run_migrations
from doudi_runtime.store.sealed import reseal_page, sealed_columns, use_field_crypto

log = logging.getLogger(__name__)
T = TypeVar("T")

ROLES = ("serve", "consume", "relay", "migrate", "reseal", "all")

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


@dataclass(frozen=True)
class ServiceStore:
    """What a service's store module declares: its tables and its migrations."""

    metadata: MetaData
    messaging: MessagingTables
    idempotency: Table
    migrations_dir: Path
    audit: AuditTables | None = None

    @classmethod
    def create(cls, metadata: MetaData, migrations_dir: Path, *, audit: bool = False) -> ServiceStore:
        """Attach the runtime's tables (outbox, inbox, idempotency keys) to a service's metadata.

        ``audit=True`` adds the audit trail's tables too (the service's migrations must create them
        with ``create_audit_tables``).
        """
        return cls(
            metadata=metadata,
            messaging=add_messaging_tables(metadata),
            idempotency=add_idempotency_table(metadata),
            migrations_dir=migrations_dir,
            audit=add_audit_tables(metadata) if audit else None,
        )


def create_runtime_tables(op: Operations) -> None:
    """DDL of the runtime's tables, called from every service's first migration."""
    create_messaging_tables(op)
    create_idempotency_table(op)


def drop_runtime_tables(op: Operations) -> None:
    op.drop_table(IDEMPOTENCY_TABLE)
    drop_messaging_tables(op)


@dataclass
class ServiceContext(Generic[SettingsT]):
    """Everything a service's api/app/events layers are handed at start-up."""

    settings: SettingsT
    channels: ChannelFactory
    database: Database | None = None
    store: ServiceStore | None = None
    outbox: Outbox | None = None
    _shared: dict[str, object] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def shared(self, name: str, build: Callable[[], T]) -> T:
        """One object per process for ``name`` (e.g. a service's use-cases), built on first use and then
        shared by its API, its consumers and its workers."""
        with self._lock:
            if name not in self._shared:
                self._shared[name] = build()
            return self._shared[name]  # type: ignore[no-any-return]

    def audit_log(self) -> AuditLog:
        """The service's audit trail (one per process), for a store declared with ``audit=True``."""
        if self.database is None or self.store is None or self.store.audit is None:
            raise RuntimeError("this service was defined without an audit trail")
        database, tables = self.database, self.store.audit
        return self.shared("audit-log", lambda: AuditLog(database, tables))

    def persistence(self) -> Persistence:
        """The store, its database and its outbox, for a service that keeps one."""
        if self.database is None or self.store is None or self.outbox is None:
            raise RuntimeError("this service was defined without a store")
        return Persistence(self.database, self.store, self.outbox)


@dataclass(frozen=True)
class Persistence:
    database: Database
    store: ServiceStore
    outbox: Outbox


@dataclass(frozen=True)
class ServiceDefinition(Generic[SettingsT]):
    """A service, declared: its settings model, store, gRPC APIs and event subscriptions."""

    name: str
    settings_type: type[SettingsT]
    store: ServiceStore | None
    grpc_bindings: Callable[[ServiceContext[SettingsT]], Sequence[GrpcServiceBinding]]
    subscriptions: Callable[[ServiceContext[SettingsT]], Sequence[Subscription]] = field(
        default=lambda _context: ()
    )
    #: Extra loops the serve role runs beside the gRPC server (e.g. the gateway's HTTP server).
    front_workers: Callable[[ServiceContext[SettingsT]], Sequence[Worker]] = field(
        default=lambda _context: ()
    )
    #: Timers and sweeps (deadlines, escalations) the consume role runs beside the event consumer.
    background_workers: Callable[[ServiceContext[SettingsT]], Sequence[Worker]] = field(
        default=lambda _context: ()
    )
    #: One-off maintenance tasks, each run as a role of its own name that exits when done.
    tasks: Sequence[Task[SettingsT]] = ()

    def roles(self) -> tuple[str, ...]:
        return (*ROLES, *(task.name for task in self.tasks))


@dataclass(frozen=True)
class Task(Generic[SettingsT]):
    """A maintenance role (``python -m doudi_<service> <name>``): it does its work beside the running
    service and exits; ``run`` returns the line printed when it is done (what it did, counted)."""

    name: str
    run: Callable[[ServiceContext[SettingsT]], str]


@dataclass(frozen=True)
class Worker:
    """A named loop that runs until the process's stop event is set."""

    name: str
    run: Callable[[threading.Event], None]


def periodic(name: str, interval_seconds: float, tick: Callable[[], object]) -> Worker:
    """A worker that calls ``tick`` every interval until stopped.

    A failing tick (the database briefly away, say) is logged and tried again at the next interval:
    a sweep must outlive a hiccup, and every tick re-reads its work from the store.
    """

    def run(stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                tick()
            except Exception:
                log.exception("periodic task failed; retrying at the next interval", extra={"task": name})
            stop.wait(interval_seconds)

    return Worker(name, run)


def load_settings(settings_type: type[SettingsT]) -> SettingsT:
    """Read the settings once; a missing or malformed variable stops start-up with its name."""
    try:
        return settings_type()  # type: ignore[call-arg]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']).upper() or 'settings'}: {error['msg']}"
            for error in exc.errors()
        )
        raise SystemExit(f"invalid settings for {settings_type.__name__}: {problems}") from None


def use_settings_keys(settings: ServiceSettings) -> None:
    """Seal and hash personal data under the settings' keys from now on in this process."""
    try:
        crypto = settings.field_crypto()
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    if crypto.is_development:
        log.warning("personal data is sealed under the public development keys (local use only)")
    use_field_crypto(crypto)


def build_context(definition: ServiceDefinition[SettingsT], settings: SettingsT) -> ServiceContext[SettingsT]:
    channels = ChannelFactory(settings)
    if definition.store is None:
        return ServiceContext(settings=settings, channels=channels)
    use_settings_keys(settings)
    return ServiceContext(
        settings=settings,
        channels=channels,
        database=Database(settings.effective_database_url, pool_size=settings.database_pool_size),
        store=definition.store,
        outbox=Outbox(definition.name, definition.store.messaging),
    )


#: Container objects allocated (less freed) before the cyclic collector's youngest generation is swept, and
#: sweeps of each generation before the next is: CPython's 700/10/10 sweeps a page of a thousand roster
#: entries or bank orders, every one still alive, several times over while it is being built.
GC_THRESHOLDS = (50_000, 20, 20)


def freeze_startup_objects() -> int:
    """Move everything built so far (modules, message descriptors, the store's metadata, the context) out of
    the cyclic collector's reach: it lives as long as the process, and a full collection would otherwise walk
    all of it again each time, which a service making many short-lived objects (a payroll page of payment
    lines, say) triggers often; and sweep less often (:data:`GC_THRESHOLDS`). Returns how many objects were
    set aside."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    return gc.get_freeze_count()


def _install_stop_signals(stop: threading.Event) -> None:
    def _handler(signum: int, _frame: object) -> None:
        log.info("stopping on signal", extra={"signal": signal.Signals(signum).name})
        stop.set()

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)


def migrate(definition: ServiceDefinition[SettingsT], settings: SettingsT) -> str | None:
    if definition.store is None:
        log.info("this service keeps no store; nothing to migrate")
        return None
    use_settings_keys(settings)
    revision = run_migrations(settings.effective_database_url, definition.store.migrations_dir)
    log.info("store migrated", extra={"revision": revision})
    return revision


class _Workers:
    """Background loops (relay, consumers) that stop together and are joined on exit."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.threads: list[threading.Thread] = []
        self.crashed: list[str] = []

    def start(self, name: str, target: Callable[[threading.Event], None]) -> None:
        def _run() -> None:
            try:
                target(self.stop)
            except Exception:
                log.exception("worker crashed; stopping the process", extra={"worker": name})
                self.crashed.append(name)
                self.stop.set()

        thread = threading.Thread(target=_run, name=name, daemon=True)
        thread.start()
        self.threads.append(thread)

    def join(self, timeout: float) -> None:
        for thread in self.threads:
            thread.join(timeout)


def reseal(definition: ServiceDefinition[SettingsT], settings: SettingsT) -> int:
    """Rewrite every sealed value and lookup hash of the store under the primary keys; returns rows rewritten.

    Run after a new key is put first in FIELD_ENCRYPTION_KEYS / LOOKUP_HASH_KEYS; the old keys can leave the
    ring once it has finished. One transaction per page of a table, so it can run beside the service.
    """
    if definition.store is None:
        return 0
    use_settings_keys(settings)
    database = Database(settings.effective_database_url, pool_size=settings.database_pool_size)
    total = 0
    try:
        for table in definition.store.metadata.sorted_tables:
            if not sealed_columns(table):
                continue
            rewritten, after = 0, None
            while True:
                with database.transaction() as session:
                    done, after = reseal_page(session, table, after)
                rewritten += done
                if after is None:
                    break
            log.info("resealed", extra={"table": table.name, "rows": rewritten})
            total += rewritten
    finally:
        database.dispose()
    return total


def run_task(definition: ServiceDefinition[SettingsT], task: Task[SettingsT], settings: SettingsT) -> str:
    """One maintenance task in a context of its own, disposed of when it ends."""
    context = build_context(definition, settings)
    freeze_startup_objects()
    try:
        summary = task.run(context)
    finally:
        if context.database is not None:
            context.database.dispose()
    log.info("task done", extra={"task": task.name, "summary": summary})
    return summary


def run_role(definition: ServiceDefinition[SettingsT], role: str, settings: SettingsT) -> int:
    configure_logging(settings)
    if role == "migrate":
        migrate(definition, settings)
        return 0
    if role == "reseal":
        reseal(definition, settings)
        return 0
    task = next((t for t in definition.tasks if t.name == role), None)
    if task is not None:
        print(run_task(definition, task, settings))
        return 0
    if settings.should_migrate_on_start:
        migrate(definition, settings)

    stop = threading.Event()
    _install_stop_signals(stop)
    context = build_context(definition, settings)
    freeze_startup_objects()
    metrics_port = start_metrics_server(settings.metrics_host, settings.metrics_port)
    workers = _Workers(stop)
    server: GrpcServer | None = None
    try:
        store = definition.store
        if role in ("relay", "all") and store is not None and context.database is not None:
            relay = OutboxRelay(context.database, store.messaging, settings)
            workers.start("outbox-relay", relay.run)
        if role in ("consume", "all"):
            subscriptions = list(definition.subscriptions(context))
            if subscriptions and store is not None and context.database is not None:
                consumer = EventConsumer(
                    context.database,
                    store.messaging,
                    settings,
                    group_id=f"doudi-{definition.name}",
                    subscriptions=subscriptions,
                )
                workers.start("event-consumer", consumer.run)
            elif role == "consume":
                log.warning("this service subscribes to no topic yet; the consume role idles")
            for worker in definition.background_workers(context):
                workers.start(worker.name, worker.run)
        if role in ("serve", "all"):
            server = GrpcServer(settings, list(definition.grpc_bindings(context)))
            port = server.start()
            for worker in definition.front_workers(context):
                workers.start(worker.name, worker.run)
            log.info("serving", extra={"grpc_port": port, "metrics_port": metrics_port, "role": role})
        else:
            log.info("running", extra={"metrics_port": metrics_port, "role": role})
        stop.wait()
    finally:
        stop.set()
        if server is not None:
            server.set_serving(False)
            server.stop(settings.shutdown_grace_seconds)
        workers.join(settings.shutdown_grace_seconds + 5)
        if context.database is not None:
            context.database.dispose()
        log.info("stopped", extra={"role": role})
    # A crashed worker ends the process with a failure, so its supervisor (the kubelet) restarts it.
    return 1 if workers.crashed else 0


def main(definition: ServiceDefinition[SettingsT], argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=f"doudi-{definition.name}", description=f"doudi {definition.name} service"
    )
    parser.add_argument("role", choices=definition.roles(), help="what this process does")
    args = parser.parse_args(argv)
    settings = load_settings(definition.settings_type)
    return run_role(definition, args.role, settings)


def entrypoint(definition: ServiceDefinition[SettingsT]) -> None:
    sys.exit(main(definition))


def single_api(
    full_name: str,
    make_servicer: Callable[[ServiceContext[SettingsT]], object],
    add_to_server: Callable[[object, object], None],
) -> Callable[[ServiceContext[SettingsT]], Sequence[GrpcServiceBinding]]:
    """The gRPC bindings of a service that serves one API (most of them)."""

    def bindings(context: ServiceContext[SettingsT]) -> Sequence[GrpcServiceBinding]:
        return [GrpcServiceBinding(full_name, make_servicer(context), add_to_server)]

    return bindings
