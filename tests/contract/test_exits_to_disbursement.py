"""How a Dibao entitlement leaves, as eligibility announces it and disbursement pays it (DOMAIN §5.1.6, §7.3,
§11.2, the H06 rules on H01's household, 60 yuan a month from April 2025):

- a gradual exit decided in July 2025 freezes the amount from August 2025 to July 2026; the roster pays July
  2026 and nothing after, before eligibility's sweep has ended it (the run for August is made in July) and
  after, when the sweep's EntitlementTerminated names the same last month;
- income falling back in November 2025 returns it to ACTIVE at 50 from December: the roster pays on past the
  frozen months, and the sweep no longer ends it;
- a voluntary exit in August 2025 ends payment after August and pays the bonus (3 × 60 = 180) once, as the
  EXIT_BONUS line of August, however often the event is heard and however many runs are generated.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from doudi.eligibility.v1 import events_pb2
from doudi_common.period import Period
from doudi_disbursement.app.overpayments import Overpayments
from doudi_disbursement.app.payroll import PayrollUseCases
from doudi_disbursement.events.entitlements import apply_entitlement_event
from doudi_disbursement.store import payroll as payroll_store
from doudi_eligibility.app.exits import Exits
from doudi_runtime.events.envelope import new_envelope, unpack

from .h01 import COUNTY, TOWNSHIP, Eligibility, decide_h01, disbursement_fed, eligibility_in_process

REGION = "640402000000"


def _apply(disbursement: Any, envelopes: list[Any], now: Any) -> None:
    for envelope in envelopes:
        with disbursement.persistence().database.transaction() as session:
            apply_entitlement_event(session, envelope, now, Overpayments(disbursement))


def _active_h01(tmp_path: Path) -> tuple[Eligibility, str]:
    e = eligibility_in_process(tmp_path)
    _, entitlement = decide_h01(e)
    e.clock.on(date(2025, 4, 1))
    assert e.app.entitlements.activate_due() == 1
    return e, entitlement.entitlement_id


def _paid(disbursement: Any, clock: Any, period: str, request_id: str) -> list[tuple[str, str, int]]:
    payroll = PayrollUseCases(disbursement, bank=None, clock=clock)  # type: ignore[arg-type]
    run = payroll.generate_run(request_id, period, REGION, "county-clerk")
    payroll.generate_shards()
    with disbursement.persistence().database.read() as session:
        rows = payroll_store.list_payments(
            session, run_id=run.run_id, beneficiary_id="", after=None, limit=50
        )
    return sorted((r.period, r.component, int(r.amount_fen)) for r in rows)


def test_a_gradual_exit_is_paid_to_its_last_frozen_month_and_ends_in_both_services(tmp_path: Path) -> None:
    e, entitlement_id = _active_h01(tmp_path)
    e.clock.on(date(2025, 7, 15))
    e.app.entitlements.start_review("r-1", entitlement_id, "人社数据显示就业", TOWNSHIP)
    e.app.entitlements.complete_review("r-2", entitlement_id, "GRADUAL_EXIT", 0, "", "给予渐退期", COUNTY)

    disbursement = disbursement_fed(tmp_path, e.entitlement_events(), e.clock())
    with disbursement.persistence().database.read() as session:
        entry = payroll_store.get_roster_entry(session, entitlement_id)
    assert entry is not None
    assert entry.amounts_for(Period(2026, 7)) == {"BASE": 6_000}
    assert entry.amounts_for(Period(2026, 8)) == {}, "not paid after the last frozen month, sweep or not"

    e.clock.on(date(2026, 8, 1))
    assert Exits(e.app.entitlements).end_due_gradual_exits() == 1
    terminated = e.entitlement_events()[-1]
    assert terminated.event_type.endswith("EntitlementTerminated")
    _apply(disbursement, [terminated], e.clock())
    with disbursement.persistence().database.read() as session:
        ended = payroll_store.get_roster_entry(session, entitlement_id)
    assert ended is not None and ended.last == Period(2026, 7)
    assert ended.amounts_for(Period(2026, 7)) == {"BASE": 6_000}
    assert ended.amounts_for(Period(2026, 8)) == {}
    e.context.persistence().database.dispose()
    disbursement.persistence().database.dispose()


def test_a_gradual_exit_that_returns_to_active_is_paid_on_past_its_frozen_months(tmp_path: Path) -> None:
    e, entitlement_id = _active_h01(tmp_path)
    e.clock.on(date(2025, 7, 15))
    e.app.entitlements.start_review("r-1", entitlement_id, "人社数据显示就业", TOWNSHIP)
    e.app.entitlements.complete_review("r-2", entitlement_id, "GRADUAL_EXIT", 0, "", "给予渐退期", COUNTY)
    e.clock.on(date(2025, 11, 20))
    e.app.entitlements.complete_review("r-3", entitlement_id, "CONTINUE", 5_000, "", "失业，收入回落", COUNTY)

    disbursement = disbursement_fed(tmp_path, e.entitlement_events(), e.clock())
    with disbursement.persistence().database.read() as session:
        entry = payroll_store.get_roster_entry(session, entitlement_id)
    assert entry is not None and entry.last is None
    assert entry.amounts_for(Period(2025, 11)) == {"BASE": 6_000}, "frozen to the decision's month"
    assert entry.amounts_for(Period(2025, 12)) == {"BASE": 5_000}
    assert entry.amounts_for(Period(2026, 8)) == {"BASE": 5_000}, "paid on after the frozen months"
    e.clock.on(date(2026, 8, 1))
    assert Exits(e.app.entitlements).end_due_gradual_exits() == 0
    e.context.persistence().database.dispose()
    disbursement.persistence().database.dispose()


def test_a_voluntary_exit_bonus_is_paid_once_even_when_its_event_is_heard_twice(tmp_path: Path) -> None:
    e, entitlement_id = _active_h01(tmp_path)
    e.clock.on(date(2025, 8, 12))
    recorded = Exits(e.app.entitlements).exit_voluntarily("x-1", entitlement_id, None, "自愿退出", TOWNSHIP)
    assert (recorded.bonus_fen, recorded.bonus_months) == (18_000, 3)

    envelopes = e.entitlement_events()
    terminated = envelopes[-1]
    event = unpack(terminated, events_pb2.EntitlementTerminated)
    assert event.exit_bonus.amount_fen == 18_000
    # Heard twice: the same envelope redelivered, and the same fact published again under a new envelope.
    again = new_envelope(event, producer="eligibility", subject_key=terminated.subject_key)
    disbursement = disbursement_fed(tmp_path, [*envelopes, terminated, again], e.clock())

    assert _paid(disbursement, e.clock, "2025-08", "g-aug") == [
        ("2025-08", "BASE", 6_000),
        ("2025-08", "EXIT_BONUS", 18_000),
    ]
    e.clock.on(date(2025, 9, 2))
    assert _paid(disbursement, e.clock, "2025-09", "g-sep") == [], "ended after August, the bonus paid"
    e.context.persistence().database.dispose()
    disbursement.persistence().database.dispose()
