"""What a shard may owe beyond the monthly amounts is looked up once per shard: the look finds an arrears
line, an exit bonus or an overpayment of the township's roster exactly when the pages would, so skipping
the pages' queries when it finds none never leaves a line unpaid."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session

from doudi_common.period import Period
from doudi_disbursement.domain.payments import PaymentLine
from doudi_disbursement.domain.roster import AmountChange, RosterEntry
from doudi_disbursement.store import derived as store
from doudi_disbursement.store import payroll as payroll_store
from doudi_disbursement.store.tables import arrears, exit_bonuses, overpayments
from doudi_runtime.service import ServiceContext

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
HERE, THERE = "640402100000", "640402101000"
DECEMBER = Period(2026, 12)


@pytest.fixture(autouse=True)
def _one_entitlement_in_each_township(context: ServiceContext) -> None:
    """Every test starts from a roster of one entitlement in each of two townships."""
    with context.database.transaction() as session:
        for index, township in enumerate((HERE, THERE)):
            payroll_store.save_roster_entry(session, _entry(index, township), NOW)


def _entry(index: int, township: str) -> RosterEntry:
    start = Period(2026, 1)
    return RosterEntry(
        f"ent_{index}", f"hh_{index}", "DIBAO", township, "户主", "6228480000000001",
        start, (AmountChange(start, (("BASE", 48_000),), "activated"),),
    )  # fmt: skip


def _owe(session: Session, table: object, key: str, period: str) -> None:
    values = {"idempotency_key": key, "entitlement_id": "ent_0", "period": period, "amount_fen": 29_000}
    if table is arrears:
        values |= {"reason": "revoked", "recorded_at": NOW}
    else:
        values |= {"months": 3, "recorded_at": NOW}
    session.execute(insert(table).values(**values))  # type: ignore[arg-type]


@pytest.mark.parametrize("table", [arrears, exit_bonuses], ids=["arrears", "exit_bonus"])
def test_a_line_owed_is_found_for_its_township_until_a_payment_carries_it(
    context: ServiceContext, table: object
) -> None:
    key = "DIBAO:hh_0:2026-11:OWED"
    with context.database.transaction() as session:
        assert not store.any_unpaid_within(session, table, HERE, DECEMBER)
        _owe(session, table, key, "2027-01")
        assert not store.any_unpaid_within(session, table, HERE, DECEMBER)  # a later month is not due
        _owe(session, table, key.replace("OWED", "DUE"), "2026-11")
        assert store.any_unpaid_within(session, table, HERE, DECEMBER)
        assert not store.any_unpaid_within(session, table, THERE, DECEMBER)
        line = PaymentLine("hh_0", "DIBAO", Period(2026, 11), "DUE", 29_000, "ent_0", HERE, "户主", "6228")
        payroll_store.insert_payments_once(session, "run_x", [line], NOW)
        assert not store.any_unpaid_within(session, table, HERE, DECEMBER)


def test_an_overpayment_is_found_for_the_township_whose_roster_pays_the_beneficiary(
    context: ServiceContext,
) -> None:
    with context.database.transaction() as session:
        assert not store.any_overpayment_within(session, HERE)
        session.execute(
            insert(overpayments).values(
                overpayment_id="ovp_1",
                beneficiary_id="hh_0",
                programme="DIBAO",
                # Recorded where the beneficiary was paid then: the roster's township is what counts.
                township=THERE,
                amount_fen=10_000,
                reason="income not declared",
                decision_reference="dec_1",
                recorded_by="county",
                recorded_at=NOW,
            )
        )
        assert store.any_overpayment_within(session, HERE)
        assert not store.any_overpayment_within(session, THERE)
