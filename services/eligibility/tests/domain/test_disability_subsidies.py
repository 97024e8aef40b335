"""The two disability subsidies: living (DLS) and severe-disability care (DCS) (DOMAIN §5.4)."""

from __future__ import annotations

from doudi_common.disability import Disability, DisabilityType
from doudi_eligibility.domain.rules.disability_subsidies import SubsidyFacts, assess_dcs, assess_dls
from doudi_eligibility.domain.rules.facts import Person

from .builders import ex_gy, fen

P = ex_gy()


def person(kind: DisabilityType, grade: int, age: int = 40, *, valid: bool = True) -> Person:
    return Person("p", age, disability=Disability(kind, grade, valid))


def test_h03_zhang_grade_2_physical_on_dibao_gets_dls_100_and_dcs_50() -> None:
    facts = SubsidyFacts(person(DisabilityType.PHYSICAL, 2, 72), in_dibao_household=True)
    assert assess_dls(facts, P).monthly_amount_fen == fen(100)
    assert assess_dcs(facts, P).monthly_amount_fen == fen(50)


def test_h05_the_daughter_on_single_person_dibao_gets_dls_100_and_dcs_100() -> None:
    facts = SubsidyFacts(person(DisabilityType.INTELLECTUAL, 1, 24), in_dibao_household=True)
    assert assess_dls(facts, P).monthly_amount_fen + assess_dcs(facts, P).monthly_amount_fen == fen(200)


def test_h05_boundary_outside_dibao_she_still_gets_the_care_subsidy() -> None:
    facts = SubsidyFacts(person(DisabilityType.INTELLECTUAL, 1, 24))
    assert not assess_dls(facts, P).approved
    assert assess_dcs(facts, P).monthly_amount_fen == fen(100)


def test_h12_grade_1_visual_not_on_dibao_gets_dcs_100_and_no_dls() -> None:
    facts = SubsidyFacts(person(DisabilityType.VISUAL, 1, 35))
    dls = assess_dls(facts, P)
    assert not dls.approved
    assert dls.check_for("DIBAO_MEMBER").reason.startswith("不属于")
    assert assess_dcs(facts, P).monthly_amount_fen == fen(100)


def test_h12_a_work_injury_care_allowance_means_the_dcs_is_refused() -> None:
    facts = SubsidyFacts(person(DisabilityType.VISUAL, 1, 35), work_injury_care_allowance=True)
    assert not assess_dcs(facts, P).approved


def test_h14_a_tekun_person_gets_neither_subsidy_under_ex_gy() -> None:
    facts = SubsidyFacts(person(DisabilityType.PHYSICAL, 1, 81), on_tekun=True)
    assert not assess_dls(facts, P).approved
    assert not assess_dcs(facts, P).approved
    assert assess_dcs(facts, P.override({"stacking.tekun_with_dcs": True})).approved


def test_an_orphan_gets_the_care_subsidy_but_not_the_living_subsidy() -> None:
    facts = SubsidyFacts(
        person(DisabilityType.PHYSICAL, 1, 10), in_dibao_household=True, on_orphan_allowance=True
    )
    assert not assess_dls(facts, P).approved
    assert assess_dcs(facts, P).approved


def test_grade_3_physical_gets_no_care_subsidy_unless_the_county_extends_it() -> None:
    facts = SubsidyFacts(person(DisabilityType.INTELLECTUAL, 3))
    assert not assess_dcs(facts, P).approved
    datong = P.override({"dcs.eligible": "ANY:2,INTELLECTUAL:4,MENTAL:4"})
    assert assess_dcs(facts, datong).monthly_amount_fen == fen(50)


def test_an_expired_certificate_qualifies_for_nothing() -> None:
    facts = SubsidyFacts(person(DisabilityType.PHYSICAL, 1, valid=False), in_dibao_household=True)
    assert not assess_dls(facts, P).approved
    assert not assess_dcs(facts, P).approved
