"""An approval decided after its deadline in eligibility is paid its delay arrears once by disbursement
(DOMAIN §11.4 administrative delay, §6, §11.2): with ``dibao.deadline.delay_arrears`` published on for the
county, H01 accepted on 3 March 2025 (deadline 15 April) and confirmed on 16 June starts in July, and owes May
and June at 60 yuan. Every event eligibility wrote to its outbox is applied by disbursement's consumer (the
activation twice, as a redelivery would): July's run pays one ARREARS line per delayed month and July's BASE,
and August's run pays August's BASE alone."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from doudi_disbursement.app.overpayments import Overpayments
from doudi_disbursement.app.payroll import PayrollUseCases
from doudi_disbursement.events.entitlements import apply_entitlement_event
from doudi_disbursement.store import payroll as payroll_store
from doudi_eligibility.app.parameters import NewVersion

from .h01 import COUNTY, Eligibility, decide_h01, disbursement_fed, eligibility_in_process


def decide_h01_late(e: Eligibility) -> None:
    """H01 from intake's acceptance to the end of its notice on 18 March; the county confirms on 16 June."""
    decision, _ = decide_h01(e, decided_on=date(2025, 6, 16))
    assert decision.start_month.month == "2025-07"


def rows_of(disbursement, run_id: str) -> list[tuple[str, str, int]]:  # type: ignore[no-untyped-def]
    with disbursement.persistence().database.read() as session:
        rows = payroll_store.list_payments(session, run_id=run_id, beneficiary_id="", after=None, limit=20)
    return sorted((r.period, r.component, int(r.amount_fen)) for r in rows)


def test_a_late_approval_is_paid_its_delay_months_once_as_arrears(tmp_path: Path) -> None:
    e = eligibility_in_process(tmp_path)
    e.app.standards.publish(
        "pub-delay",
        NewVersion(
            "EX-GY-2025-DELAY",
            "640402000000",
            date(2025, 1, 1),
            "县民政局文件",
            {"dibao.deadline.delay_arrears": "true"},
            {},
        ),
        COUNTY,
    )
    decide_h01_late(e)
    clock = e.clock
    clock.on(date(2025, 7, 1))
    e.app.entitlements.activate_due()

    events = e.entitlement_events()
    activation = next(env for env in events if env.event_type.endswith("EntitlementActivated"))
    disbursement = disbursement_fed(tmp_path, [*events, activation], clock())
    payroll = PayrollUseCases(disbursement, bank=None, clock=clock)  # type: ignore[arg-type]
    july = payroll.generate_run("g-jul", "2025-07", "640402000000", "county-clerk")
    payroll.generate_shards()
    assert rows_of(disbursement, july.run_id) == [
        ("2025-05", "ARREARS", 6_000),
        ("2025-06", "ARREARS", 6_000),
        ("2025-07", "BASE", 6_000),
    ]

    with disbursement.persistence().database.transaction() as session:
        apply_entitlement_event(session, activation, clock(), Overpayments(disbursement))
    clock.on(date(2025, 8, 1))
    august = payroll.generate_run("g-aug", "2025-08", "640402000000", "county-clerk")
    payroll.generate_shards()
    assert rows_of(disbursement, august.run_id) == [("2025-08", "BASE", 6_000)], "the delay is paid once"
    e.context.persistence().database.dispose()
    disbursement.persistence().database.dispose()
