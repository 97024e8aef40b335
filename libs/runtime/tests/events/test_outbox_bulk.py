"""Outbox.add_many: many events of one topic in one INSERT, in order, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from doudi.common.v1.types_pb2 import Period
from doudi_runtime.events.envelope import decode, unpack
from doudi_runtime.events.outbox import Outbox, PendingEvent
from doudi_runtime.store import Database
from doudi_runtime.testing.events import MESSAGING, metadata


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    metadata.create_all(database.engine)
    yield database
    database.dispose()


def rows(database: Database) -> list[tuple[str, str, str]]:
    table = MESSAGING.outbox
    with database.read() as session:
        found = session.execute(select(table).order_by(table.c.seq)).all()
    return [
        (row.message_key, unpack(decode(row.envelope), Period).month, decode(row.envelope).causation_id)
        for row in found
    ]


def test_many_events_are_written_in_order_with_their_keys_and_causes(database: Database) -> None:
    outbox = Outbox("bulktest", MESSAGING)
    events = [PendingEvent(f"subject-{i % 3}", Period(month=f"2026-{i + 1:02d}"), "sweep") for i in range(12)]
    with database.transaction() as session:
        ids = outbox.add_many(session, topic="doudi.test.bulk.v1", events=events)
        assert outbox.add_many(session, topic="doudi.test.bulk.v1", events=[]) == []
    assert len(set(ids)) == 12
    assert ids == sorted(ids)  # made at once, as one after another: the ids sort as the events were given
    assert rows(database) == [(e.subject_key, e.payload.month, "sweep") for e in events]  # type: ignore[attr-defined]


def test_events_given_by_a_generator_are_all_written(database: Database) -> None:
    outbox = Outbox("bulktest", MESSAGING)
    with database.transaction() as session:
        ids = outbox.add_many(
            session,
            topic="doudi.test.bulk.v1",
            events=(PendingEvent("k", Period(month=f"2026-{i + 1:02d}")) for i in range(3)),
        )
    assert len(set(ids)) == 3
    assert [month for _, month, _ in rows(database)] == ["2026-01", "2026-02", "2026-03"]


def test_a_rolled_back_transaction_leaves_no_bulk_event(database: Database) -> None:
    outbox = Outbox("bulktest", MESSAGING)
    with pytest.raises(RuntimeError), database.transaction() as session:
        outbox.add_many(session, topic="t", events=[PendingEvent("k", Period(month="2026-01"))])
        raise RuntimeError("the state change failed")
    assert rows(database) == []
    with pytest.raises(ValueError), database.transaction() as session:
        outbox.add_many(session, topic="", events=[PendingEvent("k", Period(month="2026-01"))])
