"""The reseal role: after a new key is put first, one run moves every sealed value of the store to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Column, MetaData, String, Table, insert, text

from doudi_common.fieldcrypt import new_key_text
from doudi_runtime.service import ServiceDefinition, ServiceStore, reseal, use_settings_keys
from doudi_runtime.settings import ServiceSettings
from doudi_runtime.store import Database
from doudi_runtime.store.sealed import LookupHash, Sealed, field_crypto, matches, use_field_crypto

metadata = MetaData()
members = Table(
    "members",
    metadata,
    Column("member_id", String(10), primary_key=True),
    Column("id_number", Sealed("roles_test.members.id_number"), nullable=False),
    Column("id_number_hash", LookupHash("roles_test.members.id_number", hash_of="id_number")),
)
STORE = ServiceStore.create(metadata, Path(__file__).parent / "migrations_fixture")
DEFINITION = ServiceDefinition(
    name="roles_test", settings_type=ServiceSettings, store=STORE, grpc_bindings=lambda _context: []
)
ID_NUMBERS = ["11010519491231002X", "110105194912310037", "110105194912310045"]


@pytest.fixture(autouse=True)
def _restore_keys() -> Iterator[None]:
    before = field_crypto()
    yield
    use_field_crypto(before)


def settings(tmp_path: Path, field_keys: str, hash_keys: str) -> ServiceSettings:
    return ServiceSettings(
        service_name="roles_test",
        auth_mode="off",
        metrics_port=0,
        grpc_port=0,
        data_dir=tmp_path,
        field_encryption_keys=field_keys,
        lookup_hash_keys=hash_keys,
    )


def test_one_reseal_run_moves_the_store_to_the_new_keys_and_a_second_changes_nothing(tmp_path: Path) -> None:
    old_field, old_hash = new_key_text("k1"), new_key_text("h1")
    before = settings(tmp_path, old_field, old_hash)
    use_settings_keys(before)
    database = Database(before.effective_database_url)
    metadata.create_all(database.engine)
    with database.transaction() as session:
        for index, id_number in enumerate(ID_NUMBERS):
            session.execute(
                insert(members).values(member_id=f"m{index}", id_number=id_number, id_number_hash=id_number)
            )

    new_field, new_hash = new_key_text("k2"), new_key_text("h2")
    rotated = settings(tmp_path, f"{new_field},{old_field}", f"{new_hash},{old_hash}")
    assert reseal(DEFINITION, rotated) == len(ID_NUMBERS)
    assert reseal(DEFINITION, rotated) == 0

    with database.engine.connect() as connection:
        stored = connection.execute(text("SELECT id_number FROM members")).scalars().all()
    assert all(value.startswith("v1.k2.") for value in stored)
    # Only the new keys are needed from now on.
    use_settings_keys(settings(tmp_path, new_field, new_hash))
    with database.transaction() as session:
        found = session.execute(
            members.select().where(matches(members.c.id_number_hash, ID_NUMBERS[1]))
        ).one()
    assert (found.member_id, found.id_number) == ("m1", ID_NUMBERS[1])
    database.dispose()
