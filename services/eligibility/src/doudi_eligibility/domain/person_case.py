"""A case for one person — Tekun, the two disability subsidies, the orphan and FUC allowances — assessed from
its case file and the person's other entitlements, with the stacking matrix as a condition (DOMAIN §5.2–5.5,
§5.8, §7.5).

Keys read: those of ``tekun``, ``disability_subsidies`` and ``children``, and ``stacking.*`` (through
``stacking.stack``).

The programme's own rule decides; condition ``E5`` then applies the §5.8 matrix to what the person already
holds plus what the case asks for. A minor whose file gives both parents' situation is also tested for the
other child programmes (orphan, FUC, Tekun): where more than one holds, the amounts are shown side by side
and, until the guardian's choice is recorded, E5 fails with "choose first" (K4) rather than paying either.

Choices where DOMAIN is silent, made in the person's favour:
- A benefit the new one displaces (Dibao for a new Tekun person or orphan, an orphan allowance when Tekun is
  chosen) does not block the decision: E5 passes and the decision carries ``REVIEW_DISPLACED_ENTITLEMENT``
  so the displaced entitlement is reviewed, not silently kept or cut.
- The Dibao share for the FUC top-up is the paid household amount ÷ the persons that entitlement pays for.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from doudi_common.errors import FailedPrecondition
from doudi_common.idcard import age_on, parse_id_number
from doudi_common.parameters import Parameters
from doudi_eligibility.domain.case_file import (
    ApplicationFacts,
    Holding,
    PersonFacts,
    ReportFacts,
    SurveyFacts,
    member_disability,
)
from doudi_eligibility.domain.explain import Check, Decision, Outcome, Programme, yuan_text
from doudi_eligibility.domain.rules.children import (
    ChildFacts,
    Parent,
    ParentStatus,
    assess_fuc,
    assess_orphan,
)
from doudi_eligibility.domain.rules.dibao import assess_dibao
from doudi_eligibility.domain.rules.disability_subsidies import SubsidyFacts, assess_dcs, assess_dls
from doudi_eligibility.domain.rules.facts import AssetTest, Household, HouseholdType, Income, Person
from doudi_eligibility.domain.rules.single_person import assess_single_person
from doudi_eligibility.domain.rules.stacking import Benefit, stack
from doudi_eligibility.domain.rules.tekun import TekunFacts, assess_tekun

#: Programmes assessed for one person rather than a household.
PERSON_PROGRAMMES = frozenset(
    {
        Programme.TEKUN,
        Programme.DISABILITY_LIVING_SUBSIDY,
        Programme.SEVERE_DISABILITY_CARE_SUBSIDY,
        Programme.ORPHAN_ALLOWANCE,
        Programme.UNSUPPORTED_CHILD_ALLOWANCE,
    }
)
#: Programmes with the shorter procedure of §7.5 (no democratic review, no public notice).
SHORT_PROCEDURE = PERSON_PROGRAMMES - {Programme.TEKUN}
REVIEW_DISPLACED = "REVIEW_DISPLACED_ENTITLEMENT"
__all__ = [
    "PERSON_PROGRAMMES",
    "SHORT_PROCEDURE",
    "Holding",
    "PersonCase",
    "assess_person",
    "assess_single_person_case",
    "displaced_by",
    "person_case_of",
]

BENEFIT_OF = {
    Programme.DIBAO: Benefit.DIBAO,
    Programme.SINGLE_PERSON_DIBAO: Benefit.DIBAO,
    Programme.TEKUN: Benefit.TEKUN,
    Programme.ORPHAN_ALLOWANCE: Benefit.ORPHAN,
    Programme.UNSUPPORTED_CHILD_ALLOWANCE: Benefit.FUC,
    Programme.DISABILITY_LIVING_SUBSIDY: Benefit.DLS,
    Programme.SEVERE_DISABILITY_CARE_SUBSIDY: Benefit.DCS,
    Programme.TEMPORARY_ASSISTANCE_URGENT: Benefit.TEMPORARY_ASSISTANCE,
    Programme.TEMPORARY_ASSISTANCE_EXPENDITURE: Benefit.TEMPORARY_ASSISTANCE,
}
_CHILD_PROGRAMMES = (Programme.ORPHAN_ALLOWANCE, Programme.UNSUPPORTED_CHILD_ALLOWANCE, Programme.TEKUN)
_BENEFIT_ZH = {
    Benefit.DIBAO: "最低生活保障",
    Benefit.TEKUN: "特困人员救助供养",
    Benefit.ORPHAN: "孤儿基本生活保障",
    Benefit.FUC: "事实无人抚养儿童基本生活补贴",
    Benefit.DLS: "困难残疾人生活补贴",
    Benefit.DCS: "重度残疾人护理补贴",
    Benefit.TEMPORARY_ASSISTANCE: "临时救助",
    Benefit.WORK_INJURY_CARE: "工伤保险生活护理费",
}


@dataclass(frozen=True)
class PersonCase:
    programme: Programme
    person: Person
    household_type: HouseholdType
    income: Income
    assets: tuple[AssetTest, ...]
    findings: PersonFacts
    holdings: tuple[Holding, ...] = ()


def person_case_of(
    application: ApplicationFacts,
    report: ReportFacts | None,
    survey: SurveyFacts | None,
    holdings: tuple[Holding, ...],
    on: date,
) -> PersonCase:
    """The person the case is for, as the rules see them on ``on``; the report and survey must be in."""
    if report is None or survey is None or survey.person is None:
        raise FailedPrecondition(
            f"case {application.application_id} needs its verification report and a home survey with the"
            " person's findings first"
        )
    findings = survey.person
    applicant = next((m for m in application.members if m.index == findings.member_index), None)
    if applicant is None:
        raise FailedPrecondition(
            f"case {application.application_id} has no member {findings.member_index} to assess"
        )
    found = report.findings(applicant.index)
    person = Person(
        person_id=applicant.id_number,
        age=age_on(parse_id_number(applicant.id_number, today=on), on),
        disability=member_disability(found),
        lost_labour_capacity=findings.lost_labour_capacity,
        in_school=findings.in_school,
        seriously_ill=findings.seriously_ill,
    )
    return PersonCase(
        programme=Programme(application.programme),
        person=person,
        household_type=application.household_type,
        income=Income(found.gross_fen, min(found.wage_fen, found.gross_fen), found.rigid_fen),
        assets=tuple(AssetTest(rule, Outcome(outcome), reason) for rule, outcome, reason in report.assets),
        findings=findings,
        holdings=holdings,
    )


def _held(case: PersonCase, programme: Programme) -> tuple[Holding, ...]:
    return tuple(h for h in case.holdings if h.programme is programme)


def _child_facts(case: PersonCase) -> ChildFacts:
    dibao = _held(case, Programme.DIBAO) or _held(case, Programme.SINGLE_PERSON_DIBAO)
    dls = _held(case, Programme.DISABILITY_LIVING_SUBSIDY)
    present = Parent(ParentStatus.PRESENT)
    return ChildFacts(
        child=case.person,
        father=case.findings.father or present,
        mother=case.findings.mother or present,
        institutional=case.findings.institutional,
        dibao_household_amount_fen=dibao[0].monthly_amount_fen if dibao else 0,
        dibao_counted_members=dibao[0].persons if dibao else 0,
        dls_fen=dls[0].monthly_amount_fen if dls else 0,
    )


def _subsidy_facts(case: PersonCase) -> SubsidyFacts:
    held = {BENEFIT_OF[h.programme] for h in case.holdings}
    return SubsidyFacts(
        person=case.person,
        in_dibao_household=Benefit.DIBAO in held,
        on_tekun=Benefit.TEKUN in held,
        on_orphan_allowance=Benefit.ORPHAN in held,
        work_injury_care_allowance=case.findings.work_injury_care_allowance,
        needs_long_term_care=case.findings.needs_long_term_care,
    )


def _rule(case: PersonCase, programme: Programme, params: Parameters) -> Decision:
    """The programme's own rule, without the stacking matrix."""
    match programme:
        case Programme.TEKUN:
            chosen = case.findings.chosen_programme
            facts = TekunFacts(
                person=case.person,
                household_type=case.household_type,
                income=case.income,
                assets=case.assets,
                relatives=case.findings.obligors,
                self_care_items_lost=case.findings.self_care_items_lost,
                support_mode=case.findings.support_mode,
                chose_child_allowance=chosen
                in (Programme.ORPHAN_ALLOWANCE.value, Programme.UNSUPPORTED_CHILD_ALLOWANCE.value),
            )
            tekun = assess_tekun(facts, params)
            if not tekun.decision.approved:
                return tekun.decision
            return replace(tekun.decision, components=(("BASE", tekun.basic_fen), ("CARE", tekun.care_fen)))
        case Programme.DISABILITY_LIVING_SUBSIDY:
            return assess_dls(_subsidy_facts(case), params)
        case Programme.SEVERE_DISABILITY_CARE_SUBSIDY:
            return assess_dcs(_subsidy_facts(case), params)
        case Programme.ORPHAN_ALLOWANCE:
            return assess_orphan(_child_facts(case), params)
        case Programme.UNSUPPORTED_CHILD_ALLOWANCE:
            return assess_fuc(_child_facts(case), params).decision
    raise ValueError(f"{programme.value} is not assessed for one person")


