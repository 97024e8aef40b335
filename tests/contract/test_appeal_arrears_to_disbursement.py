"""A decision revoked on appeal in eligibility is paid as arrears by disbursement (DOMAIN §7.6, §11.4, the
H13 rule): H01's 60 cut to 30 from May and restored from July owes 30 for May and 30 for June. Every event
eligibility wrote to its outbox is applied by disbursement's consumer, and July's run pays the restored
amount and one ARREARS line per withheld month, adding up to the arrears eligibility decided."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from doudi_disbursement.app.payroll import PayrollUseCases
from doudi_disbursement.store import payroll as payroll_store
from doudi_eligibility.app.common import Actor
from doudi_eligibility.domain.machines.roles import Role

from .h01 import COUNTY, TOWNSHIP, decide_h01, disbursement_fed, eligibility_in_process


def test_a_reduction_revoked_on_appeal_is_paid_back_month_by_month(tmp_path: Path) -> None:
    e = eligibility_in_process(tmp_path)
    _, entitlement = decide_h01(e)
    clock = e.clock
    entitlements = e.app.entitlements
    clock.on(date(2025, 4, 1))
    entitlements.activate_due()
    clock.on(date(2025, 4, 10))
    entitlements.start_review("r-1", entitlement.entitlement_id, "季度复核", TOWNSHIP)
    reduced = entitlements.complete_review(
        "r-2", entitlement.entitlement_id, "CONTINUE", 3_000, "", "就业收入增加", COUNTY
    )
    appeal_id = entitlements.file_appeal(
        "a-1", reduced.last_decision_id, "RECONSIDERATION", "收入核算有误", Actor(Role.APPLICANT, "李明")
    )
    clock.on(date(2025, 6, 20))
    _, _, arrears = entitlements.decide_appeal(
        "d-1", appeal_id, True, "撤销减发决定", Actor(Role.REVIEWING_BODY, "复议机关")
    )
    assert arrears == 2 * 3_000

    disbursement = disbursement_fed(tmp_path, e.entitlement_events(), clock())
    payroll = PayrollUseCases(disbursement, bank=None, clock=clock)  # type: ignore[arg-type]
    run = payroll.generate_run("g-jul", "2025-07", "640402000000", "county-clerk")
    payroll.generate_shards()
    with disbursement.persistence().database.read() as session:
        rows = payroll_store.list_payments(
            session, run_id=run.run_id, beneficiary_id="", after=None, limit=10
        )
    assert sorted((r.period, r.component, int(r.amount_fen)) for r in rows) == [
        ("2025-05", "ARREARS", 3_000),
        ("2025-06", "ARREARS", 3_000),
        ("2025-07", "BASE", 6_000),
    ]
    e.context.persistence().database.dispose()
    disbursement.persistence().database.dispose()
