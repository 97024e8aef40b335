"""Specification of masking: what may appear in logs, public notices and metrics."""

from __future__ import annotations

import re
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from doudi_common.idcard import check_digit
from doudi_common.masking import luhn_valid, mask_bank_account, mask_id_number, mask_name, mask_phone, scrub

# Any 18-character ID-number-looking token that is not part of a longer digit run.
UNMASKED_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
UNMASKED_PHONE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def resident_number(body_seed: str) -> str:
    return body_seed + check_digit(body_seed)


EXAMPLE_ID = resident_number(f"640402{date(1990, 1, 1):%Y%m%d}123")

id_numbers = st.builds(
    lambda digits, x: digits + x,
    st.text("0123456789", min_size=17, max_size=17),
    st.sampled_from("0123456789Xx"),
)
phones = st.builds(
    lambda second, rest: "1" + second + rest,
    st.sampled_from("3456789"),
    st.text("0123456789", min_size=9, max_size=9),
)
filler = st.one_of(
    st.text(alphabet="abc XYZ:,=-+_/\n\t\"'{}中文", max_size=12), st.just("ID "), st.just("+86")
)
free_text = st.lists(
    st.one_of(filler, id_numbers, phones, st.text("0123456789", max_size=25)), max_size=8
).map("".join)


def test_mask_id_number_keeps_region_and_last_four() -> None:
    assert mask_id_number(EXAMPLE_ID) == EXAMPLE_ID[:6] + "********" + EXAMPLE_ID[-4:]
    assert mask_id_number("640402199001011234") == "640402********1234"


def test_mask_phone_keeps_first_three_and_last_four() -> None:
    assert mask_phone("13812345678") == "138****5678"


def test_mask_bank_account_keeps_last_four_only() -> None:
    assert mask_bank_account("6222 0212 3456 7890 123") == "***************0123"
    assert mask_bank_account("123") == "***"


def test_mask_name_keeps_the_surname() -> None:
    assert mask_name("张三丰") == "张**"
    assert mask_name("李四") == "李*"
    assert mask_name("欧阳修") == "欧阳*"
    assert mask_name("欧阳") == "欧*"
    assert mask_name("王") == "*"
    assert mask_name("  ") == ""


def test_scrub_masks_ids_and_phones_in_free_text() -> None:
    line = f"applicant id={EXAMPLE_ID} phone=13812345678 amount=1234"
    assert scrub(line) == f"applicant id={mask_id_number(EXAMPLE_ID)} phone=138****5678 amount=1234"


def test_scrub_handles_lowercase_x_letters_around_and_json() -> None:
    number = "11010519491231002x"
    assert scrub(f"ID{number}.") == "ID110105********002x."
    assert scrub(f'{{"id_number": "{number}"}}') == '{"id_number": "110105********002x"}'


def test_scrub_masks_phone_variants() -> None:
    assert scrub("tel +8613812345678") == "tel +86138****5678"
    assert scrub("tel 138-1234-5678") == "tel 138-****-5678"
    assert scrub("tel 138 1234 5678;") == "tel 138 **** 5678;"


def test_scrub_leaves_longer_digit_runs_and_other_numbers_alone() -> None:
    for text in ("6222021234567890123", "1234567890123456789012", "order 2026000100020003", "12345678901"):
        assert scrub(text) == text


@given(free_text)
def test_scrubbed_text_holds_no_id_number_or_phone(text: str) -> None:
    scrubbed = scrub(text)
    assert UNMASKED_ID.search(scrubbed) is None
    assert UNMASKED_PHONE.search(scrubbed) is None


words = st.text(alphabet="abc XYZ:=,{}中文", max_size=10)


@given(words, id_numbers, phones, words)
def test_separated_numbers_are_masked_in_place(before: str, number: str, phone: str, after: str) -> None:
    text = f"{before} {number} / {phone} {after}"
    assert scrub(text) == f"{before} {mask_id_number(number)} / {mask_phone(phone)} {after}"


@given(free_text)
def test_scrub_is_idempotent_and_length_preserving(text: str) -> None:
    once = scrub(text)
    assert scrub(once) == once
    assert len(once) == len(text)


@given(st.text(alphabet=st.characters(blacklist_categories=("Nd",))))
def test_text_without_digits_is_untouched(text: str) -> None:
    assert scrub(text) == text


def luhn_completed(body: str) -> str:
    """``body`` with the Luhn check digit appended."""
    for digit in "0123456789":
        if luhn_valid(body + digit):
            return body + digit
    raise AssertionError("unreachable")


@given(
    st.sampled_from(["62", "4", "51"]),
    st.integers(min_value=13, max_value=16).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n)),
)
def test_bank_card_numbers_keep_only_their_last_four_digits(prefix: str, middle: str) -> None:
    card = luhn_completed(prefix + middle)
    if len(card) == 18:  # an 18-digit number is masked as an ID number would be
        assert scrub(f"账号 {card}。") == f"账号 {mask_id_number(card)}。"
        return
    assert scrub(f"账号 {card}。") == f"账号 {'*' * (len(card) - 4)}{card[-4:]}。"


def test_digit_runs_that_fail_the_luhn_check_are_not_bank_cards() -> None:
    assert scrub("order 6222021234567890123") == "order 6222021234567890123"
    assert scrub("card 6222021234567890128") == "card ***************0128"
