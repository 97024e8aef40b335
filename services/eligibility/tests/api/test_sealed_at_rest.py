"""Personal data at rest: eligibility's rows hold ciphertext and keyed hashes; the code and events see what
they saw before. A person's entitlements are still found by ID number, also while keys rotate, and rows
written before the data was sealed are sealed by the migration (whose downgrade opens them again)."""

from __future__ import annotations

import os

from sqlalchemy import text

from doudi_common.fieldcrypt import KeyRing, LookupHasher
from doudi_common.masking import mask_id_number
from doudi_eligibility.domain.machines.entitlement import State
from doudi_eligibility.store import records
from doudi_eligibility.store.tables import STORE
from doudi_runtime.store.migrations import downgrade_migrations, run_migrations
from doudi_runtime.store.sealed import FieldCrypto, field_crypto, reseal_table, use_field_crypto

from .conftest import H01, H02, Eligibility, accepted_event
from .test_procedure_api import case_of, run_h01_to_decision

SEALED_TABLES = ("applications", "cases", "notices", "entitlements", "entitlement_persons")
ALL_STATES = tuple(state.value for state in State)


def raw(e: Eligibility, query: str) -> str:
    assert e.context.database is not None
    with e.context.database.engine.connect() as connection:
        return " ".join(str(value) for row in connection.execute(text(query)) for value in row)


def held_by(e: Eligibility, person_id: str) -> list[str]:
    assert e.context.database is not None
    with e.context.database.read() as session:
        found = records.entitlements_of_persons(session, (person_id, "640402199001011234"), ALL_STATES)
    assert set(found) <= {person_id}
    return [record.entitlement_id for record in found.get(person_id, [])]


def test_the_store_holds_no_plain_id_number_or_name_and_finds_a_persons_entitlement(eligibility) -> None:  # type: ignore[no-untyped-def]
    decision = run_h01_to_decision(eligibility)
    eligibility.deliver(accepted_event(H02), H02.application_id, "intake")  # waits for its report
    secrets = [value for member in (*H01.members, *H02.members) for value in member]
    for table in SEALED_TABLES:
        stored = raw(eligibility, f"SELECT * FROM {table}")
        assert "v1.dev." in stored, table
        assert not [s for s in secrets if s in stored], table

    applicant = H01.members[0][0]
    (entitlement_id,) = held_by(eligibility, applicant)
    assert decision.decision_id and entitlement_id.startswith("ent")
    [entry] = case_of(eligibility, H01.application_id).notice.entries
    assert (entry.name, entry.masked_id_number) == (H01.members[0][1], mask_id_number(applicant))
    audit = raw(eligibility, "SELECT after_json FROM audit_records")
    assert "v1.dev." not in audit and applicant not in audit


def test_a_persons_entitlement_is_found_across_a_key_rotation_and_a_reseal(eligibility) -> None:  # type: ignore[no-untyped-def]
    run_h01_to_decision(eligibility)
    applicant = H01.members[0][0]
    before = field_crypto()
    try:
        use_field_crypto(
            FieldCrypto(
                KeyRing("k2", {"k2": os.urandom(32), **before.ring.keys}),
                LookupHasher("k2", {"k2": os.urandom(32), **before.hasher.keys}),
            )
        )
        found = held_by(eligibility, applicant)
        assert len(found) == 1
        assert eligibility.context.database is not None
        with eligibility.context.database.transaction() as session:  # what the store's reseal role does
            resealed = {table.name: reseal_table(session, table) for table in STORE.metadata.sorted_tables}
        assert resealed["entitlement_persons"] == len(H01.members) and resealed["entitlements"] == 1
        rotated = field_crypto()
        use_field_crypto(
            FieldCrypto(
                KeyRing("k2", {"k2": rotated.ring.keys["k2"]}),
                LookupHasher("k2", {"k2": rotated.hasher.keys["k2"]}),
            )
        )
        assert held_by(eligibility, applicant) == found
    finally:
        use_field_crypto(before)


def test_the_migration_seals_rows_written_before_it_and_its_downgrade_opens_them(eligibility) -> None:  # type: ignore[no-untyped-def]
    run_h01_to_decision(eligibility)
    applicant, name = H01.members[0]
    (entitlement_id,) = held_by(eligibility, applicant)
    url = eligibility.context.settings.effective_database_url
    assert downgrade_migrations(url, STORE.migrations_dir, "0006") == "0006"
    assert applicant in raw(eligibility, "SELECT person_id FROM entitlement_persons")
    assert name in raw(eligibility, "SELECT body FROM cases")

    run_migrations(url, STORE.migrations_dir)
    for table in SEALED_TABLES:
        stored = raw(eligibility, f"SELECT * FROM {table}")
        assert applicant not in stored and name not in stored, table
    assert held_by(eligibility, applicant) == [entitlement_id]
