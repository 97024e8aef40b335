"""Eligibility's entitlement news through the inbox (DOMAIN §7.3, §9): H14's Zhou is suspended (her entry
rests: no visit announced, no work orders, open ones withdrawn), resumed (worked again, the month's
services planned again), then terminated (closed); a household's Dibao holds class-1 care services. A
redelivered event changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from google.protobuf.message import Message

from doudi.care.v1 import care_pb2
from doudi.common.v1 import programme_pb2, types_pb2
from doudi.eligibility.v1 import eligibility_pb2
from doudi.eligibility.v1 import events_pb2 as eligibility_events
from doudi_runtime.events.envelope import encode, new_envelope

from .conftest import AUTH, Care, elder_registration, register, running_care, zhou_registration
from .test_events_api import ENTITLEMENTS, tekun_entitlement
from .test_workorders_api import orders


def entry_of(care: Care, entry_id: str) -> care_pb2.LedgerEntry:
    request = care_pb2.GetLedgerEntryRequest(entry_id=entry_id)
    return care.stub.GetLedgerEntry(request, metadata=AUTH, timeout=10).entry


def in_state(entitlement: eligibility_pb2.Entitlement, state: int) -> eligibility_pb2.Entitlement:
    copy = eligibility_pb2.Entitlement()
    copy.CopyFrom(entitlement)
    copy.state = state
    return copy


def deliver_twice(care: Care, event: Message, key: str = "person-zhou") -> None:
    """Deliver an event, then Kafka's redelivery of the very same record."""
    data = encode(new_envelope(event, producer="eligibility", subject_key=key))
    assert care.deliver(ENTITLEMENTS, event, envelope_bytes=data) == "handled"
    assert care.deliver(ENTITLEMENTS, event, envelope_bytes=data) == "duplicate"


def test_h14_zhou_suspended_rests_resumed_works_again_terminated_closes(care: Care) -> None:
    entitlement = tekun_entitlement()
    care.deliver(ENTITLEMENTS, eligibility_events.EntitlementActivated(entitlement=entitlement))
    entry = register(care, zhou_registration(subject_id="person-zhou"), "complete-zhou")
    assert care.app.work_orders.run_monthly() == 2

    suspended = in_state(entitlement, eligibility_pb2.ENTITLEMENT_STATE_SUSPENDED)
    deliver_twice(care, eligibility_events.EntitlementSuspended(entitlement=suspended, reason="联系不上"))
    rested = entry_of(care, entry.entry_id)
    assert rested.status == care_pb2.ENTRY_STATUS_SUSPENDED
    assert [o.state for o in orders(care)] == [care_pb2.WORK_ORDER_STATE_CANCELLED] * 2
    # While she rests, her visit falling due is not announced and no services are planned.
    care.clock.now = datetime(2026, 7, 20, 1, 0, tzinfo=UTC)
    assert care.app.ledger.sweep_visits() == 0
    assert care.app.work_orders.run_monthly() == 0

    # Resolved in her favour: eligibility announces the resumption as an activation.
    deliver_twice(care, eligibility_events.EntitlementActivated(entitlement=entitlement))
    resumed = entry_of(care, entry.entry_id)
    assert resumed.status == care_pb2.ENTRY_STATUS_ACTIVE
    assert (resumed.next_visit_due.month, resumed.next_visit_due.day) == (7, 20)  # the missed visit: today
    assert care.app.ledger.sweep_visits() == 1  # VisitDue, without a backlog of escalations
    assert care.app.work_orders.run_monthly() == 2  # July's services
    july = orders(care, period=types_pb2.Period(month="2026-07"))
    assert [o.state for o in july] == [care_pb2.WORK_ORDER_STATE_ASSIGNED] * 2

    terminated = in_state(entitlement, eligibility_pb2.ENTITLEMENT_STATE_TERMINATED)
    deliver_twice(
        care,
        eligibility_events.EntitlementTerminated(
            entitlement=terminated, reason="DEATH", last_month=types_pb2.Period(month="2026-07")
        ),
    )
    assert entry_of(care, entry.entry_id).status == care_pb2.ENTRY_STATUS_CLOSED
    july = orders(care, period=types_pb2.Period(month="2026-07"))
    assert [o.state for o in july] == [care_pb2.WORK_ORDER_STATE_CANCELLED] * 2


def test_a_change_speaks_by_the_state_after_it_and_an_amount_change_alone_changes_nothing(care: Care) -> None:
    entitlement = tekun_entitlement()
    care.deliver(ENTITLEMENTS, eligibility_events.EntitlementActivated(entitlement=entitlement))
    entry = register(care, zhou_registration(subject_id="person-zhou"), "complete-zhou")
    raised = eligibility_pb2.Entitlement()
    raised.CopyFrom(entitlement)
    raised.monthly_amount.amount_fen = 110_000
    changed = eligibility_events.EntitlementChanged(
        before=entitlement, after=raised, effective_month=types_pb2.Period(month="2026-07"), reason="标准调整"
    )
    deliver_twice(care, changed)
    assert entry_of(care, entry.entry_id) == entry

    held = eligibility_events.EntitlementChanged(
        before=entitlement,
        after=in_state(entitlement, eligibility_pb2.ENTITLEMENT_STATE_SUSPENDED),
        effective_month=types_pb2.Period(month="2026-07"),
    )
    deliver_twice(care, held)
    assert entry_of(care, entry.entry_id).status == care_pb2.ENTRY_STATUS_SUSPENDED


def test_a_suspended_dibao_holds_class1_care_services_while_visits_go_on(
    tmp_path: Path, database_url: str
) -> None:
    with running_care(database_url, tmp_path, care_class1_dibao_enabled=True) as care:
        registration = elder_registration()
        registration.subject_id = "hh-ma"
        registration.provider_id = "provider-anxin"
        registration.rural_class1_dibao = True
        entry = register(care, registration, "reg-ma")
        assert entry.care_services
        assert care.app.work_orders.run_monthly() == 2

        dibao = tekun_entitlement("ent-dibao-ma")
        dibao.subject_id = "hh-ma"
        dibao.programme = programme_pb2.PROGRAMME_DIBAO
        suspended = in_state(dibao, eligibility_pb2.ENTITLEMENT_STATE_SUSPENDED)
        deliver_twice(care, eligibility_events.EntitlementSuspended(entitlement=suspended), key="hh-ma")
        held = entry_of(care, entry.entry_id)
        assert held.status == care_pb2.ENTRY_STATUS_ACTIVE and not held.care_services
        assert [o.state for o in orders(care)] == [care_pb2.WORK_ORDER_STATE_CANCELLED] * 2
        care.clock.now = datetime(2026, 9, 1, 1, 0, tzinfo=UTC)
        assert care.app.ledger.sweep_visits() == 1  # still visited quarterly

        deliver_twice(care, eligibility_events.EntitlementActivated(entitlement=dibao), key="hh-ma")
        assert entry_of(care, entry.entry_id).care_services
        assert care.app.work_orders.run_monthly() == 2  # September's services
