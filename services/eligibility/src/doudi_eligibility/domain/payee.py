"""Who an entitlement pays and into which account (DOMAIN §11.1, 社会化发放).

Payment goes to a bank or credit-union account in the beneficiary's name: for a household programme the
applicant's account, for the individual programmes the person's own account, managed by the guardian the
application names when the person lacks capacity or is a child. The window checked that the holder is the
applicant, a household member or that guardian. With no account on record the entitlement still starts,
paid to no one: its payee is *missing* and disbursement holds its payments until an account is given.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from doudi_common.bank_account import (
    DEFAULT_RULES,
    AccountNumberRules,
    PayeeAccount,
    normalise,
    payee_violations,
)
from doudi_common.errors import FieldViolation
from doudi_eligibility.domain.case_file import ApplicationFacts


@dataclass(frozen=True)
class EntitlementPayee:
    name: str
    account_number: str = ""
    bank_name: str = ""
    guardian_name: str = ""

    @property
    def missing(self) -> bool:
        return not self.account_number


def entitlement_payee(application: ApplicationFacts) -> EntitlementPayee:
    """The payee of an entitlement approved on ``application``."""
    account = application.payee
    if account is None or not account.account_number:
        return EntitlementPayee(name=application.applicant.name)
    return from_account(account)


def from_account(account: PayeeAccount) -> EntitlementPayee:
    return EntitlementPayee(
        name=account.holder_name.strip(),
        account_number=normalise(account.account_number),
        bank_name=account.bank_name.strip(),
        guardian_name=account.guardian_name.strip(),
    )


def change_violations(
    account: PayeeAccount, member_names: Iterable[str], rules: AccountNumberRules = DEFAULT_RULES
) -> list[FieldViolation]:
    """Why a new account for an entitlement cannot be recorded, naming the request's ``payee`` fields: the
    number as at the window, and a holder the case file names (a member, or the named guardian)."""
    return payee_violations(account, member_names, rules, prefix="payee", holder_field="account_name")
