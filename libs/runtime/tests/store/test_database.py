"""A service's store: transactions are all-or-nothing, migrations are per service and repeatable."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    event,
    func,
    insert,
    inspect,
    select,
    text,
)

from doudi_runtime.store import Database, current_revision, redone_if_lost, run_migrations
from doudi_runtime.store.database import SQLITE_CHECKPOINT_INTERVAL_SECONDS

MIGRATIONS = Path(__file__).parent / "migrations_fixture"

metadata = MetaData()
notes = Table("notes", metadata, Column("id", Integer, primary_key=True), Column("body", String(100)))


def test_sqlite_store_uses_wal_and_enforces_foreign_keys(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'nested' / 'svc.db'}")
    with database.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    database.dispose()


def test_a_failed_transaction_writes_nothing(database_url: str) -> None:
    database = Database(database_url)
    metadata.create_all(database.engine)
    with database.transaction() as session:
        session.execute(insert(notes).values(body="kept"))
    with pytest.raises(RuntimeError), database.transaction() as session:
        session.execute(insert(notes).values(body="lost"))
        raise RuntimeError("the use-case failed half way")
    with database.transaction() as session:
        bodies = session.execute(select(notes.c.body)).scalars().all()
    assert bodies == ["kept"]
    database.dispose()


def test_sqlite_writers_of_one_process_queue_before_their_transaction_starts(tmp_path: Path) -> None:
    """The second writer starts only once the first has committed, and then sees what the first wrote."""
    database = Database(f"sqlite:///{tmp_path / 'svc.db'}")
    metadata.create_all(database.engine)
    second_inside = threading.Event()
    seen: list[list[str]] = []

    def second_writer() -> None:
        with database.transaction() as session:
            second_inside.set()
            seen.append(list(session.execute(select(notes.c.body)).scalars()))
            session.execute(insert(notes).values(body="second"))

    with database.transaction() as session:
        session.execute(insert(notes).values(body="first"))
        writer = threading.Thread(target=second_writer)
        writer.start()
        assert not second_inside.wait(0.3)
    writer.join(timeout=10)
    assert seen == [["first"]]
    with database.read() as session:
        written = session.execute(select(notes.c.body).order_by(notes.c.id)).scalars().all()
    assert written == ["first", "second"]
    database.dispose()


def test_a_writer_may_open_a_transaction_on_another_store_inside_its_own(tmp_path: Path) -> None:
    """Each store has its own queue of writers: an audit store written inside a service's transaction."""
    service, audit = (Database(f"sqlite:///{tmp_path / name}") for name in ("svc.db", "audit.db"))
    for database in (service, audit):
        metadata.create_all(database.engine)
    with service.transaction() as outer:
        outer.execute(insert(notes).values(body="work"))
        with audit.transaction() as inner:
            inner.execute(insert(notes).values(body="record"))
    for database, body in ((service, "work"), (audit, "record")):
        with database.read() as session:
            assert session.execute(select(notes.c.body)).scalars().all() == [body]
        database.dispose()


def test_work_redone_if_lost_commits_without_waiting_for_the_disk_and_only_itself(database_url: str) -> None:
    database = Database(database_url)
    metadata.create_all(database.engine)
    postgres = database.dialect == "postgresql"
    with database.transaction() as session:
        usual = session.execute(text("SHOW synchronous_commit")).scalar() if postgres else None
    with database.transaction() as session:
        redone_if_lost(session)
        session.execute(insert(notes).values(body="a page"))
        if postgres:
            assert session.execute(text("SHOW synchronous_commit")).scalar() == "off"
    with database.transaction() as session:
        assert session.execute(select(notes.c.body)).scalars().all() == ["a page"], "committed all the same"
        if postgres:
            assert session.execute(text("SHOW synchronous_commit")).scalar() == usual, "the next is as usual"
    database.dispose()


def test_migrations_bring_a_store_to_head_and_can_run_again(database_url: str) -> None:
    first = run_migrations(database_url, MIGRATIONS)
    again = run_migrations(database_url, MIGRATIONS)
    assert first == again == "0001"
    database = Database(database_url)
    assert "greetings" in inspect(database.engine).get_table_names()
    assert current_revision(database.engine) == "0001"
    with database.transaction() as session:
        assert session.execute(select(func.count()).select_from(text("greetings"))).scalar() == 0
    database.dispose()


def test_sqlite_moves_committed_writes_into_the_database_file_in_the_background(tmp_path: Path) -> None:
    path = tmp_path / "svc.db"
    database = Database(f"sqlite:///{path}")
    metadata.create_all(database.engine)
    with database.transaction() as session:
        session.execute(insert(notes), [{"body": f"note {n}"} for n in range(50)])

    def rows_in_the_file_alone() -> int:
        # immutable=1 reads the database file and ignores the WAL: only checkpointed pages are seen.
        with sqlite3.connect(f"file:{path}?immutable=1", uri=True) as reader:
            try:
                return int(reader.execute("SELECT count(*) FROM notes").fetchone()[0])
            except sqlite3.OperationalError:  # the table itself is not checkpointed yet
                return 0

    deadline = time.monotonic() + 20 * SQLITE_CHECKPOINT_INTERVAL_SECONDS
    while rows_in_the_file_alone() < 50 and time.monotonic() < deadline:
        time.sleep(SQLITE_CHECKPOINT_INTERVAL_SECONDS / 5)
    assert rows_in_the_file_alone() == 50
    database.dispose()


def test_a_query_is_one_statement_sent_on_its_own(database_url: str) -> None:
    database = Database(database_url)
    metadata.create_all(database.engine)
    with database.transaction() as session:
        session.execute(insert(notes), [{"body": "a"}, {"body": "b"}])
    sent: list[str] = []
    event.listen(database.engine, "before_cursor_execute", lambda *args: sent.append(args[2]))
    rows = database.query(
        select(notes.c.id, notes.c.body).where(notes.c.body == bindparam("body")), {"body": "b"}
    )
    assert [dict(row) for row in rows] == [{"id": 2, "body": "b"}]
    assert len(sent) == 1 and "BEGIN" not in sent[0]  # no transaction around it
    # The connection it used goes back to whole transactions: a failed one still writes nothing.
    with pytest.raises(RuntimeError), database.transaction() as session:
        session.execute(insert(notes).values(body="lost"))
        raise RuntimeError("the use-case failed half way")
    with database.transaction() as session:
        session.execute(insert(notes).values(body="c"))
    assert [row["body"] for row in database.query(select(notes.c.body).order_by(notes.c.id))] == [
        "a",
        "b",
        "c",
    ]
    database.dispose()
