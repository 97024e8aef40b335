"""Tekun (特困人员) eligibility K0–K4, self-care level and the monthly amount (DOMAIN §5.2.1–5.2.4).

Keys read: ``child.adult_age``, ``labour.no_capacity.*``, ``dibao.std.*``, ``dibao.income.comparison``,
``dibao.income.period_months``, ``dibao.deduct.*``, ``tekun.obligor.dibao_age``,
``tekun.obligor.elderly_age``,
``tekun.obligor.disability``, ``tekun.selfcare.partial_from``, ``tekun.selfcare.complete_from``,
``tekun.basic.ratio``, ``tekun.rounding``, ``tekun.care.{full,partial,self}``.

    amount = round(tekun.basic.ratio × S) + care(self-care level)      (paid at the standard, not a gap)

Statutory obligors follow §1.3: spouses; adult children toward parents; parents toward minors or adult
children who cannot live independently; grandparents, grandchildren and older siblings only under the
statutory condition (the intermediate parents dead or unable). Minors owe no support.

Choices where DOMAIN is silent, made in the person's favour:
- K1 also holds for a minor aged 16 or 17 in full-time school, following the MCA extension to 16–17-year-olds
  (§5.2.1 K0); otherwise such a minor could never meet K1.
- An adult "cannot live independently" (so parents owe support) when a disability or certified illness, not
  age, takes away labour capacity.
- The basic standard is rounded by itself (411.67 → 412, §3) before the care allowance is added.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from doudi_common.disability import Disability
from doudi_common.parameters import Parameters
from doudi_eligibility.domain.explain import Check, Decision, Outcome, Programme, check, ratio_text, yuan_text
from doudi_eligibility.domain.rules.dibao import asset_checks
from doudi_eligibility.domain.rules.facts import AssetTest, HouseholdType, Income, Person
from doudi_eligibility.domain.rules.income import per_capita_income
from doudi_eligibility.domain.rules.labour import KEYS as LABOUR_KEYS
from doudi_eligibility.domain.rules.labour import has_labour_capacity
from doudi_eligibility.domain.rules.standard import (
    below_standard,
    monthly_standard,
    round_payable,
    standard_cited,
)


class SelfCare(StrEnum):
    SELF = "SELF"
    PARTIAL = "PARTIAL"
    COMPLETE = "COMPLETE"


class SupportMode(StrEnum):
    CENTRALISED = "CENTRALISED"
    DISPERSED = "DISPERSED"


class Relation(StrEnum):
    """How the relative stands to the applicant: ``CHILD`` is the applicant's child, and so on."""

    SPOUSE = "SPOUSE"
    CHILD = "CHILD"
    PARENT = "PARENT"
    GRANDPARENT = "GRANDPARENT"
    GRANDCHILD = "GRANDCHILD"
    SIBLING = "SIBLING"
    OTHER = "OTHER"


@dataclass(frozen=True)
class Relative:
    relative_id: str
    relation: Relation
    age: int
    #: For grandparents, grandchildren and siblings: the intermediate parents are dead or unable (§1.3).
    duty_condition_met: bool = False
    #: For siblings: the relative is older than the applicant.
    older: bool = False
    is_tekun: bool = False
    on_dibao: bool = False
    #: Own income below the local previous-year per-capita disposable income (K3.3, K3.4).
    income_below_disposable: bool = False
    #: Assets within the low-income limits (K3.3–K3.5).
    assets_within_limits: bool = False
    disability: Disability | None = None
    no_civil_capacity: bool = False
    declared_missing: bool = False
    imprisoned: bool = False


@dataclass(frozen=True)
class TekunFacts:
    person: Person
    household_type: HouseholdType
    #: The person's own counted income over the reference period.
    income: Income
    assets: tuple[AssetTest, ...]
    relatives: tuple[Relative, ...] = ()
    #: How many of the six self-care items (eating, dressing, bed transfer, toileting, walking indoors,
    #: bathing) the person cannot do (§5.2.3).
    self_care_items_lost: int = 0
    support_mode: SupportMode = SupportMode.DISPERSED
    #: K4: the person also meets the orphan or FUC conditions and chose that allowance.
    chose_child_allowance: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.self_care_items_lost <= 6:
            raise ValueError("the self-care assessment has six items")


@dataclass(frozen=True)
class TekunAssessment:
    decision: Decision
    self_care: SelfCare
    basic_fen: int
    care_fen: int


