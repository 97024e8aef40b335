"""Care providers' accounts at rest: the row holds the account name and number sealed, the service reads them
plain (the fee is paid into the number registered), and accounts registered before are sealed by the
migration."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, MetaData, String, Table, Text, insert, text

from doudi_disbursement.main import DEFINITION
from doudi_disbursement.store import providers as store
from doudi_runtime.store import Database, UtcDateTime
from doudi_runtime.store.migrations import run_migrations
from doudi_runtime.store.sealed import field_crypto

from .test_payroll_api import COUNTY, Payroll, disbursement
from .test_provider_fees_api import PROVIDER, register

__all__ = ["disbursement"]

ACCOUNT = "6228480000000099"
NAME = "安乐居家养老服务中心"
#: The prefix every value sealed under the process's primary key starts with (format version 1).
SEALED = f"v1.{field_crypto().ring.primary}."


def _stored(database: Database) -> tuple[str, str]:
    with database.engine.connect() as connection:
        row = connection.execute(text("SELECT account_name, account_number FROM provider_accounts")).one()
    return row[0], row[1]


def test_a_registered_account_is_sealed_in_its_row_and_read_plain(disbursement: Payroll) -> None:
    register(disbursement, "reg-anle")
    database = disbursement.context.database
    assert database is not None
    name, number = _stored(database)
    assert name.startswith(SEALED) and number.startswith(SEALED)
    assert NAME not in name and ACCOUNT not in number and ACCOUNT[-4:] not in number
    with database.read() as session:
        row = store.get_account_row(session, PROVIDER)
    assert (row.account_name, row.account_number, row.county) == (NAME, ACCOUNT, COUNTY)


_before_sealing = Table(
    "provider_accounts",
    MetaData(),
    Column("provider_id", String(40), primary_key=True),
    Column("county", String(12)),
    Column("account_name", Text),
    Column("account_number", Text),
    Column("registered_by", Text),
    Column("updated_at", UtcDateTime),
)


def test_the_migration_seals_accounts_registered_before(database_url: str) -> None:
    assert DEFINITION.store is not None
    run_migrations(database_url, DEFINITION.store.migrations_dir, revision="0007")
    database = Database(database_url)
    try:
        with database.engine.begin() as connection:
            connection.execute(
                insert(_before_sealing).values(
                    provider_id=PROVIDER,
                    county=COUNTY,
                    account_name=NAME,
                    account_number=ACCOUNT,
                    registered_by="clerk",
                    updated_at=datetime(2026, 6, 1, 1, 0, tzinfo=UTC),
                )
            )
        run_migrations(database_url, DEFINITION.store.migrations_dir)
        name, number = _stored(database)
        assert name.startswith(SEALED) and number.startswith(SEALED) and ACCOUNT not in number
        with database.read() as session:
            row = store.get_account_row(session, PROVIDER)
        assert (row.account_name, row.account_number) == (NAME, ACCOUNT)
    finally:
        database.dispose()
