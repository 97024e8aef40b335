"""Single-person Dibao (单人保) for a severely disabled or seriously ill member of a marginal household
(DOMAIN §5.1.3, §5.6).

Keys read: ``margin.multiplier``, ``single.disability``, ``single.clergy_years``, ``single.other_groups``,
``single.min_ratio``, ``dibao.category.*``, ``dibao.rounding`` and the income and standard keys.

U1 tests the whole co-resident household including p (its Dibao assessment: not eligible, in the marginal
band, assets holding) and p not qualifying for Tekun, which would take precedence. U2 tests p. Then p is a
one-person household counting only p's own income:

    pay = round(max(S − y_p, single.min_ratio × S) + u(category of p) × S)

Choice where DOMAIN is silent: p's category uses p's own income stability. A person with no counted income
has stable income (the §5.1.5 guidance lists "no earned income" as stable); otherwise the household's survey
flag applies.
"""

from __future__ import annotations

from dataclasses import dataclass

from doudi_common.parameters import Parameters
from doudi_eligibility.domain.explain import Check, Decision, Outcome, Programme, check, ratio_text, yuan_text
from doudi_eligibility.domain.rules.dibao import DibaoAssessment
from doudi_eligibility.domain.rules.dibao_category import classify, review_months, uplift_key
from doudi_eligibility.domain.rules.facts import Household, Person
from doudi_eligibility.domain.rules.income import per_capita_income
from doudi_eligibility.domain.rules.standard import monthly_standard, round_payable


@dataclass(frozen=True)
class SinglePersonAssessment:
    decision: Decision
    person_id: str


def qualifying_grounds(person: Person, params: Parameters) -> tuple[str, ...]:
    """Which of U2 (a)–(d) the person meets."""
    grounds: list[str] = []
    if params.grades("single.disability").covers(person.disability):
        grounds.append("U2a disability")
    if person.seriously_ill:
        grounds.append("U2b serious illness")
    if person.clergy_years_away >= params.integer("single.clergy_years"):
        grounds.append("U2c clergy")
    local = person.groups & params.texts("single.other_groups")
    if local:
        grounds.append("U2d " + ",".join(sorted(local)))
    return tuple(grounds)


def _u1(household_assessment: DibaoAssessment, tekun_eligible: bool, params: Parameters) -> Check:
    d = household_assessment.decision
    holds = not d.approved and household_assessment.marginal and not tekun_eligible
    return check(
        "U1",
        "The household is marginal: not Dibao, S ≤ y < margin × S, assets hold; p not Tekun (§5.1.3)",
        holds,
        reason_pass="您所在家庭属于低保边缘家庭。",
        reason_fail="您所在家庭不属于低保边缘家庭（或本人符合特困人员条件），不适用单人保。",
        inputs=(
            ("household y", yuan_text(household_assessment.income.per_capita_monthly_fen)),
            ("household Dibao approved", str(d.approved)),
            ("household marginal", str(household_assessment.marginal)),
            ("p Tekun-eligible", str(tekun_eligible)),
        ),
        parameters=params.cite("margin.multiplier"),
    )


def assess_single_person(
    household: Household,
    household_assessment: DibaoAssessment,
    person_id: str,
    params: Parameters,
    *,
    tekun_eligible: bool = False,
) -> SinglePersonAssessment:
    """``household_assessment`` is ``assess_dibao`` of the whole household, p included."""
    member = household.member(person_id)
    person = member.person
    u1 = _u1(household_assessment, tekun_eligible, params)
    grounds = qualifying_grounds(person, params)
    u2 = check(
        "U2",
        "p is severely disabled, seriously ill, long-term clergy or in a county group (§5.1.3)",
        bool(grounds),
        reason_pass="本人属于重度残疾人、重病患者等可单独纳入低保的对象。",
        reason_fail="本人不属于可单独纳入低保的对象。",
        inputs=(("grounds", ", ".join(grounds) or "none"),),
        parameters=params.cite("single.disability", "single.clergy_years", "single.other_groups"),
    )
    if not (u1.holds and u2.holds):
        return SinglePersonAssessment(
            Decision(Programme.SINGLE_PERSON_DIBAO, person_id, False, (u1, u2), (), params.version), person_id
        )
    own = per_capita_income([member.income], params)
    s = monthly_standard(params, household.type)
    stable = member.income.gross_fen == 0 or household.income_stable
    classification = classify([person], stable, params)
    category = classification.category
    floor = params.ratio("single.min_ratio")
    base = max(s - own.per_capita_monthly_fen, floor * s)
    uplift = params.ratio(uplift_key(category)) * s
    pay = round_payable(base + uplift, params)
    lines = (
        *own.lines,
        f"S = {yuan_text(s)}",
        f"base = max(S − y_p, {ratio_text(floor)} × S) = {yuan_text(base)}",
        f"uplift = {ratio_text(params.ratio(uplift_key(category)))} × S (category {category.value})"
        f" = {yuan_text(uplift)}",
        f"pay = round({yuan_text(base + uplift)}) = {yuan_text(pay)} per month",
    )
    amount = Check(
        "AMOUNT",
        "单人保 amount with its floor and category uplift (§5.1.3)",
        Outcome.PASS,
        f"按单人户计算：低保标准{yuan_text(s)}元减本人月收入{yuan_text(own.per_capita_monthly_fen)}元，"
        f"且不低于标准的{ratio_text(floor)}倍，为{yuan_text(base)}元；{category.value}类增发{yuan_text(uplift)}元；"
        f"合计取整后每月{yuan_text(pay)}元。",
        (("y_p", yuan_text(own.per_capita_monthly_fen)),),
        params.cite("single.min_ratio", uplift_key(category), "dibao.rounding"),
    )
    decision = Decision(
        Programme.SINGLE_PERSON_DIBAO,
        person_id,
        True,
        (u1, u2, classification.check, amount),
        lines,
        params.version,
        monthly_amount_fen=pay,
        category=category,
        review_months=review_months(category, household.type, params),
    )
    return SinglePersonAssessment(decision, person_id)
