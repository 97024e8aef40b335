"""Many rows written at once, each key once whatever was written before: on SQLite by executemany that skips
a taken key, on PostgreSQL by COPY, tried whole first and, when a key is taken, again without the taken
rows."""

from __future__ import annotations

from sqlalchemy import Column, MetaData, String, Table, select

from doudi_disbursement.store import bulk
from doudi_runtime.store import Database

metadata = MetaData()
lines = Table(
    "lines",
    metadata,
    Column("key", String(40), primary_key=True),
    Column("amount", String(10), nullable=False),
    Column("run", String(10), nullable=False),
)


def written(database: Database) -> dict[str, tuple[str, str]]:
    with database.read() as session:
        return {row.key: (row.amount, row.run) for row in session.execute(select(lines)).all()}


def test_rows_are_written_once_by_key_and_a_page_written_again_adds_only_its_new_rows(
    database_url: str,
) -> None:
    database = Database(database_url)
    metadata.create_all(database.engine)
    with database.transaction() as session:
        first = bulk.insert_once(
            session, lines, ["key", "amount"], [("a", "1"), ("b", "2")], {"run": "r1"}, "key"
        )
    with database.transaction() as session:
        again = bulk.insert_once(
            session,
            lines,
            ["key", "amount"],
            [("b", "20"), ("c", "3"), ("c", "30"), ("d", "4")],
            {"run": "r2"},
            "key",
        )
        session.execute(lines.insert().values(key="e", amount="5", run="r2"))  # the same transaction goes on
    assert (first, again) == (2, 2)
    assert written(database) == {
        "a": ("1", "r1"),
        "b": ("2", "r1"),
        "c": ("3", "r2"),
        "d": ("4", "r2"),
        "e": ("5", "r2"),
    }, "a taken key keeps its first row; a key twice in one call is written once, its first"
    database.dispose()
