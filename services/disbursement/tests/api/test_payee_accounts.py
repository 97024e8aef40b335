"""Beneficiaries' payee accounts (DOMAIN §11.1): kept sealed on the roster and on every payment and sent to
the bank plain; an entitlement without an account has its payments held with the reason, never sent empty;
once eligibility names an account, the held payment is re-issued to it and later months pay into it."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
import pytest
from sqlalchemy import Column, MetaData, String, Table, Text, insert, select, text

from doudi.common.v1 import types_pb2
from doudi.disbursement.v1 import disbursement_pb2
from doudi.disbursement.v1 import events_pb2 as disbursement_events
from doudi.eligibility.v1 import events_pb2 as eligibility_events
from doudi_disbursement.domain.payments import NO_ACCOUNT_REASON
from doudi_disbursement.main import DEFINITION
from doudi_disbursement.store import payroll as store
from doudi_runtime.events.envelope import decode
from doudi_runtime.store import Database, UtcDateTime
from doudi_runtime.store.migrations import run_migrations
from doudi_runtime.store.sealed import field_crypto

from .test_payroll_api import (
    AS_CLERK,
    TOWNSHIPS,
    Payroll,
    activated,
    all_payments,
    approve,
    deliver,
    disbursement,
    generate,
    get_run,
)

__all__ = ["disbursement"]

SEALED = f"v1.{field_crypto().ring.primary}."
ACCOUNT = "6222021001123456789"


def raw(p: Payroll, table: str) -> list[tuple[str, str]]:
    with p.context.database.engine.connect() as connection:
        rows = connection.execute(text(f"SELECT payee_name, payee_account FROM {table}")).all()
    return [(row[0], row[1]) for row in rows]


def without_account(index: int):  # type: ignore[no-untyped-def]
    event = activated(index, TOWNSHIPS[0], 50_000)
    event.entitlement.payee.account_number = ""
    event.entitlement.payee.missing = True
    return event


def run_month(p: Payroll, request_id: str = "gen-1", period: str = "2026-11") -> disbursement_pb2.Run:
    run = generate(p, request_id, period)
    p.use_cases.generate_shards()
    run = get_run(p, run.run_id)
    approve(p, run)
    while p.use_cases.send_to_bank():
        pass
    p.use_cases.reconcile()
    return get_run(p, run.run_id)


def test_the_roster_and_the_payments_keep_the_account_sealed_and_the_bank_gets_it_plain(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    deliver(p, activated(1, TOWNSHIPS[0], 6_000, account=ACCOUNT))
    run = run_month(p)
    for table in ("roster", "payments"):
        stored = raw(p, table)
        assert stored, table
        for name, number in stored:
            assert name.startswith(SEALED) and number.startswith(SEALED), table
            assert ACCOUNT not in number and "户主1" not in name, table
    with p.context.database.read() as session:
        entry = store.get_roster_entry(session, "ent_001")
    assert entry is not None and (entry.payee_name, entry.payee_account) == ("户主1", ACCOUNT)
    assert [(b.account_number, b.result) for b in p.bank.ledger.bookings("hh_001")] == [(ACCOUNT, "SETTLED")]
    assert run.state == disbursement_pb2.RUN_STATE_CLOSED


def test_an_entitlement_without_an_account_has_its_payments_held_not_sent(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    deliver(p, activated(1, TOWNSHIPS[0], 6_000))
    deliver(p, without_account(2))
    run = run_month(p)
    assert run.state == disbursement_pb2.RUN_STATE_CLOSED
    assert dict(run.payments_by_state) == {"SETTLED": 1, "HELD": 1}
    [held] = [x for x in all_payments(p, run.run_id) if x.beneficiary_id == "hh_002"]
    assert (held.state, held.reason, held.masked_account) == (
        disbursement_pb2.PAYMENT_STATE_HELD,
        NO_ACCOUNT_REASON,
        "",
    )
    assert p.bank.ledger.bookings("hh_002") == [] and p.bank.ledger.paid_count() == 1
    outbox = p.context.store.messaging.outbox
    with p.context.database.read() as session:
        envelopes = [decode(e) for e in session.execute(select(outbox.c.envelope)).scalars()]
    announced = [
        disbursement_events.PaymentHeld.FromString(e.payload.value).payment
        for e in envelopes
        if e.event_type.endswith("PaymentHeld")
    ]
    assert [(x.payment_id, x.reason) for x in announced] == [(held.payment_id, NO_ACCOUNT_REASON)]

    # Re-issuing before any account is on record keeps it held.
    request = disbursement_pb2.ReissuePaymentRequest(request_id="again-0", payment_id=held.payment_id)
    with pytest.raises(grpc.RpcError) as refused:
        p.stub.ReissuePayment(request, metadata=AS_CLERK, timeout=10)
    assert refused.value.code() is grpc.StatusCode.FAILED_PRECONDITION

    # Eligibility names the account (ChangePayeeAccount): the roster takes it; the held month goes to it.
    before = without_account(2).entitlement
    after = activated(2, TOWNSHIPS[0], 50_000, account=ACCOUNT).entitlement
    deliver(
        p,
        eligibility_events.EntitlementChanged(
            before=before, after=after, effective_month=types_pb2.Period(month="2026-12"), reason="payee"
        ),
    )
    with p.context.database.read() as session:
        entry = store.get_roster_entry(session, "ent_002")
    assert entry is not None and entry.payee_account == ACCOUNT
    assert entry.amounts_for(entry.start) == {"BASE": 50_000}, "a new account changes no amount"
    p.stub.ReissuePayment(
        disbursement_pb2.ReissuePaymentRequest(request_id="again-1", payment_id=held.payment_id),
        metadata=AS_CLERK,
        timeout=10,
    )
    while p.use_cases.send_to_bank():
        pass
    p.use_cases.reconcile()
    assert [(b.account_number, b.result) for b in p.bank.ledger.bookings("hh_002")] == [(ACCOUNT, "SETTLED")]
    december = run_month(p, "gen-2", "2026-12")
    assert dict(december.payments_by_state) == {"SETTLED": 2}


_before_sealing = Table(
    "roster",
    MetaData(),
    Column("entitlement_id", String(40), primary_key=True),
    Column("beneficiary_id", String(40)),
    Column("programme", String(40)),
    Column("township", String(12)),
    Column("payee_name", String(100)),
    Column("payee_account", String(64)),
    Column("body", Text),
    Column("updated_at", UtcDateTime),
)


def test_the_migration_seals_roster_accounts_recorded_before(database_url: str) -> None:
    assert DEFINITION.store is not None
    run_migrations(database_url, DEFINITION.store.migrations_dir, revision="0009")
    database = Database(database_url)
    try:
        with database.engine.begin() as connection:
            connection.execute(
                insert(_before_sealing).values(
                    entitlement_id="ent_old",
                    beneficiary_id="hh_old",
                    programme="DIBAO",
                    township=TOWNSHIPS[0],
                    payee_name="户主",
                    payee_account=ACCOUNT,
                    body='{"start": "2026-10", "changes": []}',
                    updated_at=datetime(2026, 10, 1, 1, 0, tzinfo=UTC),
                )
            )
        run_migrations(database_url, DEFINITION.store.migrations_dir)
        with database.engine.connect() as connection:
            name, number = connection.execute(text("SELECT payee_name, payee_account FROM roster")).one()
        assert name.startswith(SEALED) and number.startswith(SEALED) and ACCOUNT not in number
        with database.read() as session:
            row = session.execute(select(store.roster.c.payee_name, store.roster.c.payee_account)).one()
        assert (row.payee_name, row.payee_account) == ("户主", ACCOUNT)
    finally:
        database.dispose()
