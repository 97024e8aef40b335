"""Specification of an entitlement's payee (DOMAIN §11.1)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from doudi_common.bank_account import PayeeAccount
from doudi_eligibility.domain.case_file import Applicant, ApplicationFacts, PersonFacts, SurveyFacts
from doudi_eligibility.domain.payee import (
    EntitlementPayee,
    change_violations,
    entitlement_parties,
    entitlement_payee,
)
from doudi_eligibility.domain.rules.facts import HouseholdType
from doudi_eligibility.domain.rules.tekun import SupportMode

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


def test_a_new_household_dibao_account_must_be_the_applicants_and_pass_the_card_check() -> None:
    parties = entitlement_parties("DIBAO", FACTS, None)
    assert change_violations(PayeeAccount("李明", CARD, "农业银行"), parties) == []
    assert change_violations(PayeeAccount("李明", CARD, "信用社", "杨德胜"), parties) == []
    assert {v.field for v in change_violations(PayeeAccount("王芳", CARD, "农业银行"), parties)} == {
        "payee.account_name"
    }
    wrong = PayeeAccount("张三", CARD[:-1] + "0", "")
    assert {v.field for v in change_violations(wrong, parties)} == {
        "payee.account_name",
        "payee.account_number",
        "payee.bank_name",
    }


def survey(person: PersonFacts) -> SurveyFacts:
    return SurveyFacts("s_1", ("township-07",), "入户", income_stable=False, person=person)


def test_a_persons_account_is_the_one_the_survey_names_and_the_institutions_only_if_centralised() -> None:
    wang = survey(PersonFacts(member_index=1, support_mode=SupportMode.CENTRALISED))
    parties = entitlement_parties("TEKUN", FACTS, wang)
    assert parties.covered == {"王芳"} and parties.centralised_support
    assert change_violations(PayeeAccount("李明", CARD, "农业银行"), parties) != []
    assert (
        change_violations(PayeeAccount("敬老院", CARD, "农业银行"), parties, institution_account=True) == []
    )
    assert not entitlement_parties("DISABILITY_LIVING_SUBSIDY", FACTS, wang).centralised_support
    assert not entitlement_parties("TEKUN", FACTS, survey(PersonFacts(member_index=1))).centralised_support


def test_without_findings_the_person_is_whom_the_entitlement_pays_for_and_else_any_member() -> None:
    assert entitlement_parties("TEKUN", FACTS, None, ("640402198403091139",)).covered == {"李明"}
    assert entitlement_parties("TEKUN", FACTS, None).covered == {"李明", "王芳"}


def test_without_a_case_file_only_the_name_paid_may_hold_the_account() -> None:
    parties = entitlement_parties("DIBAO", None, None, (), "李明")
    assert change_violations(PayeeAccount("李明", CARD, "农业银行"), parties) == []
    assert change_violations(PayeeAccount("王芳", CARD, "农业银行"), parties) != []
