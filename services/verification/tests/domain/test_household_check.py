"""The household economic check on DOMAIN §13's households: income exactly, bands, asset outcomes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from doudi_verification.domain.assets import Outcome
from doudi_verification.domain.income import IncomeBand, assess_income, income_band
from doudi_verification.domain.records import Item, SourceOutcome
from doudi_verification.domain.report import Override, ReportState, build_report

from .ex_gy import INCOME, RURAL, URBAN

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def item(member: int, name: str, yuan: int = 0, source: str = "HUMAN_RESOURCES", **attributes: str) -> Item:
    return Item(member, source, name, yuan * 100, tuple(sorted(attributes.items())))


def check(items: list[Item], members: int, policy=URBAN, means_tested: bool = True, overrides=()):  # type: ignore[no-untyped-def]
    outcomes = [SourceOutcome(i.member_index, i.source, True, items=(i,)) for i in items]
    return build_report(
        report_id="rep_1",
        application_id="app_1",
        outcomes=outcomes,
        counted_members=members,
        means_tested=means_tested,
        policy=policy,
        produced_at=NOW,
        today=date(2026, 11, 24),
        overrides=overrides,
    )


def test_h01_the_employment_cost_deduction_decides_eligibility() -> None:
    report = check(
        [
            item(0, "wage_income", 21_600),
            item(0, "deposits", 15_000, "FINANCIAL"),
            item(0, "property_title", source="HOUSING", floor_area_m2="68"),
            item(0, "vehicle", source="PUBLIC_SECURITY", type="e-bike", use="private"),
        ],
        members=3,
    )
    assert report.state is ReportState.COMPLETE and report.income is not None
    assert report.income.gross_fen == 2_160_000
    assert report.income.deductions_fen == 216_000
    assert report.income.per_capita_monthly_fen == 54_000
    assert report.band is IncomeBand.BELOW_STANDARD
    assert [t.outcome for t in report.assets] == [Outcome.PASS, Outcome.EXEMPT, Outcome.PASS, Outcome.PASS]
    without_deduction = (report.income.gross_fen) / Fraction(12 * 3)
    assert income_band(without_deduction, URBAN.monthly_standard_fen, URBAN.margin_multiplier) is not (
        IncomeBand.BELOW_STANDARD
    )


def test_h02_income_exactly_at_the_standard_is_not_below_it_but_marginal() -> None:
    report = check([item(0, "pension", 1_120 * 12)], members=2)
    assert report.income is not None and report.income.per_capita_monthly_fen == 56_000
    assert report.band is IncomeBand.MARGINAL
    assert report.marginal_household


def test_h02_a_hair_below_the_standard_is_below_it() -> None:
    """559.996 displays as "560.00" but is below 560: display never decides (H02's engineering note)."""
    y = Fraction(5_599_960, 100)  # 559.9960 yuan in fen, exact
    assert income_band(y, URBAN.monthly_standard_fen, URBAN.margin_multiplier) is IncomeBand.BELOW_STANDARD


def test_h03_excluded_income_and_support_actually_paid() -> None:
    report = check(
        [
            item(0, "land_rent", 1_200),
            item(0, "maintenance_received", 1_200, "CIVIL_AFFAIRS"),
            item(0, "residents_basic_pension", 2_016),
            item(0, "disability_subsidy", 1_800, "CIVIL_AFFAIRS"),
            item(1, "residents_basic_pension", 2_016),
            item(0, "deposits", 4_000, "FINANCIAL"),
        ],
        members=2,
        policy=RURAL,
    )
    assert report.income is not None
    assert report.income.gross_fen == 240_000
    assert report.income.per_capita_monthly_fen == 10_000
    assert report.band is IncomeBand.BELOW_STANDARD


def test_h05_the_household_is_marginal_after_deductions() -> None:
    report = check(
        [
            item(0, "wage_income", 38_400),
            item(3, "scholarship", 4_000, "EDUCATION"),
            item(0, "deposits", 40_000, "FINANCIAL"),
        ],
        members=4,
    )
    assert report.income is not None and report.income.per_capita_monthly_fen == 72_000
    assert report.band is IncomeBand.MARGINAL and report.marginal_household
    richer = check([item(0, "wage_income", 3_800 * 12)], members=4)
    assert richer.income is not None and richer.income.per_capita_monthly_fen == 85_500
    assert richer.band is IncomeBand.ABOVE_MARGIN and not richer.marginal_household


def h15_items(use: str) -> list[Item]:
    return [
        item(0, "business_net_income", 15_000, "MARKET_REGULATION"),
        item(0, "deposits", 20_000, "FINANCIAL"),
        item(0, "property_title", source="HOUSING", floor_area_m2="90"),
        item(0, "vehicle", source="PUBLIC_SECURITY", type="van", use=use),
    ]


def test_h15_case_a_a_private_van_fails_the_vehicle_rule() -> None:
    report = check(h15_items("private"), members=5, policy=RURAL)
    assert report.income is not None and report.income.per_capita_monthly_fen == 25_000
    assert report.income.deductions_fen == 0, "self-employment income is already net"
    vehicle = next(t for t in report.assets if t.rule == "dibao.assets.vehicle")
    assert vehicle.outcome is Outcome.FAIL
    assert not report.marginal_household


def test_h15_case_b_a_survey_confirming_the_only_livelihood_vehicle_exempts_it() -> None:
    confirmed = Override(
        0, "PUBLIC_SECURITY", "vehicle", 0, (("type", "van"), ("use", "livelihood")), "核实", "sv_1"
    )
    report = check(h15_items("private"), members=5, policy=RURAL, overrides=[confirmed])
    vehicle = next(t for t in report.assets if t.rule == "dibao.assets.vehicle")
    assert vehicle.outcome is Outcome.EXEMPT
    assert next(i for i in report.items if i.item == "vehicle").overridden_by == "sv_1"


def test_two_houses_pass_only_when_the_floor_area_per_person_is_small() -> None:
    crowded = [item(0, "property_title", source="HOUSING", floor_area_m2=a) for a in ("20", "24")]
    assert check(crowded, members=3).assets[2].outcome is Outcome.EXEMPT
    roomy = [item(0, "property_title", source="HOUSING", floor_area_m2=a) for a in ("60", "80")]
    assert check(roomy, members=3).assets[2].outcome is Outcome.FAIL


def test_a_source_that_did_not_answer_makes_the_report_incomplete_with_no_verdict() -> None:
    outcomes = [
        SourceOutcome(0, "HUMAN_RESOURCES", True, items=(item(0, "wage_income", 9_000),)),
        SourceOutcome(0, "FINANCIAL", False, error="deadline exceeded"),
    ]
    report = build_report(
        report_id="rep_2",
        application_id="app_1",
        outcomes=outcomes,
        counted_members=1,
        means_tested=True,
        policy=URBAN,
        produced_at=NOW,
        today=date(2026, 11, 24),
    )
    assert report.state is ReportState.INCOMPLETE
    assert [(m.source, m.error) for m in report.missing] == [("FINANCIAL", "deadline exceeded")]
    assert report.income is None and report.band is None and report.assets == ()


def test_an_item_nobody_classified_is_reported_not_counted() -> None:
    report = check([item(0, "wage_income", 12_000), item(0, "lottery_win", 50_000)], members=1)
    assert [i.item for i in report.unclassified] == ["lottery_win"]
    assert report.income is not None and report.income.gross_fen == 1_200_000


amounts = st.integers(min_value=0, max_value=50_000_000)


@given(wage=amounts, business=amounts, excluded=amounts, medical=amounts, members=st.integers(1, 8))
def test_income_is_exact_excluded_income_never_counts_and_deductions_never_exceed_the_cap(
    wage: int, business: int, excluded: int, medical: int, members: int
) -> None:
    items = [
        Item(0, "HUMAN_RESOURCES", "wage_income", wage),
        Item(0, "MARKET_REGULATION", "business_net_income", business),
        Item(0, "MEDICAL_INSURANCE", "out_of_pocket", medical),
    ]
    base = assess_income(items, members, INCOME)
    with_excluded = assess_income(
        [*items, Item(0, "CIVIL_AFFAIRS", "assistance_received", excluded)], members, INCOME
    )
    assert isinstance(base.per_capita_monthly_fen, Fraction)
    assert with_excluded.per_capita_monthly_fen == base.per_capita_monthly_fen
    assert 0 <= base.deductions_fen <= INCOME.deduction_cap * base.gross_fen
    assert (
        base.per_capita_monthly_fen * INCOME.period_months * members == base.gross_fen - base.deductions_fen
    )
