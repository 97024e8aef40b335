"""Work handed to ``before_commit`` runs in the write transactions that follow and shares their fate."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select
from sqlalchemy.orm import Session

from doudi_runtime.store import Database, before_commit

metadata = MetaData()
notes = Table("notes", metadata, Column("id", Integer, primary_key=True), Column("body", String(100)))


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    metadata.create_all(database.engine)
    try:
        yield database
    finally:
        database.dispose()


def bodies(database: Database) -> list[str]:
    with database.read() as session:
        return list(session.execute(select(notes.c.body).order_by(notes.c.id)).scalars())


def test_the_hook_writes_in_the_transaction_and_reads_its_uncommitted_change(database: Database) -> None:
    seen: list[list[str]] = []

    def hook(store: Database, session: Session) -> None:
        seen.append(bodies(store))  # a read of this store goes through the transaction being committed
        session.execute(insert(notes).values(body="hook"))

    with before_commit(hook), database.transaction() as session:
        session.execute(insert(notes).values(body="change"))

    assert seen == [["change"]]
    assert bodies(database) == ["change", "hook"]


def test_a_hook_that_fails_rolls_the_change_back(database: Database) -> None:
    def hook(_store: Database, _session: Session) -> None:
        raise RuntimeError("could not record the change")

    with pytest.raises(RuntimeError), before_commit(hook), database.transaction() as session:
        session.execute(insert(notes).values(body="change"))

    assert bodies(database) == []


def test_the_hook_does_not_run_for_a_transaction_that_fails_nor_outside_its_scope(database: Database) -> None:
    calls: list[str] = []

    def hook(_store: Database, _session: Session) -> None:
        calls.append("hook")

    with before_commit(hook):
        with pytest.raises(RuntimeError), database.transaction() as session:
            session.execute(insert(notes).values(body="lost"))
            raise RuntimeError("the use-case failed half way")
        with database.read():
            pass  # reads do not commit anything
    with database.transaction() as session:
        session.execute(insert(notes).values(body="later"))

    assert calls == []
    assert bodies(database) == ["later"]


def test_a_transaction_the_hook_opens_itself_does_not_run_it_again(database: Database) -> None:
    calls: list[str] = []

    def hook(store: Database, _session: Session) -> None:
        calls.append("hook")
        if store.dialect == "postgresql":  # SQLite would wait on its own write lock
            with store.transaction() as own:
                own.execute(insert(notes).values(body="own"))

    with before_commit(hook), database.transaction() as session:
        session.execute(insert(notes).values(body="change"))

    assert calls == ["hook"]


def test_a_query_inside_the_hook_reads_the_uncommitted_change(database: Database) -> None:
    seen: list[list[str]] = []

    def hook(store: Database, _session: Session) -> None:
        seen.append([row["body"] for row in store.query(select(notes.c.body).order_by(notes.c.id))])

    with before_commit(hook), database.transaction() as session:
        session.execute(insert(notes).values(body="change"))

    assert seen == [["change"]]