def _alternatives(case: PersonCase, params: Parameters) -> dict[Programme, Decision]:
    """For a minor whose parents' situation is on file: the other child programmes the child meets."""
    findings = case.findings
    minor = case.person.age < params.integer("child.adult_age")
    if case.programme not in _CHILD_PROGRAMMES or not (minor and findings.father and findings.mother):
        return {}
    found: dict[Programme, Decision] = {}
    for other in _CHILD_PROGRAMMES:
        if other is case.programme:
            continue
        # The K4 choice is what is being compared, so the alternative is tested as if not yet chosen.
        neutral = replace(case, findings=replace(findings, chosen_programme=""))
        decision = _rule(neutral, other, params)
        if decision.approved:
            found[other] = decision
    return found


def _stacking(
    case: PersonCase, decision: Decision, alternatives: dict[Programme, Decision], params: Parameters
) -> tuple[Check, tuple[str, ...]]:
    own = BENEFIT_OF[case.programme]
    held = {BENEFIT_OF[h.programme] for h in case.holdings}
    extra = {BENEFIT_OF[p] for p in alternatives}
    if case.findings.work_injury_care_allowance:
        held.add(Benefit.WORK_INJURY_CARE)
    chosen_name = case.findings.chosen_programme
    chosen = BENEFIT_OF[Programme(chosen_name)] if chosen_name else None
    result = stack(frozenset({*held, *extra, own}), params, chosen=chosen)
    inputs = (
        ("holds", ", ".join(f"{h.programme.value}:{h.entitlement_id}" for h in case.holdings) or "none"),
        ("also meets", ", ".join(sorted(b.value for b in extra)) or "none"),
        ("chosen", chosen_name or "none"),
    )
    description = "No other entitlement of the person excludes this one (§5.8)"
    cited = params.cite("stacking.tekun_with_dls", "stacking.tekun_with_dcs")
    if own in result.choice_required:
        options = "、".join(_BENEFIT_ZH[b] for b in sorted(result.choice_required))
        return Check(
            "E5",
            description,
            Outcome.FAIL,
            f"同时符合{options}条件，须由本人或监护人选择其一后再行审批。",
            inputs,
            cited,
        ), ()
    refused = dict(result.refused)
    if own in refused:
        return Check(
            "E5",
            description,
            Outcome.FAIL,
            "按照社会救助待遇衔接规定，本项待遇不能与本人已享受或已选择的待遇同时享受。",
            (*inputs, ("matrix", refused[own])),
            cited,
        ), ()
    displaced = sorted(b for b in held if b in refused)
    statuses = (REVIEW_DISPLACED,) if displaced and decision.approved else ()
    reason = "不存在不能同时享受的待遇。"
    if displaced:
        names = "、".join(_BENEFIT_ZH[b] for b in displaced)
        reason = f"批准后不再享受{names}，原待遇将按规定复核调整。"
    return Check("E5", description, Outcome.PASS, reason, inputs, cited), statuses


