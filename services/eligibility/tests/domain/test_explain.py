"""Amounts in explanations (DOMAIN §7.7): fen shown as yuan, two decimals when exact, else four, half up."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi_eligibility.domain.explain import yuan_text


def _exact_text(fen: Fraction) -> str:
    """The definition: |fen| / 100 yuan rounded half up to 2 places when a whole number of fen, else 4."""
    places = 2 if fen.denominator == 1 else 4
    digits = int(abs(fen) / 100 * 10**places + Fraction(1, 2))
    whole, part = divmod(digits, 10**places)
    sign = "-" if fen < 0 and digits else ""
    return f"{sign}{whole:,}.{part:0{places}d}"


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (0, "0.00"),
        (5, "0.05"),
        (123_456, "1,234.56"),
        (-250, "-2.50"),
        (Fraction(100_000, 3), "333.3333"),
        (Fraction(200_000, 3), "666.6667"),
        (Fraction(1, 2), "0.0050"),
        (Fraction(1, 200), "0.0001"),  # half of the last place rounds up
        (Fraction(-1, 400), "0.0000"),  # rounds to nothing: no minus sign
        (Fraction(300, 1), "3.00"),
    ],
)
def test_amounts_read_as_yuan(fen: Fraction | int, text: str) -> None:
    assert yuan_text(fen) == text


@given(st.integers(-(10**12), 10**12))
def test_whole_fen_show_two_places(fen: int) -> None:
    assert yuan_text(fen) == _exact_text(Fraction(fen))
    assert yuan_text(Fraction(fen)) == yuan_text(fen)


@given(st.fractions(min_value=-(10**9), max_value=10**9, max_denominator=10**6))
def test_any_amount_follows_the_definition(fen: Fraction) -> None:
    assert yuan_text(fen) == _exact_text(fen)
