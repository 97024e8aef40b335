"""Temporary assistance: urgent and expenditure tiers, per-event totals, tiered approval, 一事一议 above
the cap, advance aid and the same-event window (DOMAIN §5.3, §7.4).

Keys read: ``ta.base``, ``ta.urgent.t1``, ``ta.urgent.t2``, ``ta.urgent.t3``, ``ta.cap``,
``ta.township_limit``,
``ta.expense.bands``, ``ta.expense.income_ceiling``, ``ta.advance.hours``, ``ta.advance.paperwork_wd``,
``ta.same_event.window_months``.

    total(event) = tier amount + what a county meeting adds (一事一议)
    approver     = TOWNSHIP ≤ township limit < COUNTY ≤ cap < COUNTY_MEETING
    advance      ≤ min(township limit, T1), paid from the township reserve fund

The approver depends on the event total, never on an instalment, and the advance counts toward the total
(anti-splitting rule). Urgent TA has no income test before advance aid. Choices where DOMAIN is silent:
- The expenditure income test ("原则上", as a rule) is strict: per-capita disposable income below the ceiling.
- A county meeting may add to any tier; the approver still follows the resulting total.
- The band table's lower bounds are inclusive ("5,000–19,999 → T1").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from fractions import Fraction

from doudi_common.calendar import WorkingDayCalendar
from doudi_common.money import round_half_up_to_fen
from doudi_common.parameters import Parameters
from doudi_common.period import Period, months_between
from doudi_eligibility.domain.explain import Check, Decision, Outcome, Programme, check, ratio_text, yuan_text


class Kind(StrEnum):
    URGENT = "URGENT"
    EXPENDITURE = "EXPENDITURE"


class Tier(StrEnum):
    T1 = "T1"
    T2 = "T2"
    T3 = "T3"
    CAP = "CAP"


class Approver(StrEnum):
    TOWNSHIP = "TOWNSHIP"
    COUNTY = "COUNTY"
    COUNTY_MEETING = "COUNTY_MEETING"


@dataclass(frozen=True)
class Severity:
    """The urgent-TA severity guide of §5.3.2 [EX]."""

    partial_property_loss: bool = False
    short_hospitalisation: bool = False
    dwelling_uninhabitable: bool = False
    breadwinner_incapacitated_over_a_month: bool = False
    death_in_household: bool = False


@dataclass(frozen=True)
class Event:
    household_id: str
    event_id: str
    kind: Kind
    applied_in: Period
    severity: Severity = Severity()
    #: Expenditure TA: medical out-of-pocket over the last 12 months, after insurance and assistance.
    out_of_pocket_fen: int = 0
    #: Expenditure TA: per-capita monthly disposable income, and whether assets are within the rules.
    per_capita_income_fen: int = 0
    assets_hold: bool = True
    #: The month of an earlier application for the same event, if any.
    previous_application: Period | None = None
    #: What a county meeting (一事一议) added above the tier, with its minutes.
    meeting_addition_fen: int = 0
    advance_paid_fen: int = 0


@dataclass(frozen=True)
class TaAssessment:
    decision: Decision
    tier: Tier | None
    total_fen: int
    approver: Approver | None
    #: What remains to pay after approval: the total less the advance already paid.
    remaining_fen: int


def urgent_tier(severity: Severity) -> Tier | None:
    both = severity.dwelling_uninhabitable and severity.breadwinner_incapacitated_over_a_month
    if both or severity.death_in_household:
        return Tier.T3
    if severity.dwelling_uninhabitable or severity.breadwinner_incapacitated_over_a_month:
        return Tier.T2
    if severity.partial_property_loss or severity.short_hospitalisation:
        return Tier.T1
    return None


def expense_bands(params: Parameters) -> tuple[tuple[Fraction, Tier], ...]:
    """``ta.expense.bands`` as (lower bound in fen, tier), highest bound first."""
    bands: list[tuple[Fraction, Tier]] = []
    for part in params.text("ta.expense.bands").split(","):
        bound, _, tier = part.partition(":")
        bands.append((Fraction(bound.strip()) * 100, Tier(tier.strip())))
    return tuple(sorted(bands, key=lambda b: b[0], reverse=True))


def expenditure_tier(out_of_pocket_fen: int, params: Parameters) -> Tier | None:
    return next((tier for bound, tier in expense_bands(params) if out_of_pocket_fen >= bound), None)


def tier_amount(tier: Tier, params: Parameters) -> int:
    key = "ta.cap" if tier is Tier.CAP else f"ta.urgent.{tier.value.lower()}"
    return round_half_up_to_fen(params.ratio(key) * params.money("ta.base"))


def cap_amount(params: Parameters) -> int:
    return round_half_up_to_fen(params.ratio("ta.cap") * params.money("ta.base"))


def approver_for(total_fen: int, params: Parameters) -> Approver:
    if total_fen <= params.money("ta.township_limit"):
        return Approver.TOWNSHIP
    if total_fen <= cap_amount(params):
        return Approver.COUNTY
    return Approver.COUNTY_MEETING


def advance_limit(params: Parameters) -> int:
    """The most the township may pay in advance: min(township limit, T1)."""
    return min(int(params.money("ta.township_limit")), tier_amount(Tier.T1, params))


@dataclass(frozen=True)
class AdvanceDeadlines:
    pay_by: datetime
    paperwork_by: date


def advance_deadlines(
    reported_at: datetime, paid_on: date, calendar: WorkingDayCalendar, params: Parameters
) -> AdvanceDeadlines:
    """Advance aid within ``ta.advance.hours`` of the report; paperwork within ``ta.advance.paperwork_wd``."""
    return AdvanceDeadlines(
        reported_at + timedelta(hours=params.integer("ta.advance.hours")),
        calendar.add_working_days(paid_on, params.integer("ta.advance.paperwork_wd")),
    )


def _window_check(event: Event, params: Parameters) -> Check:
    window = params.integer("ta.same_event.window_months")
    previous = event.previous_application
    repeated = previous is not None and months_between(previous, event.applied_in) < window
    return check(
        "SAME_EVENT",
        "One application per event per window (§5.3.3)",
        not repeated,
        reason_pass="同一事由在规定期限内未重复申请。",
        reason_fail=f"同一事由{window}个月内已申请过临时救助。",
        inputs=(("previous application", str(previous) if previous else "none"),),
        parameters=params.cite("ta.same_event.window_months"),
    )


def _expenditure_checks(event: Event, params: Parameters) -> tuple[Check, ...]:
    ceiling = params.money("ta.expense.income_ceiling")
    income = check(
        "TA_INCOME",
        "Per-capita disposable income below the ceiling (§5.3.1)",
        event.per_capita_income_fen < ceiling,
        reason_pass=f"家庭月人均可支配收入{yuan_text(event.per_capita_income_fen)}元，低于{yuan_text(ceiling)}元。",
        reason_fail=f"家庭月人均可支配收入{yuan_text(event.per_capita_income_fen)}元，不低于{yuan_text(ceiling)}元。",
        inputs=(("per-capita income", yuan_text(event.per_capita_income_fen)),),
        parameters=params.cite("ta.expense.income_ceiling"),
    )
    assets = check(
        "TA_ASSETS",
        "Assets within the local rules (§5.3.1)",
        event.assets_hold,
        reason_pass="家庭财产状况符合规定。",
        reason_fail="家庭财产状况不符合规定。",
    )
    return income, assets


def assess_temporary_assistance(event: Event, params: Parameters) -> TaAssessment:
    programme = (
        Programme.TEMPORARY_ASSISTANCE_URGENT
        if event.kind is Kind.URGENT
        else Programme.TEMPORARY_ASSISTANCE_EXPENDITURE
    )
    if event.kind is Kind.URGENT:
        tier = urgent_tier(event.severity)
        means: tuple[Check, ...] = ()
    else:
        tier = expenditure_tier(event.out_of_pocket_fen, params)
        means = _expenditure_checks(event, params)
    tier_check = check(
        "TIER",
        "The event reaches a tier (§5.3.2)",
        tier is not None,
        reason_pass=f"救助档次：{tier.value if tier else ''}。",
        reason_fail="困难程度未达到临时救助档次。",
        inputs=(
            ("tier", tier.value if tier else "none"),
            ("out-of-pocket", yuan_text(event.out_of_pocket_fen)),
        ),
        parameters=params.cite("ta.expense.bands") if event.kind is Kind.EXPENDITURE else (),
    )
    checks = (_window_check(event, params), *means, tier_check)
    if not all(c.holds for c in checks) or tier is None:
        decision = Decision(programme, event.household_id, False, checks, (), params.version)
        return TaAssessment(decision, tier, 0, None, 0)
    amount = tier_amount(tier, params)
    total = amount + event.meeting_addition_fen
    approver = approver_for(total, params)
    multiple_key = "ta.cap" if tier is Tier.CAP else f"ta.urgent.{tier.value.lower()}"
    lines = (
        f"base = {yuan_text(params.money('ta.base'))}",
        f"{tier.value} = {ratio_text(params.ratio(multiple_key))} × base = {yuan_text(amount)}",
        f"county meeting (一事一议) adds {yuan_text(event.meeting_addition_fen)}",
        f"event total = {yuan_text(total)}",
        f"township limit {yuan_text(params.money('ta.township_limit'))}, cap {yuan_text(cap_amount(params))}:"
        f" approved by {approver.value}",
        f"advance already paid {yuan_text(event.advance_paid_fen)};"
        f" remaining {yuan_text(total - event.advance_paid_fen)}",
    )
    approval = Check(
        "APPROVAL",
        "Approval authority by the event total, advance included (§5.3.2)",
        Outcome.PASS,
        {
            Approver.TOWNSHIP: "由乡镇（街道）审批。",
            Approver.COUNTY: "金额超过乡镇审批权限，由县级民政部门审批。",
            Approver.COUNTY_MEETING: "金额超过救助上限，经县级“一事一议”研究决定。",
        }[approver],
        (("total", yuan_text(total)), ("approver", approver.value)),
        params.cite("ta.base", multiple_key, "ta.township_limit", "ta.cap"),
    )
    decision = Decision(
        programme,
        event.household_id,
        True,
        (*checks, approval),
        lines,
        params.version,
        one_off_amount_fen=total,
    )
    return TaAssessment(decision, tier, total, approver, total - event.advance_paid_fen)
