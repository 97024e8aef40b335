"""Phone numbers as people write them: mainland mobile or landline numbers, checked and made compact.

Separators (spaces, hyphens, brackets) and a +86/0086 country prefix are dropped, so the same number
written two ways is stored once and compares equal.
"""

from __future__ import annotations

import re

from doudi_common.errors import InvalidArgument

_SEPARATORS = re.compile(r"[\s\-()（）]")
#: A mobile number: 1, a network digit 3-9, then nine digits.
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
#: A landline: trunk prefix 0, an area code of 2-3 more digits, a 7- or 8-digit local number.
_LANDLINE = re.compile(r"0[1-9][0-9]{8,10}")


def _compact(value: str) -> str:
    digits = _SEPARATORS.sub("", value.strip())
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix) and len(digits) > len(prefix) + 9:
            return digits[len(prefix) :]
    return digits


def is_mobile(value: str) -> bool:
    return isinstance(value, str) and _MOBILE.fullmatch(_compact(value)) is not None


def parse_phone(value: str, *, field: str = "phone") -> str:
    """The compact form of a mobile or landline number; ``InvalidArgument`` on ``field`` otherwise."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgument.single(field, "is required")
    compact = _compact(value)
    if _MOBILE.fullmatch(compact) or _LANDLINE.fullmatch(compact):
        return compact
    raise InvalidArgument.single(
        field, "must be a mainland mobile number (11 digits from 13-19) or a landline with its area code"
    )