_CARE_KEY = {
    SelfCare.COMPLETE: "tekun.care.full",
    SelfCare.PARTIAL: "tekun.care.partial",
    SelfCare.SELF: "tekun.care.self",
}

_LEVEL_ZH = {
    SelfCare.SELF: "具备生活自理能力",
    SelfCare.PARTIAL: "部分丧失生活自理能力",
    SelfCare.COMPLETE: "完全丧失生活自理能力",
}


def self_care_level(items_lost: int, params: Parameters) -> SelfCare:
    if items_lost >= params.integer("tekun.selfcare.complete_from"):
        return SelfCare.COMPLETE
    if items_lost >= params.integer("tekun.selfcare.partial_from") and items_lost > 0:
        return SelfCare.PARTIAL
    return SelfCare.SELF


def owes_support(relative: Relative, person: Person, params: Parameters) -> bool:
    """Whether the relative has a statutory duty of support toward the person (§1.3)."""
    adult = params.integer("child.adult_age")
    if relative.age < adult:
        return False
    person_minor = person.age < adult
    match relative.relation:
        case Relation.SPOUSE | Relation.CHILD:
            return True
        case Relation.PARENT:
            dependent_adult = person.lost_labour_capacity or params.grades(
                "labour.no_capacity.disability"
            ).covers(person.disability)
            return person_minor or dependent_adult
        case Relation.GRANDPARENT:
            return person_minor and relative.duty_condition_met
        case Relation.GRANDCHILD:
            return relative.duty_condition_met
        case Relation.SIBLING:
            return person_minor and relative.older and relative.duty_condition_met
        case _:
            return False


def cannot_perform(relative: Relative, params: Parameters) -> str | None:
    """Which K3 ground makes an obligor unable to support, or None when the obligor is capable."""
    means_tested = relative.income_below_disposable and relative.assets_within_limits
    if relative.is_tekun:
        return "K3.1 Tekun person"
    if relative.on_dibao and relative.age >= params.integer("tekun.obligor.dibao_age"):
        return "K3.2 elderly Dibao recipient"
    if relative.age >= params.integer("tekun.obligor.elderly_age") and means_tested:
        return "K3.3 aged, low income and assets"
    if params.grades("tekun.obligor.disability").covers(relative.disability) and means_tested:
        return "K3.4 severely disabled, low income and assets"
    if (
        relative.no_civil_capacity or relative.declared_missing or relative.imprisoned
    ) and relative.assets_within_limits:
        return "K3.5 no civil capacity, missing or imprisoned"
    return None


def _k0(person: Person, params: Parameters) -> Check:
    kinds = []
    if person.age >= params.integer("labour.no_capacity.age_from"):
        kinds.append("elderly")
    if person.disability is not None and person.disability.certificate_valid:
        kinds.append("disabled")
    if person.age < params.integer("child.adult_age"):
        kinds.append("minor")
    return check(
        "K0",
        "An elderly person, a disabled person or a minor (§5.2.1)",
        bool(kinds),
        reason_pass="本人属于老年人、残疾人或未成年人。",
        reason_fail="本人不属于老年人、残疾人或未成年人。",
        inputs=(("age", str(person.age)), ("kind", ", ".join(kinds) or "none")),
        parameters=params.cite("labour.no_capacity.age_from", "child.adult_age"),
    )


def _k1(person: Person, params: Parameters) -> Check:
    student = person.in_school and person.age < params.integer("child.adult_age")
    holds = not has_labour_capacity(person, params) or student
    return check(
        "K1",
        "No labour capacity (§5.2.1)",
        holds,
        reason_pass="本人无劳动能力。",
        reason_fail="本人具有劳动能力。",
        inputs=(
            ("age", str(person.age)),
            ("disability", str(person.disability)),
            ("minor in school", str(student)),
        ),
        parameters=params.cite(*LABOUR_KEYS),
    )


