"""A mutating call's audit record commits with its change, in the handler's transaction, on both stores.

The policy step is driven directly (a call with a fake servicer context), around handlers that write
through ``Database.transaction()`` as the services' use-cases do.
"""

from __future__ import annotations

import contextvars
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import grpc
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, event, insert, select, update
from sqlalchemy.orm import Session

from doudi_common.region import RegionCode
from doudi_runtime.audit.trail import GENESIS_HASH, AuditLog, add_audit_tables
from doudi_runtime.authz.lookups import column_lookup, row_snapshot
from doudi_runtime.authz.policy import FromRecord, ServicePolicy, rule
from doudi_runtime.authz.principal import Principal, Role
from doudi_runtime.grpc import context as call_context
from doudi_runtime.grpc.authz import PolicyStep
from doudi_runtime.grpc.interceptors import ServerCall
from doudi_runtime.store import Database

SERVICE = "doudi.test.v1.Records"
TOWNSHIP = "640402100000"
CLERK = Principal("clerk.a", Role.TOWNSHIP_OFFICE, org="A乡", regions=(RegionCode(TOWNSHIP),))

metadata = MetaData()
records = Table(
    "records",
    metadata,
    Column("record_id", String(40), primary_key=True),
    Column("region", String(12), nullable=False),
    Column("status", String(40), nullable=False),
    Column("version", Integer, nullable=False),
)
#: One row every handler locks first: the head row of the audit chain is then always the second lock taken.
counters = Table(
    "counters", metadata, Column("id", Integer, primary_key=True), Column("value", Integer, nullable=False)
)
audit_tables = add_audit_tables(metadata)


class Crash(Exception):
    """The process dying at a chosen point (raised instead)."""


class FakeContext:
    def __init__(self) -> None:
        self._code: grpc.StatusCode | None = None

    def code(self) -> grpc.StatusCode | None:
        return self._code

    def peer(self) -> str:
        return "ipv4:127.0.0.1:50000"

    def abort(self, code: grpc.StatusCode, details: str) -> None:
        self._code = code
        raise RuntimeError(details)


@dataclass
class Store:
    database: Database
    audit: AuditLog
    step: PolicyStep

    def call(self, record_id: str, handler: Callable[[], Any], *, caller: Principal = CLERK) -> None:
        """One Change call on ``record_id`` through the policy step, in a context of its own."""

        def run() -> None:
            call_context.set_caller(caller)
            call_context.set_request_id(f"req-{record_id}")
            call = ServerCall(f"/{SERVICE}/Change", "unary", FakeContext(), {})  # type: ignore[arg-type]
            call.request = SimpleNamespace(record_id=record_id, reason="corrected")
            with self.step.scope(call):
                call.response = handler()

        contextvars.copy_context().run(run)

    def status(self, record_id: str) -> str:
        with self.database.read() as session:
            query = select(records.c.status).where(records.c.record_id == record_id)
            return str(session.execute(query).scalar())

    def audit_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "subject_id": r.subject_id,
                "before": json.loads(r.before_json) if r.before_json else None,
                "after": json.loads(r.after_json) if r.after_json else None,
            }
            for r in self.audit.page(0, 10_000)
        ]


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    database = Database(database_url, pool_size=10)
    metadata.create_all(database.engine)
    with database.transaction() as session:
        session.execute(insert(audit_tables.head).values(id=1, sequence=0, hash=GENESIS_HASH))
        session.execute(insert(counters).values(id=1, value=0))
        session.execute(
            insert(records),
            [{"record_id": f"r{i}", "region": TOWNSHIP, "status": "open", "version": 0} for i in range(8)],
        )
    audit = AuditLog(database, audit_tables)
    policy = ServicePolicy(
        SERVICE,
        {"Change": rule(Role.TOWNSHIP_OFFICE, region=FromRecord("record", "record_id"), mutates=True)},
        lookups={"record": column_lookup(database, records, "record_id", "region")},
        snapshots={"record": row_snapshot(database, records, "record_id")},
        audit=audit,
    )
    try:
        yield Store(database, audit, PolicyStep({SERVICE: policy}))
    finally:
        database.dispose()


def close(database: Database, record_id: str, session: Session | None = None) -> None:
    statement = (
        update(records)
        .where(records.c.record_id == record_id)
        .values(status="closed", version=records.c.version + 1)
    )
    if session is not None:
        session.execute(statement)
        return
    with database.transaction() as own:
        own.execute(statement)


def test_a_change_and_its_audit_record_commit_together_with_the_after_seen_inside(store: Store) -> None:
    store.call("r1", lambda: close(store.database, "r1"))

    assert store.status("r1") == "closed"
    assert store.audit_rows() == [
        {
            "subject_id": "r1",
            "before": {"record_id": "r1", "region": TOWNSHIP, "status": "open", "version": 0},
            "after": {"record_id": "r1", "region": TOWNSHIP, "status": "closed", "version": 1},
        }
    ]
    assert store.audit.verify().intact


def test_a_handler_that_fails_after_writing_leaves_neither_change_nor_record(store: Store) -> None:
    def write_then_fail() -> None:
        with store.database.transaction() as session:
            close(store.database, "r1", session)
            raise Crash("after the write, before the commit")

    with pytest.raises(Crash):
        store.call("r1", write_then_fail)

    assert store.status("r1") == "open"
    assert store.audit_rows() == []


