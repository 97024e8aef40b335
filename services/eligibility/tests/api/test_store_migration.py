"""Revision 0003 on a store that already holds Dibao entitlements: each entitlement gets the persons it pays
for (its case's counted members), so E5 and the §5.8 matrix see entitlements approved before it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sqlalchemy import create_engine, select, text

from doudi_eligibility.store.tables import STORE, entitlement_persons
from doudi_runtime.store.migrations import run_migrations

MIGRATIONS = STORE.migrations_dir


def test_0003_gives_existing_entitlements_their_counted_members(tmp_path: Path) -> None:
    before = tmp_path / "versions"
    before.mkdir()
    for name in ("0001_runtime_tables.py", "0002_procedure_entitlements.py"):
        shutil.copy(MIGRATIONS / name, before / name)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    assert run_migrations(url, before) == "0002"
    members = [
        {"id_number": "640402195404043135", "counted": True},
        {"id_number": "640402195810013249", "counted": True},
        {"id_number": "640402201105201373", "counted": False},
    ]
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO cases (application_id, programme, region, step, accepted_at, deadline,"
                " decision_id, entitlement_id, body, updated_at) VALUES ('app_h03', 'DIBAO', '640402100201',"
                " 'APPROVED', '2025-03-03 01:00:00', '2025-04-15', 'dec_1', 'ent_1', :body,"
                " '2025-03-31 01:00:00')"
            ),
            {"body": json.dumps({"application": {"members": members}})},
        )
        connection.execute(
            text(
                "INSERT INTO entitlements (entitlement_id, application_id, subject_id, programme, region,"
                " state, monthly_amount_fen, parameter_version, last_decision_id, body, updated_at) VALUES"
                " ('ent_1', 'app_h03', 'app_h03', 'DIBAO', '640402100000', 'ACTIVE', 56000, 'v', 'dec_1',"
                " '{}', '2025-03-31 01:00:00')"
            )
        )

    run_migrations(url, MIGRATIONS)

    with engine.connect() as connection:
        held = entitlement_persons.c
        persons = sorted(tuple(r) for r in connection.execute(select(held.entitlement_id, held.person_id)))
    engine.dispose()
    assert persons == [("ent_1", "640402195404043135"), ("ent_1", "640402195810013249")]


def test_0010_marks_the_entitlements_of_applications_with_a_near_relative_registered(tmp_path: Path) -> None:
    before = tmp_path / "versions"
    before.mkdir()
    for path in sorted(MIGRATIONS.glob("00*.py")):
        if path.name < "0010":
            shutil.copy(path, before / path.name)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    assert run_migrations(url, before) == "0009"
    engine = create_engine(url)
    with engine.begin() as connection:
        for entitlement_id, application_id in (("ent_1", "app_registered"), ("ent_2", "app_other")):
            connection.execute(
                text(
                    "INSERT INTO entitlements (entitlement_id, application_id, subject_id, programme, region,"
                    " state, monthly_amount_fen, parameter_version, last_decision_id, body, updated_at)"
                    " VALUES (:e, :a, :a, 'DIBAO', '640402100000', 'ACTIVE', 6000, 'v', 'dec_1', '{}',"
                    " '2025-04-01 01:00:00')"
                ),
                {"e": entitlement_id, "a": application_id},
            )
        connection.execute(
            text(
                "INSERT INTO near_relatives (registration_id, application_id, region, staff_user_id,"
                " staff_position, organisation, relation, note, registered_by, registered_role,"
                " registered_at) VALUES ('nrr_1', 'app_registered', '640402100201', 'township-08',"
                " 'TOWNSHIP_STAFF', '某乡民政办', 'CHILD', '', 'township-07', 'TOWNSHIP',"
                " '2025-03-05 01:00:00')"
            )
        )

    assert run_migrations(url, MIGRATIONS) == sorted(MIGRATIONS.glob("00*.py"))[-1].name[:4]

    with engine.connect() as connection:
        rows = connection.execute(text("SELECT entitlement_id, near_relative FROM entitlements")).all()
    engine.dispose()
    assert {row.entitlement_id: bool(row.near_relative) for row in rows} == {"ent_1": True, "ent_2": False}
