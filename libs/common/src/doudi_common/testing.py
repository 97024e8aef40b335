"""Builders of valid test data (resident ID numbers, region codes) for every service's tests."""

from __future__ import annotations

from datetime import date

from doudi_common.idcard import check_digit

#: A township and one of its villages in the example county of DOMAIN §13 (Guyuan, Yuanzhou district).
EXAMPLE_TOWNSHIP = "640402100000"
EXAMPLE_VILLAGE = "640402100201"


def make_resident_id(birth: date, sequence: int = 12, *, female: bool = False, region: str = "640402") -> str:
    """A checksum-valid 18-character resident ID number for a birth date, sex and region."""
    if not 0 <= sequence <= 99:
        raise ValueError("sequence must be two digits")
    sex_digit = (sequence % 5) * 2 + (0 if female else 1)
    body = f"{region}{birth:%Y%m%d}{sequence:02d}{sex_digit}"
    return body + check_digit(body)
