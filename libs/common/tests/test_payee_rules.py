"""Specification of whose account each programme pays into (DOMAIN §11.1 payee rules).

Household Dibao pays the applicant; 单人保, Tekun and the two disability subsidies pay the person's own
account (a guardian may manage it); Tekun in centralised support may instead pay the institution; a child
allowance pays the child's account, managed by the guardian. Temporary assistance, which §11.1 does not
name, keeps the household rule: someone the application names, or the named guardian.
"""

from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from doudi_common.bank_account import (
    PAYEE_RULES,
    PayeeAccount,
    PayeeParties,
    PayeeRule,
    payee_rule,
    payee_violations,
)
from doudi_common.masking import luhn_valid

CARD = next(f"622202100112345678{d}" for d in "0123456789" if luhn_valid(f"622202100112345678{d}"))
HOLDER, GUARDIAN, INSTITUTION = "payee.holder_name", "payee.guardian_name", "institution_account"

PROGRAMMES = (
    "DIBAO",
    "SINGLE_PERSON_DIBAO",
    "TEKUN",
    "TEMPORARY_ASSISTANCE_URGENT",
    "TEMPORARY_ASSISTANCE_EXPENDITURE",
    "DISABILITY_LIVING_SUBSIDY",
    "SEVERE_DISABILITY_CARE_SUBSIDY",
    "ORPHAN_ALLOWANCE",
    "UNSUPPORTED_CHILD_ALLOWANCE",
)
PERSON_PROGRAMMES = tuple(p for p in PROGRAMMES if payee_rule(p) is PayeeRule.PERSON)
CHILD_PROGRAMMES = tuple(p for p in PROGRAMMES if payee_rule(p) is PayeeRule.CHILD)

names = st.text(alphabet="马李王张杨周建国小花芳明德胜桂兰", min_size=2, max_size=3)


@st.composite
def applications(draw: st.DrawFn) -> tuple[str, list[str]]:
    """An applicant and the household members (the applicant among them), all names distinct."""
    people = draw(st.lists(names, min_size=1, max_size=5, unique=True))
    return people[0], people


def fields(
    programme: str,
    holder: str,
    applicant: str,
    members: list[str],
    covered: list[str] | None = None,
    guardian: str = "",
    *,
    centralised: bool = False,
    institution: bool = False,
) -> set[str]:
    parties = PayeeParties.of(programme, applicant, members, covered, centralised_support=centralised)
    account = PayeeAccount(holder, CARD, "农业银行", guardian)
    return {v.field for v in payee_violations(account, parties, institution_account=institution)}


def test_every_programme_of_section_eleven_one_has_its_rule() -> None:
    assert PAYEE_RULES == {
        "DIBAO": PayeeRule.APPLICANT,
        "SINGLE_PERSON_DIBAO": PayeeRule.PERSON,
        "TEKUN": PayeeRule.PERSON,
        "DISABILITY_LIVING_SUBSIDY": PayeeRule.PERSON,
        "SEVERE_DISABILITY_CARE_SUBSIDY": PayeeRule.PERSON,
        "ORPHAN_ALLOWANCE": PayeeRule.CHILD,
        "UNSUPPORTED_CHILD_ALLOWANCE": PayeeRule.CHILD,
    }
    assert payee_rule("TEMPORARY_ASSISTANCE_URGENT") is PayeeRule.HOUSEHOLD


@given(st.sampled_from(PROGRAMMES), applications(), names, names)
def test_nobody_outside_the_application_may_hold_the_account(
    programme: str, application: tuple[str, list[str]], stranger: str, guardian: str
) -> None:
    applicant, members = application
    assume(stranger not in members and stranger != guardian)
    assert HOLDER in fields(programme, stranger, applicant, members, guardian=guardian)


@given(applications(), st.data())
def test_household_dibao_pays_the_applicant_and_no_other_member(
    application: tuple[str, list[str]], data: st.DataObject
) -> None:
    applicant, members = application
    holder = data.draw(st.sampled_from(members))
    expected = set() if holder == applicant else {HOLDER}
    assert fields("DIBAO", holder, applicant, members) == expected


