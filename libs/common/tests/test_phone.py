"""Phone numbers: mobile and landline accepted in the ways people write them, anything else refused."""

from __future__ import annotations

import pytest

from doudi_common.errors import InvalidArgument
from doudi_common.phone import is_mobile, parse_phone


@pytest.mark.parametrize(
    ("written", "compact"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("0954-2051234", "09542051234"),
        ("(010) 12345678", "01012345678"),
    ],
)
def test_numbers_are_made_compact(written: str, compact: str) -> None:
    assert parse_phone(written) == compact


@pytest.mark.parametrize(
    "written", ["", "12345", "12812345678", "138123456789", "0954-20", "phone", "1381234567x"]
)
def test_other_text_is_refused_on_its_field(written: str) -> None:
    with pytest.raises(InvalidArgument) as raised:
        parse_phone(written, field="duty_phone")
    assert raised.value.violations[0].field == "duty_phone"


def test_mobile_numbers_are_told_from_landlines() -> None:
    assert is_mobile("138 1234 5678")
    assert not is_mobile("0954-2051234")
