"""An effect outside the database happens only when the transaction that caused it commits."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert

from doudi_runtime.store import Database
from doudi_runtime.store.hooks import after_commit

metadata = MetaData()
marks = Table("marks", metadata, Column("id", Integer, primary_key=True))


def test_the_action_runs_once_on_commit_and_never_on_rollback(database_url: str) -> None:
    database = Database(database_url)
    metadata.create_all(database.engine)
    seen: list[str] = []
    with database.transaction() as session:
        session.execute(insert(marks).values(id=1))
        after_commit(session, lambda: seen.append("committed"))
        assert seen == [], "nothing runs before the commit"
    with pytest.raises(RuntimeError), database.transaction() as session:
        session.execute(insert(marks).values(id=2))
        after_commit(session, lambda: seen.append("rolled back"))
        raise RuntimeError("the use-case failed")
    with database.transaction() as session:
        session.execute(insert(marks).values(id=3))
    assert seen == ["committed"]
    metadata.drop_all(database.engine)
    database.dispose()
