"""What the audit trail keeps of a record: its shape and state, never full personal data.

The trail is read by auditors and kept for years; it needs who changed what, not the person's
identity number, mobile number or bank account. :func:`mask_personal_data` masks a record — a
snapshot row, or a response as ``MessageToDict`` gives it — by field name, at any depth:

- a field named like an ID number (``id_number``, ``member_id_numbers``, …, also the ``{"value": …}``
  message form) keeps its county and last four (``doudi_common.masking.mask_id_number``);
- a phone field (``phone``, ``contact_phone``, ``duty_phones``, ``mobile``, …) keeps 3 + 4 digits;
- a bank account field (``account_number``, ``payee_account``, ``bank_account``, ``card_number``,
  ``account``) keeps its last four;
- every other string is scrubbed as free text (an ID number inside a note or a stored JSON body).

Fields that already say they are masked (``masked_…``), hashes and ciphertexts are left as they are
(scrubbing them is harmless). The function is pure: the record passed in is not changed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from doudi_common.masking import mask_bank_account, mask_id_number, mask_phone, scrub

#: A record masker: the audit log applies one to every before/after it keeps.
RecordMask = Callable[[Mapping[str, Any] | None], Mapping[str, Any] | None]

_ID_SUFFIXES = ("id_number", "id_numbers", "id_no", "resident_id")
_PHONE_SUFFIXES = ("phone", "phones", "mobile", "mobiles", "phone_number", "phone_numbers")
_ACCOUNT_SUFFIXES = (
    "account_number",
    "account_numbers",
    "payee_account",
    "bank_account",
    "card_number",
    "bank_card",
)
_ACCOUNT_NAMES = frozenset({"account", "accounts"})


@functools.lru_cache(maxsize=4096)
def masker_for(field_name: str) -> Callable[[str], str] | None:
    """The masking a field's name calls for, or None for a field that is not a personal number (the same
    few names recur in every record, so each is decided once)."""
    name = field_name.lower()
    if name.startswith("masked_") or name.endswith(("_hash", "_cipher", "_ciphertext", "_masked")):
        return None
    if name.endswith(_ID_SUFFIXES):
        return mask_id_number
    if name.endswith(_PHONE_SUFFIXES):
        return mask_phone
    if name.endswith(_ACCOUNT_SUFFIXES) or name in _ACCOUNT_NAMES:
        return mask_bank_account
    return None


def _mask(value: Any, masker: Callable[[str], str] | None) -> Any:
    if isinstance(value, str):
        return masker(value) if masker is not None and value else scrub(value)
    if isinstance(value, Mapping):
        return {key: _mask(item, masker_for(str(key)) or masker) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_mask(item, masker) for item in value]
    return value


def mask_personal_data(record: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The record with every ID number, phone number and bank account masked (None stays None)."""
    if record is None:
        return None
    masked: Mapping[str, Any] = _mask(record, None)
    return masked
