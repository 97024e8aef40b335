"""Payee account numbers (DOMAIN §11.1, 社会化发放): what a bank or credit-union account number must look
like before any payment is addressed to it.

An account or card number is digits only (spaces used for grouping are dropped). A number of the card
lengths is a bank card (the 一卡通 card among them) and carries the Luhn check digit of ISO/IEC 7812, so a
mistyped digit is caught at the window rather than by the bank's refusal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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


def payee_violations(
    payee: PayeeAccount,
    member_names: Iterable[str],
    rules: AccountNumberRules = DEFAULT_RULES,
    *,
    prefix: str = "payee",
    holder_field: str = "holder_name",
) -> list[FieldViolation]:
    """Every field of ``payee`` at fault, named ``<prefix>.<field>``; the holder must be someone the
    application names (``member_names``: the household's declared names) or the guardian it names."""
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
    holder = payee.holder_name.strip()
    allowed = ({name.strip() for name in member_names} | {payee.guardian_name.strip()}) - {""}
    if holder and holder not in allowed:
        violations.append(
            FieldViolation(
                holder_path, "must be the applicant, a household member or the named guardian (DOMAIN §11.1)"
            )
        )
    return violations
