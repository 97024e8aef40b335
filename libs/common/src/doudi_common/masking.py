"""Masking of personal data for logs, public notices and metrics (DOMAIN §11.5: what is never published)."""

from __future__ import annotations

import re

# Compound surnames common enough that masking after one character would expose half the surname.
_COMPOUND_SURNAMES = frozenset(
    {
        "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
        "夏侯", "轩辕", "令狐", "端木", "南宫", "西门", "独孤", "百里", "呼延", "万俟", "澹台", "申屠",
    }
)  # fmt: skip

# One pass over the text: an 18-character ID number (17 digits + digit/X), a mainland mobile number or a
# bank card number (16-19 digits with a UnionPay, Visa or Mastercard prefix and a valid Luhn check
# digit, so order numbers and other long digit runs stay readable), none inside a longer run of digits.
# Letters may touch an ID number ("ID640402…"): masking too much is harmless, leaking is not.
# Mobile numbers may carry a +86 prefix and "-"/" " group separators.
# The leading lookahead lets the engine skip non-candidate characters quickly (about 3x faster on log lines).
_SENSITIVE = re.compile(
    r"(?=[\d+])(?<!\d)"
    r"(?:"
    r"(?P<id_head>\d{6})\d{8}(?P<id_tail>\d{3}(?:\d(?!\d)|[Xx]))"
    r"|"
    r"(?P<cc>(?:\+?86[- ]?)?)(?P<ph_head>1[3-9]\d)(?P<sep1>[- ]?)\d{4}(?P<sep2>[- ]?)(?P<ph_tail>\d{4})(?!\d)"
    r"|"
    r"(?P<card>(?:62|4|5[1-5])\d{14,17})(?!\d)"
    r")"
)


def luhn_valid(digits: str) -> bool:
    """The Luhn check every bank card number carries (ISO/IEC 7812)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _replace(match: re.Match[str]) -> str:
    head = match.group("id_head")
    if head is not None:
        return head + "********" + match.group("id_tail")
    card = match.group("card")
    if card is not None:
        return "*" * (len(card) - 4) + card[-4:] if luhn_valid(card) else card
    return (
        match.group("cc")
        + match.group("ph_head")
        + match.group("sep1")
        + "****"
        + match.group("sep2")
        + match.group("ph_tail")
    )


def scrub(text: str) -> str:
    """Mask every ID number, mobile number and bank card number inside free text.

    Idempotent and length-preserving; a bank card keeps only its last four digits.
    """
    return _SENSITIVE.sub(_replace, text)


def _keep_ends(value: str, head: int, tail: int) -> str:
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[len(value) - tail :]


def mask_id_number(value: str) -> str:
    """``640402199001011234`` → ``640402********1234``: the county and the last four stay readable."""
    return _keep_ends(value.strip(), 6, 4)


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``."""
    return _keep_ends(value.strip(), 3, 4)


def mask_bank_account(value: str) -> str:
    """Only the last four digits stay readable; spaces used for grouping are dropped."""
    return _keep_ends("".join(value.split()), 0, 4)


def mask_name(value: str) -> str:
    """Keep the surname for public notices: ``张三丰`` → ``张**``, ``欧阳修`` → ``欧阳*``."""
    name = value.strip()
    if not name:
        return ""
    if len(name) == 1:
        return "*"
    keep = 2 if len(name) > 2 and name[:2] in _COMPOUND_SURNAMES else 1
    return name[:keep] + "*" * (len(name) - keep)
