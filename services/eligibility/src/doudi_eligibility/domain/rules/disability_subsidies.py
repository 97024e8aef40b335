"""The two disability subsidies: living subsidy (DLS) and severe-disability care subsidy (DCS) (DOMAIN §5.4).

Keys read: ``dls.amount``, ``dls.extend_to_marginal``, ``dcs.eligible``, ``dcs.high_grades``,
``dcs.amount.high``, ``dcs.amount.low``, ``stacking.tekun_with_dls``, ``stacking.tekun_with_dcs``.

DLS: a valid certificate and membership of a Dibao household (单人保 included), or of a marginal household
where the county extends it. DCS: grade 1–2 (or wider, by parameter) needing long-term care; the higher
amount for grade 1 and grade 2 intellectual or mental. Exclusions (§5.8): Tekun by parameter; orphans get no
DLS; a work-injury care allowance excludes both. Neither subsidy counts as Dibao income (§4.4).
"""

from __future__ import annotations

from dataclasses import dataclass

from doudi_common.parameters import Parameters
from doudi_eligibility.domain.explain import Check, Decision, Outcome, Programme, check, yuan_text
from doudi_eligibility.domain.rules.facts import Person


@dataclass(frozen=True)
class SubsidyFacts:
    person: Person
    in_dibao_household: bool = False
    in_marginal_household: bool = False
    on_tekun: bool = False
    on_orphan_allowance: bool = False
    work_injury_care_allowance: bool = False
    needs_long_term_care: bool = True


def _certificate(person: Person) -> Check:
    valid = person.disability is not None and person.disability.certificate_valid
    return check(
        "CERTIFICATE",
        "Holds a valid disability certificate (§5.4)",
        valid,
        reason_pass="持有有效的残疾人证。",
        reason_fail="未持有有效的残疾人证。",
        inputs=(("disability", str(person.disability)),),
    )


def _exclusions(facts: SubsidyFacts, tekun_key: str, params: Parameters, *, orphan_excluded: bool) -> Check:
    reasons = []
    if facts.on_tekun and not params.flag(tekun_key):
        reasons.append("特困人员")
    if orphan_excluded and facts.on_orphan_allowance:
        reasons.append("孤儿基本生活保障对象")
    if facts.work_injury_care_allowance:
        reasons.append("享受工伤保险生活护理费")
    return check(
        "EXCLUSIONS",
        "No excluding benefit (§5.4, §5.8)",
        not reasons,
        reason_pass="不存在不能同时享受的情形。",
        reason_fail=f"已{'、'.join(reasons)}，不能同时享受本项补贴。",
        inputs=(
            ("Tekun", str(facts.on_tekun)),
            ("orphan allowance", str(facts.on_orphan_allowance)),
            ("work-injury care allowance", str(facts.work_injury_care_allowance)),
        ),
        parameters=params.cite(tekun_key),
    )


def _decide(
    programme: Programme, facts: SubsidyFacts, checks: tuple[Check, ...], key: str, params: Parameters
) -> Decision:
    approved = all(c.holds for c in checks)
    if not approved:
        return Decision(programme, facts.person.person_id, False, checks, (), params.version)
    amount = params.money(key)
    line = Check(
        "AMOUNT", "Subsidy amount", Outcome.PASS, f"每月{yuan_text(amount)}元。", (), params.cite(key)
    )
    return Decision(
        programme,
        facts.person.person_id,
        True,
        (*checks, line),
        (f"{key} = {yuan_text(amount)} per month",),
        params.version,
        monthly_amount_fen=int(amount),
    )


def assess_dls(facts: SubsidyFacts, params: Parameters) -> Decision:
    extended = params.flag("dls.extend_to_marginal") and facts.in_marginal_household
    target = check(
        "DIBAO_MEMBER",
        "Member of a Dibao household, 单人保 included (or an extended group) (§5.4)",
        facts.in_dibao_household or extended,
        reason_pass="属于最低生活保障家庭成员。",
        reason_fail="不属于最低生活保障家庭成员，不能享受困难残疾人生活补贴。",
        inputs=(
            ("in Dibao household", str(facts.in_dibao_household)),
            ("marginal", str(facts.in_marginal_household)),
        ),
        parameters=params.cite("dls.extend_to_marginal"),
    )
    checks = (
        _certificate(facts.person),
        target,
        _exclusions(facts, "stacking.tekun_with_dls", params, orphan_excluded=True),
    )
    return _decide(Programme.DISABILITY_LIVING_SUBSIDY, facts, checks, "dls.amount", params)


def assess_dcs(facts: SubsidyFacts, params: Parameters) -> Decision:
    disability = facts.person.disability
    severe = check(
        "SEVERITY",
        "Grade within the care-subsidy threshold and needing long-term care (§5.4)",
        params.grades("dcs.eligible").covers(disability) and facts.needs_long_term_care,
        reason_pass="属于需要长期照护的重度残疾人。",
        reason_fail="残疾等级不在护理补贴范围内，或者不需要长期照护。",
        inputs=(("disability", str(disability)), ("needs long-term care", str(facts.needs_long_term_care))),
        parameters=params.cite("dcs.eligible"),
    )
    checks = (
        _certificate(facts.person),
        severe,
        _exclusions(facts, "stacking.tekun_with_dcs", params, orphan_excluded=False),
    )
    high = params.grades("dcs.high_grades").covers(disability)
    key = "dcs.amount.high" if high else "dcs.amount.low"
    return _decide(Programme.SEVERE_DISABILITY_CARE_SUBSIDY, facts, checks, key, params)
