"""Resident identity numbers (GB 11643-1999): validation, checksum, and the facts the number encodes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum

from doudi_common.calendar import china_date
from doudi_common.errors import InvalidArgument
from doudi_common.region import PROVINCE_CODES

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
#: Per position, each digit character's weighted value: the checksum is a sum of 17 lookups.
_WEIGHTED = tuple({str(digit): digit * weight for digit in range(10)} for weight in _WEIGHTS)
_CHECK_CHARS = "10X98765432"
_EARLIEST_BIRTH = date(1900, 1, 1)
# ASCII only: str.isdigit() would also accept full-width and superscript digits.
_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_SEVENTEEN_DIGITS = re.compile(r"[0-9]{17}")


class Sex(StrEnum):
    MALE = "MALE"
    FEMALE = "FEMALE"


@dataclass(frozen=True)
class ResidentId:
    """A valid resident ID number and what it encodes; its repr is masked so it is safe in tracebacks."""

    value: str
    region_prefix: str
    birth_date: date
    sex: Sex
    #: The three-digit order code (顺序码), digits 15–17; its last digit carries the sex.
    sequence: str

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"ResidentId({self.masked!r})"

    @property
    def masked(self) -> str:
        return self.value[:6] + "*" * 8 + self.value[-4:]


def check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits."""
    if not isinstance(first17, str) or _SEVENTEEN_DIGITS.fullmatch(first17) is None:
        raise ValueError("check_digit needs exactly 17 ASCII digits")
    total = sum(map(dict.__getitem__, _WEIGHTED, first17))
    return _CHECK_CHARS[total % 11]


def china_today() -> date:
    """Today's date in China Standard Time, whatever the host's time zone."""
    return china_date(datetime.now(UTC))


def _reason(value: str, today: date) -> str | None:
    if len(value) != 18:
        if len(value) == 15 and value.isascii() and value.isdigit():
            return "must be the 18-character number (15-digit first-generation numbers are not accepted)"
        return "must be 18 characters long"
    if _SHAPE.fullmatch(value) is None:
        return "must be 17 digits followed by a digit or X"
    if check_digit(value[:17]) != value[17]:
        return "has a wrong check digit"
    if value[:2] not in PROVINCE_CODES:
        return "does not start with a valid province-level region code"
    try:
        birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "has a birth date that is not a real date"
    if birth < _EARLIEST_BIRTH:
        return "has a birth date before 1900"
    if birth > today:
        return "has a birth date in the future"
    return None


def _normalise(value: str) -> str:
    return value.strip().replace("x", "X")


def parse_id_number(value: str, *, field: str = "id_number", today: date | None = None) -> ResidentId:
    """Validate a resident ID number, raising ``InvalidArgument`` on ``field`` with the specific reason.

    ``today`` bounds the birth date; it defaults to the current date in China Standard Time.
    """
    if not isinstance(value, str):
        raise InvalidArgument.single(field, "must be a string")
    normalised = _normalise(value)
    reason = _reason(normalised, today or china_today())
    if reason is not None:
        raise InvalidArgument.single(field, reason)
    return ResidentId(
        value=normalised,
        region_prefix=normalised[:6],
        birth_date=date(int(normalised[6:10]), int(normalised[10:12]), int(normalised[12:14])),
        sex=Sex.MALE if int(normalised[16]) % 2 else Sex.FEMALE,
        sequence=normalised[14:17],
    )


def is_valid_id_number(value: str, *, today: date | None = None) -> bool:
    if not isinstance(value, str):
        return False
    return _reason(_normalise(value), today or china_today()) is None


def age_on(resident_id: ResidentId, day: date) -> int:
    """Full years of age on ``day``; someone born on 29 February turns a year older on 1 March."""
    birth = resident_id.birth_date
    if day < birth:
        raise ValueError("day is before the birth date")
    before_birthday = (day.month, day.day) < (birth.month, birth.day)
    return day.year - birth.year - int(before_birthday)