def _k3(facts: TekunFacts, params: Parameters) -> Check:
    capable: list[str] = []
    inputs: list[tuple[str, str]] = []
    for relative in facts.relatives:
        if not owes_support(relative, facts.person, params):
            inputs.append((relative.relative_id, f"{relative.relation.value}: no statutory duty"))
            continue
        ground = cannot_perform(relative, params)
        inputs.append((relative.relative_id, f"{relative.relation.value}: {ground or 'capable obligor'}"))
        if ground is None:
            capable.append(relative.relative_id)
    return check(
        "K3",
        "No statutory obligor, or none able to perform (§5.2.1)",
        not capable,
        reason_pass="本人无法定赡养、抚养、扶养义务人，或者义务人无履行义务能力。",
        reason_fail="本人有具备履行能力的法定义务人，可按最低生活保障申请，实际得到的赡养费计入收入。",
        inputs=tuple(inputs),
        parameters=params.cite(
            "child.adult_age",
            "tekun.obligor.dibao_age",
            "tekun.obligor.elderly_age",
            "tekun.obligor.disability",
        ),
    )


def assess_tekun(facts: TekunFacts, params: Parameters) -> TekunAssessment:
    person = facts.person
    own = per_capita_income([facts.income], params)
    s = monthly_standard(params, facts.household_type)
    e4, *asset_lines = asset_checks(facts.assets)
    k2 = check(
        "K2",
        "No source of living: own income below the Dibao standard and assets within the rules (§5.2.1)",
        below_standard(own.per_capita_monthly_fen, s, params) and e4.holds,
        reason_pass=f"本人月收入{yuan_text(own.per_capita_monthly_fen)}元，低于低保标准，财产符合规定。",
        reason_fail=f"本人月收入{yuan_text(own.per_capita_monthly_fen)}元或财产状况不符合无生活来源条件。",
        inputs=(
            ("y_p", yuan_text(own.per_capita_monthly_fen)),
            ("S", yuan_text(s)),
            ("assets", e4.outcome.value),
        ),
        parameters=(*standard_cited(params, facts.household_type), *own.parameters),
    )
    k4 = Check(
        "K4",
        "A minor meeting orphan/FUC conditions chose that allowance (§5.2.1)",
        Outcome.FAIL if facts.chose_child_allowance else Outcome.PASS,
        "监护人已选择孤儿（事实无人抚养儿童）基本生活保障，不再认定为特困人员。"
        if facts.chose_child_allowance
        else "未选择孤儿或事实无人抚养儿童保障。",
        (("chose child allowance", str(facts.chose_child_allowance)),),
    )
    level = self_care_level(facts.self_care_items_lost, params)
    care_check = Check(
        "SELF_CARE",
        "Self-care level from six items (§5.2.3)",
        Outcome.PASS,
        f"生活自理能力评估：{_LEVEL_ZH[level]}。",
        (("items not achieved", str(facts.self_care_items_lost)), ("level", level.value)),
        params.cite("tekun.selfcare.partial_from", "tekun.selfcare.complete_from"),
    )
    checks = (_k0(person, params), _k1(person, params), k2, *asset_lines, _k3(facts, params), k4, care_check)
    approved = all(c.holds for c in checks)
    if not approved:
        decision = Decision(Programme.TEKUN, person.person_id, False, checks, own.lines, params.version)
        return TekunAssessment(decision, level, 0, 0)
    ratio = params.ratio("tekun.basic.ratio")
    basic = round_payable(ratio * s, params, "tekun.rounding")
    care_key = _CARE_KEY[level]
    care = round_payable(params.money(care_key), params, "tekun.rounding")
    lines = (
        *own.lines,
        f"basic = round({ratio_text(ratio)} × S {yuan_text(s)}) = {yuan_text(basic)}",
        f"care ({level.value}) = {yuan_text(care)}",
        f"pay = {yuan_text(basic)} + {yuan_text(care)} = {yuan_text(basic + care)} per month"
        f" ({facts.support_mode.value.lower()} support)",
    )
    amount = Check(
        "AMOUNT",
        "Basic-living standard plus care standard (§5.2.4)",
        Outcome.PASS,
        f"基本生活费按低保标准的{ratio_text(ratio)}倍为每月{yuan_text(basic)}元，"
        f"照料护理费（{_LEVEL_ZH[level]}）每月{yuan_text(care)}元，合计每月{yuan_text(basic + care)}元。",
        (("basic", yuan_text(basic)), ("care", yuan_text(care))),
        params.cite("tekun.basic.ratio", "tekun.rounding", care_key),
    )
    decision = Decision(
        Programme.TEKUN,
        person.person_id,
        True,
        (*checks, amount),
        lines,
        params.version,
        monthly_amount_fen=basic + care,
    )
    return TekunAssessment(decision, level, basic, care)
