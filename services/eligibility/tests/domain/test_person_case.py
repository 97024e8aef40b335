"""One person's case — Tekun, the disability subsidies, the child allowances — with the §5.8 matrix as E5
against the entitlements the person already holds (DOMAIN §5.2–5.5, §5.8), and the household's count and E5
for Dibao built from the members' entitlements (§5.2.2, §5.5, §12.1)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from doudi_common.disability import Disability, DisabilityType
from doudi_eligibility.domain.case_file import (
    Applicant,
    ApplicationFacts,
    Holding,
    MemberFindings,
    PersonFacts,
    ReportFacts,
    SurveyFacts,
    household_of,
)
from doudi_eligibility.domain.explain import Outcome, Programme
from doudi_eligibility.domain.person_case import (
    BENEFIT_OF,
    REVIEW_DISPLACED,
    PersonCase,
    assess_person,
    displaced_by,
    person_case_of,
)
from doudi_eligibility.domain.rules.children import Parent, ParentStatus
from doudi_eligibility.domain.rules.facts import HouseholdType, Income, Person
from doudi_eligibility.domain.rules.stacking import EXCLUSIVE_PAIRS
from doudi_eligibility.domain.rules.tekun import Relation, Relative

from .builders import assets_pass, ex_gy, fen

P = ex_gy()
NO_FINDINGS = PersonFacts()
MA = "640402195705123139"
ORPHANED = {"father": Parent(ParentStatus.DEAD), "mother": Parent(ParentStatus.DECLARED_DEAD)}
GRANDMOTHER = Relative(
    "grandmother", Relation.GRANDPARENT, 74, duty_condition_met=True, income_below_disposable=True,
    assets_within_limits=True,
)  # fmt: skip


def case(
    programme: Programme,
    *,
    age: int = 67,
    disability: Disability | None = None,
    findings: PersonFacts = NO_FINDINGS,
    holdings: tuple[Holding, ...] = (),
    yearly_income: int = 0,
) -> PersonCase:
    return PersonCase(
        programme,
        Person("p1", age, disability),
        HouseholdType.RURAL,
        Income(yearly_income, 0, 0),
        assets_pass(),
        findings,
        holdings,
    )


def held(programme: Programme, fen_amount: int = 0, persons: int = 1) -> Holding:
    return Holding(f"ent_{programme.value.lower()}", programme, fen_amount, persons)


def test_h04_tekun_pays_basic_and_care_as_two_components_and_e5_passes_with_nothing_held() -> None:
    decision = assess_person(case(Programme.TEKUN, yearly_income=fen(1500)), P)
    assert decision.approved and decision.monthly_amount_fen == fen(607)
    assert decision.components == (("BASE", fen(412)), ("CARE", fen(195)))
    assert decision.check_for("E5").outcome is Outcome.PASS


def test_tekun_for_a_dibao_member_is_approved_and_asks_for_the_dibao_entitlement_to_be_reviewed() -> None:
    decision = assess_person(case(Programme.TEKUN, holdings=(held(Programme.DIBAO, fen(255)),)), P)
    assert decision.approved
    assert REVIEW_DISPLACED in decision.statuses
    assert "最低生活保障" in decision.check_for("E5").reason


def test_what_an_approval_displaces_is_exactly_what_the_matrix_refuses_besides_the_new_benefit() -> None:
    dibao, dls, fuc = (
        held(Programme.DIBAO),
        held(Programme.DISABILITY_LIVING_SUBSIDY),
        held(Programme.SEVERE_DISABILITY_CARE_SUBSIDY),
    )
    tekun = case(Programme.TEKUN, holdings=(dibao, dls, fuc))
    assert displaced_by(tekun, P) == (dibao, dls, fuc)
    kept = case(
        Programme.SEVERE_DISABILITY_CARE_SUBSIDY,
        holdings=(dibao,),
        findings=PersonFacts(needs_long_term_care=True),
    )
    assert displaced_by(kept, P) == ()
    refused = case(Programme.DISABILITY_LIVING_SUBSIDY, holdings=(held(Programme.TEKUN),))
    assert displaced_by(refused, P) == ()


def test_a_tekun_person_gets_neither_disability_subsidy_in_ex_gy() -> None:
    grade_one = Disability(DisabilityType.PHYSICAL, 1)
    for programme in (Programme.DISABILITY_LIVING_SUBSIDY, Programme.SEVERE_DISABILITY_CARE_SUBSIDY):
        decision = assess_person(
            case(
                programme,
                disability=grade_one,
                findings=PersonFacts(needs_long_term_care=True),
                holdings=(held(Programme.TEKUN, fen(607)), held(Programme.DIBAO)),
            ),
            P,
        )
        assert not decision.approved and decision.monthly_amount_fen == 0
        assert decision.check_for("E5").outcome is Outcome.FAIL


def test_the_living_subsidy_follows_the_dibao_entitlement_the_person_holds() -> None:
    grade_two = Disability(DisabilityType.PHYSICAL, 2)
    outside = assess_person(case(Programme.DISABILITY_LIVING_SUBSIDY, disability=grade_two), P)
    inside = assess_person(
        case(Programme.DISABILITY_LIVING_SUBSIDY, disability=grade_two, holdings=(held(Programme.DIBAO),)),
        P,
    )
    assert not outside.approved and outside.check_for("DIBAO_MEMBER").outcome is Outcome.FAIL
    assert inside.approved and inside.monthly_amount_fen == fen(100)


def test_h07_a_child_meeting_orphan_and_tekun_waits_for_the_choice_then_gets_what_was_chosen() -> None:
    undecided = PersonFacts(obligors=(GRANDMOTHER,), **ORPHANED)
    waiting = assess_person(case(Programme.ORPHAN_ALLOWANCE, age=12, findings=undecided), P)
    assert not waiting.approved and waiting.check_for("E5").outcome is Outcome.FAIL
    assert "K4 comparison: ORPHAN_ALLOWANCE 1,600.00; TEKUN 607.00" in waiting.computation

    orphan = PersonFacts(obligors=(GRANDMOTHER,), chosen_programme="ORPHAN_ALLOWANCE", **ORPHANED)
    assert assess_person(
        case(Programme.ORPHAN_ALLOWANCE, age=12, findings=orphan), P
    ).monthly_amount_fen == fen(1600)
    as_tekun = assess_person(case(Programme.TEKUN, age=12, findings=orphan), P)
    assert not as_tekun.approved and as_tekun.check_for("K4").outcome is Outcome.FAIL


def test_h08_the_fuc_allowance_is_topped_up_against_the_share_of_the_held_dibao_and_dls() -> None:
    findings = PersonFacts(
        obligors=(Relative("grandfather", Relation.GRANDPARENT, 58, duty_condition_met=True),),
        father=Parent(ParentStatus.DEPRIVED_OF_LIBERTY, 60),
        mother=Parent(ParentStatus.LOST_CONTACT, 36),
    )
    dibao = held(Programme.DIBAO, fen(197), persons=2)
    decision = assess_person(
        case(Programme.UNSUPPORTED_CHILD_ALLOWANCE, age=8, findings=findings, holdings=(dibao,)), P
    )
    assert decision.approved and decision.monthly_amount_fen == fen("1501.50")
    with_dls = assess_person(
        case(
            Programme.UNSUPPORTED_CHILD_ALLOWANCE,
            age=8,
            findings=findings,
            holdings=(dibao, held(Programme.DISABILITY_LIVING_SUBSIDY, fen(100))),
        ),
        P,
    )
    assert with_dls.monthly_amount_fen == fen("1401.50")


_PERSON = [p for p in BENEFIT_OF if p in {
    Programme.DIBAO, Programme.TEKUN, Programme.ORPHAN_ALLOWANCE, Programme.UNSUPPORTED_CHILD_ALLOWANCE,
    Programme.DISABILITY_LIVING_SUBSIDY, Programme.SEVERE_DISABILITY_CARE_SUBSIDY,
}]  # fmt: skip
_APPLIED = [p for p in _PERSON if p is not Programme.DIBAO]


@settings(max_examples=150, deadline=None)
@given(
    applied=st.sampled_from(_APPLIED),
    holding=st.sets(st.sampled_from(_PERSON), max_size=3),
    chosen=st.sampled_from(["", "TEKUN", "ORPHAN_ALLOWANCE", "UNSUPPORTED_CHILD_ALLOWANCE"]),
    age=st.integers(0, 90),
    grade=st.integers(1, 4),
)
def test_an_approval_never_pays_an_exclusive_pair_with_what_the_person_keeps(
    applied: Programme, holding: set[Programme], chosen: str, age: int, grade: int
) -> None:
    findings = PersonFacts(needs_long_term_care=True, chosen_programme=chosen, **ORPHANED)
    decision = assess_person(
        case(
            applied,
            age=age,
            disability=Disability(DisabilityType.PHYSICAL, grade),
            findings=findings,
            holdings=tuple(held(p) for p in holding),
        ),
        P,
    )
    if not decision.approved:
        assert decision.monthly_amount_fen == 0
        return
    new = BENEFIT_OF[applied]
    kept = {BENEFIT_OF[p] for p in holding}
    for pair in EXCLUSIVE_PAIRS:
        if new in pair and (pair - {new}) & kept:
            # Only allowed when the new benefit displaces the held one, and then a review is asked for.
            assert REVIEW_DISPLACED in decision.statuses


def _application(*members: tuple[str, bool]) -> ApplicationFacts:
    return ApplicationFacts(
        "app_1",
        "DIBAO",
        "640402100000",
        "640402100201",
        HouseholdType.RURAL,
        tuple(Applicant(i, number, f"m{i}", counted, True) for i, (number, counted) in enumerate(members)),
        datetime(2025, 3, 3, tzinfo=UTC),
    )


REPORT = ReportFacts("rep", "v", 0, (MemberFindings(0), MemberFindings(1)), (("financial", "PASS", ""),))
SURVEY = SurveyFacts("svy", ("a", "b"), "ok", True)
GRANDSON = "640402201206153155"


def test_a_tekun_or_orphan_member_leaves_the_dibao_count_and_another_dibao_is_what_e5_sees() -> None:
    application = _application((MA, True), (GRANDSON, True))
    on = date(2025, 4, 1)
    plain = household_of(application, REPORT, SURVEY, on)
    assert len(plain.counted) == 2 and all(m.active_dibao_elsewhere is None for m in plain.members)

    tekun = household_of(application, REPORT, SURVEY, on, {MA: (held(Programme.TEKUN),)})
    assert [m.person.person_id for m in tekun.counted] == [GRANDSON]
    assert tekun.member(MA).not_counted_reason == "TEKUN_PERSON"

    elsewhere = household_of(application, REPORT, SURVEY, on, {GRANDSON: (held(Programme.DIBAO),)})
    assert elsewhere.member(GRANDSON).active_dibao_elsewhere == "ent_dibao"


def test_the_person_is_the_member_the_findings_name_with_the_reports_certificate() -> None:
    application = _application((MA, True), (GRANDSON, True))
    report = ReportFacts(
        "rep",
        "v",
        0,
        (MemberFindings(0), MemberFindings(1, disability_type="visual", disability_grade=1)),
        (),
    )
    survey = SurveyFacts("svy", ("a", "b"), "ok", False, person=PersonFacts(member_index=1))
    found = person_case_of(application, report, survey, (), date(2025, 4, 1))
    assert found.person.person_id == GRANDSON and found.person.age == 12
    assert found.person.disability == Disability(DisabilityType.VISUAL, 1)