def assess_single_person_case(household: Household, case: PersonCase, params: Parameters) -> Decision:
    """单人保 (§5.1.3) for the person of ``case`` in ``household`` (the whole co-resident household, the
    person included), with the person's findings (serious illness, school) and the Tekun test for U1 run on
    the person's obligors; then E5 as for any person (a Tekun person or an orphan holds no Dibao)."""
    person_id = case.person.person_id
    members = tuple(
        replace(m, person=case.person) if m.person.person_id == person_id else m for m in household.members
    )
    whole = replace(household, members=members)
    tekun = _rule(replace(case, programme=Programme.TEKUN), Programme.TEKUN, params)
    decision = assess_single_person(
        whole, assess_dibao(whole, params), person_id, params, tekun_eligible=tekun.approved
    ).decision
    e5, statuses = _stacking(case, decision, {}, params)
    approved = decision.approved and e5.holds
    return replace(
        decision,
        approved=approved,
        checks=(*decision.checks, e5),
        monthly_amount_fen=decision.monthly_amount_fen if approved else 0,
        statuses=(*decision.statuses, *statuses),
    )


def displaced_by(case: PersonCase, params: Parameters) -> tuple[Holding, ...]:
    """The person's entitlements an approval of this case displaces under §5.8 (Dibao for a new Tekun person
    or orphan, a child allowance when Tekun is chosen, the subsidies for a Tekun person): each is reviewed."""
    own = BENEFIT_OF[case.programme]
    alternatives = _alternatives(case, params)
    held = {BENEFIT_OF[h.programme] for h in case.holdings}
    chosen_name = case.findings.chosen_programme
    chosen = BENEFIT_OF[Programme(chosen_name)] if chosen_name else None
    result = stack(frozenset({*held, *(BENEFIT_OF[p] for p in alternatives), own}), params, chosen=chosen)
    if own not in result.paid:
        return ()
    refused = {benefit for benefit, _ in result.refused}
    return tuple(h for h in case.holdings if BENEFIT_OF[h.programme] in refused)


def assess_person(case: PersonCase, params: Parameters) -> Decision:
    """The explained decision for the person's case: the programme's rule, then the §5.8 matrix (E5)."""
    if case.programme not in PERSON_PROGRAMMES:
        raise ValueError(f"{case.programme.value} is not assessed for one person")
    decision = _rule(case, case.programme, params)
    alternatives = _alternatives(case, params)
    e5, statuses = _stacking(case, decision, alternatives, params)
    lines = decision.computation
    if alternatives:
        shown = {case.programme: decision, **alternatives}
        lines = (
            *lines,
            "K4 comparison: "
            + "; ".join(
                f"{p.value} {yuan_text(d.monthly_amount_fen)}"
                for p, d in sorted(shown.items(), key=lambda kv: kv[0].value)
            ),
        )
    approved = decision.approved and e5.holds
    return replace(
        decision,
        approved=approved,
        checks=(*decision.checks, e5),
        computation=lines,
        monthly_amount_fen=decision.monthly_amount_fen if approved else 0,
        components=decision.components if approved else (),
        statuses=(*decision.statuses, *statuses),
    )
