"""Engine creation with sane per-dialect settings, and the one way to open a transaction.

Work that must commit with whatever a caller writes next (the audit record of a gRPC call) is handed to
:func:`before_commit`: while its scope lasts, every write transaction opened in the same context runs the
hook just before it commits, and inside the hook :meth:`Database.read` reads through the transaction being
committed, so the hook sees the uncommitted change. A hook that raises rolls the transaction back.

A read of one statement (:meth:`Database.query`) needs no transaction around it: one statement sees one
consistent state of the store on SQLite and on PostgreSQL alike, so it is sent on its own (autocommit),
without the BEGIN and COMMIT a :meth:`Database.read` costs.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Executable, RowMapping, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000
#: SQLite checkpoints its write-ahead log inside whichever commit crosses this many pages (its default
#: is 1,000: every few dozen requests one paid for it). A background checkpointer does the work instead;
#: the threshold stays as a backstop should it fall behind.
SQLITE_AUTOCHECKPOINT_PAGES = 20_000
#: A checkpoint copies each page written since the last one once, however often it was written, and the
#: hot pages (index roots, the newest leaves, the audit chain's head) are written by nearly every request:
#: the longer the interval, the fewer times they are copied, and the less the checkpointer competes with
#: the requests for the CPU. The backstop above bounds the log should writes outpace it.
SQLITE_CHECKPOINT_INTERVAL_SECONDS = 2.0
READ_ONLY_OPTION = "doudi_read_only"
#: A connection that sends each statement on its own, in no transaction (:meth:`Database.query`).
SINGLE_STATEMENT_OPTION = "doudi_single_statement"
#: ``session.info`` key of the actions :func:`doudi_runtime.store.hooks.after_commit` defers to the commit.
AFTER_COMMIT_INFO = "doudi_after_commit"

log = logging.getLogger(__name__)


def _normalise_url(url: str) -> str:
    """Let operators write ``postgresql://`` and still get the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _prepare_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy own transaction boundaries: BEGIN IMMEDIATE takes the write lock
        # up front, so two writers queue on busy_timeout instead of failing mid-transaction.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_AUTOCHECKPOINT_PAGES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        options = connection.get_execution_options()
        if options.get(SINGLE_STATEMENT_OPTION, False):
            return  # the driver is in autocommit mode (isolation_level None): the statement runs on its own
        connection.exec_driver_sql("BEGIN" if options.get(READ_ONLY_OPTION, False) else "BEGIN IMMEDIATE")


