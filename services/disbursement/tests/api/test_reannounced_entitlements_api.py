"""Eligibility's re-announcement of an entitlement as it stands (EntitlementReannounced, after a rotation of
its lookup keys): the roster takes the persons' and the household's keys it names now, and nothing else
changes — no payment line, no arrears, no amount, month or state. A month's run after it pays the price
subsidy once for a person the entry shares with an entitlement announced before the rotation (DOMAIN §5.7,
§5.8)."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import func, select

from doudi.eligibility.v1 import eligibility_pb2
from doudi.eligibility.v1 import events_pb2 as eligibility_events
from doudi_disbursement.domain.roster import RosterEntry
from doudi_disbursement.store import payroll as store
from doudi_disbursement.store import tables

from .test_derived_payments_api import entitlement
from .test_payroll_api import Payroll, deliver, disbursement
from .test_price_subsidy_once_api import declare_july, july, price_lines
from .test_rotated_person_keys_api import GIRL, GRANDFATHER, GRANDMOTHER, girl_fuc, named

__all__ = ["disbursement"]


def reannounce(p: Payroll, e: eligibility_pb2.Entitlement) -> None:
    deliver(p, eligibility_events.EntitlementReannounced(entitlement=e, run_id="rea_1"))


def entry(p: Payroll, entitlement_id: str) -> RosterEntry | None:
    with p.context.database.read() as session:
        return store.get_roster_entry(session, entitlement_id)


def rows(p: Payroll, table) -> int:  # type: ignore[no-untyped-def]
    with p.context.database.read() as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def dibao_without_keys() -> eligibility_pb2.Entitlement:
    """Yang's Dibao for him and the girl as announced before eligibility named persons by key."""
    dibao = entitlement("yang", 19_700, start="2026-07")
    dibao.covered_persons = 2
    return dibao


def test_a_reannouncement_names_the_persons_of_an_entry_stored_without_keys_and_the_run_pays_the_girl_once(
    disbursement,
) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    deliver(p, eligibility_events.EntitlementActivated(entitlement=girl_fuc(rotated=False)))
    deliver(p, eligibility_events.EntitlementActivated(entitlement=dibao_without_keys()))
    before = entry(p, "yang")
    assert before is not None and before.person_keys == ()

    now = dibao_without_keys()
    named(now, True, [GRANDFATHER, GIRL], [GRANDFATHER, GIRL])
    reannounce(p, now)

    after = entry(p, "yang")
    assert after is not None
    assert after.covered() == tuple(
        sorted([(GRANDFATHER["K2"], GRANDFATHER["K1"]), (GIRL["K2"], GIRL["K1"])])
    )
    assert set(after.household_keys) == {*GRANDFATHER.values(), *GIRL.values()}
    assert replace(after, person_keys=(), household_keys=(), person_digests=1) == before, "nothing else"
    assert (rows(p, tables.payments), rows(p, tables.arrears)) == (0, 0), "no line, no arrears"

    declare_july(p)
    assert price_lines(p, july(p).run_id) == [("hh_yang", 2 * 1_200)], "the girl once, in the Dibao's line"


def test_a_reannouncement_heard_again_changes_nothing(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    deliver(p, eligibility_events.EntitlementActivated(entitlement=dibao_without_keys()))
    now = dibao_without_keys()
    named(now, True, [GRANDFATHER, GIRL], [])
    reannounce(p, now)
    with p.context.database.read() as session:
        first = session.execute(select(tables.roster.c.body, tables.roster.c.updated_at)).one()

    reannounce(p, now)  # a later run's, or the same event delivered again

    with p.context.database.read() as session:
        assert session.execute(select(tables.roster.c.body, tables.roster.c.updated_at)).one() == first
        assert rows(p, tables.roster_persons) == 2 * 2


def test_a_reannouncement_changes_no_amount_month_or_state_even_when_its_snapshot_differs(
    disbursement,
) -> None:  # type: ignore[no-untyped-def]
    """Amounts change only with the month a change takes effect from, which a snapshot does not carry."""
    p = disbursement
    deliver(p, eligibility_events.EntitlementActivated(entitlement=entitlement("hu_grandmother", 73_700)))
    deliver(
        p,
        eligibility_events.EntitlementSuspended(
            entitlement=entitlement("hu_grandmother", 73_700), reason="待核查"
        ),
    )
    before = entry(p, "hu_grandmother")
    now = entitlement("hu_grandmother", 80_000, start="2026-05")
    now.state = eligibility_pb2.ENTITLEMENT_STATE_ACTIVE
    named(now, True, [GRANDMOTHER], [GRANDMOTHER])
    reannounce(p, now)

    after = entry(p, "hu_grandmother")
    assert after is not None and before is not None
    assert (after.changes, after.start, after.last, after.suspended_from) == (
        before.changes,
        before.start,
        before.last,
        before.suspended_from,
    )
    assert after.covered() == ((GRANDMOTHER["K2"], GRANDMOTHER["K1"]),)


def test_a_reannouncement_fills_a_missing_account_and_keeps_one_on_record(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    deliver(p, eligibility_events.EntitlementActivated(entitlement=entitlement("yang", 19_700, account="")))
    deliver(p, eligibility_events.EntitlementActivated(entitlement=entitlement("hu", 30_000)))
    with p.context.database.transaction() as session:
        corrected = store.get_roster_entry(session, "hu")
        assert corrected is not None
        # A caseworker corrected the account here after the bank returned a payment.
        store.save_roster_entry(
            session, replace(corrected, payee_account="6228480000000099"), p.use_cases.clock()
        )

    reannounce(p, entitlement("yang", 19_700, account="6228480000000021"))
    reannounce(p, entitlement("hu", 30_000, account="6228480000000013"))

    assert [e.payee_account for e in (entry(p, "yang"), entry(p, "hu")) if e] == [
        "6228480000000021",
        "6228480000000099",
    ]


def test_a_reannouncement_of_an_entitlement_the_roster_does_not_know_starts_nothing(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    reannounce(p, entitlement("unknown", 19_700))
    assert entry(p, "unknown") is None
    assert rows(p, tables.roster) == 0
