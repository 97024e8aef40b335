"""Personal data at rest: care's rows hold identity numbers, names, phones, ledger details, visit findings and
protection cases sealed, people are still found by identity number, rows written before the store sealed
them are sealed by its migration, and events and the audit trail carry what they carried before."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import grpc
import pytest
from sqlalchemy import Column, MetaData, Table, Text, insert, text

from doudi.care.v1 import care_pb2
from doudi.common.v1 import types_pb2
from doudi.verification.v1 import events_pb2 as verification_events
from doudi.verification.v1 import monitoring_pb2
from doudi_care.domain.ledger import ChildCategory, ChildDetails, Ledger, TekunDetails
from doudi_care.main import DEFINITION
from doudi_care.store import codec
from doudi_care.store import ledger as ledger_store
from doudi_care.store.tables import ledger_entries, protection_cases, visits
from doudi_runtime.service import migrate
from doudi_runtime.store import Database
from doudi_runtime.store.migrations import run_migrations
from doudi_runtime.store.sealed import LookupHash, Sealed, field_crypto

from .conftest import (
    AUTH,
    MA,
    TOWNSHIP,
    VILLAGE,
    YANG_GIRL,
    ZHOU,
    Care,
    at,
    care_settings,
    elder_registration,
    person,
    register,
    zhou_registration,
)

ZHOU_PHONE = "13995412345"
CARER_PHONE = "13909541234"
#: The prefix every value sealed under the process's primary key starts with (format version 1).
SEALED = f"v1.{field_crypto().ring.primary}."


def _raw(database: Database, sql: str) -> list[tuple[Any, ...]]:
    with database.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def _database(care: Care) -> Database:
    assert care.context.database is not None
    return care.context.database


def test_a_ledger_row_holds_no_plain_identity_name_phone_or_details(care: Care) -> None:
    entry = register(care, zhou_registration(person=person(ZHOU, "周秀兰", ZHOU_PHONE)), "reg-zhou")
    [row] = _raw(
        _database(care),
        "SELECT id_number, id_number_hash, name, phone, details, person_key FROM ledger_entries",
    )
    id_number, digest, name, phone, details, key = row
    for value in (id_number, name, phone, details):
        assert value.startswith(SEALED)
    for plain in (ZHOU, "周秀兰", ZHOU_PHONE, "周丽", CARER_PHONE, "COMPLETE_LOSS"):
        assert plain not in str(row)
    assert len(digest) == 64 and key == ""
    got = care.stub.GetLedgerEntry(
        care_pb2.GetLedgerEntryRequest(entry_id=entry.entry_id), metadata=AUTH
    ).entry
    assert got.person.id_number.value == ZHOU and got.person.name == "周秀兰"
    assert got.tekun.carer_name == "周丽" and got.tekun.self_care == care_pb2.SELF_CARE_COMPLETE_LOSS


def test_people_are_still_found_by_identity_number(care: Care) -> None:
    entry = register(care, elder_registration(), "reg-ma")
    with pytest.raises(grpc.RpcError) as error:
        register(care, elder_registration(), "reg-ma-again")
    assert error.value.code() == grpc.StatusCode.ALREADY_EXISTS
    alert = verification_events.AlertRaised(
        alert_id="alert-1",
        trigger=monitoring_pb2.TRIGGER_LARGE_MEDICAL_EXPENSE,
        region=types_pb2.RegionCode(code=VILLAGE),
        township=types_pb2.RegionCode(code=TOWNSHIP),
        person=types_pb2.IdNumber(value=MA),
    )
    assert care.deliver("doudi.verification.alert.v1", alert) == "handled"
    [changed] = care.events("RiskLevelChanged")
    assert changed.entry_id == entry.entry_id


def test_visit_findings_and_protection_cases_are_sealed_and_events_and_audit_unchanged(care: Care) -> None:
    entry = register(
        care,
        care_pb2.LedgerRegistration(
            ledger=care_pb2.LEDGER_CHILD_IN_DIFFICULTY,
            person=person(YANG_GIRL, "杨小花"),
            region=types_pb2.RegionCode(code=VILLAGE),
            child=care_pb2.ChildDetails(
                category=care_pb2.CHILD_CATEGORY_UNSUPPORTED,
                guardian_name="杨德胜",
                guardian_phone=CARER_PHONE,
            ),
        ),
        "reg-yang",
    )
    care.stub.RecordVisit(
        care_pb2.RecordVisitRequest(
            request_id="visit-1",
            entry_id=entry.entry_id,
            visited_at=at(datetime(2026, 6, 1, 0, 30, tzinfo=UTC)),
            place="杨德胜家中",
            findings="孩子咳嗽发热，已送卫生院",
            mode=care_pb2.VISIT_MODE_HOME,
            visitor="村协理员 马兰",
        ),
        metadata=AUTH,
    )
    care.stub.ReportChildProtection(
        care_pb2.ReportChildProtectionRequest(
            request_id="report-1",
            entry_id=entry.entry_id,
            description="学校报告：孩子身上多处淤青",
            reporter="河川小学 班主任",
        ),
        metadata=AUTH,
    )
    database = _database(care)
    [(place, findings)] = _raw(database, "SELECT place, findings FROM visits")
    assert place.startswith(SEALED) and findings.startswith(SEALED)
    assert "杨德胜" not in place and "咳嗽" not in findings
    [case] = _raw(
        database,
        "SELECT child_id_number, child_name, description, reporter, contact_phone, notes "
        "FROM protection_cases",
    )
    assert all(value.startswith(SEALED) for value in case)
    for plain in (YANG_GIRL, "杨小花", "淤青", "班主任", CARER_PHONE):
        assert plain not in str(case)
    [opened] = care.events("ProtectionCaseOpened")
    assert opened.protection_case.child.id_number.value == YANG_GIRL
    assert opened.protection_case.contact_phone == CARER_PHONE
    audit = _raw(database, "SELECT method, before_json, after_json, reason FROM audit_records")
    assert audit and SEALED not in str(audit) and "id_number_hash" not in str(audit)


def _as_before_sealing(table: Table, *, leave_out: tuple[str, ...] = ()) -> Table:
    """The table as it was before its personal data was sealed: the same columns, plain text."""
    return Table(
        table.name,
        MetaData(),
        *(
            Column(c.name, Text if isinstance(c.type, Sealed) else c.type, primary_key=c.primary_key)
            for c in table.columns
            if c.name not in leave_out and not isinstance(c.type, LookupHash)
        ),
    )


def _entry_row(
    entry_id: str, person_key: str, id_number: str, subject_id: str, details: str
) -> dict[str, Any]:
    now = datetime(2026, 5, 1, 1, 0, tzinfo=UTC)
    return {
        "entry_id": entry_id,
        "ledger": Ledger.TEKUN_DISPERSED.value if id_number else Ledger.CHILD_IN_DIFFICULTY.value,
        "person_key": person_key,
        "id_number": id_number,
        "name": "周秀兰" if id_number else "杨小花",
        "phone": ZHOU_PHONE if id_number else "",
        "region": VILLAGE,
        "township": TOWNSHIP,
        "risk_level": "GENERAL",
        "status": "ACTIVE" if id_number else "PENDING_DETAILS",
        "source": "REGISTRATION",
        "details": details,
        "subject_id": subject_id,
        "entitlement_ids": "[]",
        "suspended_entitlement_ids": "[]",
        "provider_id": "",
        "care_services": False,
        "rural_class1_dibao": False,
        "next_due": date(2026, 6, 1),
        "announced_stage": "SCHEDULED",
        "last_visited_on": None,
        "registered_at": now,
        "updated_at": now,
    }


def test_the_migration_seals_rows_written_before_and_keeps_them_found(
    database_url: str, tmp_path: Path
) -> None:
    assert DEFINITION.store is not None
    run_migrations(database_url, DEFINITION.store.migrations_dir, revision="0004")
    database = Database(database_url)
    try:
        tekun = codec.details_to_json(TekunDetails(carer_name="周丽", carer_phone=CARER_PHONE))
        child = codec.details_to_json(
            ChildDetails(category=ChildCategory.UNSUPPORTED, guardian_name="杨德胜")
        )
        with database.engine.begin() as connection:
            connection.execute(
                insert(_as_before_sealing(ledger_entries)),
                [
                    _entry_row("entry-zhou", ZHOU, ZHOU, "person-zhou", tekun),
                    _entry_row("entry-yang", "subject:household-yang", "", "household-yang", child),
                ],
            )
            now = datetime(2026, 5, 2, 1, 0, tzinfo=UTC)
            connection.execute(
                insert(_as_before_sealing(visits)).values(
                    visit_id="visit-1",
                    entry_id="entry-zhou",
                    visited_at=now,
                    visitor="村协理员 马兰",
                    mode="HOME",
                    place="周秀兰家中",
                    findings="卧床，褥疮需护理",
                    risk_found=True,
                    due_on=date(2026, 6, 1),
                    late=False,
                    next_due=date(2026, 7, 1),
                    recorded_at=now,
                )
            )
            connection.execute(
                insert(_as_before_sealing(protection_cases, leave_out=("next_check_at",))).values(
                    case_id="case-1",
                    entry_id="",
                    child_id_number=YANG_GIRL,
                    child_name="杨小花",
                    region=VILLAGE,
                    township=TOWNSHIP,
                    description="邻居报告无人照看",
                    reporter="邻居",
                    contact_phone=CARER_PHONE,
                    reported_at=now,
                    dispatch_due_at=now,
                    assessment_due_at=now,
                    intervention_due_at=now,
                    overdue_steps="[]",
                    notes="[]",
                )
            )
        migrate(DEFINITION, care_settings(database_url, tmp_path))
        rows = _raw(
            database,
            "SELECT entry_id, id_number, id_number_hash, name, phone, details, person_key "
            "FROM ledger_entries ORDER BY entry_id",
        )
        for plain in (ZHOU, "周秀兰", ZHOU_PHONE, "周丽", "杨小花", "杨德胜"):
            assert plain not in str(rows)
        (_, yang_id, yang_hash, *_, yang_key), (_, _, zhou_hash, *_, zhou_key) = rows
        assert (len(zhou_hash), zhou_key) == (64, "")
        assert (yang_id, yang_hash, yang_key) == ("", "", "subject:household-yang")
        [case] = _raw(database, "SELECT child_id_number, contact_phone, description FROM protection_cases")
        assert YANG_GIRL not in str(case) and CARER_PHONE not in str(case) and "无人照看" not in str(case)
        visit = _raw(database, "SELECT place, findings FROM visits")
        assert "周秀兰" not in str(visit) and "褥疮" not in str(visit)
        with database.read() as session:
            zhou = ledger_store.find_entry(session, Ledger.TEKUN_DISPERSED, ZHOU)
            yang = ledger_store.find_entry(session, Ledger.CHILD_IN_DIFFICULTY, "subject:household-yang")
            [by_person] = ledger_store.open_entries_of_person(session, ZHOU, "")
            visit_read = ledger_store.get_visit(session, "visit-1")
        assert zhou is not None and zhou.entry_id == by_person.entry_id == "entry-zhou"
        assert (
            zhou.details == TekunDetails(carer_name="周丽", carer_phone=CARER_PHONE)
            and zhou.phone == ZHOU_PHONE
        )
        assert yang is not None and yang.entry_id == "entry-yang" and yang.name == "杨小花"
        assert visit_read is not None and (visit_read.place, visit_read.findings) == (
            "周秀兰家中",
            "卧床，褥疮需护理",
        )
    finally:
        database.dispose()
