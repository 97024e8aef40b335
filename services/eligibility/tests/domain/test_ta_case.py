"""A temporary-assistance case as the rules see it (DOMAIN §5.3, §7.4): the expenditure test reads the report
(per-capita monthly income over the reference period, the asset outcomes), the advance counts toward the
event total and what remains to pay is never negative."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from doudi_eligibility.domain.case_file import (
    Applicant,
    ApplicationFacts,
    EventFacts,
    MemberFindings,
    ReportFacts,
    SurveyFacts,
)
from doudi_eligibility.domain.explain import Outcome
from doudi_eligibility.domain.rules.facts import HouseholdType
from doudi_eligibility.domain.rules.temporary_assistance import Approver, Kind, Severity
from doudi_eligibility.domain.ta_case import TaCase, assess_ta_case, ta_event_of

from .builders import ex_gy, fen

P = ex_gy()
MEMBERS = ("640402198701013139", "640402198902023245", "640402201803033151")


def application(programme: str) -> ApplicationFacts:
    return ApplicationFacts(
        "app_ta",
        programme,
        "640402100000",
        "640402100201",
        HouseholdType.URBAN,
        tuple(Applicant(i, number, f"m{i}", True, True) for i, number in enumerate(MEMBERS)),
        datetime(2025, 3, 3, tzinfo=UTC),
    )


def report(gross_yuan: int, asset: str = "PASS") -> ReportFacts:
    return ReportFacts(
        "rep", "v", fen(gross_yuan), (MemberFindings(0, fen(gross_yuan)),), (("financial", asset, ""),)
    )


SURVEY = SurveyFacts("svy", ("a", "b"), "ok", False)


def event_of(programme: str, gross_yuan: int, found: EventFacts, *, advance: int = 0, asset: str = "PASS"):  # type: ignore[no-untyped-def]
    return ta_event_of(
        application(programme),
        report(gross_yuan, asset),
        SURVEY,
        found,
        on=date(2025, 3, 7),
        advance_paid_fen=advance,
        previous=None,
        meeting_addition_fen=0,
        params=P,
    )


def test_h10_per_capita_income_is_the_reports_gross_over_12_months_and_3_members() -> None:
    event = event_of(
        "TEMPORARY_ASSISTANCE_EXPENDITURE", 54_000, EventFacts("e", out_of_pocket_fen=fen(120_000))
    )
    assert event.kind is Kind.EXPENDITURE
    assert event.per_capita_income_fen == fen(1_500)
    result = assess_ta_case(event, P)
    assert (result.total_fen, result.approver) == (fen(5_600), Approver.COUNTY)


def test_a_failed_asset_rule_fails_the_expenditure_test() -> None:
    event = event_of(
        "TEMPORARY_ASSISTANCE_EXPENDITURE",
        1_000,
        EventFacts("e", out_of_pocket_fen=fen(120_000)),
        asset="FAIL",
    )
    assert event.assets_hold is False
    assert not assess_ta_case(event, P).decision.approved


@settings(max_examples=60, deadline=None)
@given(advance=st.integers(0, fen(10_000)))
def test_h09_the_advance_counts_toward_the_total_and_what_remains_is_never_negative(advance: int) -> None:
    fire = EventFacts(
        "fire", Severity(dwelling_uninhabitable=True, breadwinner_incapacitated_over_a_month=True)
    )
    event = event_of("TEMPORARY_ASSISTANCE_URGENT", 28_800, fire, advance=advance)
    case = TaCase(assess_ta_case(event, P), advance)
    assert case.total_fen == fen(3_360)
    assert case.approver is Approver.COUNTY  # the total decides, whatever was advanced
    assert case.remaining_fen == max(0, fen(3_360) - advance)


def test_an_advance_above_the_township_advance_limit_is_flagged_but_never_held_against_the_household() -> (
    None
):
    fire = EventFacts(
        "fire", Severity(dwelling_uninhabitable=True, breadwinner_incapacitated_over_a_month=True)
    )
    within = assess_ta_case(event_of("TEMPORARY_ASSISTANCE_URGENT", 28_800, fire, advance=fen(1_120)), P)
    above = assess_ta_case(event_of("TEMPORARY_ASSISTANCE_URGENT", 28_800, fire, advance=fen(1_500)), P)
    assert within.decision.check_for("ADVANCE").outcome is Outcome.PASS
    assert above.decision.check_for("ADVANCE").outcome is Outcome.EXEMPT
    assert above.decision.approved and above.remaining_fen == fen(3_360 - 1_500)
