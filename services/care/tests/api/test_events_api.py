"""Facts from other services through the inbox: entitlements open and close ledger entries (a redelivery
changes nothing), monitoring alerts re-tier people on a ledger and make a visit due at once."""

from __future__ import annotations

from datetime import UTC, datetime

from doudi.care.v1 import care_pb2
from doudi.common.v1 import programme_pb2, types_pb2
from doudi.eligibility.v1 import eligibility_pb2
from doudi.eligibility.v1 import events_pb2 as eligibility_events
from doudi.verification.v1 import events_pb2 as verification_events
from doudi.verification.v1 import monitoring_pb2
from doudi_runtime.events.envelope import encode, new_envelope

from .conftest import AUTH, TOWNSHIP, VILLAGE, ZHOU, Care, elder_registration, register, zhou_registration

ENTITLEMENTS = "doudi.eligibility.entitlement.v1"
ALERTS = "doudi.verification.alert.v1"


def tekun_entitlement(entitlement_id: str = "ent-zhou") -> eligibility_pb2.Entitlement:
    """H14: Zhou's Tekun entitlement, 412 + 650 = 1,062 yuan a month."""
    return eligibility_pb2.Entitlement(
        entitlement_id=entitlement_id,
        subject_id="person-zhou",
        programme=programme_pb2.PROGRAMME_TEKUN,
        state=eligibility_pb2.ENTITLEMENT_STATE_ACTIVE,
        monthly_amount=types_pb2.Money(amount_fen=106_200),
        start_month=types_pb2.Period(month="2026-06"),
        region=types_pb2.RegionCode(code=VILLAGE),
        payee=eligibility_pb2.Payee(account_name="周秀兰", account_number="6217000012345678"),
    )


def ledger(care: Care) -> list[care_pb2.LedgerEntry]:
    request = care_pb2.ListLedgerEntriesRequest(region=types_pb2.RegionCode(code=TOWNSHIP))
    return list(care.stub.ListLedgerEntries(request, metadata=AUTH, timeout=10).entries)


def test_a_tekun_entitlement_opens_a_dispersed_tekun_entry_and_redelivery_changes_nothing(care: Care) -> None:
    activated = eligibility_events.EntitlementActivated(entitlement=tekun_entitlement())
    data = encode(new_envelope(activated, producer="eligibility", subject_key="person-zhou"))
    assert care.deliver(ENTITLEMENTS, activated, envelope_bytes=data) == "handled"
    [entry] = ledger(care)
    assert entry.ledger == care_pb2.LEDGER_TEKUN_DISPERSED
    assert entry.status == care_pb2.ENTRY_STATUS_PENDING_DETAILS
    assert entry.source == care_pb2.ENTRY_SOURCE_ENTITLEMENT
    assert entry.subject_id == "person-zhou" and entry.person.name == "周秀兰" and entry.care_services

    # Kafka delivers the same event again: the inbox makes it a no-op.
    assert care.deliver(ENTITLEMENTS, activated, envelope_bytes=data) == "duplicate"
    # Eligibility publishes the same activation again under a new event id: still one entry, unchanged.
    assert care.deliver(ENTITLEMENTS, activated) == "handled"
    assert ledger(care) == [entry]

    # The township completes the entry: same entry, now with who she is and her carer.
    completed = register(care, zhou_registration(subject_id="person-zhou"), "complete-zhou")
    assert completed.entry_id == entry.entry_id
    assert completed.status == care_pb2.ENTRY_STATUS_ACTIVE and completed.person.id_number.value == ZHOU

    terminated = eligibility_events.EntitlementTerminated(
        entitlement=tekun_entitlement(), reason="DEATH", last_month=types_pb2.Period(month="2026-09")
    )
    assert care.deliver(ENTITLEMENTS, terminated) == "handled"
    [closed] = ledger(care)
    assert closed.status == care_pb2.ENTRY_STATUS_CLOSED


def test_other_programmes_open_no_ledger_entry(care: Care) -> None:
    dibao = tekun_entitlement("ent-dibao")
    dibao.programme = programme_pb2.PROGRAMME_DIBAO
    care.deliver(ENTITLEMENTS, eligibility_events.EntitlementActivated(entitlement=dibao))
    assert ledger(care) == []