def test_a_commit_that_fails_after_the_audit_append_keeps_neither(store: Store) -> None:
    def write_then_die_while_committing() -> None:
        with store.database.transaction() as session:
            close(store.database, "r1", session)

            def die(_session: Session) -> None:
                # Fires after the audit append, as the session commits: the moment a process could die.
                raise Crash("the process died while committing")

            event.listen(session, "before_commit", die)

    with pytest.raises(Crash):
        store.call("r1", write_then_die_while_committing)

    assert store.status("r1") == "open"
    assert store.audit_rows() == []
    store.call("r1", lambda: close(store.database, "r1"))  # the retry commits both
    assert store.status("r1") == "closed" and len(store.audit_rows()) == 1
    assert store.audit.verify().intact


def test_a_replay_that_commits_nothing_is_still_audited(store: Store) -> None:
    store.call("r1", lambda: close(store.database, "r1"))
    store.call("r1", lambda: None)  # answered from the idempotency table: no write transaction

    first, replay = store.audit_rows()
    assert replay["before"] == replay["after"] == first["after"]
    assert store.audit.verify().intact


def test_several_write_transactions_in_one_call_are_audited_once_in_the_first(store: Store) -> None:
    def two_steps() -> None:
        close(store.database, "r1")
        with store.database.transaction() as session:
            session.execute(update(records).where(records.c.record_id == "r1").values(status="archived"))

    store.call("r1", two_steps)

    (only,) = store.audit_rows()
    assert (only["before"]["status"], only["after"]["status"]) == ("open", "closed")
    assert store.status("r1") == "archived"


def test_a_refused_call_runs_no_handler_and_records_nothing(store: Store) -> None:
    elsewhere = Principal("clerk.b", Role.TOWNSHIP_OFFICE, regions=(RegionCode("640402101000"),))
    ran: list[str] = []
    with pytest.raises(Exception, match="record not found"):
        store.call("r1", lambda: ran.append("handler"), caller=elsewhere)
    assert ran == [] and store.audit_rows() == []


@contextmanager
def counted(database: Database) -> Iterator[dict[str, int]]:
    """Transactions begun, and statements that read the records table, while the scope lasts."""
    seen = {"transactions": 0, "record_reads": 0}

    def on_begin(_connection: Any) -> None:
        seen["transactions"] += 1

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM records" in statement:
            seen["record_reads"] += 1

    event.listen(database.engine, "begin", on_begin)
    event.listen(database.engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(database.engine, "begin", on_begin)
        event.remove(database.engine, "before_cursor_execute", on_execute)


def test_a_call_on_a_known_record_reads_it_once_before_and_runs_two_transactions(store: Store) -> None:
    with counted(store.database) as seen:
        store.call("r1", lambda: close(store.database, "r1"))
    # One read answers the region check and the "before"; the handler's transaction holds the write,
    # the "after" and the audit append.
    assert seen == {"transactions": 2, "record_reads": 2}


def test_the_chain_verifies_after_concurrent_calls_that_lock_another_row_first(store: Store) -> None:
    calls_per_thread, threads = 10, 6
    errors: list[BaseException] = []

    def handler(record_id: str) -> None:
        with store.database.transaction() as session:
            locked = select(counters.c.value).where(counters.c.id == 1)
            if store.database.dialect == "postgresql":
                locked = locked.with_for_update()
            value = session.execute(locked).scalar_one()
            session.execute(update(counters).where(counters.c.id == 1).values(value=value + 1))
            session.execute(
                update(records).where(records.c.record_id == record_id).values(version=records.c.version + 1)
            )

    def worker(index: int) -> None:
        record_id = f"r{index}"
        try:
            for _ in range(calls_per_thread):
                store.call(record_id, lambda: handler(record_id))
        except BaseException as exc:
            errors.append(exc)

    running = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join(timeout=120)

    assert errors == []
    verdict = store.audit.verify()
    assert (verdict.intact, verdict.records_checked) == (True, calls_per_thread * threads)
    rows = store.audit_rows()
    for index in range(threads):
        changes = [
            (r["before"]["version"], r["after"]["version"]) for r in rows if r["subject_id"] == f"r{index}"
        ]
        assert sorted(changes) == [(n, n + 1) for n in range(calls_per_thread)]
    with store.database.read() as session:
        assert session.execute(select(counters.c.value)).scalar_one() == calls_per_thread * threads


def test_an_audit_append_that_fails_takes_the_change_back_with_it(store: Store) -> None:
    def unmaskable(_value: Any) -> Any:
        raise Crash("the process died between the change and its audit record")

    failing = AuditLog(store.database, audit_tables, mask=unmaskable)
    policy = ServicePolicy(
        SERVICE,
        {"Change": rule(Role.TOWNSHIP_OFFICE, region=FromRecord("record", "record_id"), mutates=True)},
        lookups={"record": column_lookup(store.database, records, "record_id", "region")},
        snapshots={"record": row_snapshot(store.database, records, "record_id")},
        audit=failing,
    )
    broken = Store(store.database, failing, PolicyStep({SERVICE: policy}))

    with pytest.raises(Crash):
        broken.call("r1", lambda: close(store.database, "r1"))

    assert store.status("r1") == "open"
    assert store.audit_rows() == []
