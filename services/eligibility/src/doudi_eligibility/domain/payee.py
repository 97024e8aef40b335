"""Who an entitlement pays and into which account (DOMAIN §11.1, 社会化发放).

Payment goes to a bank or credit-union account in the beneficiary's name: for household Dibao the
applicant's account; for 单人保, Tekun and the two disability subsidies the person's own account, managed by
the guardian the application names when the person lacks capacity (for a Tekun person in centralised
support, the institution's account instead); for a child allowance the child's account, managed by the
guardian. The window checked the holder against the programme's rule as far as it could (it does not know
whom a person's case is for until the township's survey says so); a new account is checked against the case
file: the applicant, the person the survey named, and whether the survey found centralised support. With no
account on record the entitlement still starts, paid to no one: its payee is *missing* and disbursement holds
its payments until an account is given.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from doudi_common.bank_account import (
    DEFAULT_RULES,
    TEKUN,
    AccountNumberRules,
    PayeeAccount,
    PayeeParties,
    normalise,
    payee_violations,
)
from doudi_common.errors import FieldViolation
from doudi_eligibility.domain.case_file import ApplicationFacts, SurveyFacts
from doudi_eligibility.domain.rules.tekun import SupportMode


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


def entitlement_parties(
    programme: str,
    application: ApplicationFacts | None,
    survey: SurveyFacts | None,
    persons: Iterable[str] = (),
    payee_name: str = "",
) -> PayeeParties:
    """Who may hold the account of an entitlement of ``programme`` (DOMAIN §11.1), from its case file.

    The person is the member the survey's findings name, else the members the entitlement pays for
    (``persons``, by ID number); centralised support is as the survey found it. An entitlement without a
    case file knows only the name it pays (``payee_name``): that name alone may hold the account.
    """
    if application is None:
        return PayeeParties.of(programme, payee_name, [payee_name], [payee_name])
    person = survey.person if survey is not None else None
    paid_for = set(persons)
    if person is not None:
        covered: list[str] | None = [m.name for m in application.members if m.index == person.member_index]
    elif paid_for:
        covered = [m.name for m in application.members if m.id_number in paid_for]
    else:
        covered = None
    return PayeeParties.of(
        programme,
        application.applicant.name,
        (m.name for m in application.members),
        covered or None,
        centralised_support=(
            programme == TEKUN and person is not None and person.support_mode is SupportMode.CENTRALISED
        ),
    )


def change_violations(
    account: PayeeAccount,
    parties: PayeeParties,
    rules: AccountNumberRules = DEFAULT_RULES,
    *,
    institution_account: bool = False,
) -> list[FieldViolation]:
    """Why a new account for an entitlement cannot be recorded, naming the request's fields: the number as
    at the window, and a holder the programme's §11.1 rule allows (``institution_account`` when the request
    says the account is the support institution's)."""
    return payee_violations(
        account,
        parties,
        rules,
        prefix="payee",
        holder_field="account_name",
        institution_path="institution_account",
        institution_account=institution_account,
    )
