"""Personal data at rest: sealed in the row, plain to the code, found by its keyed hash, rotatable."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, MetaData, String, Table, Text, insert, select, text, update

from doudi_common.fieldcrypt import FieldCryptoError, KeyRing, LookupHasher, new_key_text
from doudi_runtime.store import Database
from doudi_runtime.store.sealed import (
    FieldCrypto,
    LookupHash,
    Sealed,
    field_crypto,
    matches,
    matches_any,
    reseal_table,
    use_field_crypto,
)

ID_NUMBER = "11010519491231002X"
OTHER_ID = "110105194912310037"

metadata = MetaData()
people = Table(
    "people",
    metadata,
    Column("person_id", String(20), primary_key=True),
    Column("id_number", Sealed("test.people.id_number"), nullable=False),
    Column("id_number_hash", LookupHash("test.people.id_number", hash_of="id_number"), nullable=False),
    Column("phone", Sealed("test.people.phone"), nullable=False, server_default=""),
    Column("township", String(12), nullable=False),
)


def _crypto(field_keys: str, hash_keys: str) -> FieldCrypto:
    return FieldCrypto(KeyRing.parse(field_keys), LookupHasher.parse(hash_keys))


@pytest.fixture
def keys() -> Iterator[tuple[str, str]]:
    before = field_crypto()
    field_keys, hash_keys = new_key_text("f1"), new_key_text("h1")
    use_field_crypto(_crypto(field_keys, hash_keys))
    yield field_keys, hash_keys
    use_field_crypto(before)


@pytest.fixture
def database(database_url: str, keys: tuple[str, str]) -> Iterator[Database]:
    database = Database(database_url)
    metadata.create_all(database.engine)
    yield database
    database.dispose()


def _add(database: Database, person_id: str, id_number: str, phone: str = "") -> None:
    with database.transaction() as session:
        session.execute(
            insert(people).values(
                person_id=person_id, id_number=id_number, id_number_hash=id_number, phone=phone, township="t"
            )
        )


def _stored(database: Database) -> list[tuple[str, str, str]]:
    with database.engine.connect() as connection:
        return [
            tuple(r) for r in connection.execute(text("SELECT id_number, id_number_hash, phone FROM people"))
        ]


def test_the_row_holds_no_plain_value_and_the_code_reads_plain_values(database: Database) -> None:
    _add(database, "p1", ID_NUMBER, "13800138000")
    ((id_number, digest, phone),) = _stored(database)
    assert ID_NUMBER not in id_number and id_number.startswith("v1.f1.")
    assert ID_NUMBER not in digest and len(digest) == 64
    assert "13800138000" not in phone
    with database.transaction() as session:
        row = session.execute(select(people)).one()
    assert (row.id_number, row.phone) == (ID_NUMBER, "13800138000")


def test_a_person_is_found_by_id_number_through_the_hash(database: Database) -> None:
    _add(database, "p1", ID_NUMBER)
    _add(database, "p2", OTHER_ID)
    with database.transaction() as session:
        by_equality = session.execute(select(people.c.person_id).where(people.c.id_number_hash == ID_NUMBER))
        by_ring = session.execute(
            select(people.c.person_id).where(matches(people.c.id_number_hash, OTHER_ID))
        )
        by_many = session.execute(
            select(people.c.person_id).where(matches_any(people.c.id_number_hash, [ID_NUMBER, OTHER_ID]))
        )
        assert by_equality.scalars().all() == ["p1"]
        assert by_ring.scalars().all() == ["p2"]
        assert sorted(by_many.scalars()) == ["p1", "p2"]


def test_empty_means_none_given_and_is_kept_as_is(database: Database) -> None:
    _add(database, "p1", ID_NUMBER)
    assert _stored(database)[0][2] == ""
    with database.transaction() as session:
        assert session.execute(select(people.c.phone)).scalar_one() == ""


def test_a_value_moved_to_another_column_or_edited_does_not_open(database: Database) -> None:
    _add(database, "p1", ID_NUMBER, "13800138000")
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE people SET phone = id_number"))
    with pytest.raises(FieldCryptoError), database.transaction() as session:
        session.execute(select(people.c.phone)).scalar_one()


def test_after_rotation_old_rows_still_open_and_match_and_reseal_moves_them(
    database: Database, keys: tuple[str, str]
) -> None:
    field_keys, hash_keys = keys
    _add(database, "p1", ID_NUMBER, "13800138000")
    use_field_crypto(_crypto(f"{new_key_text('f2')},{field_keys}", f"{new_key_text('h2')},{hash_keys}"))
    _add(database, "p2", OTHER_ID)
    with database.transaction() as session:
        found = session.execute(select(people.c.person_id).where(matches(people.c.id_number_hash, ID_NUMBER)))
        assert found.scalars().all() == ["p1"]
        assert session.execute(select(people.c.phone).where(people.c.person_id == "p1")).scalar_one() == (
            "13800138000"
        )
        assert reseal_table(session, people, page_size=1) == 1
        assert reseal_table(session, people) == 0
    assert all(row[0].startswith("v1.f2.") for row in _stored(database))
    use_field_crypto(_crypto(f"{new_key_text('f3')},{field_keys}", hash_keys))
    with pytest.raises(FieldCryptoError), database.transaction() as session:
        session.execute(select(people.c.id_number)).all()


def test_reseal_seals_rows_written_before_the_column_was_sealed(database: Database) -> None:
    plain = Table("people", MetaData(), *(Column(c.name, Text, primary_key=c.primary_key) for c in people.c))
    with database.engine.begin() as connection:
        connection.execute(
            insert(plain).values(
                person_id="p1", id_number=ID_NUMBER, id_number_hash="", phone="1380", township="t"
            )
        )
    with database.transaction() as session:
        assert reseal_table(session, people) == 1
        assert session.execute(select(people.c.id_number, people.c.phone)).one() == (ID_NUMBER, "1380")
        found = session.execute(select(people.c.person_id).where(matches(people.c.id_number_hash, ID_NUMBER)))
        assert found.scalars().all() == ["p1"]
        session.execute(update(people).values(township="u"))
    assert ID_NUMBER not in str(_stored(database))


@given(st.text(min_size=1, max_size=40))
def test_any_text_round_trips_through_the_column_type(value: str) -> None:
    column = Sealed("test.any")
    stored = column.process_bind_param(value, None)  # type: ignore[arg-type]
    assert stored != value or value == ""
    assert column.process_result_value(stored, None) == value  # type: ignore[arg-type]