def redone_if_lost(session: Session) -> None:
    """Let this transaction's commit return before the write-ahead log reaches the disk (PostgreSQL's
    ``synchronous_commit`` off, for it alone), for work that is redone when lost. A server crash loses at
    most the last such commits, in the order they were made, and a later commit that does wait flushes them
    with it. SQLite's commits already return before the disk does (synchronous=NORMAL under WAL)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))


def create_engine_for(url: str, *, pool_size: int = 5) -> Engine:
    """An engine for a SQLite file (created with its folder) or a PostgreSQL database."""
    url = _normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _prepare_sqlite(engine)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def _checkpoint_wal(engine: Engine) -> None:
    # A DBAPI connection: an Engine connection would open a transaction (BEGIN IMMEDIATE) first.
    connection = engine.raw_connection()
    try:
        connection.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)")
    finally:
        connection.close()


def _start_checkpointer(engine: Engine, stop: threading.Event) -> None:
    """Checkpoint the WAL every interval in the background (PASSIVE: never waits for, nor blocks, a writer).

    The thread holds the engine weakly and ends with it, or when ``stop`` is set.
    """
    engine_ref = weakref.ref(engine)

    def run() -> None:
        while not stop.wait(SQLITE_CHECKPOINT_INTERVAL_SECONDS):
            current = engine_ref()
            if current is None:
                return
            try:
                _checkpoint_wal(current)
            except Exception:
                log.debug("WAL checkpoint skipped", exc_info=True)
            del current

    threading.Thread(target=run, name="sqlite-wal-checkpoint", daemon=True).start()


#: Runs inside a write transaction of a database, just before it commits.
CommitHook = Callable[["Database", Session], None]

_before_commit: ContextVar[CommitHook | None] = ContextVar("doudi_before_commit", default=None)
#: The transaction a before-commit hook runs in: reads of that database go through it.
_committing: ContextVar[tuple[Database, Session] | None] = ContextVar("doudi_committing", default=None)


@contextmanager
def before_commit(hook: CommitHook) -> Iterator[None]:
    """Run ``hook(database, session)`` in every write transaction this context opens, before it commits.

    The hook decides for itself which databases and which transactions it acts on (it is called for each).
    """
    token = _before_commit.set(hook)
    try:
        yield
    finally:
        _before_commit.reset(token)


class Database:
    """A service's store: one engine, and transactions that commit or roll back as a unit."""

    def __init__(self, url: str, *, pool_size: int = 5) -> None:
        self.url = url
        self.engine = create_engine_for(url, pool_size=pool_size)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(
            self.engine.execution_options(**{READ_ONLY_OPTION: True}), expire_on_commit=False
        )
        single: dict[str, Any] = {READ_ONLY_OPTION: True, SINGLE_STATEMENT_OPTION: True}
        if self.engine.dialect.name != "sqlite":
            single["isolation_level"] = "AUTOCOMMIT"  # SQLite's driver already is (see _prepare_sqlite)
        self._single_statements = self.engine.execution_options(**single)
        self._stop_checkpoints = threading.Event()
        #: SQLite lets one transaction write at a time. Writers of one process queue here, and the next one
        #: starts the moment the last commits, rather than when SQLite's busy handler next wakes it (it
        #: sleeps up to 100 ms between tries); writers of other processes still meet in the busy handler.
        self._writers = threading.RLock() if self.engine.dialect.name == "sqlite" else None
        database = make_url(self.engine.url).database
        if self.engine.dialect.name == "sqlite" and database and database != ":memory:":
            _start_checkpointer(self.engine, self._stop_checkpoints)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: everything written inside commits together or not at all."""
        session = self._sessions()
        session.info[AFTER_COMMIT_INFO] = []
        try:
            with self._writing(), session.begin():
                yield session
                hook = _before_commit.get()
                if hook is not None:
                    self._run_hook(hook, session)
            # Committed: what waited for the commit runs now (never after a rollback, which raised above).
            for action in session.info[AFTER_COMMIT_INFO]:
                action()
        finally:
            session.close()

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Hold this process's place in SQLite's queue of writers until the transaction ends. The wait is as
        long as SQLite's own busy timeout; past it, the transaction goes on and SQLite refuses it, as it
        would any writer it waited that long for."""
        if self._writers is None:
            yield
            return
        queued = self._writers.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
        try:
            yield
        finally:
            if queued:
                self._writers.release()

    def _run_hook(self, hook: CommitHook, session: Session) -> None:
        committing = _committing.set((self, session))
        outer = _before_commit.set(None)  # a transaction the hook itself opens does not run it again
        try:
            hook(self, session)
        finally:
            _before_commit.reset(outer)
            _committing.reset(committing)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A transaction for queries only: on SQLite it does not take the write lock.

        Inside a before-commit hook, reads of this database go through the transaction being committed."""
        committing = _committing.get()
        if committing is not None and committing[0] is self:
            yield committing[1]
            return
        session = self._read_sessions()
        try:
            with session.begin():
                yield session
        finally:
            session.close()

    def query(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> Sequence[RowMapping]:
        """The rows of one read-only statement, sent on its own (no BEGIN, no COMMIT: see the module).

        Inside a before-commit hook it reads through the transaction being committed, as :meth:`read` does."""
        committing = _committing.get()
        if committing is not None and committing[0] is self:
            return committing[1].connection().execute(statement, parameters).mappings().all()
        with self._single_statements.connect() as connection:
            return connection.execute(statement, parameters).mappings().all()

    def dispose(self) -> None:
        self._stop_checkpoints.set()
        self.engine.dispose()
