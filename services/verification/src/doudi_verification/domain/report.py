"""The verification report (核对报告, DOMAIN §4.8): one row per member per source with value, as-of date
and gaps; the income and asset outcomes; and a validity period.

A report is COMPLETE only when every asked source answered for every counted member. Otherwise it is
INCOMPLETE and names what is missing, and it carries no income or asset verdict: a partial answer
would silently understate income (DOMAIN §4.8, issue "never a silent partial answer").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from fractions import Fraction

from doudi_verification.domain.assets import AssetTest, asset_tests, assets_pass
from doudi_verification.domain.income import IncomeAssessment, IncomeBand, assess_income, income_band
from doudi_verification.domain.policy import CheckPolicy
from doudi_verification.domain.records import Item, SourceOutcome


class ReportState(StrEnum):
    COMPLETE = "COMPLETE"
    INCOMPLETE = "INCOMPLETE"


@dataclass(frozen=True)
class MissingSource:
    member_index: int
    source: str
    error: str


@dataclass(frozen=True)
class Override:
    """A home survey's replacement of one data item, with the documented reason (DOMAIN §4.6, §12.4)."""

    member_index: int
    source: str
    item: str
    amount_fen: int
    attributes: tuple[tuple[str, str], ...]
    reason: str
    survey_id: str


@dataclass(frozen=True)
class Report:
    report_id: str
    application_id: str
    state: ReportState
    policy_version: str
    counted_members: int
    items: tuple[Item, ...]
    missing: tuple[MissingSource, ...]
    #: Items no rule knows: shown to the caseworker, never guessed at.
    unclassified: tuple[Item, ...]
    produced_at: datetime
    valid_until: date
    income: IncomeAssessment | None = None
    band: IncomeBand | None = None
    assets: tuple[AssetTest, ...] = ()
    #: S ≤ y < multiplier × S with assets passing (DOMAIN §3 margin.multiplier; H02, H05, H15).
    marginal_household: bool = False
    monthly_standard_fen: Fraction | None = None
    #: Why the household was checked (a CheckPurpose value) and the periodic review it answers, if any.
    purpose: str = "APPLICATION"
    review_id: str = ""


def apply_overrides(items: Iterable[Item], overrides: Iterable[Override]) -> tuple[Item, ...]:
    """Replace (or add) each overridden item; the replaced value is not used again."""
    result = list(items)
    for override in overrides:
        key = (override.member_index, override.source, override.item)
        result = [i for i in result if (i.member_index, i.source, i.item) != key]
        result.append(
            Item(
                member_index=override.member_index,
                source=override.source,
                item=override.item,
                amount_fen=override.amount_fen,
                attributes=override.attributes,
                overridden_by=override.survey_id,
            )
        )
    return tuple(result)


def build_report(
    *,
    report_id: str,
    application_id: str,
    outcomes: Iterable[SourceOutcome],
    counted_members: int,
    means_tested: bool,
    policy: CheckPolicy,
    produced_at: datetime,
    today: date,
    overrides: Iterable[Override] = (),
) -> Report:
    answered: list[Item] = []
    missing: list[MissingSource] = []
    for outcome in outcomes:
        if outcome.answered:
            answered.extend(outcome.items)
        else:
            missing.append(MissingSource(outcome.member_index, outcome.source, outcome.error))
    items = apply_overrides(answered, overrides)
    report = Report(
        report_id=report_id,
        application_id=application_id,
        state=ReportState.INCOMPLETE if missing else ReportState.COMPLETE,
        policy_version=policy.version,
        counted_members=counted_members,
        items=items,
        missing=tuple(sorted(missing, key=lambda m: (m.source, m.member_index))),
        unclassified=tuple(i for i in items if i.kind is None),
        produced_at=produced_at,
        valid_until=today + timedelta(days=policy.report_validity_days),
        monthly_standard_fen=policy.monthly_standard_fen,
    )
    if missing or not means_tested:
        return report
    income = assess_income(items, counted_members, policy.income)
    band = income_band(income.per_capita_monthly_fen, policy.monthly_standard_fen, policy.margin_multiplier)
    tests = asset_tests(items, counted_members, policy.assets)
    return replace(
        report,
        income=income,
        band=band,
        assets=tests,
        marginal_household=band is IncomeBand.MARGINAL and assets_pass(tests),
    )
