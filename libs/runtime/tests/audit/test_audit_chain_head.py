"""An audit log moves the chain's head from where its last committed append left it, without reading it first;
a head moved by anyone else (another replica, a rolled-back append, a restored store) is read under lock, and
the chain stays whole."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import MetaData, delete, event, insert, update

from doudi_runtime.audit.trail import GENESIS_HASH, HEAD_TABLE, AuditEntry, AuditLog, add_audit_tables
from doudi_runtime.store import Database

metadata = MetaData()
tables = add_audit_tables(metadata)


def entry(subject: str) -> AuditEntry:
    return AuditEntry(
        actor="clerk.a",
        actor_role="TOWNSHIP_OFFICE",
        actor_org="A乡",
        via="",
        peer="ipv4:127.0.0.1:50000",
        request_id=f"req-{subject}",
        method="/doudi.test.v1.Records/Change",
        subject_kind="record",
        subject_id=subject,
        reason="",
        before={"status": "open"},
        after={"status": "closed"},
    )


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = Database(database_url, pool_size=10)
    metadata.create_all(database.engine)
    with database.transaction() as session:
        session.execute(insert(tables.head).values(id=1, sequence=0, hash=GENESIS_HASH))
    try:
        yield database
    finally:
        database.dispose()


@contextmanager
def head_reads(database: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_conn, _cursor, statement: str, *_: object) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT") and HEAD_TABLE in statement:
            seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", note)


def test_appends_after_the_first_do_not_read_the_head(database: Database) -> None:
    log = AuditLog(database, tables)
    with head_reads(database) as seen:
        for index in range(5):
            log.append(entry(f"r{index}"))
    assert len(seen) == 1, "only the first append, which knows no head yet, reads it"
    verdict = log.verify()
    assert (verdict.intact, verdict.records_checked) == (True, 5)


def test_two_replicas_appending_in_turn_keep_one_chain(database: Database) -> None:
    first, second = AuditLog(database, tables), AuditLog(database, tables)
    with head_reads(database) as seen:
        for index in range(6):
            (first if index % 2 == 0 else second).append(entry(f"r{index}"))
    assert len(seen) == 6, "each replica finds the head moved by the other and reads it"
    verdict = first.verify()
    assert (verdict.intact, verdict.records_checked) == (True, 6)


def test_concurrent_appenders_of_two_replicas_never_fork_the_chain(database: Database) -> None:
    logs = [AuditLog(database, tables), AuditLog(database, tables)]
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            for call in range(15):
                logs[index % 2].append(entry(f"t{index}-{call}"))
        except BaseException as exc:
            errors.append(exc)

    running = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join(timeout=120)
    assert errors == []
    verdict = logs[0].verify()
    assert (verdict.intact, verdict.records_checked) == (True, 60)


def test_an_append_rolled_back_leaves_the_known_head_where_the_store_has_it(database: Database) -> None:
    log = AuditLog(database, tables)
    log.append(entry("r0"))
    with pytest.raises(RuntimeError, match="the change failed"), database.transaction() as session:
        log.append_in(session, entry("r1"))
        raise RuntimeError("the change failed")
    with head_reads(database) as seen:
        log.append(entry("r2"))
    assert seen == [], "the head is where the last committed append left it"
    verdict = log.verify()
    assert (verdict.intact, verdict.records_checked) == (True, 2)


def test_a_store_restored_to_an_earlier_head_is_chained_from_that_head(database: Database) -> None:
    log = AuditLog(database, tables)
    first = log.append(entry("r0"))
    log.append(entry("r1"))
    with database.transaction() as session:  # the store as a backup taken after r0 has it
        session.execute(delete(tables.records).where(tables.records.c.sequence > first.sequence))
        session.execute(update(tables.head).values(sequence=first.sequence, hash=first.hash))
    again = log.append(entry("r1-again"))
    assert (again.sequence, again.previous_hash) == (2, first.hash)
    verdict = log.verify()
    assert (verdict.intact, verdict.records_checked) == (True, 2)