def test_h08_an_fuc_allowance_opens_a_childrens_entry_visited_monthly(care: Care) -> None:
    fuc = tekun_entitlement("ent-yang")
    fuc.subject_id = "person-yang-girl"
    fuc.programme = programme_pb2.PROGRAMME_UNSUPPORTED_CHILD_ALLOWANCE
    fuc.monthly_amount.amount_fen = 150_150  # 1,600 − 98.50
    fuc.payee.CopyFrom(eligibility_pb2.Payee(account_name="杨小花", guardian_name="杨德胜"))
    care.deliver(ENTITLEMENTS, eligibility_events.EntitlementActivated(entitlement=fuc))
    [entry] = ledger(care)
    assert entry.ledger == care_pb2.LEDGER_CHILD_IN_DIFFICULTY
    assert entry.child.category == care_pb2.CHILD_CATEGORY_UNSUPPORTED
    assert entry.child.guardian_name == "杨德胜"
    assert (entry.next_visit_due.month, entry.next_visit_due.day) == (7, 1)  # monthly child-director visit


def alert(person: str, trigger: int, urgency: int = monitoring_pb2.ALERT_URGENCY_ROUTINE) -> object:
    return verification_events.AlertRaised(
        alert_id="alert-1",
        trigger=trigger,
        region=types_pb2.RegionCode(code=VILLAGE),
        township=types_pb2.RegionCode(code=TOWNSHIP),
        person=types_pb2.IdNumber(value=person),
        urgency=urgency,
    )


def test_an_alert_about_someone_on_a_ledger_raises_their_tier_and_asks_for_a_visit_now(care: Care) -> None:
    entry = register(care, elder_registration(), "reg-ma")
    care.clock.now = datetime(2026, 6, 3, 2, 0, tzinfo=UTC)
    outcome = care.deliver(
        ALERTS, alert(entry.person.id_number.value, monitoring_pb2.TRIGGER_LARGE_MEDICAL_EXPENSE)
    )
    assert outcome == "handled"
    got = care.stub.GetLedgerEntry(
        care_pb2.GetLedgerEntryRequest(entry_id=entry.entry_id), metadata=AUTH
    ).entry
    assert got.risk_level == care_pb2.RISK_LEVEL_KEY
    assert (got.next_visit_due.month, got.next_visit_due.day) == (6, 3)
    assert got.visit_stage == care_pb2.VISIT_STAGE_DUE
    [changed] = care.events("RiskLevelChanged")
    assert "alert-1" in changed.reason
    care.app.ledger.sweep_visits()
    assert [e for _, _, e in care.outbox()] == ["RiskLevelChanged", "VisitDue"]

    # H09-like: a fire (M4) is an emergency alert; someone on a ledger goes straight to the high tier.
    care.deliver(
        ALERTS,
        alert(
            entry.person.id_number.value,
            monitoring_pb2.TRIGGER_ACCIDENT,
            urgency=monitoring_pb2.ALERT_URGENCY_EMERGENCY,
        ),
    )
    got = care.stub.GetLedgerEntry(
        care_pb2.GetLedgerEntryRequest(entry_id=entry.entry_id), metadata=AUTH
    ).entry
    assert got.risk_level == care_pb2.RISK_LEVEL_HIGH


def test_alerts_about_others_or_about_care_itself_change_nothing(care: Care) -> None:
    entry = register(care, elder_registration(), "reg-ma")
    care.deliver(ALERTS, alert(ZHOU, monitoring_pb2.TRIGGER_INCOME_DROP))
    care.deliver(ALERTS, alert(entry.person.id_number.value, monitoring_pb2.TRIGGER_OVERDUE_CARE))
    got = care.stub.GetLedgerEntry(
        care_pb2.GetLedgerEntryRequest(entry_id=entry.entry_id), metadata=AUTH
    ).entry
    assert got.risk_level == care_pb2.RISK_LEVEL_GENERAL
    assert care.outbox() == []
