"""Personal data at rest: intake's rows hold ciphertext and keyed hashes; code and events see plain values.

Duplicate control still finds a person's other open application by ID number (through the hash, also while
keys rotate), and rows written before the data was sealed are sealed by the migration and read back.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, text

from doudi.intake.v1 import events_pb2, intake_pb2
from doudi_common.fieldcrypt import KeyRing, LookupHasher
from doudi_common.masking import mask_id_number
from doudi_common.testing import EXAMPLE_TOWNSHIP, EXAMPLE_VILLAGE, make_resident_id
from doudi_intake.store import applications as application_store
from doudi_intake.store import leads as lead_store
from doudi_intake.store.tables import STORE
from doudi_runtime.events.envelope import decode, unpack
from doudi_runtime.store import Database, run_migrations
from doudi_runtime.store.sealed import FieldCrypto, field_crypto, use_field_crypto

from .conftest import AUTH, submission

HUSBAND_ID = make_resident_id(date(1980, 5, 17), 12)
PHONE = "13900001111"
PERSONAL_TABLES = ("applications", "open_memberships", "leads", "referrals")


def call(stub, method: str, request):  # type: ignore[no-untyped-def]
    return getattr(stub, method)(request, metadata=AUTH, timeout=10)


def raw_rows(database: Database, table: str) -> str:
    with database.engine.connect() as connection:
        rows = connection.execute(text(f"SELECT * FROM {table}"))
        return " ".join(str(value) for row in rows for value in row)


def test_the_store_holds_no_plain_id_number_name_phone_or_statement(intake) -> None:  # type: ignore[no-untyped-def]
    stub, context = intake
    request = submission()
    request.household.members[0].person.phone = PHONE
    application = call(stub, "SubmitApplication", request).application
    person = request.household.members[0].person
    call(
        stub,
        "RegisterLead",
        intake_pb2.RegisterLeadRequest(
            request_id="lead-1",
            person=person,
            residence_region=request.household.residence_region,
            found_by="村委会",
            reason="卧床三年，无人照料",
        ),
    )
    call(
        stub,
        "ReferToDepartment",
        intake_pb2.ReferToDepartmentRequest(
            request_id="ref-1", person=person, department=intake_pb2.DEPARTMENT_HOUSING, need="尿毒症透析"
        ),
    )

    secrets = (HUSBAND_ID, "马建国", "马小花", PHONE, "丈夫因病去世", "卧床三年", "尿毒症透析")
    for table in PERSONAL_TABLES:
        stored = raw_rows(context.database, table)
        assert "v1.dev." in stored, table
        assert not [s for s in secrets if s in stored], table
    assert EXAMPLE_TOWNSHIP in raw_rows(context.database, "applications")

    wanted = intake_pb2.GetApplicationRequest(application_id=application.application_id)
    fetched = call(stub, "GetApplication", wanted)
    assert fetched.application.household.members[0].person.id_number.value == HUSBAND_ID
    assert fetched.application.statement == request.statement
    with context.database.read() as session:
        envelope = session.execute(select(context.store.messaging.outbox.c.envelope)).scalars().first()
    announced = unpack(decode(envelope), events_pb2.ApplicationSubmitted)
    assert announced.application.household.members[0].person.id_number.value == HUSBAND_ID
    with context.database.engine.connect() as connection:
        audit = " ".join(connection.execute(text("SELECT after_json FROM audit_records")).scalars())
    assert "v1.dev." not in audit and HUSBAND_ID not in audit
    assert mask_id_number(HUSBAND_ID) in audit


@pytest.fixture
def rotate_keys() -> Iterator[Callable[[], None]]:
    """Puts new primary keys in front of the current ones when called; the old keys come back after."""
    before = field_crypto()

    def rotate() -> None:
        ring = KeyRing("k2", {"k2": os.urandom(32), **before.ring.keys})
        hasher = LookupHasher("h2", {"h2": os.urandom(32), **before.hasher.keys})
        use_field_crypto(FieldCrypto(ring, hasher))

    yield rotate
    use_field_crypto(before)


def test_duplicates_are_found_by_id_number_across_a_key_rotation(intake, rotate_keys) -> None:  # type: ignore[no-untyped-def]
    stub, context = intake
    first = call(stub, "SubmitApplication", submission("req-1")).application
    rotate_keys()
    second = call(stub, "SubmitApplication", submission("req-2")).application
    assert {flag.other_application_id for flag in second.duplicates} == {first.application_id}
    with context.database.read() as session:
        found = application_store.open_memberships_of(session, [HUSBAND_ID])
    assert sorted(m.application_id for m in found) == sorted([first.application_id, second.application_id])
    assert {m.id_number for m in found} == {HUSBAND_ID}


def _migrate(url: str, revision: str) -> None:
    run_migrations(url, STORE.migrations_dir, revision=revision)


#: A household as the store kept it before it was sealed.
HOUSEHOLD = json.dumps(
    {
        "residence_region": EXAMPLE_VILLAGE,
        "household_type": "RURAL",
        "members": [
            {
                **dict.fromkeys(("sex", "hukou_region", "phone", "membership_reason"), ""),
                "id_number": HUSBAND_ID,
                "name": "马建国",
                "relation": "SELF",
                "counted": True,
                "birth_date": "1980-05-17",
                "consent_signed": True,
            }
        ],
    },
    ensure_ascii=False,
)


def test_the_migration_seals_rows_written_before_and_they_read_back(database_url: str) -> None:
    _migrate(database_url, "0004")
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    values = {
        "id_number": HUSBAND_ID,
        "phone": PHONE,
        "township": EXAMPLE_TOWNSHIP,
        "village": EXAMPLE_VILLAGE,
        "household": HOUSEHOLD,
        "now": now,
        "due": date(2026, 3, 5),
    }
    database = Database(database_url)
    try:
        with database.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO applications (application_id, programme, channel, township, state,"
                    " submitted_at, updated_at, statement, requested_amount_fen, household, duplicates)"
                    " VALUES ('app_1', 'DIBAO', 'WINDOW', :township, 'SUBMITTED', :now, :now, '丈夫因病去世',"
                    " 0, :household, '[]')"
                ),
                values,
            )
            connection.execute(
                text("INSERT INTO open_memberships VALUES ('app_1', 0, :id_number, 'DIBAO', :township)"),
                values,
            )
            connection.execute(
                text(
                    "INSERT INTO leads VALUES ('lead_1', :id_number, '马建国', :phone, :village, '村委会',"
                    " '卧床', '', 'NEW', :now, :due, :now, '', '')"
                ),
                values,
            )
        _migrate(database_url, "heads")
        for table in ("applications", "open_memberships", "leads"):
            stored = raw_rows(database, table)
            assert HUSBAND_ID not in stored and "马建国" not in stored and PHONE not in stored, table
        with database.read() as session:
            (membership,) = application_store.open_memberships_of(session, [HUSBAND_ID])
            application = application_store.get_application(session, "app_1")
            lead = lead_store.get_lead(session, "lead_1")
        assert (membership.application_id, membership.id_number) == ("app_1", HUSBAND_ID)
        assert application is not None and application.household.members[0].id_number == HUSBAND_ID
        assert application.statement == "丈夫因病去世"
        assert lead is not None and (lead.id_number, lead.name, lead.phone) == (HUSBAND_ID, "马建国", PHONE)
    finally:
        database.dispose()
