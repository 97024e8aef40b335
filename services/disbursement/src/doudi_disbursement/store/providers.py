"""Reading and writing care providers' accounts and fees; queries never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from doudi_common.period import Period
from doudi_disbursement.domain.provider_fees import ProviderAccount, ProviderFee
from doudi_disbursement.store.tables import payments, provider_accounts, provider_fees


def _account(row: Any) -> ProviderAccount:
    return ProviderAccount(row.provider_id, row.county, row.account_name, row.account_number)


def _fee(row: Any) -> ProviderFee:
    return ProviderFee(
        settlement_id=row.settlement_id,
        provider_id=row.provider_id,
        period=Period.parse(row.period),
        gross_fen=int(row.gross_fen),
        deductions_fen=int(row.deductions_fen),
        payable_fen=int(row.payable_fen),
    )


def get_account_row(session: Session, provider_id: str, *, for_update: bool = False) -> Any:
    query = select(provider_accounts).where(provider_accounts.c.provider_id == provider_id)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).one_or_none()


def save_account(session: Session, account: ProviderAccount, registered_by: str, now: datetime) -> None:
    values = {
        "county": account.county,
        "account_name": account.account_name,
        "account_number": account.account_number,
        "registered_by": registered_by,
        "updated_at": now,
    }
    changed = session.execute(
        update(provider_accounts)
        .where(provider_accounts.c.provider_id == account.provider_id)
        .values(**values)
    )
    if not changed.rowcount:
        session.execute(insert(provider_accounts).values(provider_id=account.provider_id, **values))


def correct_account(session: Session, provider_id: str, name: str, number: str, now: datetime) -> None:
    session.execute(
        update(provider_accounts)
        .where(provider_accounts.c.provider_id == provider_id)
        .values(account_name=name, account_number=number, updated_at=now)
    )


def get_fee(session: Session, key: str) -> ProviderFee | None:
    row = session.execute(select(provider_fees).where(provider_fees.c.idempotency_key == key)).one_or_none()
    return None if row is None else _fee(row)


def insert_fee(session: Session, fee: ProviderFee, now: datetime) -> None:
    session.execute(
        insert(provider_fees).values(
            idempotency_key=fee.idempotency_key,
            settlement_id=fee.settlement_id,
            provider_id=fee.provider_id,
            period=str(fee.period),
            gross_fen=fee.gross_fen,
            deductions_fen=fee.deductions_fen,
            payable_fen=fee.payable_fen,
            recorded_at=now,
        )
    )


def unpaid_fees_of_county(
    session: Session, county: str, up_to: Period
) -> tuple[list[ProviderFee], dict[str, ProviderAccount]]:
    """Fees of the county's providers with no payment yet (none, or withdrawn with a cancelled run)."""
    paid = select(payments.c.idempotency_key).where(
        payments.c.idempotency_key == provider_fees.c.idempotency_key
    )
    rows = session.execute(
        select(
            provider_fees,
            provider_accounts.c.county,
            provider_accounts.c.account_name,
            provider_accounts.c.account_number,
        )
        .join(provider_accounts, provider_accounts.c.provider_id == provider_fees.c.provider_id)
        .where(
            provider_accounts.c.county == county,
            provider_fees.c.period <= str(up_to),
            ~paid.exists(),
        )
        .order_by(provider_fees.c.idempotency_key)
    ).all()
    accounts = {row.provider_id: _account(row) for row in rows}
    return [_fee(row) for row in rows], accounts


def fees_of(session: Session, provider_id: str) -> list[tuple[ProviderFee, str]]:
    """A provider's fees, newest month first, each with the id of the payment that pays it ("" if none)."""
    rows = session.execute(
        select(provider_fees, payments.c.payment_id)
        .outerjoin(payments, payments.c.idempotency_key == provider_fees.c.idempotency_key)
        .where(provider_fees.c.provider_id == provider_id)
        .order_by(provider_fees.c.period.desc())
    ).all()
    return [(_fee(row), row.payment_id or "") for row in rows]
