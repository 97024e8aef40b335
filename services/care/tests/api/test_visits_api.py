"""Visits over gRPC: due and overdue lists, the daily sweep's escalation, visit records and risk findings."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
import pytest
from prometheus_client import REGISTRY

from doudi.care.v1 import care_pb2
from doudi.common.v1 import types_pb2
from doudi_runtime.grpc.errors import field_violations_from

from .conftest import AUTH, TOWNSHIP, Care, at, elder_registration, register


def due_visits(care: Care, *, overdue_only: bool = False) -> list[care_pb2.DueVisit]:
    request = care_pb2.ListDueVisitsRequest(
        region=types_pb2.RegionCode(code=TOWNSHIP), overdue_only=overdue_only
    )
    return list(care.stub.ListDueVisits(request, metadata=AUTH, timeout=10).visits)


def overdue_gauge(ledger: str) -> float:
    return REGISTRY.get_sample_value("doudi_care_visits_overdue", {"ledger": ledger}) or 0.0


def test_a_quarterly_visit_falls_due_goes_overdue_to_the_township_then_the_county(care: Care) -> None:
    entry = register(care, elder_registration(), "reg-ma")
    assert (entry.next_visit_due.month, entry.next_visit_due.day) == (9, 1)  # quarterly from 1 June
    assert due_visits(care) == []
    assert care.app.ledger.sweep_visits() == 0

    care.clock.now = datetime(2026, 9, 1, 1, 0, tzinfo=UTC)  # the due day
    [due] = due_visits(care)
    assert due.stage == care_pb2.VISIT_STAGE_DUE and not due.overdue
    assert care.app.ledger.sweep_visits() == 1
    assert care.app.ledger.sweep_visits() == 0  # announced once

    care.clock.now = datetime(2026, 9, 9, 1, 0, tzinfo=UTC)  # due + 8 days: past the 7-day grace
    assert [v.entry_id for v in due_visits(care, overdue_only=True)] == [entry.entry_id]
    assert care.app.ledger.sweep_visits() == 1
    assert overdue_gauge("elderly") == 1

    care.clock.now = datetime(2026, 9, 16, 1, 0, tzinfo=UTC)
    assert care.app.ledger.sweep_visits() == 1
    overdue = care.events("VisitOverdue")
    assert [e.escalated_to for e in overdue] == [
        care_pb2.ESCALATION_LEVEL_TOWNSHIP,
        care_pb2.ESCALATION_LEVEL_COUNTY,
    ]
    assert all(e.township.code == TOWNSHIP for e in overdue)
    assert [t for t, _, _ in care.outbox()] == ["doudi.care.visit.v1"] * 3
    assert {k for _, k, _ in care.outbox()} == {entry.entry_id}

    # The visit closes the overdue item and plans the next one a quarter after it.
    visit = care.stub.RecordVisit(
        care_pb2.RecordVisitRequest(
            request_id="visit-1",
            entry_id=entry.entry_id,
            visited_at=at(datetime(2026, 9, 16, 0, 30, tzinfo=UTC)),
            place="马福贵家中",
            findings="饮食正常，取暖已备，药品充足",
            mode=care_pb2.VISIT_MODE_HOME,
            visitor="村协理员 马兰",
        ),
        metadata=AUTH,
    ).visit
    assert visit.late and (visit.next_visit_due.month, visit.next_visit_due.day) == (12, 16)
    assert due_visits(care) == []
    care.app.ledger.sweep_visits()
    assert overdue_gauge("elderly") == 0


def test_a_sweep_that_missed_days_still_tells_the_township_before_the_county(care: Care) -> None:
    register(care, elder_registration(), "reg-ma")
    care.clock.now = datetime(2026, 10, 1, 1, 0, tzinfo=UTC)
    assert care.app.ledger.sweep_visits() == 3
    assert [e for _, _, e in care.outbox()] == ["VisitDue", "VisitOverdue", "VisitOverdue"]
    assert [e.escalated_to for e in care.events("VisitOverdue")] == [
        care_pb2.ESCALATION_LEVEL_TOWNSHIP,
        care_pb2.ESCALATION_LEVEL_COUNTY,
    ]


def test_a_risk_found_on_a_visit_is_reported_and_brings_the_next_visit_forward(care: Care) -> None:
    entry = register(care, elder_registration(), "reg-ma")
    care.clock.now = datetime(2026, 6, 10, 3, 0, tzinfo=UTC)
    counted = (
        REGISTRY.get_sample_value("doudi_care_visits_total", {"ledger": "elderly", "outcome": "risk_found"})
        or 0
    )
    request = care_pb2.RecordVisitRequest(
        request_id="visit-risk",
        entry_id=entry.entry_id,
        visited_at=at(datetime(2026, 6, 10, 2, 0, tzinfo=UTC)),
        place="马福贵家中",
        findings="独居老人摔伤，无人照料",
        risk_observed=True,
        mode=care_pb2.VISIT_MODE_HOME,
        visitor="村协理员 马兰",
    )
    first = care.stub.RecordVisit(request, metadata=AUTH)
    again = care.stub.RecordVisit(request, metadata=AUTH)
    assert again.visit_id == first.visit_id
    # general → key: monthly from the visit day (DOMAIN §9.2 tiers).
    assert (first.visit.next_visit_due.month, first.visit.next_visit_due.day) == (7, 10)
    [risk] = care.events("RiskReported")
    assert risk.entry_id == entry.entry_id and risk.visit_id == first.visit_id
    assert risk.risk_level == care_pb2.RISK_LEVEL_KEY and risk.description == "独居老人摔伤，无人照料"
    after = REGISTRY.get_sample_value(
        "doudi_care_visits_total", {"ledger": "elderly", "outcome": "risk_found"}
    )
    assert after == counted + 1  # once, although asked twice


def test_a_visit_needs_its_time_mode_place_findings_and_visitor(care: Care) -> None:
    entry = register(care, elder_registration(), "reg-ma")
    with pytest.raises(grpc.RpcError) as error:
        care.stub.RecordVisit(
            care_pb2.RecordVisitRequest(request_id="v", entry_id=entry.entry_id), metadata=AUTH
        )
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(dict(field_violations_from(error.value))) == {"mode", "visited_at"}
    with pytest.raises(grpc.RpcError) as error:
        care.stub.RecordVisit(
            care_pb2.RecordVisitRequest(
                request_id="v2",
                entry_id=entry.entry_id,
                visited_at=at(datetime(2027, 1, 1, tzinfo=UTC)),
                mode=care_pb2.VISIT_MODE_PHONE,
            ),
            metadata=AUTH,
        )
    assert set(dict(field_violations_from(error.value))) == {"visited_at", "place", "findings", "visitor"}


def test_a_tier_change_re_plans_the_visit_and_is_announced(care: Care) -> None:
    entry = register(care, elder_registration(), "reg-ma")
    changed = care.stub.ChangeRiskLevel(
        care_pb2.ChangeRiskLevelRequest(
            request_id="tier-1",
            entry_id=entry.entry_id,
            risk_level=care_pb2.RISK_LEVEL_HIGH,
            reason="独居且失能",
        ),
        metadata=AUTH,
    ).entry
    assert changed.risk_level == care_pb2.RISK_LEVEL_HIGH
    assert (changed.next_visit_due.month, changed.next_visit_due.day) == (6, 8)  # weekly
    [event] = care.events("RiskLevelChanged")
    assert (event.before, event.after) == (care_pb2.RISK_LEVEL_GENERAL, care_pb2.RISK_LEVEL_HIGH)
    with pytest.raises(grpc.RpcError) as error:
        care.stub.ChangeRiskLevel(
            care_pb2.ChangeRiskLevelRequest(request_id="tier-2", entry_id=entry.entry_id), metadata=AUTH
        )
    assert set(dict(field_violations_from(error.value))) == {"risk_level", "reason"}


def test_a_closed_entry_is_no_longer_due_a_visit(care: Care) -> None:
    entry = register(care, elder_registration(), "reg-ma")
    closed = care.stub.CloseLedgerEntry(
        care_pb2.CloseLedgerEntryRequest(
            request_id="close", entry_id=entry.entry_id, reason="迁往县城与子女同住"
        ),
        metadata=AUTH,
    ).entry
    assert closed.status == care_pb2.ENTRY_STATUS_CLOSED
    care.clock.now = datetime(2026, 10, 1, 1, 0, tzinfo=UTC)
    assert due_visits(care) == [] and care.app.ledger.sweep_visits() == 0
    with pytest.raises(grpc.RpcError) as error:
        care.stub.CloseLedgerEntry(
            care_pb2.CloseLedgerEntryRequest(request_id="close-2", entry_id=entry.entry_id, reason="again"),
            metadata=AUTH,
        )
    assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION
