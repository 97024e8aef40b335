"""Specification of an entitlement's payee (DOMAIN §11.1)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from doudi_common.bank_account import PayeeAccount
from doudi_eligibility.domain.case_file import Applicant, ApplicationFacts
from doudi_eligibility.domain.payee import EntitlementPayee, change_violations, entitlement_payee
from doudi_eligibility.domain.rules.facts import HouseholdType

CARD = "6222021001123456789"
FACTS = ApplicationFacts(
    application_id="app_1",
    programme="DIBAO",
    township="640402100000",
    region="640402100201",
    household_type=HouseholdType.URBAN,
    members=(Applicant(0, "640402198403091139", "李明", True, True), Applicant(1, "x", "王芳", True, True)),
    accepted_at=datetime(2025, 3, 3, tzinfo=UTC),
)


def test_the_account_the_window_took_is_the_payee() -> None:
    facts = replace(FACTS, payee=PayeeAccount("王芳", f"{CARD[:4]} {CARD[4:]}", " 农业银行 ", ""))
    assert entitlement_payee(facts) == EntitlementPayee("王芳", CARD, "农业银行", "")


def test_without_an_account_the_applicant_is_named_and_the_payee_is_missing() -> None:
    payee = entitlement_payee(FACTS)
    assert payee == EntitlementPayee("李明") and payee.missing


def test_a_new_account_must_name_a_member_or_the_guardian_and_pass_the_card_check() -> None:
    names = [m.name for m in FACTS.members]
    assert change_violations(PayeeAccount("王芳", CARD, "农业银行"), names) == []
    assert change_violations(PayeeAccount("杨德胜", CARD, "信用社", "杨德胜"), names) == []
    wrong = PayeeAccount("张三", CARD[:-1] + "0", "")
    assert {v.field for v in change_violations(wrong, names)} == {
        "payee.account_name",
        "payee.account_number",
        "payee.bank_name",
    }
