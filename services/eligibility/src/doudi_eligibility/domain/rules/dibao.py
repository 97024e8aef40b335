"""Dibao household eligibility (E1–E7) and the monthly amount (DOMAIN §5.1.2, §5.1.4, §5.1.5, §5.6).

Keys read: ``dibao.std.urban.monthly`` / ``dibao.std.rural.annual``, ``dibao.income.comparison``,
``dibao.income.period_months``, ``dibao.deduct.employment``, ``dibao.deduct.cap``,
``dibao.min_benefit.ratio``,
``dibao.category.*``, ``dibao.rounding``, ``margin.multiplier``, and the labour-capacity keys.

    base   = max(S − y, min_benefit.ratio × S) × n        (补差; the floor is 0 in EX-GY)
    uplift = u(category) × S × n                           (分类施保, household-category uplift)
    pay    = round(base + uplift)                          (whole yuan, half up, in EX-GY)

Choices where DOMAIN is silent, made in the household's favour:
- E5 (a member still counted in another active Dibao entitlement) is EXEMPT, not FAIL, once a transfer is
  requested: the decision is made and only activation waits for the transfer (§13 H11).
- E7 records any occupation or identity ground raised against the household and disregards it: such grounds
  are never an input to eligibility (§0.2.6).
- The marginal status (§5.6) is reported whenever income is in the marginal band and the assets hold, even
  if another condition failed, so the household is not lost to monitoring for a procedural reason.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

from doudi_common.parameters import Parameters
from doudi_eligibility.domain.explain import (
    Category,
    Check,
    Decision,
    Outcome,
    Programme,
    check,
    ratio_text,
    yuan_text,
)
from doudi_eligibility.domain.rules.dibao_category import classify, review_key, review_months, uplift_key
from doudi_eligibility.domain.rules.facts import AssetTest, Household, Member
from doudi_eligibility.domain.rules.income import IncomeComputation, per_capita_income
from doudi_eligibility.domain.rules.standard import (
    below_standard,
    monthly_standard,
    round_payable,
    standard_cited,
)

MARGINAL_HOUSEHOLD = "MARGINAL_HOUSEHOLD"
ACTIVATION_PENDING_TRANSFER = "ACTIVATION_PENDING_TRANSFER"


@dataclass(frozen=True)
class DibaoAssessment:
    decision: Decision
    income: IncomeComputation
    standard_fen: Fraction
    #: S ≤ y < margin.multiplier × S with the assets holding (§5.6).
    marginal: bool
    #: Whether E4 held (no asset rule failed).
    assets_hold: bool
    category: Category | None = None
    base_fen: Fraction = Fraction(0)
    uplift_fen: Fraction = Fraction(0)


def asset_checks(tests: tuple[AssetTest, ...]) -> tuple[Check, ...]:
    """E4 and one line per asset rule of the verification report (§4.7)."""
    failed = [t.rule for t in tests if t.outcome is Outcome.FAIL]
    detail = tuple(
        Check(
            f"E4.{t.rule}",
            f"Asset rule {t.rule} (§4.7)",
            t.outcome,
            t.reason or f"{t.rule}: {t.outcome.value}",
        )
        for t in tests
    )
    summary = check(
        "E4",
        "Assets within the local rules (§4.7)",
        not failed,
        reason_pass="家庭财产状况符合当地规定。",
        reason_fail=f"家庭财产状况不符合当地规定（{'、'.join(failed)}）。",
        inputs=tuple((t.rule, t.outcome.value) for t in tests),
    )
    return (summary, *detail)


def _duplicate_check(members: tuple[Member, ...]) -> Check:
    elsewhere = [m for m in members if m.active_dibao_elsewhere]
    blocked = [m for m in elsewhere if not m.transfer_pending]
    inputs = tuple(
        (m.person.person_id, f"{m.active_dibao_elsewhere} transfer pending={m.transfer_pending}")
        for m in elsewhere
    )
    description = "No counted member is counted in another active Dibao entitlement (§12.1)"
    if blocked:
        return Check(
            "E5", description, Outcome.FAIL, "有家庭成员仍在其他地方享受最低生活保障，需先办理转移。", inputs
        )
    if elsewhere:
        return Check(
            "E5",
            description,
            Outcome.EXEMPT,
            "有家庭成员正在办理从原保障地的转移，转移完成后开始发放。",
            inputs,
        )
    return Check("E5", description, Outcome.PASS, "家庭成员未在其他地方重复享受最低生活保障。", inputs)


def _conditions(
    household: Household, y: Fraction, s: Fraction, params: Parameters, income: IncomeComputation
) -> tuple[Check, ...]:
    counted = household.counted
    e1 = check(
        "E1",
        "Application admissible in this jurisdiction (§5.1.1)",
        household.admissible,
        reason_pass="申请符合受理地的规定。",
        reason_fail="申请不属于本地受理范围。",
    )
    e2 = check(
        "E2",
        "Every counted member consented to verification (§4.1)",
        household.consents_complete,
        reason_pass="家庭成员均已授权核对经济状况。",
        reason_fail="有家庭成员未签署经济状况核对授权。",
    )
    e3 = check(
        "E3",
        "Per-capita income strictly below the standard: y < S (§5.1.2)",
        below_standard(y, s, params),
        reason_pass=f"家庭月人均收入{yuan_text(y)}元，低于当地低保标准{yuan_text(s)}元。",
        reason_fail=f"家庭月人均收入{yuan_text(y)}元，不低于当地低保标准{yuan_text(s)}元。",
        inputs=(("y", yuan_text(y)), ("S", yuan_text(s)), ("n", str(len(counted)))),
        parameters=(
            *standard_cited(params, household.type),
            *params.cite("dibao.income.comparison"),
            *income.parameters,
        ),
    )
    e6 = check(
        "E6",
        "No local disqualifier applies",
        household.local_disqualifier is None,
        reason_pass="不存在不予保障的情形。",
        reason_fail=f"存在不予保障的情形：{household.local_disqualifier}。",
        inputs=(("disqualifier", household.local_disqualifier or "none"),),
    )
    e7 = Check(
        "E7",
        "No blanket exclusion by occupation or identity (§0.2.6)",
        Outcome.PASS,
        "未因职业或身份排除申请。",
        tuple(("ground raised and disregarded", g) for g in household.identity_grounds_raised),
    )
    return (e1, e2, e3, *asset_checks(household.assets), _duplicate_check(counted), e6, e7)


def assess_dibao(household: Household, params: Parameters) -> DibaoAssessment:
    counted = household.counted
    income = per_capita_income([m.income for m in counted], params)
    y = income.per_capita_monthly_fen
    s = monthly_standard(params, household.type)
    n = len(counted)
    checks = _conditions(household, y, s, params, income)
    e4 = next(c for c in checks if c.code == "E4")
    margin = params.ratio("margin.multiplier")
    marginal = not below_standard(y, s, params) and y < margin * s and e4.holds
    statuses = (MARGINAL_HOUSEHOLD,) if marginal else ()
    top_level = [c for c in checks if "." not in c.code]
    approved = all(c.holds for c in top_level)
    lines = (*income.lines, f"S = {yuan_text(s)} per person per month ({household.type.value.lower()})")
    if not approved:
        if marginal:
            lines += (
                f"{yuan_text(s)} ≤ y < {ratio_text(margin)} × S = {yuan_text(margin * s)}:"
                " marginal household",
            )
        decision = Decision(
            Programme.DIBAO, household.household_id, False, checks, lines, params.version, statuses=statuses
        )
        return DibaoAssessment(decision, income, s, marginal, e4.holds)
    classification = classify(
        [m.person for m in counted], household.income_stable, params, household.category_override
    )
    category = classification.category
    floor_ratio = params.ratio("dibao.min_benefit.ratio")
    gap_per_person = max(s - y, floor_ratio * s)
    base = gap_per_person * n
    uplift_ratio = params.ratio(uplift_key(category))
    uplift = uplift_ratio * s * n
    pay = round_payable(base + uplift, params)
    lines += (
        f"gap = max(S − y, {ratio_text(floor_ratio)} × S) × {n}"
        f" = {yuan_text(gap_per_person)} × {n} = {yuan_text(base)}",
        f"uplift = {ratio_text(uplift_ratio)} × S × {n} (category {category.value}) = {yuan_text(uplift)}",
        f"pay = round({yuan_text(base + uplift)}) = {yuan_text(pay)} per month",
    )
    if any(c.outcome is Outcome.EXEMPT and c.code == "E5" for c in checks):
        statuses += (ACTIVATION_PENDING_TRANSFER,)
    amount_check = Check(
        "AMOUNT",
        "Gap plus category uplift, rounded (§5.1.4)",
        Outcome.PASS,
        f"按差额计算：（低保标准{yuan_text(s)}元－月人均收入{yuan_text(y)}元）×{n}人＝{yuan_text(base)}元；"
        f"{category.value}类分类施保增发{yuan_text(uplift)}元；合计取整后每月{yuan_text(pay)}元。",
        (("base", yuan_text(base)), ("uplift", yuan_text(uplift))),
        params.cite(
            "dibao.min_benefit.ratio",
            uplift_key(category),
            "dibao.rounding",
            review_key(category, household.type),
        ),
    )
    decision = Decision(
        Programme.DIBAO,
        household.household_id,
        True,
        (*checks, classification.check, amount_check),
        lines,
        params.version,
        monthly_amount_fen=pay,
        category=category,
        review_months=review_months(category, household.type, params),
        statuses=statuses,
    )
    return DibaoAssessment(decision, income, s, False, True, category, base, uplift)


def household_without(household: Household, person_id: str, reason: str) -> Household:
    """The household with one person no longer counted (Tekun, orphan, moved away: §1.3, §5.8)."""
    members = tuple(
        replace(m, counted=False, not_counted_reason=reason) if m.person.person_id == person_id else m
        for m in household.members
    )
    return replace(household, members=members)
