"""Record lookups a policy uses: a record's region, and the record as the audit trail keeps it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, Date, Integer, MetaData, String, Table, Text, event, insert, update
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from doudi_runtime.authz.lookups import _json_ready, column_lookup, row_snapshot, shared_reads
from doudi_runtime.store import Database, UtcDateTime


class Unreadable(TypeDecorator[str]):
    """A column whose value cannot be read back (as a sealed body without its key)."""

    impl = Text
    cache_ok = True

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        raise AssertionError("the column was read")


metadata = MetaData()
records = Table(
    "records",
    metadata,
    Column("record_id", String(40), primary_key=True),
    Column("region", String(12), nullable=False),
    Column("visits", Integer, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("body", Unreadable, nullable=False),
)


@pytest.fixture
def database(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'lookups.db'}")
    metadata.create_all(database.engine)
    with database.transaction() as session:
        session.execute(
            insert(records),
            {
                "record_id": "r1",
                "region": "640402100000",
                "visits": 3,
                "due_on": date(2025, 7, 1),
                "updated_at": datetime(2025, 6, 10, 2, 0, tzinfo=UTC),
                "body": "王芳 640402198607021247",
            },
        )
    return database


def test_a_records_region_is_found_by_its_id_and_an_unknown_id_has_none(database: Database) -> None:
    lookup = column_lookup(database, records, "record_id", "region")
    assert lookup("r1") == "640402100000"
    assert lookup("r2") is None


def test_a_snapshot_leaves_out_the_columns_it_omits_without_reading_them(database: Database) -> None:
    snapshot = row_snapshot(database, records, "record_id", omit=("body",))
    assert snapshot("r1") == {
        "record_id": "r1",
        "region": "640402100000",
        "visits": 3,
        "due_on": "2025-07-01",
        "updated_at": "2025-06-10T02:00:00+00:00",
    }
    assert snapshot("r2") is None


def test_a_snapshot_without_omissions_reads_every_column(database: Database) -> None:
    with pytest.raises(AssertionError, match="the column was read"):
        row_snapshot(database, records, "record_id")("r1")


def _statements(database: Database) -> list[str]:
    seen: list[str] = []
    event.listen(
        database.engine,
        "before_cursor_execute",
        lambda *args: seen.append(args[2]) if "FROM records" in args[2] else None,
    )
    return seen


def test_within_shared_reads_a_region_lookup_answers_from_the_row_a_snapshot_read(database: Database) -> None:
    snapshot = row_snapshot(database, records, "record_id", omit=("body",))
    lookup = column_lookup(database, records, "record_id", "region")
    seen = _statements(database)
    with shared_reads():
        assert snapshot("r1") is not None and snapshot("r2") is None
        before = len(seen)
        assert (lookup("r1"), lookup("r2")) == ("640402100000", None)
        assert len(seen) == before  # neither lookup queried the store
    with database.transaction() as session:
        session.execute(update(records).values(region="640402101000"))
    assert lookup("r1") == "640402101000"  # outside the scope every lookup reads the store


def test_a_lookup_of_a_column_the_snapshot_left_out_still_reads_it(database: Database) -> None:
    snapshot = row_snapshot(database, records, "record_id", omit=("body", "region"))
    lookup = column_lookup(database, records, "record_id", "region")
    with shared_reads():
        snapshot("r1")
        seen = _statements(database)
        assert lookup("r1") == "640402100000"
    assert len(seen) == 1


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=8),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.floats(allow_nan=False),
            st.text(max_size=20),
            st.binary(max_size=8),
            st.dates(),
            st.datetimes(timezones=st.just(UTC)),
            st.decimals(allow_nan=False, allow_infinity=False, places=2),
        ),
        max_size=6,
    )
)
def test_a_snapshot_holds_a_row_as_a_json_round_trip_gives_it_back(row: dict[str, object]) -> None:
    plain = {
        k: v.isoformat() if isinstance(v, date) else v.hex() if isinstance(v, bytes) else v
        for k, v in row.items()
    }
    assert _json_ready(row) == json.loads(json.dumps(plain, default=str))
