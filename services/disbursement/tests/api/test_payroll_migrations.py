"""Migrations of runs and payments recorded before: a run awaiting approval is recounted without its held
lines (released runs keep what they were approved with), and payees sealed in the payments' former context
open in the one they now share with the roster; in released runs, the lines held at generation and re-issued
since are counted as re-issued after release, no longer held; payments sent before a batch carried its
payments' state follow their batch and settle with it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text, insert, select
from sqlalchemy.engine import Connection

from doudi_disbursement.app.bank_gateway import Order, Result
from doudi_disbursement.app.payroll import PayrollUseCases
from doudi_disbursement.main import DEFINITION, DisbursementSettings
from doudi_disbursement.store import payroll as store
from doudi_disbursement.store.tables import payments
from doudi_runtime.service import build_context
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


def _as_of_0014(connection: Connection, run_id: str, period: str, state: str, held: tuple[int, int]) -> None:
    """A run of one shard as recorded before re-issues after release were counted apart."""
    tables = MetaData()
    tables.reflect(connection, only=("runs", "run_shards"))
    totals = {"payment_count": 1, "total_fen": 6_000, "held_count": held[0], "held_fen": held[1]}
    connection.execute(
        insert(tables.tables["runs"]).values(**(_run(run_id, state) | totals | {"period": period}))
    )
    connection.execute(
        insert(tables.tables["run_shards"]).values(run_id=run_id, township=TOWNSHIP, state="DONE", **totals)
    )


def _line(connection: Connection, run_id: str, index: int, amount: int, state: str, batch: str) -> None:
    payments_0014 = MetaData()
    payments_0014.reflect(connection, only=("payments",))
    row = _payment(run_id, index, state, amount, "") | {"batch_request_id": batch}
    connection.execute(insert(payments_0014.tables["payments"]).values(**row))


def test_released_runs_count_their_held_lines_reissued_since_as_reissued(database_url: str) -> None:
    assert DEFINITION.store is not None
    run_migrations(database_url, DEFINITION.store.migrations_dir, revision="0014")
    database = Database(database_url)
    try:
        with database.engine.begin() as connection:
            # Held two lines at generation; one was re-issued after release and paid. The line sent under
            # the release, returned and held by a caseworker, was never among the held lines.
            _as_of_0014(connection, "run_paid", "2026-10", "CLOSED", (2, 80_000))
            _line(connection, "run_paid", 1, 6_000, "HELD", "run_paid-b-00001")
            _line(connection, "run_paid", 2, 50_000, "SETTLED", "run_paid-b-00002")
            _line(connection, "run_paid", 3, 30_000, "HELD", "")
            # Released before held lines were counted apart: its held line is in its totals.
            _as_of_0014(connection, "run_old", "2026-11", "CLOSED", (0, 0))
            _line(connection, "run_old", 4, 50_000, "HELD", "")
            _as_of_0014(connection, "run_wait", "2026-12", "AWAITING_APPROVAL", (1, 30_000))
            _line(connection, "run_wait", 5, 30_000, "HELD", "")
        run_migrations(database_url, DEFINITION.store.migrations_dir)
        with database.read() as session:
            found = {
                r: (store.get_run(session, r), *store.shards_of(session, r))
                for r in ("run_paid", "run_old", "run_wait")
            }
        counted = {
            run_id: [
                (x.payment_count, x.total_fen, x.held_count, x.held_fen, x.reissued_count, x.reissued_fen)
                for x in rows
            ]
            for run_id, rows in found.items()
        }
        assert counted == {
            "run_paid": [(1, 6_000, 1, 30_000, 1, 50_000)] * 2,
            "run_old": [(1, 6_000, 0, 0, 0, 0)] * 2,
            "run_wait": [(1, 6_000, 1, 30_000, 0, 0)] * 2,
        }
    finally:
        database.dispose()


class _AnsweringBank:
    """Answers every payment it is asked about as settled."""

    def __init__(self, keys: list[str]) -> None:
        self.keys = keys

    def submit(self, request_id: str, orders: list[Order]) -> str:
        raise AssertionError("nothing is sent again")

    def status(self, batch_id: str) -> list[Result]:
        return [Result(key, "SETTLED", "") for key in self.keys]


def test_payments_sent_before_take_their_batchs_state_and_settle_with_it(
    database_url: str, tmp_path: Path
) -> None:
    assert DEFINITION.store is not None
    run_migrations(database_url, DEFINITION.store.migrations_dir, revision="0015")
    database = Database(database_url)
    try:
        with database.engine.begin() as connection:
            _as_of_0014(connection, "run_sent", "2026-10", "RELEASED", (0, 0))
            tables = MetaData()
            tables.reflect(connection, only=("bank_batches",))
            for batch, state in (("run_sent-b-00001", "RECONCILED"), ("run_sent-b-00002", "SUBMITTED")):
                connection.execute(
                    insert(tables.tables["bank_batches"]).values(
                        batch_request_id=batch,
                        run_id="run_sent",
                        township=TOWNSHIP,
                        state=state,
                        bank_batch_id=f"bank-{batch}",
                        payment_count=2,
                        total_fen=12_000,
                        updated_at=NOW,
                    )
                )
            _line(connection, "run_sent", 1, 6_000, "SETTLED", "run_sent-b-00001")
            _line(connection, "run_sent", 2, 6_000, "RETURNED", "run_sent-b-00001")
            _line(connection, "run_sent", 3, 6_000, "SUBMITTED", "run_sent-b-00002")
            _line(connection, "run_sent", 4, 6_000, "SUBMITTED", "run_sent-b-00002")
        run_migrations(database_url, DEFINITION.store.migrations_dir)
        settings = DisbursementSettings(
            grpc_port=0, metrics_port=0, data_dir=tmp_path, database_url=database_url, auth_mode="off"
        )
        context = build_context(DEFINITION, settings)
        with database.read() as session:
            assert store.payments_by_state(session, "run_sent") == {
                "SETTLED": 1,
                "RETURNED": 1,
                "SUBMITTED": 2,
            }
        keys = [f"DIBAO:hh_{index}:run_sent:BASE" for index in (3, 4)]
        PayrollUseCases(context, _AnsweringBank(keys), clock=lambda: NOW).reconcile()
        with database.read() as session:
            assert store.payments_by_state(session, "run_sent") == {"SETTLED": 3, "RETURNED": 1}
            assert store.get_run(session, "run_sent").state.value == "CLOSED"  # type: ignore[union-attr]
    finally:
        database.dispose()
