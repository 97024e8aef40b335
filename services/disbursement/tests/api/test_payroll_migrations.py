"""Migrations of runs and payments recorded before: a run awaiting approval is recounted without its held
lines (released runs keep what they were approved with), and payees sealed in the payments' former context
open in the one they now share with the roster."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text, insert, select

from doudi_disbursement.main import DEFINITION
from doudi_disbursement.store import payroll as store
from doudi_disbursement.store.tables import payments
from doudi_runtime.store import Database, UtcDateTime
from doudi_runtime.store.migrations import run_migrations
from doudi_runtime.store.sealed import Sealed

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
TOWNSHIP = "640402100000"
_old = MetaData()
_runs = Table(
    "runs",
    _old,
    *(Column(n, String(200), primary_key=n == "run_id") for n in ("run_id", "period", "region", "state")),
    *(Column(n, String(200)) for n in ("created_by", "approved_by", "state_reason")),
    Column("payment_count", BigInteger),
    Column("total_fen", BigInteger),
    Column("created_at", UtcDateTime),
    Column("updated_at", UtcDateTime),
)
_shards = Table(
    "run_shards",
    _old,
    Column("run_id", String(40), primary_key=True),
    Column("township", String(12), primary_key=True),
    Column("state", String(20)),
    Column("payment_count", BigInteger),
    Column("total_fen", BigInteger),
)
_payments = Table(
    "payments",
    _old,
    *(
        Column(n, String(200), primary_key=n == "payment_id")
        for n in (
            "payment_id",
            "idempotency_key",
            "run_id",
            "entitlement_id",
            "beneficiary_id",
            "programme",
            "period",
            "component",
            "township",
            "state",
            "batch_request_id",
        )
    ),
    Column("amount_fen", BigInteger),
    Column("reason", Text),
    Column("attempt", Integer),
    Column("payee_name", Sealed("disbursement.payments.payee_name")),
    Column("payee_account", Sealed("disbursement.payments.payee_account")),
    Column("updated_at", UtcDateTime),
)


def _run(run_id: str, state: str) -> dict[str, object]:
    return {
        "run_id": run_id,
        "period": "2026-12" if state == "AWAITING_APPROVAL" else "2026-11",
        "region": "640402000000",
        "state": state,
        "created_by": "clerk",
        "approved_by": "",
        "state_reason": "",
        "payment_count": 2,
        "total_fen": 56_000,
        "created_at": NOW,
        "updated_at": NOW,
    }


def _payment(run_id: str, index: int, state: str, amount: int, account: str) -> dict[str, object]:
    return {
        "payment_id": f"pay_{run_id}_{index}",
        "idempotency_key": f"DIBAO:hh_{index}:{run_id}:BASE",
        "run_id": run_id,
        "entitlement_id": f"ent_{index}",
        "beneficiary_id": f"hh_{index}",
        "programme": "DIBAO",
        "period": "2026-12",
        "component": "BASE",
        "township": TOWNSHIP,
        "state": state,
        "batch_request_id": "",
        "amount_fen": amount,
        "reason": "",
        "attempt": 1,
        "payee_name": f"户主{index}" if account else "",
        "payee_account": account,
        "updated_at": NOW,
    }


def test_unreleased_runs_are_recounted_and_payees_open_in_the_shared_context(database_url: str) -> None:
    assert DEFINITION.store is not None
    run_migrations(database_url, DEFINITION.store.migrations_dir, revision="0010")
    database = Database(database_url)
    try:
        with database.engine.begin() as connection:
            for run_id, state in (("run_wait", "AWAITING_APPROVAL"), ("run_done", "CLOSED")):
                connection.execute(insert(_runs).values(**_run(run_id, state)))
                connection.execute(
                    insert(_shards).values(
                        run_id=run_id, township=TOWNSHIP, state="DONE", payment_count=2, total_fen=56_000
                    )
                )
                settled = "PENDING" if state == "AWAITING_APPROVAL" else "SETTLED"
                connection.execute(
                    insert(_payments).values(**_payment(run_id, 1, settled, 6_000, "6228480000001234"))
                )
                connection.execute(insert(_payments).values(**_payment(run_id, 2, "HELD", 50_000, "")))
        run_migrations(database_url, DEFINITION.store.migrations_dir)
        with database.read() as session:
            waiting, done = store.get_run(session, "run_wait"), store.get_run(session, "run_done")
            [shard] = store.shards_of(session, "run_wait")
            opened = session.execute(
                select(payments.c.payee_name, payments.c.payee_account).where(
                    payments.c.payment_id == "pay_run_wait_1"
                )
            ).one()
        assert waiting is not None and done is not None
        assert (waiting.payment_count, waiting.total_fen, waiting.held_count, waiting.held_fen) == (
            1,
            6_000,
            1,
            50_000,
        )
        assert (shard.payment_count, shard.total_fen, shard.held_count, shard.held_fen) == (
            1,
            6_000,
            1,
            50_000,
        )
        assert (done.payment_count, done.total_fen, done.held_count) == (2, 56_000, 0)
        assert tuple(opened) == ("户主1", "6228480000001234")
    finally:
        database.dispose()
