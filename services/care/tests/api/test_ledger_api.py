"""Ledgers over gRPC: registration, bulk import with per-row faults, region-scoped masked lists."""

from __future__ import annotations

from datetime import date

import grpc
import pytest

from doudi.care.v1 import care_pb2
from doudi.common.v1 import types_pb2
from doudi_common.testing import make_resident_id
from doudi_runtime.grpc.errors import field_violations_from

from .conftest import (
    AUTH,
    HU_BOY,
    MA,
    OTHER_TOWNSHIP_VILLAGE,
    TOWNSHIP,
    VILLAGE,
    ZHOU,
    Care,
    elder_registration,
    person,
    register,
    zhou_registration,
)


def test_h14_zhou_is_registered_and_read_back_in_full(care: Care) -> None:
    entry = register(care, zhou_registration(), "reg-zhou")
    assert entry.ledger == care_pb2.LEDGER_TEKUN_DISPERSED
    assert entry.status == care_pb2.ENTRY_STATUS_ACTIVE
    assert entry.care_services and entry.provider_id == "provider-anxin"
    # Dispersed Tekun: monthly visits (DOMAIN §9.2), from the day of registration (1 June 2026).
    assert (entry.next_visit_due.year, entry.next_visit_due.month, entry.next_visit_due.day) == (2026, 7, 1)
    assert entry.tekun.entrustment_agreement_signed and entry.tekun.carer_name == "周丽"
    got = care.stub.GetLedgerEntry(
        care_pb2.GetLedgerEntryRequest(entry_id=entry.entry_id), metadata=AUTH
    ).entry
    assert got.person.id_number.value == ZHOU
    # A retry answers the same entry and makes nothing new.
    again = register(care, zhou_registration(), "reg-zhou")
    assert again.entry_id == entry.entry_id


def test_a_person_is_entered_once_per_ledger(care: Care) -> None:
    register(care, zhou_registration(), "reg-1")
    with pytest.raises(grpc.RpcError) as error:
        register(care, zhou_registration(), "reg-2")
    assert error.value.code() == grpc.StatusCode.ALREADY_EXISTS


def test_every_fault_of_a_registration_is_named_by_its_field(care: Care) -> None:
    bad_id = ZHOU[:-1] + ("0" if ZHOU[-1] != "0" else "1")
    registration = zhou_registration(
        person=person(bad_id, ""), region=types_pb2.RegionCode(code="640402100000")
    )
    registration.tekun.carer_name = ""
    registration.tekun.agreement_signed_on.CopyFrom(types_pb2.Date(year=2026, month=2, day=30))
    with pytest.raises(grpc.RpcError) as error:
        register(care, registration, "reg-bad")
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    fields = dict(field_violations_from(error.value))
    assert fields["registration.person.id_number"] == "has a wrong check digit"
    assert fields["registration.person.name"] == "is required"
    assert fields["registration.region"] == "must be the code of a village"
    assert fields["registration.tekun.carer_name"] == "is required"
    assert fields["registration.tekun.agreement_signed_on"] == "is not a real date"


