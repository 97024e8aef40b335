"""The payee's name and account, sealed alike on the roster and on every payment (DOMAIN §11.1).

Both tables seal them under one context per field, so generating a month copies the roster's ciphertext
onto the payment as it is stored: the hot path neither opens nor seals them again. Only the bank order
(which the bank needs in the open) and a caseworker's reading open them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text, type_coerce
from sqlalchemy.engine import Dialect

from doudi_runtime.store.sealed import Sealed, field_crypto

#: The one context each field is sealed in, on the roster and on the payments.
NAME_CONTEXT = "disbursement.payee.name"
ACCOUNT_CONTEXT = "disbursement.payee.account"


class Carried(str):
    """A payee value exactly as stored in a payee column (sealed, or empty for "none given")."""

    __slots__ = ()


class PayeeSealed(Sealed):
    """A sealed payee column that also takes a :class:`Carried` value from a column of the same context
    and stores it unchanged."""

    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if isinstance(value, Carried):
            return str(value)
        return super().process_bind_param(value, dialect)


def as_stored(column: Any) -> Any:
    """Select a payee column without opening it: its stored text, to be taken as :class:`Carried` (the
    caller marks each value so, which costs less than a result type would per row)."""
    return type_coerce(column, Text).label(column.name)


def opened(stored: list[str], context: str) -> list[str]:
    """Payee values selected :func:`as_stored` (a page of them), opened at once."""
    return field_crypto().ring.open_many(stored, context=context)
