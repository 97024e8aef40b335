"""Specification of resident ID number validation (GB 11643-1999)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi_common.errors import InvalidArgument
from doudi_common.idcard import Sex, age_on, check_digit, is_valid_id_number, parse_id_number
from doudi_common.region import PROVINCE_CODES

TODAY = date(2026, 3, 1)

# The two worked examples printed in GB 11643-1999 itself, with the check characters the standard gives.
STANDARD_EXAMPLE_BEIJING = "11010519491231002X"
STANDARD_EXAMPLE_SHANTOU = "440524188001010014"


def build(region: str, birth: date, sequence: str) -> str:
    body = f"{region}{birth:%Y%m%d}{sequence}"
    return body + check_digit(body)


regions = st.builds(
    lambda province, rest: province + rest,
    st.sampled_from(sorted(PROVINCE_CODES)),
    st.text("0123456789", min_size=4, max_size=4),
)
births = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
sequences = st.text("0123456789", min_size=3, max_size=3)
valid_numbers = st.builds(build, regions, births, sequences)


def reason(value: str, **kwargs: object) -> str:
    with pytest.raises(InvalidArgument) as caught:
        parse_id_number(value, today=TODAY, **kwargs)  # type: ignore[arg-type]
    (violation,) = caught.value.violations
    return violation.description


def test_check_digit_matches_the_examples_in_the_standard() -> None:
    assert check_digit(STANDARD_EXAMPLE_BEIJING[:17]) == "X"
    assert check_digit(STANDARD_EXAMPLE_SHANTOU[:17]) == "4"


def test_standard_example_parses_into_its_parts() -> None:
    resident = parse_id_number(STANDARD_EXAMPLE_BEIJING, today=TODAY)
    assert resident.value == STANDARD_EXAMPLE_BEIJING
    assert resident.region_prefix == "110105"
    assert resident.birth_date == date(1949, 12, 31)
    assert resident.sequence == "002"
    assert resident.sex is Sex.FEMALE


def test_lowercase_x_is_normalised() -> None:
    assert parse_id_number(STANDARD_EXAMPLE_BEIJING.lower(), today=TODAY).value == STANDARD_EXAMPLE_BEIJING


def test_odd_seventeenth_digit_is_male() -> None:
    number = build("640402", date(1990, 1, 1), "123")
    assert parse_id_number(number, today=TODAY).sex is Sex.MALE


def test_the_standards_1880_example_is_refused_as_too_old() -> None:
    assert reason(STANDARD_EXAMPLE_SHANTOU) == "has a birth date before 1900"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("11010519491231002", "must be 18 characters long"),
        ("11010519491231002XX", "must be 18 characters long"),
        (
            "110105491231002",
            "must be the 18-character number (15-digit first-generation numbers are not accepted)",
        ),
        ("1101051949123100X2", "must be 17 digits followed by a digit or X"),
        ("１１０１０５１９４９１２３１００２Ｘ", "must be 17 digits followed by a digit or X"),
        ("110105194912310021", "has a wrong check digit"),
    ],
)
def test_shape_and_checksum_reasons(value: str, expected: str) -> None:
    assert reason(value) == expected


def test_semantic_reasons_for_checksum_valid_numbers() -> None:
    assert reason(build("990105", date(1990, 1, 1), "001")) == (
        "does not start with a valid province-level region code"
    )
    assert reason(build("160105", date(1990, 1, 1), "001")).startswith("does not start")
    assert reason(build("640402", date(2026, 3, 2), "001")) == "has a birth date in the future"
    impossible = "64040219900230001"
    assert reason(impossible + check_digit(impossible)) == "has a birth date that is not a real date"


def test_born_today_is_accepted() -> None:
    assert parse_id_number(build("640402", TODAY, "001"), today=TODAY).birth_date == TODAY


def test_violation_names_the_given_field() -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_id_number("nope", field="household.members[0].id_number")
    assert caught.value.violations[0].field == "household.members[0].id_number"


def test_repr_does_not_leak_the_number() -> None:
    resident = parse_id_number(STANDARD_EXAMPLE_BEIJING, today=TODAY)
    assert STANDARD_EXAMPLE_BEIJING not in repr(resident)
    assert "110105********002X" in repr(resident)


def test_age_counts_full_years_and_leap_birthdays() -> None:
    leapling = parse_id_number(build("640402", date(2000, 2, 29), "001"), today=TODAY)
    assert age_on(leapling, date(2018, 2, 28)) == 17
    assert age_on(leapling, date(2018, 3, 1)) == 18
    assert age_on(leapling, date(2020, 2, 29)) == 20
    assert age_on(leapling, date(2000, 2, 29)) == 0
    with pytest.raises(ValueError):
        age_on(leapling, date(2000, 2, 28))


def test_check_digit_refuses_anything_but_17_ascii_digits() -> None:
    for bad in ("1234", "1101051949123100X", "１１０１０５１９４９１２３１００２"):
        with pytest.raises(ValueError):
            check_digit(bad)


@given(region=regions, birth=births, sequence=sequences)
def test_every_well_formed_number_parses_and_round_trips(region: str, birth: date, sequence: str) -> None:
    number = build(region, birth, sequence)
    resident = parse_id_number(number, today=TODAY)
    assert resident.value == number
    assert resident.region_prefix == region
    assert resident.birth_date == birth
    assert resident.sequence == sequence
    assert resident.sex is (Sex.MALE if int(sequence[-1]) % 2 else Sex.FEMALE)
    assert is_valid_id_number(number, today=TODAY)


@given(number=valid_numbers, position=st.integers(0, 17), data=st.data())
def test_changing_any_one_character_invalidates(number: str, position: int, data: st.DataObject) -> None:
    replacement = data.draw(st.sampled_from([c for c in "0123456789X" if c != number[position]]))
    changed = number[:position] + replacement + number[position + 1 :]
    assert not is_valid_id_number(changed, today=TODAY)


@given(number=valid_numbers, position=st.integers(0, 16))
def test_swapping_adjacent_different_characters_invalidates(number: str, position: int) -> None:
    a, b = number[position], number[position + 1]
    swapped = number[:position] + b + a + number[position + 2 :]
    assert is_valid_id_number(swapped, today=TODAY) is (a == b)


@given(st.text(max_size=20))
def test_validity_check_never_raises(text: str) -> None:
    assert isinstance(is_valid_id_number(text, today=TODAY), bool)
