"""Eligibility's entitlement events as disbursement's roster reads them: DOMAIN §13 H01 taken in process from
the accepted application and its verification report through the six steps, then a new urban standard; every
event eligibility wrote to its outbox is applied by disbursement's consumer, and the roster pays what was
decided from the month it was decided for."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from doudi_common.period import Period
from doudi_disbursement.store import payroll as roster_store
from doudi_eligibility.app.parameters import NewVersion

from .h01 import COUNTY, decide_h01, disbursement_fed, eligibility_in_process


def test_h01_decided_and_re_determined_in_eligibility_is_paid_so_by_disbursement(tmp_path: Path) -> None:
    e = eligibility_in_process(tmp_path)
    decision, entitlement = decide_h01(e)
    assert decision.monthly_amount.amount_fen == 6_000
    e.clock.on(date(2025, 6, 10))
    e.app.standards.publish(
        "p",
        NewVersion(
            "GY-2025-07", "640400000000", date(2025, 7, 1), "新标准", {"dibao.std.urban.monthly": "600"}, {}
        ),
        COUNTY,
    )

    envelopes = e.entitlement_events()
    assert [envelope.event_type.rsplit(".", 1)[1] for envelope in envelopes] == [
        "EntitlementActivated",
        "EntitlementChanged",
    ]

    disbursement = disbursement_fed(tmp_path, envelopes, e.clock())
    with disbursement.persistence().database.read() as session:
        entry = roster_store.get_roster_entry(session, entitlement.entitlement_id)
    assert entry is not None
    assert (entry.beneficiary_id, entry.township, entry.payee_name) == ("app_h01", "640402100000", "李明")
    assert entry.persons == 3, "per-person derived payments (price subsidy) count the household's members"
    assert len(set(entry.person_keys)) == 3, "each member by an opaque key, to pay the price subsidy once"
    assert all(len(key) == 64 and int(key, 16) >= 0 for key in entry.person_keys), "keyed digests only"
    assert entry.amounts_for(Period(2025, 3)) == {}
    assert entry.amounts_for(Period(2025, 4)) == {"BASE": 6_000}
    assert entry.amounts_for(Period(2025, 6)) == {"BASE": 6_000}
    assert entry.amounts_for(Period(2025, 7)) == {"BASE": 18_000}
    e.context.persistence().database.dispose()
    disbursement.persistence().database.dispose()
