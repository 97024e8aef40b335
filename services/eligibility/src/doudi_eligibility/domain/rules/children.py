"""Orphan allowance and the de facto unsupported child (FUC) allowance (DOMAIN §5.5, §5.8).

Keys read: ``child.adult_age``, ``orphan.school_continuation``, ``orphan.scattered.monthly``,
``orphan.institutional.monthly``, ``fuc.monthly``, ``fuc.parent.absence_months``, ``fuc.parent.disability``,
``fuc.local_conditions``.

FUC: both parents meet a condition, or one is dead or missing and the other meets a condition. A child
whose parents are both dead or missing is an orphan, not FUC. Where the FUC child already receives Dibao
money (the household's paid amount ÷ its counted members) or the DLS, only the shortfall is paid.

Choices where DOMAIN is silent, made in the child's favour:
- The continuation after 18 while in school (§7.5) applies to FUC as it does to orphans.
- A top-up that is not whole fen (a Dibao share of 197 ÷ 3) is rounded up to the next fen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from doudi_common.disability import Disability
from doudi_common.parameters import Parameters
from doudi_eligibility.domain.explain import Check, Decision, Outcome, Programme, check, yuan_text
from doudi_eligibility.domain.rules.facts import Person


class ParentStatus(StrEnum):
    PRESENT = "PRESENT"
    DEAD = "DEAD"
    DECLARED_DEAD = "DECLARED_DEAD"
    DECLARED_MISSING = "DECLARED_MISSING"
    CANNOT_BE_FOUND = "CANNOT_BE_FOUND"
    SEVERE_DISABILITY = "SEVERE_DISABILITY"
    SERIOUS_ILLNESS = "SERIOUS_ILLNESS"
    #: Imprisonment, compulsory drug rehabilitation or another deprivation of liberty.
    DEPRIVED_OF_LIBERTY = "DEPRIVED_OF_LIBERTY"
    LOST_CONTACT = "LOST_CONTACT"
    GUARDIANSHIP_REVOKED = "GUARDIANSHIP_REVOKED"
    DEPORTED = "DEPORTED"


_GONE = frozenset({ParentStatus.DEAD, ParentStatus.DECLARED_DEAD, ParentStatus.DECLARED_MISSING})
_ORPHANING = _GONE | {ParentStatus.CANNOT_BE_FOUND}


@dataclass(frozen=True)
class Parent:
    status: ParentStatus
    #: For deprivation of liberty and lost contact: the months it has lasted or is sentenced to last.
    months: int = 0
    disability: Disability | None = None


@dataclass(frozen=True)
class ChildFacts:
    child: Person
    father: Parent
    mother: Parent
    institutional: bool = False
    #: The paid monthly Dibao amount of the household counting the child, and its counted members.
    dibao_household_amount_fen: int = 0
    dibao_counted_members: int = 0
    dls_fen: int = 0


def _age_check(child: Person, params: Parameters) -> Check:
    adult = params.integer("child.adult_age")
    continued = child.in_school and params.flag("orphan.school_continuation")
    return check(
        "AGE",
        "Under 18, or in school where the allowance continues (§5.5, §7.5)",
        child.age < adult or continued,
        reason_pass="儿童年龄（或在校就读）符合条件。",
        reason_fail="已年满18周岁且不在校就读。",
        inputs=(("age", str(child.age)), ("in school", str(child.in_school))),
        parameters=params.cite("child.adult_age", "orphan.school_continuation"),
    )


def assess_orphan(facts: ChildFacts, params: Parameters) -> Decision:
    both = facts.father.status in _ORPHANING and facts.mother.status in _ORPHANING
    parents = check(
        "ORPHAN",
        "Both parents dead, declared dead or missing, or cannot be found (§5.5)",
        both,
        reason_pass="父母双方均已死亡、被宣告死亡或失踪，或者查找不到。",
        reason_fail="不符合孤儿认定条件。",
        inputs=(("father", facts.father.status.value), ("mother", facts.mother.status.value)),
    )
    age = _age_check(facts.child, params)
    key = "orphan.institutional.monthly" if facts.institutional else "orphan.scattered.monthly"
    if not (parents.holds and age.holds):
        return Decision(
            Programme.ORPHAN_ALLOWANCE, facts.child.person_id, False, (parents, age), (), params.version
        )
    amount = params.money(key)
    amount_check = Check(
        "AMOUNT", "Orphan standard (§5.5)", Outcome.PASS, f"每月{yuan_text(amount)}元。", (), params.cite(key)
    )
    return Decision(
        Programme.ORPHAN_ALLOWANCE,
        facts.child.person_id,
        True,
        (parents, age, amount_check),
        (f"orphan standard ({key}) = {yuan_text(amount)} per month",),
        params.version,
        monthly_amount_fen=int(amount),
    )


def parent_condition(parent: Parent, params: Parameters) -> bool:
    """Whether one parent meets a FUC condition other than being dead or missing."""
    months = params.integer("fuc.parent.absence_months")
    match parent.status:
        case ParentStatus.SEVERE_DISABILITY:
            return params.grades("fuc.parent.disability").covers(parent.disability)
        case ParentStatus.SERIOUS_ILLNESS:
            return True
        case ParentStatus.DEPRIVED_OF_LIBERTY | ParentStatus.LOST_CONTACT:
            return parent.months >= months
        case ParentStatus.GUARDIANSHIP_REVOKED | ParentStatus.DEPORTED:
            return parent.status.value in params.texts("fuc.local_conditions")
        case _:
            return False


@dataclass(frozen=True)
class FucAssessment:
    decision: Decision
    full_fen: int
    dibao_share_fen: Fraction
    topup_fen: int


def assess_fuc(facts: ChildFacts, params: Parameters) -> FucAssessment:
    father, mother = facts.father, facts.mother
    met = (parent_condition(father, params), parent_condition(mother, params))
    gone = (father.status in _GONE, mother.status in _GONE)
    holds = all(met) or (gone[0] and met[1]) or (gone[1] and met[0])
    parents = check(
        "FUC",
        "Both parents meet a condition, or one is dead/missing and the other meets one (§5.5)",
        holds,
        reason_pass="父母双方（或一方死亡、失踪，另一方）存在重残、重病、服刑在押、失联等情形，儿童事实无人抚养。",
        reason_fail="不符合事实无人抚养儿童认定条件。",
        inputs=(
            ("father", f"{father.status.value} {father.months} months"),
            ("mother", f"{mother.status.value} {mother.months} months"),
        ),
        parameters=params.cite("fuc.parent.absence_months", "fuc.parent.disability", "fuc.local_conditions"),
    )
    age = _age_check(facts.child, params)
    if not (parents.holds and age.holds):
        decision = Decision(
            Programme.UNSUPPORTED_CHILD_ALLOWANCE,
            facts.child.person_id,
            False,
            (parents, age),
            (),
            params.version,
        )
        return FucAssessment(decision, 0, Fraction(0), 0)
    full = int(params.money("fuc.monthly"))
    share = (
        Fraction(facts.dibao_household_amount_fen, facts.dibao_counted_members)
        if facts.dibao_counted_members
        else Fraction(0)
    )
    topup = max(0, math.ceil(full - share - facts.dls_fen))
    lines = (
        f"FUC allowance = {yuan_text(full)}",
        f"Dibao share = {yuan_text(facts.dibao_household_amount_fen)} / {facts.dibao_counted_members or 1}"
        f" = {yuan_text(share)}",
        f"DLS received = {yuan_text(facts.dls_fen)}",
        f"top-up = {yuan_text(full)} − {yuan_text(share)} − {yuan_text(facts.dls_fen)} = {yuan_text(topup)}",
    )
    amount = Check(
        "AMOUNT",
        "FUC standard less the Dibao share and DLS already received (补差, §5.5)",
        Outcome.PASS,
        f"每月发放{yuan_text(topup)}元（按补差方式）。",
        (("dibao share", yuan_text(share)), ("dls", yuan_text(facts.dls_fen))),
        params.cite("fuc.monthly"),
    )
    decision = Decision(
        Programme.UNSUPPORTED_CHILD_ALLOWANCE,
        facts.child.person_id,
        True,
        (parents, age, amount),
        lines,
        params.version,
        monthly_amount_fen=topup,
    )
    return FucAssessment(decision, full, share, topup)
