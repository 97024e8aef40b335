"""Specification of the payee account at the window (DOMAIN §11.1): who may hold it and what it must say."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from doudi_common.bank_account import PayeeAccount, PayeeParties, cleaned, payee_violations
from doudi_common.masking import luhn_valid

HOUSEHOLD = ("马建国", "马小花")


def card(body: str = "622202100112345678") -> str:
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


def fields(payee: PayeeAccount, programme: str = "DIBAO") -> set[str]:
    """The fields at fault for an application by 马建国 (the applicant) declaring ``HOUSEHOLD``."""
    return {v.field for v in payee_violations(payee, PayeeParties.of(programme, "马建国", HOUSEHOLD))}


def test_the_applicants_card_at_a_bank_is_accepted() -> None:
    assert fields(PayeeAccount("马建国", card(), "宁夏黄河农村商业银行")) == set()


def test_household_dibao_is_paid_to_the_applicant_not_another_member_nor_the_guardian() -> None:
    assert fields(PayeeAccount("马小花", card(), "农业银行")) == {"payee.holder_name"}
    assert fields(PayeeAccount("李桂兰", card(), "信用社", guardian_name="李桂兰")) == {
        "payee.holder_name",
        "payee.guardian_name",
    }


def test_temporary_assistance_keeps_a_member_or_the_named_guardian() -> None:
    for programme in ("TEMPORARY_ASSISTANCE_URGENT", "TEMPORARY_ASSISTANCE_EXPENDITURE"):
        assert fields(PayeeAccount("马小花", card(), "农业银行"), programme) == set()
        assert fields(PayeeAccount("李桂兰", card(), "信用社", guardian_name="李桂兰"), programme) == set()


def test_the_window_does_not_know_whose_case_it_is_so_any_member_may_hold_a_persons_account() -> None:
    for programme in ("SINGLE_PERSON_DIBAO", "TEKUN", "DISABILITY_LIVING_SUBSIDY"):
        assert fields(PayeeAccount("马小花", card(), "农业银行", guardian_name="李桂兰"), programme) == set()
        assert fields(PayeeAccount("李桂兰", card(), "农业银行", guardian_name="李桂兰"), programme) == {
            "payee.holder_name",
            "payee.guardian_name",
        }


def test_a_childs_account_names_the_guardian_who_manages_it() -> None:
    child = PayeeAccount("马小花", card(), "农业银行")
    assert fields(child, "ORPHAN_ALLOWANCE") == {"payee.guardian_name"}
    assert fields(PayeeAccount("马小花", card(), "农业银行", "马建国"), "ORPHAN_ALLOWANCE") == set()


def test_a_stranger_may_not_hold_the_account() -> None:
    assert fields(PayeeAccount("王五", card(), "农业银行")) == {"payee.holder_name"}
    assert fields(PayeeAccount("王五", card(), "农业银行", guardian_name="李桂兰")) == {"payee.holder_name"}
    assert fields(PayeeAccount("王五", card(), "农业银行", guardian_name="李桂兰"), "TEKUN") == {
        "payee.holder_name"
    }


def test_every_missing_field_is_named_at_once() -> None:
    assert fields(PayeeAccount("", "", "")) == {
        "payee.holder_name",
        "payee.account_number",
        "payee.bank_name",
    }


@given(st.integers(min_value=0, max_value=18), st.sampled_from("0123456789"))
def test_a_mistyped_digit_of_the_card_names_the_account_number(position: int, digit: str) -> None:
    number = card()
    changed = number[:position] + digit + number[position + 1 :]
    expected = set() if changed == number else {"payee.account_number"}
    assert fields(PayeeAccount("马建国", changed, "农业银行")) == expected


def test_the_number_is_kept_without_grouping_spaces_and_names_trimmed() -> None:
    number = card()
    spaced = PayeeAccount(" 马建国 ", f"{number[:4]} {number[4:]}", " 农业银行 ", "")
    assert fields(spaced) == set()
    assert cleaned(spaced) == PayeeAccount("马建国", number, "农业银行", "")
