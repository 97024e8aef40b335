"""Payee account numbers (DOMAIN §11.1, 社会化发放): what a bank or credit-union account number must look
like before any payment is addressed to it.

An account or card number is digits only (spaces used for grouping are dropped). A number of the card
lengths is a bank card (the 一卡通 card among them) and carries the Luhn check digit of ISO/IEC 7812, so a
mistyped digit is caught at the window rather than by the bank's refusal.

Whose account it may be depends on the programme (DOMAIN §11.1 payee rules): ``payee_violations`` applies
them to what the caller knows of the application (``PayeeParties``), at the window and when an
entitlement's account changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from doudi_common.errors import FieldViolation
from doudi_common.masking import luhn_valid


@dataclass(frozen=True)
class AccountNumberRules:
    """How long an account number may be, and which lengths are bank cards (Luhn-checked)."""

    min_digits: int = 12
    max_digits: int = 19
    card_min_digits: int = 16
    card_max_digits: int = 19


DEFAULT_RULES = AccountNumberRules()


def normalise(value: str) -> str:
    """The number as stored and sent to the bank: grouping spaces dropped."""
    return "".join(value.split())


def account_number_violation(
    value: str, field: str, rules: AccountNumberRules = DEFAULT_RULES
) -> FieldViolation | None:
    """Why ``value`` is not a usable account number, naming ``field``; None when it is one."""
    digits = normalise(value)
    if not digits:
        return FieldViolation(field, "is required")
    if not (digits.isascii() and digits.isdigit()):
        return FieldViolation(field, "must contain digits only")
    if not rules.min_digits <= len(digits) <= rules.max_digits:
        return FieldViolation(field, f"must be {rules.min_digits} to {rules.max_digits} digits")
    if rules.card_min_digits <= len(digits) <= rules.card_max_digits and not luhn_valid(digits):
        return FieldViolation(field, "fails the bank card check digit (Luhn): a digit is mistyped")
    return None


MAX_HOLDER_NAME_LENGTH = 50
MAX_BANK_NAME_LENGTH = 100


@dataclass(frozen=True)
class PayeeAccount:
    """The bank or credit-union account benefits are paid into, as the window took it."""

    holder_name: str
    account_number: str
    bank_name: str = ""
    guardian_name: str = ""


def cleaned(payee: PayeeAccount) -> PayeeAccount:
    """Names trimmed and the number without grouping spaces, as it is stored and sent to the bank."""
    return PayeeAccount(
        holder_name=payee.holder_name.strip(),
        account_number=normalise(payee.account_number),
        bank_name=payee.bank_name.strip(),
        guardian_name=payee.guardian_name.strip(),
    )


def _name_violation(value: str, field: str, limit: int, *, required: bool) -> FieldViolation | None:
    if required and not value.strip():
        return FieldViolation(field, "is required")
    if len(value.strip()) > limit:
        return FieldViolation(field, f"must be at most {limit} characters")
    return None


class PayeeRule(StrEnum):
    """Whose account a programme pays into (DOMAIN §11.1)."""

    #: Household Dibao: the applicant's account.
    APPLICANT = "APPLICANT"
    #: 单人保, Tekun, the two disability subsidies: the person's own account (a guardian may manage it).
    PERSON = "PERSON"
    #: Orphan and de facto unsupported child allowances: the child's account, managed by the guardian.
    CHILD = "CHILD"
    #: Not set by §11.1 (temporary assistance): someone the application names, or the named guardian.
    HOUSEHOLD = "HOUSEHOLD"


#: The §11.1 rule of each programme, by its name in the protos' Programme enum (without the prefix).
PAYEE_RULES: dict[str, PayeeRule] = {
    "DIBAO": PayeeRule.APPLICANT,
    "SINGLE_PERSON_DIBAO": PayeeRule.PERSON,
    "TEKUN": PayeeRule.PERSON,
    "DISABILITY_LIVING_SUBSIDY": PayeeRule.PERSON,
    "SEVERE_DISABILITY_CARE_SUBSIDY": PayeeRule.PERSON,
    "ORPHAN_ALLOWANCE": PayeeRule.CHILD,
    "UNSUPPORTED_CHILD_ALLOWANCE": PayeeRule.CHILD,
}

TEKUN = "TEKUN"


def payee_rule(programme: str) -> PayeeRule:
    """The §11.1 rule for ``programme``; a programme §11.1 does not name keeps the household rule."""
    return PAYEE_RULES.get(programme, PayeeRule.HOUSEHOLD)


def _names(values: Iterable[str]) -> frozenset[str]:
    return frozenset(name.strip() for name in values) - {""}


@dataclass(frozen=True)
class PayeeParties:
    """What the caller knows of an application's people when it checks an account's holder (§11.1).

    ``covered`` is the person the benefit is for. Where that is not yet known (at the window, before the
    township's survey names the person of a Tekun, 单人保, subsidy or child-allowance case), it lists every
    person the application declares, since the person is one of them. The guardian is the one named on
    the account itself (``PayeeAccount.guardian_name``), the only place an application names one.
    ``centralised_support`` is True only once a Tekun person's support is known to be centralised: then,
    and only then, the support institution's account may be named instead of the person's.
    """

    programme: str
    applicant: str
    covered: frozenset[str]
    members: frozenset[str]
    centralised_support: bool = False

    @classmethod
    def of(
        cls,
        programme: str,
        applicant: str,
        members: Iterable[str],
        covered: Iterable[str] | None = None,
        *,
        centralised_support: bool = False,
    ) -> PayeeParties:
        """Parties with names trimmed; ``covered`` None means the person is not known yet (any member)."""
        everyone = _names(members) | _names([applicant])
        return cls(
            programme=programme,
            applicant=applicant.strip(),
            covered=everyone if covered is None else _names(covered),
            members=everyone,
            centralised_support=centralised_support,
        )


_PERSON_HOLDER = "must be the person the benefit is for: {programme} is paid into the person's own account"
_HOLDER_REASONS = {
    PayeeRule.APPLICANT: "must be the applicant: household Dibao is paid into the applicant's account",
    PayeeRule.PERSON: _PERSON_HOLDER + ", managed by a guardian if the person lacks capacity",
    PayeeRule.CHILD: "must be the child: a child allowance is paid into the child's account",
    PayeeRule.HOUSEHOLD: "must be the applicant, a household member or the named guardian",
}


def holder_violations(
    payee: PayeeAccount,
    parties: PayeeParties,
    *,
    holder_path: str,
    guardian_path: str,
    institution_path: str = "institution_account",
    institution_account: bool = False,
) -> list[FieldViolation]:
    """Why ``payee``'s holder (and guardian) do not fit the §11.1 rule of ``parties.programme``.

    ``institution_account`` says the account is the support institution's (its name the holder's): only a
    Tekun person in known centralised support may be paid so; the institution's name is not checked, no
    record naming it.
    """
    rule = payee_rule(parties.programme)
    holder, guardian = payee.holder_name.strip(), payee.guardian_name.strip()
    violations: list[FieldViolation] = []
    if institution_account:
        if parties.programme != TEKUN or not parties.centralised_support:
            violations.append(
                FieldViolation(
                    institution_path,
                    "only a Tekun person in centralised support is paid into the institution's account "
                    "(DOMAIN §11.1, §5.2.4)",
                )
            )
        return violations
    if rule is PayeeRule.HOUSEHOLD:
        allowed = parties.members | _names([guardian])
    elif rule is PayeeRule.APPLICANT:
        # An application naming no single applicant is refused for that; its holder is not blamed too.
        allowed = _names([parties.applicant]) or parties.members
    else:
        allowed = parties.covered
    if holder and holder not in allowed:
        reason = _HOLDER_REASONS[rule].format(programme=parties.programme)
        violations.append(FieldViolation(holder_path, f"{reason} (DOMAIN §11.1)"))
    if rule is PayeeRule.CHILD and not guardian:
        violations.append(
            FieldViolation(
                guardian_path, "is required: a child's account is managed by the guardian (DOMAIN §11.1)"
            )
        )
    elif rule is not PayeeRule.HOUSEHOLD and guardian and guardian == holder:
        violations.append(
            FieldViolation(
                guardian_path,
                "must not be the holder: the guardian manages the account, which is not the guardian's "
                "(DOMAIN §11.1)",
            )
        )
    return violations


def payee_violations(
    payee: PayeeAccount,
    parties: PayeeParties,
    rules: AccountNumberRules = DEFAULT_RULES,
    *,
    prefix: str = "payee",
    holder_field: str = "holder_name",
    institution_path: str = "institution_account",
    institution_account: bool = False,
) -> list[FieldViolation]:
    """Every field of ``payee`` at fault, named ``<prefix>.<field>``: the account as a bank takes it, and
    a holder the programme's §11.1 rule allows (``holder_violations``)."""
    holder_path = f"{prefix}.{holder_field}"
    violations = [
        v
        for v in (
            _name_violation(payee.holder_name, holder_path, MAX_HOLDER_NAME_LENGTH, required=True),
            _name_violation(payee.bank_name, f"{prefix}.bank_name", MAX_BANK_NAME_LENGTH, required=True),
            _name_violation(
                payee.guardian_name, f"{prefix}.guardian_name", MAX_HOLDER_NAME_LENGTH, required=False
            ),
            account_number_violation(payee.account_number, f"{prefix}.account_number", rules),
        )
        if v is not None
    ]
    violations.extend(
        holder_violations(
            payee,
            parties,
            holder_path=holder_path,
            guardian_path=f"{prefix}.guardian_name",
            institution_path=institution_path,
            institution_account=institution_account,
        )
    )
    return violations
