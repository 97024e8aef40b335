"""The lines a county's run pays to care providers (DOMAIN §9.3, §11.2): every settled fee of a month up
to the run's whose provider has an account in the county and that no earlier run paid."""

from __future__ import annotations

from sqlalchemy.orm import Session

from doudi_common.period import Period
from doudi_disbursement.domain.payments import PaymentLine
from doudi_disbursement.domain.provider_fees import due_lines
from doudi_disbursement.domain.runs import Run
from doudi_disbursement.store import providers as store


def provider_fees_due(session: Session, county: str, period: Period) -> bool:
    fees, accounts = store.unpaid_fees_of_county(session, county, period)
    return bool(due_lines(fees, accounts, period))


def provider_fee_lines(session: Session, run: Run) -> list[PaymentLine]:
    fees, accounts = store.unpaid_fees_of_county(session, run.region, run.period)
    return due_lines(fees, accounts, run.period)
