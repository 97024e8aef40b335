"""Specification of payee account numbers: digits only, 12–19 of them, and a bank card's Luhn digit."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from doudi_common.bank_account import AccountNumberRules, account_number_violation, normalise
from doudi_common.masking import luhn_valid

FIELD = "payee.account_number"


def luhn_completed(body: str) -> str:
    """``body`` with the Luhn check digit appended."""
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


cards = st.integers(min_value=15, max_value=18).flatmap(
    lambda n: st.text("0123456789", min_size=n, max_size=n).map(luhn_completed)
)


@given(cards)
def test_any_card_number_with_a_valid_luhn_digit_is_accepted(card: str) -> None:
    assert account_number_violation(card, FIELD) is None


@given(cards, st.data())
def test_any_single_digit_change_of_a_card_number_is_refused(card: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(min_value=0, max_value=len(card) - 1))
    digit = data.draw(st.sampled_from([d for d in "0123456789" if d != card[position]]))
    changed = card[:position] + digit + card[position + 1 :]
    violation = account_number_violation(changed, FIELD)
    assert violation is not None
    assert violation.field == FIELD
    assert "Luhn" in violation.description


def digit_strings(low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(min_value=low, max_value=high).flatmap(
        lambda n: st.text("0123456789", min_size=n, max_size=n)
    )


@given(digit_strings(12, 15))
def test_account_numbers_shorter_than_a_card_carry_no_check_digit(number: str) -> None:
    assert account_number_violation(number, FIELD) is None


@given(st.text("0123456789", min_size=1, max_size=11) | st.text("0123456789", min_size=20, max_size=30))
def test_numbers_outside_twelve_to_nineteen_digits_are_refused(number: str) -> None:
    violation = account_number_violation(number, FIELD)
    assert violation is not None and "12 to 19 digits" in violation.description


def test_letters_and_punctuation_are_refused_and_grouping_spaces_are_not() -> None:
    card = luhn_completed("622202100112345678")
    assert account_number_violation(" ".join([card[:4], card[4:8], card[8:12], card[12:]]), FIELD) is None
    assert normalise(f"{card[:4]} {card[4:]}") == card
    for bad in (card[:-1] + "X", card[:6] + "-" + card[6:], "６２２２０２１００１１２３４５６"):
        violation = account_number_violation(bad, FIELD)
        assert violation is not None and violation.description == "must contain digits only"


def test_an_empty_number_is_required() -> None:
    assert account_number_violation("  ", FIELD) == account_number_violation("", FIELD)
    violation = account_number_violation("", FIELD)
    assert violation is not None and violation.description == "is required"


def test_the_lengths_are_parameters() -> None:
    rules = AccountNumberRules(min_digits=8, max_digits=30, card_min_digits=16, card_max_digits=19)
    assert account_number_violation("12345678", FIELD, rules) is None
    assert account_number_violation("12345678", FIELD) is not None
