"""The case file as the rules see it (DOMAIN §1.3, §4.8, §5.1.5) and the entitlement additions for
re-determination and appeals (§3, §7.3, §7.6; H13's arrears)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi_common.disability import DisabilityType
from doudi_common.errors import FailedPrecondition
from doudi_common.period import Period
from doudi_eligibility.domain.case_file import (
    Applicant,
    ApplicationFacts,
    MemberFindings,
    ReportFacts,
    SurveyFacts,
    household_of,
)
from doudi_eligibility.domain.explain import Category, Outcome, Programme
from doudi_eligibility.domain.machines.entitlement import Entitlement, State, arrears_after_reversal
from doudi_eligibility.domain.machines.roles import ActorNotAllowed, Role
from doudi_eligibility.domain.rules.dibao import assess_dibao
from doudi_eligibility.domain.rules.facts import HouseholdType

from .builders import ex_gy

H03 = ApplicationFacts(
    "app_h03",
    "DIBAO",
    "640402100000",
    "640402100201",
    HouseholdType.RURAL,
    (
        Applicant(0, "640402195404043135", "张德福", True, True),
        Applicant(1, "640402195810013249", "马桂英", True, True),
    ),
    datetime(2025, 3, 3, 1, tzinfo=UTC),
)
REPORT = ReportFacts(
    "rep",
    "v",
    240_000,
    (MemberFindings(0, 240_000, 0, 0, "physical", 2),),
    (("financial_pc", "PASS", ""), ("housing", "PASS", ""), ("vehicle", "PASS", "")),
)
SURVEY = SurveyFacts("svy", ("a", "b"), "入户", True)


def test_h03_from_its_case_file_is_category_a_at_560() -> None:
    household = household_of(H03, REPORT, SURVEY, date(2025, 3, 11))
    zhang, wife = household.members
    assert (zhang.person.age, wife.person.age) == (70, 66)
    assert zhang.person.disability is not None and zhang.person.disability.type is DisabilityType.PHYSICAL
    decision = assess_dibao(household, ex_gy()).decision
    assert (decision.approved, decision.category, decision.monthly_amount_fen) == (True, Category.A, 56_000)


def test_an_override_and_a_missing_consent_reach_the_rules() -> None:
    survey = replace(SURVEY, category_override="B", override_reason="收入不稳定")
    unsigned = replace(H03, members=(H03.members[0], replace(H03.members[1], consent_signed=False)))
    household = household_of(unsigned, REPORT, survey, date(2025, 3, 11))
    assert household.category_override is not None and household.category_override.category is Category.B
    assert assess_dibao(household, ex_gy()).decision.check_for("E2").outcome is Outcome.FAIL


def test_the_rules_wait_for_both_the_report_and_the_survey() -> None:
    with pytest.raises(FailedPrecondition):
        household_of(H03, REPORT, None, date(2025, 3, 11))


def test_only_the_system_re_determines_and_a_gradual_exit_stays_frozen() -> None:
    active = Entitlement("e", Programme.DIBAO, State.ACTIVE, 6_000, Period(2025, 4))
    changed = active.redetermine(18_000, Period(2025, 7), Role.SYSTEM)
    assert (changed.monthly_amount_fen, changed.changed_from, changed.previous) == (
        18_000,
        Period(2025, 7),
        active,
    )
    with pytest.raises(ActorNotAllowed):
        active.redetermine(18_000, Period(2025, 7), Role.COUNTY)
    with pytest.raises(FailedPrecondition):
        replace(active, state=State.GRADUAL_EXIT).redetermine(18_000, Period(2025, 7), Role.SYSTEM)


def test_h13_revoked_sanction_owes_two_months_of_the_son_s_share() -> None:
    before = Entitlement("e", Programme.DIBAO, State.ACTIVE, 87_000, Period(2025, 1))
    sanctioned = replace(before.sanction(58_000, Role.COUNTY), changed_from=Period(2025, 4))
    restored = sanctioned.reverse_on_appeal(Role.REVIEWING_BODY)
    assert restored.monthly_amount_fen == 87_000
    assert arrears_after_reversal(sanctioned, restored, Period(2025, 6)) == 58_000


@given(
    paid=st.integers(min_value=0, max_value=200_000),
    owed=st.integers(min_value=0, max_value=200_000),
    months=st.integers(min_value=0, max_value=36),
)
def test_arrears_are_the_shortfall_for_every_month_until_the_restored_amount_pays(
    paid: int, owed: int, months: int
) -> None:
    start = Period(2025, 4)
    reversed_ = Entitlement("e", Programme.DIBAO, State.ACTIVE, paid, Period(2025, 1), changed_from=start)
    restored = replace(reversed_, monthly_amount_fen=owed)
    assert arrears_after_reversal(reversed_, restored, start.plus(months)) == max(0, owed - paid) * months
    suspended = replace(reversed_, state=State.SUSPENDED, suspended_from=start)
    assert arrears_after_reversal(suspended, restored, start.plus(months)) == owed * months
