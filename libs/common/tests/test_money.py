"""Specification of money handling: integer fen, exact parsing and half-up rounding."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi_common.errors import InvalidArgument
from doudi_common.money import (
    MAX_FEN,
    format_yuan,
    parse_yuan,
    round_half_up_to_fen,
    round_half_up_to_yuan_fen,
    validate_fen,
    yuan_to_decimal,
)


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("1234.56", 123456),
        ("1,234.56", 123456),
        ("1234.5", 123450),
        ("1234", 123400),
        ("0", 0),
        ("0.01", 1),
        ("  560.00 ", 56000),
        ("+12", 1200),
        ("1,000,000", 100000000),
    ],
)
def test_parse_yuan_accepts_plain_amounts(text: str, fen: int) -> None:
    assert parse_yuan(text) == fen


@pytest.mark.parametrize(
    "text",
    [
        "1.234",
        "NaN",
        "nan",
        "Infinity",
        "1e3",
        "",
        ".5",
        "5.",
        "1,23.00",
        "12,34",
        "1 234",
        "¥12",
        "１２",
        "-0.01",
    ],
)
def test_parse_yuan_refuses_everything_else(text: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_yuan(text, "requested_amount")
    assert caught.value.violations[0].field == "requested_amount"


def test_negative_amounts_only_when_allowed() -> None:
    assert parse_yuan("-12.30", allow_negative=True) == -1230
    with pytest.raises(InvalidArgument, match="amount"):
        parse_yuan("-12.30")


def test_maximum_is_enforced() -> None:
    with pytest.raises(InvalidArgument):
        parse_yuan("2000.01", maximum=200000)
    assert parse_yuan("2000", maximum=200000) == 200000


def test_floats_and_bools_are_type_errors() -> None:
    with pytest.raises(TypeError):
        parse_yuan(12.5)  # type: ignore[arg-type]
    for bad in (True, 12.0):
        with pytest.raises(TypeError):
            format_yuan(bad)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            validate_fen(bad)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            round_half_up_to_fen(bad)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            round_half_up_to_yuan_fen(bad)  # type: ignore[arg-type]


def test_format_yuan() -> None:
    assert format_yuan(123456) == "1,234.56"
    assert format_yuan(5) == "0.05"
    assert format_yuan(0) == "0.00"
    assert format_yuan(-123456) == "-1,234.56"
    assert yuan_to_decimal(123456) == Decimal("1234.56")


def test_validate_fen_bounds() -> None:
    assert validate_fen(0) == 0
    assert validate_fen(-5, allow_negative=True) == -5
    with pytest.raises(InvalidArgument):
        validate_fen(-1)
    with pytest.raises(InvalidArgument):
        validate_fen(MAX_FEN + 1)


def test_rounding_examples() -> None:
    # Rural standard 3,800 yuan a year is 316.6667 yuan a month (DOMAIN §3): 31666.67 fen.
    rural_month = Fraction(380000, 12)
    assert round_half_up_to_fen(rural_month) == 31667
    assert round_half_up_to_yuan_fen(rural_month) == 31700
    # 411.67 yuan → 412 yuan (tekun.basic.ratio example in DOMAIN §3).
    assert round_half_up_to_yuan_fen(Decimal("41167")) == 41200
    assert round_half_up_to_yuan_fen(42850) == 42900
    assert round_half_up_to_yuan_fen(42849) == 42800
    assert round_half_up_to_fen(Fraction(-5, 2)) == -3
    with pytest.raises(ValueError):
        round_half_up_to_fen(Decimal("NaN"))


@given(st.integers(min_value=0, max_value=MAX_FEN))
def test_format_then_parse_round_trips(fen: int) -> None:
    assert parse_yuan(format_yuan(fen)) == fen
    assert parse_yuan(f"{fen // 100}.{fen % 100:02d}") == fen


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_negative_round_trip_when_allowed(fen: int) -> None:
    assert parse_yuan(format_yuan(fen), allow_negative=True) == fen


@given(st.fractions())
def test_round_to_fen_is_nearest_with_halves_away_from_zero(value: Fraction) -> None:
    rounded = round_half_up_to_fen(value)
    assert abs(value - rounded) <= Fraction(1, 2)
    if abs(value - rounded) == Fraction(1, 2):
        assert abs(rounded) > abs(value)
    assert round_half_up_to_fen(-value) == -rounded


@given(st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-(10**9), max_value=10**9))
def test_round_to_fen_agrees_with_decimal_half_up(value: Decimal) -> None:
    assert round_half_up_to_fen(value) == int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@given(st.fractions(min_value=-(10**9), max_value=10**9))
def test_round_to_yuan_is_a_whole_yuan_within_half_a_yuan(value: Fraction) -> None:
    rounded = round_half_up_to_yuan_fen(value)
    assert rounded % 100 == 0
    assert abs(value - rounded) <= 50
    if abs(value - rounded) == 50:
        assert abs(rounded) > abs(value)


@given(st.integers(-(10**12), 10**12))
def test_rounding_whole_amounts_is_identity(fen: int) -> None:
    assert round_half_up_to_fen(fen) == fen
    assert round_half_up_to_yuan_fen(fen * 100) == fen * 100
