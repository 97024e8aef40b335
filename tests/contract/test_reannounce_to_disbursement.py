"""Eligibility's reannounce role as disbursement hears it (the key-rotation steps of the README): H01's
entitlement, announced when eligibility's lookup-key ring held one key, is announced again after a new key was
put first; disbursement's roster then names each covered person by both keys' digests, the old one the same as
before, and nothing it pays changes."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from doudi.eligibility.v1 import events_pb2
from doudi_common.fieldcrypt import LookupHasher
from doudi_common.period import Period
from doudi_disbursement.app.overpayments import Overpayments
from doudi_disbursement.events.entitlements import apply_entitlement_event
from doudi_disbursement.store import payroll as payroll_store
from doudi_disbursement.store import tables as disbursement_tables
from doudi_eligibility.main import reannounce
from doudi_runtime.events.envelope import unpack
from doudi_runtime.store.sealed import FieldCrypto, field_crypto, use_field_crypto

from .h01 import decide_h01, disbursement_fed, eligibility_in_process


def test_a_reannouncement_after_a_rotation_names_each_person_by_the_new_and_the_old_key(
    tmp_path: Path,
) -> None:
    e = eligibility_in_process(tmp_path)
    _, entitlement = decide_h01(e)
    e.clock.on(date(2025, 4, 1))
    assert e.app.entitlements.activate_due() == 1
    heard = e.entitlement_events()
    disbursement = disbursement_fed(tmp_path, heard, e.clock())
    with disbursement.persistence().database.read() as session:
        before = payroll_store.get_roster_entry(session, entitlement.entitlement_id)
    assert before is not None and before.person_digests == 1 and len(before.person_keys) == 3

    original = field_crypto()
    use_field_crypto(
        FieldCrypto(original.ring, LookupHasher("k2", {"k2": os.urandom(32), **original.hasher.keys}))
    )
    try:
        assert reannounce(e.context) == "re-announced 1 entitlements"
        [again] = e.entitlement_events()[len(heard) :]
        assert unpack(again, events_pb2.EntitlementReannounced).entitlement.digests_per_person == 2
        with disbursement.persistence().database.transaction() as session:
            apply_entitlement_event(session, again, e.clock(), Overpayments(disbursement))
        with disbursement.persistence().database.read() as session:
            after = payroll_store.get_roster_entry(session, entitlement.entitlement_id)
            lines = session.execute(
                select(func.count()).select_from(disbursement_tables.payments)
            ).scalar_one()
            owed = session.execute(select(func.count()).select_from(disbursement_tables.arrears)).scalar_one()
    finally:
        use_field_crypto(original)

    assert after is not None and after.person_digests == 2
    assert sorted(older for _, older in after.covered()) == sorted(before.person_keys), "the old key's too"
    assert not {primary for primary, _ in after.covered()} & set(before.person_keys)
    months = [Period(2025, m) for m in range(4, 13)]
    assert [after.amounts_for(m) for m in months] == [before.amounts_for(m) for m in months]
    assert (after.last, after.suspended_from, lines, owed) == (before.last, before.suspended_from, 0, 0)
