"""Personal data at rest: dispatch's rows hold volunteers' names and phones, the person and description of
incidents and the vulnerable-person registry sealed; people are still found by identity number; rows written
before the store sealed them are sealed by its migration; events and the audit trail are unchanged."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, MetaData, String, Table, Text, insert, text

from doudi.common.v1 import types_pb2
from doudi.dispatch.v1 import dispatch_pb2
from doudi.dispatch.v1 import events_pb2 as dispatch_events
from doudi_dispatch.main import DEFINITION
from doudi_dispatch.store import incidents as incident_store
from doudi_dispatch.store import registry as registry_store
from doudi_dispatch.store.tables import incidents, volunteers
from doudi_runtime.events.envelope import decode
from doudi_runtime.service import migrate
from doudi_runtime.store import Database, UtcDateTime
from doudi_runtime.store.migrations import run_migrations
from doudi_runtime.store.sealed import LookupHash, Sealed, field_crypto

from .conftest import AUTH, CHEN_WIFE, VILLAGE, Dispatch, dispatch_settings, fire_request, register_team
from .test_disaster_api import HU, declare, register

#: The prefix every value sealed under the process's primary key starts with (format version 1).
SEALED = f"v1.{field_crypto().ring.primary}."
CONTACT_PHONE = "13909541234"


def _raw(database: Database, sql: str) -> list[tuple[Any, ...]]:
    with database.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def _database(dispatch: Dispatch) -> Database:
    assert dispatch.context.database is not None
    return dispatch.context.database


def test_volunteers_and_incidents_are_sealed_and_events_carry_what_they_did(dispatch: Dispatch) -> None:
    register_team(dispatch)
    incident = dispatch.stub.ReportIncident(fire_request(), metadata=AUTH, timeout=10).incident
    database = _database(dispatch)
    members = _raw(database, "SELECT name, phone FROM volunteers")
    assert len(members) == 5 and all(value.startswith(SEALED) for row in members for value in row)
    assert "马文斌" not in str(members) and "13909540001" not in str(members)
    [row] = _raw(
        database,
        "SELECT person_id_number, person_id_number_hash, person_name, contact_phone, description "
        "FROM incidents",
    )
    id_number, digest, name, phone, description = row
    assert all(value.startswith(SEALED) for value in (id_number, name, phone, description))
    assert len(digest) == 64
    for plain in (CHEN_WIFE, "陈桂芳", "7788", "烧伤"):
        assert plain not in str(row)
    assert incident.person.value == CHEN_WIFE and incident.person_name == "陈桂芳"
    with database.read() as session:
        outbox = dispatch.context.store.messaging.outbox  # type: ignore[union-attr]
        envelopes = [decode(r.envelope) for r in session.execute(outbox.select()).all()]
    [reported] = [e for e in envelopes if e.event_type.endswith("IncidentReported")]
    payload = dispatch_events.IncidentReported()
    reported.payload.Unpack(payload)
    assert payload.incident.person.value == CHEN_WIFE


def test_the_registry_is_sealed_and_found_by_identity_number(dispatch: Dispatch) -> None:
    register_team(dispatch)
    register(dispatch, "hu", HU, "胡秀兰", VILLAGE, dispatch_pb2.VULNERABLE_CATEGORY_TEKUN_DISPERSED)
    register(dispatch, "hu-again", HU, "胡秀兰", VILLAGE, dispatch_pb2.VULNERABLE_CATEGORY_TEKUN_DISPERSED)
    database = _database(dispatch)
    [row] = _raw(
        database,
        "SELECT person_id, id_number, id_number_hash, name, contact_name, contact_phone "
        "FROM vulnerable_persons",
    )
    person_id, id_number, digest, *others = row
    sealed_values = (id_number, *others)
    assert person_id.startswith("person_") and len(digest) == 64
    assert all(value.startswith(SEALED) for value in sealed_values)
    for plain in (HU, "胡秀兰", "马主任", CONTACT_PHONE):
        assert plain not in str(row)
    assert HU not in str(_raw(database, "SELECT result_ref FROM idempotency_keys"))
    # An answer recorded before the registry was sealed named the person by identity number: it still replays.
    with database.engine.begin() as connection:
        legacy = text("UPDATE idempotency_keys SET result_ref = :id WHERE request_id = 'hu'")
        assert connection.execute(legacy, {"id": HU}).rowcount == 1
    replayed = register(
        dispatch, "hu", HU, "胡秀兰", VILLAGE, dispatch_pb2.VULNERABLE_CATEGORY_TEKUN_DISPERSED
    )
    assert replayed.person.id_number.value == HU

    assert declare(dispatch, "flood-1", VILLAGE).check_on_tasks == 1
    assert declare(dispatch, "flood-2", VILLAGE).check_on_tasks == 0  # her check is still open
    request = dispatch_pb2.UnregisterVulnerablePersonRequest(
        request_id="hu-out", person=types_pb2.IdNumber(value=HU), reason="迁往县城与女儿同住"
    )
    gone = dispatch.stub.UnregisterVulnerablePerson(request, metadata=AUTH, timeout=10).person
    assert gone.person.id_number.value == HU
    assert dispatch.stub.UnregisterVulnerablePerson(request, metadata=AUTH, timeout=10).person == gone
    audit = _raw(
        database, "SELECT before_json, after_json FROM audit_records WHERE method LIKE '%Vulnerable%'"
    )
    assert audit and SEALED not in str(audit) and HU not in str(audit)
    assert "id_number_hash" not in str(audit) and "person_id" not in str(audit)


def _before_sealing(table: Table) -> Table:
    """The table as it was before its personal data was sealed: the same columns, plain text."""
    return Table(
        table.name,
        MetaData(),
        *(
            Column(c.name, Text if isinstance(c.type, Sealed) else c.type, primary_key=c.primary_key)
            for c in table.columns
            if not isinstance(c.type, LookupHash)
        ),
    )


_registry_before = Table(
    "vulnerable_persons",
    MetaData(),
    Column("id_number", String(18), primary_key=True),
    *(
        Column(name, Text)
        for name in ("name", "phone", "region", "category", "contact_name", "contact_phone")
    ),
    Column("care_entry_id", Text),
    Column("updated_at", UtcDateTime),
    Column("removal_reason", Text),
)


def test_the_migration_seals_rows_written_before_and_keeps_them_found(
    database_url: str, tmp_path: Path
) -> None:
    assert DEFINITION.store is not None
    run_migrations(database_url, DEFINITION.store.migrations_dir, revision="0004")
    now = datetime(2026, 1, 15, 2, 0, tzinfo=UTC)
    database = Database(database_url)
    try:
        with database.engine.begin() as connection:
            connection.execute(
                insert(_registry_before).values(
                    id_number=HU,
                    name="胡秀兰",
                    phone="",
                    region=VILLAGE,
                    category="TEKUN_DISPERSED",
                    contact_name="村委会 马主任",
                    contact_phone=CONTACT_PHONE,
                    care_entry_id="ledger-hu",
                    updated_at=now,
                    removal_reason="",
                )
            )
            connection.execute(
                insert(_before_sealing(volunteers)).values(
                    volunteer_id="vol-1",
                    team_id="team-1",
                    village=VILLAGE,
                    township=VILLAGE[:9] + "000",
                    name="马文斌",
                    phone="13909540001",
                    skills="FIRST_AID",
                    available=True,
                    active=True,
                    updated_at=now,
                )
            )
            connection.execute(
                insert(_before_sealing(incidents)).values(
                    incident_id="inc-1",
                    kind="CHECK_ON",
                    source="DISASTER_DECLARATION",
                    source_reference="",
                    region=VILLAGE,
                    township=VILLAGE[:9] + "000",
                    person_id_number=HU,
                    person_name="胡秀兰",
                    contact_phone=CONTACT_PHONE,
                    description="山洪后上门查看",
                    required_skill="",
                    disaster_id="dis-1",
                    state="OFFERED",
                    wave=1,
                    lead_volunteer_id="",
                    reported_at=now,
                    updated_at=now,
                    offers="[]",
                    supporters="[]",
                    assessment='{"urgency": null, "summary": "老人腿部受伤"}',
                    close_reason="",
                    timeline="[]",
                )
            )
        migrate(DEFINITION, dispatch_settings(database_url, tmp_path))
        stored = [
            *_raw(database, "SELECT * FROM vulnerable_persons"),
            *_raw(database, "SELECT name, phone FROM volunteers"),
            *_raw(
                database,
                "SELECT person_id_number, person_name, contact_phone, description, assessment FROM incidents",
            ),
        ]
        for plain in (HU, "胡秀兰", "马主任", CONTACT_PHONE, "马文斌", "13909540001", "山洪", "受伤"):
            assert plain not in str(stored)
        with database.read() as session:
            person = registry_store.get_person(session, HU)
            assert incident_store.persons_with_open_check_on(session, [HU, CHEN_WIFE]) == {HU}
            incident = incident_store.get_incident(session, "inc-1")
        assert person is not None and (person.name, person.contact_phone) == ("胡秀兰", CONTACT_PHONE)
        assert person.updated_at == now
        assert incident is not None and incident.assessment is not None
        assert incident.assessment.summary == "老人腿部受伤" and incident.person_id_number == HU
    finally:
        database.dispose()