def test_an_import_enters_valid_rows_and_names_the_faults_of_the_others(care: Care) -> None:
    rows = [
        elder_registration(),
        elder_registration(id_number=MA[:-1] + ("0" if MA[-1] != "0" else "1")),
        zhou_registration(),
        elder_registration(id_number=make_resident_id(date(1990, 1, 1), 17)),
        elder_registration(),  # the same person twice in one file
        care_pb2.LedgerRegistration(
            ledger=care_pb2.LEDGER_CHILD_IN_DIFFICULTY,
            person=person(HU_BOY, "胡小明"),
            region=types_pb2.RegionCode(code="64040210020"),
            child=care_pb2.ChildDetails(category=care_pb2.CHILD_CATEGORY_ORPHAN, guardian_name="胡桂英"),
        ),
    ]
    request = care_pb2.ImportLedgerRequest(request_id="import-june", rows=rows)
    answer = care.stub.ImportLedger(request, metadata=AUTH, timeout=10)
    assert [r.row for r in answer.imported] == [0, 2]
    faults = {e.row: {v.field: v.description for v in e.violations} for e in answer.errors}
    assert faults[1] == {"person.id_number": "has a wrong check digit"}
    assert "aged 36" in faults[3]["person.id_number"]
    assert "already on the ELDERLY_LEFT_BEHIND ledger" in faults[4]["person.id_number"]
    assert "region" in faults[5]
    # A retried import replays its answer and enters nobody twice.
    replay = care.stub.ImportLedger(request, metadata=AUTH, timeout=10)
    assert replay == answer
    listed = care.stub.ListLedgerEntries(
        care_pb2.ListLedgerEntriesRequest(region=types_pb2.RegionCode(code=TOWNSHIP)), metadata=AUTH
    )
    assert len(listed.entries) == 2


def test_an_empty_import_is_refused(care: Care) -> None:
    with pytest.raises(grpc.RpcError) as error:
        care.stub.ImportLedger(care_pb2.ImportLedgerRequest(request_id="empty"), metadata=AUTH)
    assert dict(field_violations_from(error.value)) == {"rows": "must hold at least one row"}


def test_lists_are_scoped_to_a_township_or_village_paged_and_masked(care: Care) -> None:
    ids = [make_resident_id(date(1950, 1, 1 + i), 20 + i) for i in range(5)]
    for i, id_number in enumerate(ids):
        register(care, elder_registration(id_number=id_number), f"reg-{i}")
    register(care, elder_registration(id_number=MA, village=OTHER_TOWNSHIP_VILLAGE), "reg-other")
    seen: list[care_pb2.LedgerEntry] = []
    token = ""
    while True:
        page = care.stub.ListLedgerEntries(
            care_pb2.ListLedgerEntriesRequest(
                region=types_pb2.RegionCode(code=TOWNSHIP),
                ledger=care_pb2.LEDGER_ELDERLY_LEFT_BEHIND,
                page=types_pb2.PageRequest(page_size=2, page_token=token),
            ),
            metadata=AUTH,
        )
        seen.extend(page.entries)
        token = page.page.next_page_token
        if not token:
            break
    assert len(seen) == 5 and len({e.entry_id for e in seen}) == 5
    for entry, id_number in zip(seen, ids, strict=True):
        assert entry.person.id_number.value == id_number[:6] + "********" + id_number[-4:]
        assert entry.elderly.contact_phone == "138****1111" and "13800001111" not in entry.contact
    village = care.stub.ListLedgerEntries(
        care_pb2.ListLedgerEntriesRequest(region=types_pb2.RegionCode(code=OTHER_TOWNSHIP_VILLAGE)),
        metadata=AUTH,
    )
    assert [e.person.name for e in village.entries] == ["马福贵"]
    with pytest.raises(grpc.RpcError) as error:
        care.stub.ListLedgerEntries(
            care_pb2.ListLedgerEntriesRequest(region=types_pb2.RegionCode(code="640402000000")), metadata=AUTH
        )
    assert dict(field_violations_from(error.value)) == {
        "region": "must be the code of a township or a village"
    }


def test_h07_the_orphan_enters_the_childrens_ledger_with_monthly_visits(care: Care) -> None:
    entry = register(
        care,
        care_pb2.LedgerRegistration(
            ledger=care_pb2.LEDGER_CHILD_IN_DIFFICULTY,
            person=person(HU_BOY, "胡小明"),
            region=types_pb2.RegionCode(code=VILLAGE),
            child=care_pb2.ChildDetails(
                category=care_pb2.CHILD_CATEGORY_ORPHAN, guardian_name="胡桂英", child_director="马丽"
            ),
        ),
        "reg-hu",
    )
    assert entry.child.child_director == "马丽"
    assert (entry.next_visit_due.month, entry.next_visit_due.day) == (7, 1)
    assert not entry.care_services