@given(st.sampled_from(PERSON_PROGRAMMES), applications(), st.data())
def test_a_persons_benefit_pays_the_persons_own_account_only(
    programme: str, application: tuple[str, list[str]], data: st.DataObject
) -> None:
    applicant, members = application
    person = data.draw(st.sampled_from(members), label="person")
    holder = data.draw(st.sampled_from(members), label="holder")
    expected = set() if holder == person else {HOLDER}
    assert fields(programme, holder, applicant, members, [person]) == expected


@given(st.sampled_from(PERSON_PROGRAMMES + CHILD_PROGRAMMES + ("DIBAO",)), applications(), st.data())
def test_the_guardian_manages_the_account_but_never_holds_it(
    programme: str, application: tuple[str, list[str]], data: st.DataObject
) -> None:
    applicant, members = application
    person = applicant if programme == "DIBAO" else data.draw(st.sampled_from(members))
    guardian = data.draw(names.filter(lambda n: n != person))
    assert fields(programme, person, applicant, members, [person], guardian) == set()
    refused = fields(programme, guardian, applicant, members, [person], guardian)
    assert {HOLDER, GUARDIAN} <= refused


@given(st.sampled_from(CHILD_PROGRAMMES), applications(), st.data())
def test_a_childs_account_needs_the_guardian_who_manages_it(
    programme: str, application: tuple[str, list[str]], data: st.DataObject
) -> None:
    applicant, members = application
    child = data.draw(st.sampled_from(members))
    assert fields(programme, child, applicant, members, [child]) == {GUARDIAN}


@given(st.sampled_from(PERSON_PROGRAMMES + CHILD_PROGRAMMES), applications(), st.data())
def test_while_the_person_is_unknown_any_declared_member_may_hold_it_and_knowing_only_narrows(
    programme: str, application: tuple[str, list[str]], data: st.DataObject
) -> None:
    applicant, members = application
    holder = data.draw(st.sampled_from(members), label="holder")
    person = data.draw(st.sampled_from(members), label="person")
    guardian = data.draw(names.filter(lambda n: n not in members))
    unknown = fields(programme, holder, applicant, members, None, guardian)
    known = fields(programme, holder, applicant, members, [person], guardian)
    assert unknown == set()
    assert unknown <= known


@given(st.sampled_from(PROGRAMMES), st.booleans(), applications(), names)
def test_only_a_tekun_person_in_centralised_support_is_paid_into_the_institutions_account(
    programme: str, centralised: bool, application: tuple[str, list[str]], institution: str
) -> None:
    applicant, members = application
    refused = fields(
        programme, institution, applicant, members, [applicant], centralised=centralised, institution=True
    )
    assert refused == (set() if programme == "TEKUN" and centralised else {INSTITUTION})


@given(applications(), names)
def test_in_centralised_support_the_person_may_still_be_paid_and_no_one_else(
    application: tuple[str, list[str]], other: str
) -> None:
    applicant, members = application
    assert fields("TEKUN", applicant, applicant, members, [applicant], centralised=True) == set()
    assume(other != applicant)
    assert fields("TEKUN", other, applicant, members, [applicant], centralised=True) == {HOLDER}


@given(
    st.sampled_from(("TEMPORARY_ASSISTANCE_URGENT", "TEMPORARY_ASSISTANCE_EXPENDITURE")),
    applications(),
    names,
)
def test_temporary_assistance_keeps_the_household_rule(
    programme: str, application: tuple[str, list[str]], guardian: str
) -> None:
    applicant, members = application
    for holder in members:
        assert fields(programme, holder, applicant, members) == set()
    assert fields(programme, guardian, applicant, members, guardian=guardian) == set()


@given(st.sampled_from(PROGRAMMES), applications(), st.data())
def test_surrounding_spaces_change_nothing(
    programme: str, application: tuple[str, list[str]], data: st.DataObject
) -> None:
    applicant, members = application
    holder = data.draw(st.sampled_from(members))
    guardian = data.draw(names)
    plain = fields(programme, holder, applicant, members, [holder], guardian)
    padded = fields(
        programme, f" {holder} ", f"{applicant} ", [f" {m}" for m in members], [holder], f"{guardian}  "
    )
    assert plain == padded
