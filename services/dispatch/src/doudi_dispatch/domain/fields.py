"""Checks of free-text and phone fields that every dispatch command shares."""

from __future__ import annotations

from doudi_common.errors import FieldViolation, InvalidArgument
from doudi_common.phone import parse_phone

MAX_NAME_LENGTH = 50
MAX_TEXT_LENGTH = 2000
MAX_REFERENCE_LENGTH = 200


def text_violation(value: str, field: str, limit: int, *, required: bool = True) -> FieldViolation | None:
    if required and not value.strip():
        return FieldViolation(field, "is required")
    if len(value) > limit:
        return FieldViolation(field, f"must be at most {limit} characters")
    return None


def phone_violation(value: str, field: str, *, required: bool = True) -> FieldViolation | None:
    if not required and not value.strip():
        return None
    try:
        parse_phone(value, field=field)
    except InvalidArgument as error:
        return error.violations[0]
    return None


def compact_phone(value: str) -> str:
    """The stored form of a phone already checked by ``phone_violation`` ("" stays "")."""
    return parse_phone(value) if value.strip() else ""


def raise_if_any(violations: list[FieldViolation | None]) -> None:
    found = [v for v in violations if v is not None]
    if found:
        raise InvalidArgument(found)
