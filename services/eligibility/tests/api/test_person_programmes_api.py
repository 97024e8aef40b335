"""Tekun, the two disability subsidies and the child allowances through eligibility's gRPC API (DOMAIN §5.2,
§5.4, §5.5, §5.8, §7.2, §7.5; worked examples H04, H07, H08, H12 of §13): the explained decision with its
amounts exact, the procedure each programme follows, the entitlement the roster pays, and the stacking
matrix applied against what the person already holds."""

from __future__ import annotations

import grpc
import pytest

from doudi.common.v1 import programme_pb2
from doudi.eligibility.v1 import eligibility_pb2 as pb
from doudi.eligibility.v1 import events_pb2
from doudi.intake.v1 import intake_pb2
from doudi_runtime.events.envelope import unpack
from doudi_runtime.grpc.errors import field_violations_from

from .conftest import (
    ASSETS_PASS,
    AUTH,
    COUNTY_OFFICER,
    TOWNSHIP_OFFICER,
    VILLAGE_CADRE,
    Eligibility,
    Example,
    open_case,
)

RURAL, URBAN = intake_pb2.HOUSEHOLD_TYPE_RURAL, intake_pb2.HOUSEHOLD_TYPE_URBAN

#: H04: Ma (67), single, rural; farming net 1,500/year; residents' pension excluded; deposits 3,000.
H04 = Example(
    "app_h04",
    RURAL,
    (("640402195705123139", "马有福"),),
    (
        (0, "farming_net_income", 150_000, {}),
        (0, "residents_basic_pension", 201_600, {}),
        (0, "deposits", 300_000, {}),
    ),
    ASSETS_PASS,
    programme_pb2.PROGRAMME_TEKUN,
)
HU, GRANDSON = ("640402195006012245", "胡秀英"), ("640402201206153155", "胡小东")
#: H07: grandmother Hu (74), no income but the excluded residents' pension; applies for Tekun herself.
H07_GRANDMOTHER = Example(
    "app_h07_hu",
    RURAL,
    (HU, GRANDSON),
    ((0, "residents_basic_pension", 201_600, {}),),
    ASSETS_PASS,
    programme_pb2.PROGRAMME_TEKUN,
)
#: H07: the grandson (12), orphaned; his grandmother applies for him as guardian.
H07_BOY = Example(
    "app_h07_boy", RURAL, (HU, GRANDSON), (), ASSETS_PASS, programme_pb2.PROGRAMME_ORPHAN_ALLOWANCE
)
YANG, GIRL = ("640402196607073136", "杨德明"), ("640402201702103229", "杨小花")
#: H08: grandfather Yang (58) farms his own land (net 6,000/year) with his granddaughter (8): Dibao B 197.
H08_DIBAO = Example(
    "app_h08_dibao",
    RURAL,
    (YANG, GIRL),
    ((0, "farming_net_income", 600_000, {}),),
    ASSETS_PASS,
)
H08_FUC = Example(
    "app_h08_fuc",
    RURAL,
    (YANG, GIRL),
    ((0, "farming_net_income", 600_000, {}),),
    ASSETS_PASS,
    programme_pb2.PROGRAMME_UNSUPPORTED_CHILD_ALLOWANCE,
)
QIAN = ("640402199001013132", "钱明亮")
_QIAN_ITEMS = (
    (0, "wage_income", 4_800_000, {}),
    (0, "disability_certificate", 0, {"type": "visual", "grade": "1"}),
    (1, "wage_income", 4_200_000, {}),
)
#: H12: Qian (35, grade 1 visual, earns 4,000/month) and his wife (33, 3,500/month): not on Dibao.
H12_DCS = Example(
    "app_h12_dcs",
    URBAN,
    (QIAN, ("640402199202023249", "孙丽")),
    _QIAN_ITEMS,
    ASSETS_PASS,
    programme_pb2.PROGRAMME_SEVERE_DISABILITY_CARE_SUBSIDY,
)
H12_DLS = Example(
    "app_h12_dls",
    URBAN,
    (QIAN, ("640402199202023249", "孙丽")),
    _QIAN_ITEMS,
    ASSETS_PASS,
    programme_pb2.PROGRAMME_DISABILITY_LIVING_SUBSIDY,
)

GRANDMOTHER_AS_OBLIGOR = pb.Obligor(
    relative_id="grandmother",
    relation=pb.KIN_RELATION_GRANDPARENT,
    age=74,
    duty_condition_met=True,
    income_below_disposable=True,
    assets_within_limits=True,
)
ORPHANED = {
    "father": pb.ParentSituation(status=pb.PARENT_STATUS_DEAD),
    "mother": pb.ParentSituation(status=pb.PARENT_STATUS_DECLARED_DEAD),
}


def survey(e: Eligibility, example: Example, person: pb.PersonFindings | None, *, stable: bool = False):  # type: ignore[no-untyped-def]
    return e.stub.RecordHomeSurvey(
        pb.RecordHomeSurveyRequest(
            request_id=f"survey-{example.application_id}",
            application_id=example.application_id,
            surveyor_ids=["township-07", "village-01"],
            findings="入户核实本人情况",
            income_stable=stable,
            actor=TOWNSHIP_OFFICER,
            person=person,
        ),
        metadata=AUTH,
        timeout=10,
    ).case


def review(e: Eligibility, example: Example) -> None:
    e.stub.RecordDemocraticReview(
        pb.RecordDemocraticReviewRequest(
            request_id=f"review-{example.application_id}",
            application_id=example.application_id,
            minutes="村民代表 15 人出席，同意 15 人",
            actor=VILLAGE_CADRE,
        ),
        metadata=AUTH,
        timeout=10,
    )


def assess(e: Eligibility, example: Example) -> pb.Decision:
    return e.stub.Assess(
        pb.AssessRequest(
            request_id=f"assess-{example.application_id}",
            application_id=example.application_id,
            actor=TOWNSHIP_OFFICER,
        ),
        metadata=AUTH,
        timeout=10,
    ).proposed


def decide(e: Eligibility, example: Example) -> pb.Decision:
    return e.stub.Decide(
        pb.DecideRequest(
            request_id=f"decide-{example.application_id}",
            application_id=example.application_id,
            outcome=pb.DECISION_OUTCOME_APPROVED,
            reason="经审核确认",
            actor=COUNTY_OFFICER,
        ),
        metadata=AUTH,
        timeout=10,
    ).decision


def case_of(e: Eligibility, application_id: str) -> pb.Case:
    return e.stub.GetCase(pb.GetCaseRequest(application_id=application_id), metadata=AUTH, timeout=10).case


def entitlement_of(e: Eligibility, application_id: str) -> pb.Entitlement:
    case = case_of(e, application_id)
    return e.stub.GetEntitlement(
        pb.GetEntitlementRequest(entitlement_id=case.entitlement_id), metadata=AUTH, timeout=10
    ).entitlement


def run_six_steps(
    e: Eligibility, example: Example, person: pb.PersonFindings | None, **kw: bool
) -> pb.Decision:
    """§7.2: survey, democratic review, opinion 11 March, notice 12–18 March, decision 31 March 2025."""
    e.clock.on(2025, 3, 3)
    open_case(e, example)
    e.clock.on(2025, 3, 6)
    survey(e, example, person, **kw)
    review(e, example)
    e.clock.on(2025, 3, 11)
    proposed = assess(e, example)
    assert case_of(e, example.application_id).step == pb.CASE_STEP_PUBLIC_NOTICE
    e.clock.on(2025, 3, 19)
    e.app.procedure.close_due_notices()
    e.clock.on(2025, 3, 31)
    final = decide(e, example)
    assert (proposed.outcome, proposed.monthly_amount) == (final.outcome, final.monthly_amount)
    return final


def run_short(e: Eligibility, example: Example, person: pb.PersonFindings) -> tuple[pb.Decision, pb.Decision]:
    """§7.5: the township checks and gives its opinion, the county decides; no review, no notice."""
    e.clock.on(2025, 4, 1)
    open_case(e, example)
    e.clock.on(2025, 4, 3)
    assert survey(e, example, person).step == pb.CASE_STEP_INITIAL_OPINION
    proposed = assess(e, example)
    assert proposed.outcome == pb.DECISION_OUTCOME_APPROVED, [
        (c.code, c.outcome, c.reason) for c in proposed.conditions
    ]
    assert case_of(e, example.application_id).step == pb.CASE_STEP_CONFIRMATION_REVIEW
    assert case_of(e, example.application_id).notice.notice_id == ""
    if example.programme in FEDERATION_REVIEWED:
        federation_review(e, example)
    e.clock.on(2025, 4, 10)
    return proposed, decide(e, example)


#: The two disability subsidies pass the disabled persons' federation's review (§7.5).
FEDERATION_REVIEWED = frozenset(
    {
        programme_pb2.PROGRAMME_DISABILITY_LIVING_SUBSIDY,
        programme_pb2.PROGRAMME_SEVERE_DISABILITY_CARE_SUBSIDY,
    }
)


def federation_review(
    e: Eligibility, example: Example, outcome: int = pb.FEDERATION_REVIEW_OUTCOME_CONFIRMED
) -> pb.Case:
    return e.stub.RecordFederationReview(
        pb.RecordFederationReviewRequest(
            request_id=f"federation-{example.application_id}",
            application_id=example.application_id,
            outcome=outcome,
            opinion="经县残联审核，残疾类别、等级属实",
            actor=COUNTY_OFFICER,
        ),
        metadata=AUTH,
        timeout=10,
    ).case


def outcomes(decision: pb.Decision) -> dict[str, int]:
    return {c.code: c.outcome for c in decision.conditions}


def activated(e: Eligibility, entitlement_id: str) -> pb.Entitlement:
    for envelope in e.envelopes("EntitlementActivated"):
        found = unpack(envelope, events_pb2.EntitlementActivated).entitlement  # type: ignore[arg-type]
        if found.entitlement_id == entitlement_id:
            return found
    raise AssertionError(f"no EntitlementActivated for {entitlement_id}")


def test_h04_ma_is_tekun_at_412_basic_plus_195_care_and_the_roster_learns_both_components(
    eligibility,
) -> None:  # type: ignore[no-untyped-def]
    decision = run_six_steps(
        eligibility, H04, pb.PersonFindings(self_care_items_lost=0, support_mode=pb.SUPPORT_MODE_DISPERSED)
    )

    assert decision.programme == programme_pb2.PROGRAMME_TEKUN
    assert decision.outcome == pb.DECISION_OUTCOME_APPROVED
    assert decision.monthly_amount.amount_fen == 60_700
    assert decision.start_month.month == "2025-04"
    assert decision.parameter_version == "NX-2024-01+GY-2024-01+EX-GY-2024-01"
    assert {code: outcome for code, outcome in outcomes(decision).items() if code[0] == "K"} == {
        "K0": pb.CONDITION_OUTCOME_PASS,
        "K1": pb.CONDITION_OUTCOME_PASS,
        "K2": pb.CONDITION_OUTCOME_PASS,
        "K3": pb.CONDITION_OUTCOME_PASS,
        "K4": pb.CONDITION_OUTCOME_PASS,
    }
    assert outcomes(decision)["E5"] == pb.CONDITION_OUTCOME_PASS
    k2 = next(c for c in decision.conditions if c.code == "K2")
    assert "y_p=125.00" in k2.inputs
    care = next(c for c in decision.conditions if c.code == "SELF_CARE")
    assert "level=SELF" in care.inputs
    amount = next(c for c in decision.conditions if c.code == "AMOUNT")
    assert ("tekun.basic.ratio", "13/10") in {(p.key, p.value) for p in amount.parameters}
    assert any("basic = round(1.3 × S 316.6667) = 412.00" in line for line in decision.computation)
    assert "特困人员救助供养" in decision.notice_text and "每月607.00元" in decision.notice_text

    entitlement = entitlement_of(eligibility, H04.application_id)
    assert entitlement.programme == programme_pb2.PROGRAMME_TEKUN
    assert entitlement.monthly_amount.amount_fen == 60_700
    components = {c.component: c.monthly_amount.amount_fen for c in entitlement.components}
    assert components == {
        programme_pb2.BENEFIT_COMPONENT_BASE: 41_200,
        programme_pb2.BENEFIT_COMPONENT_CARE: 19_500,
    }
    assert activated(eligibility, entitlement.entitlement_id).components == entitlement.components
    assert activated(eligibility, entitlement.entitlement_id).birth_month.month == "1957-05", (
        "a person's entitlement names the month the person was born, for the publication list (§11.5)"
    )


def test_h04b_a_capable_daughter_fails_k3_and_the_opinion_points_to_dibao(eligibility) -> None:  # type: ignore[no-untyped-def]
    eligibility.clock.on(2025, 3, 3)
    open_case(eligibility, H04)
    daughter = pb.Obligor(relative_id="daughter", relation=pb.KIN_RELATION_CHILD, age=40)
    survey(eligibility, H04, pb.PersonFindings(obligors=[daughter]))
    review(eligibility, H04)
    proposed = assess(eligibility, H04)

    assert proposed.outcome == pb.DECISION_OUTCOME_REJECTED
    assert proposed.monthly_amount.amount_fen == 0
    k3 = next(c for c in proposed.conditions if c.code == "K3")
    assert k3.outcome == pb.CONDITION_OUTCOME_FAIL
    assert "daughter=CHILD: capable obligor" in k3.inputs
    assert "最低生活保障" in k3.reason
    assert case_of(eligibility, H04.application_id).step == pb.CASE_STEP_CONFIRMATION_REVIEW


def test_h07_grandmother_is_tekun_with_partial_self_care_at_737(eligibility) -> None:  # type: ignore[no-untyped-def]
    grandson = pb.Obligor(relative_id="grandson", relation=pb.KIN_RELATION_GRANDCHILD, age=12)
    decision = run_six_steps(
        eligibility, H07_GRANDMOTHER, pb.PersonFindings(self_care_items_lost=2, obligors=[grandson])
    )

    assert decision.outcome == pb.DECISION_OUTCOME_APPROVED
    assert decision.monthly_amount.amount_fen == 73_700
    assert "level=PARTIAL" in next(c for c in decision.conditions if c.code == "SELF_CARE").inputs
    assert (
        "grandson=GRANDCHILD: no statutory duty"
        in next(c for c in decision.conditions if c.code == "K3").inputs
    )


def test_h07_the_boy_meets_orphan_and_tekun_must_choose_first_and_gets_1600_once_orphan_is_chosen(
    eligibility,
) -> None:  # type: ignore[no-untyped-def]
    undecided = pb.PersonFindings(member_index=1, obligors=[GRANDMOTHER_AS_OBLIGOR], **ORPHANED)
    eligibility.clock.on(2025, 4, 1)
    open_case(eligibility, H07_BOY)
    survey(eligibility, H07_BOY, undecided)
    waiting = assess(eligibility, H07_BOY)

    assert waiting.outcome == pb.DECISION_OUTCOME_REJECTED
    e5 = next(c for c in waiting.conditions if c.code == "E5")
    assert e5.outcome == pb.CONDITION_OUTCOME_FAIL and "选择" in e5.reason
    assert "K4 comparison: ORPHAN_ALLOWANCE 1,600.00; TEKUN 607.00" in waiting.computation

    chosen = pb.PersonFindings(
        member_index=1,
        obligors=[GRANDMOTHER_AS_OBLIGOR],
        chosen_programme=programme_pb2.PROGRAMME_ORPHAN_ALLOWANCE,
        **ORPHANED,
    )
    other = Example(
        "app_h07_boy_2", RURAL, H07_BOY.members, (), ASSETS_PASS, programme_pb2.PROGRAMME_ORPHAN_ALLOWANCE
    )
    proposed, decision = run_short(eligibility, other, chosen)

    assert decision.outcome == pb.DECISION_OUTCOME_APPROVED
    assert decision.monthly_amount.amount_fen == 160_000
    assert outcomes(decision)["ORPHAN"] == pb.CONDITION_OUTCOME_PASS
    assert outcomes(decision)["E5"] == pb.CONDITION_OUTCOME_PASS
    assert proposed.monthly_amount.amount_fen == 160_000
    entitlement = entitlement_of(eligibility, other.application_id)
    assert entitlement.programme == programme_pb2.PROGRAMME_ORPHAN_ALLOWANCE
    assert entitlement.start_month.month == "2025-05"


def test_h08_fuc_is_topped_up_against_the_girls_share_of_the_households_dibao(eligibility) -> None:  # type: ignore[no-untyped-def]
    dibao = run_six_steps(eligibility, H08_DIBAO, None, stable=True)
    assert dibao.monthly_amount.amount_fen == 19_700
    assert dibao.category == programme_pb2.HOUSEHOLD_CATEGORY_B

    # The grandfather (58, farming) owes her support and can give it, so she is not Tekun (K3) and
    # there is no K4 choice to make.
    grandfather = pb.Obligor(
        relative_id="grandfather", relation=pb.KIN_RELATION_GRANDPARENT, age=58, duty_condition_met=True
    )
    fuc_findings = pb.PersonFindings(
        member_index=1,
        obligors=[grandfather],
        father=pb.ParentSituation(status=pb.PARENT_STATUS_DEPRIVED_OF_LIBERTY, months=60),
        mother=pb.ParentSituation(status=pb.PARENT_STATUS_LOST_CONTACT, months=36),
    )
    _, decision = run_short(eligibility, H08_FUC, fuc_findings)

    assert decision.programme == programme_pb2.PROGRAMME_UNSUPPORTED_CHILD_ALLOWANCE
    assert decision.outcome == pb.DECISION_OUTCOME_APPROVED
    assert decision.monthly_amount.amount_fen == 150_150
    assert "Dibao share = 197.00 / 2 = 98.50" in decision.computation
    e5 = next(c for c in decision.conditions if c.code == "E5")
    assert e5.outcome == pb.CONDITION_OUTCOME_PASS
    assert any(line.startswith("holds=DIBAO:") for line in e5.inputs)
    assert entitlement_of(eligibility, H08_FUC.application_id).monthly_amount.amount_fen == 150_150


def test_h08_the_girl_has_one_key_on_the_dibao_and_the_fuc_entitlement_and_no_id_number_is_announced(
    eligibility,
) -> None:  # type: ignore[no-untyped-def]
    """§5.7, §5.8: the price subsidy is paid once per person even when two entitlements count her, so both
    announce the same opaque key for her; her ID number is in neither event."""
    run_six_steps(eligibility, H08_DIBAO, None, stable=True)
    fuc_findings = pb.PersonFindings(
        member_index=1,
        obligors=[
            pb.Obligor(
                relative_id="grandfather",
                relation=pb.KIN_RELATION_GRANDPARENT,
                age=58,
                duty_condition_met=True,
            )
        ],
        father=pb.ParentSituation(status=pb.PARENT_STATUS_DEPRIVED_OF_LIBERTY, months=60),
        mother=pb.ParentSituation(status=pb.PARENT_STATUS_LOST_CONTACT, months=36),
    )
    run_short(eligibility, H08_FUC, fuc_findings)

    dibao = activated(eligibility, case_of(eligibility, H08_DIBAO.application_id).entitlement_id)
    fuc = activated(eligibility, case_of(eligibility, H08_FUC.application_id).entitlement_id)
    assert dibao.covered_persons == 2 and len(set(dibao.covered_person_keys)) == 2
    assert fuc.covered_persons == 1 and len(fuc.covered_person_keys) == 1
    assert set(fuc.covered_person_keys) < set(dibao.covered_person_keys)
    for entitlement in (dibao, fuc):
        wire = entitlement.SerializeToString()
        assert GIRL[0].encode() not in wire and YANG[0].encode() not in wire
    assert entitlement_of(eligibility, H08_FUC.application_id).covered_person_keys == fuc.covered_person_keys
    assert not dibao.HasField("birth_month"), "a household's entitlement names no birth month"
    assert fuc.birth_month.month == "2017-02", "the girl's, from her ID number: the number is not announced"


def test_h12_qian_gets_the_care_subsidy_of_100_by_the_short_procedure(eligibility) -> None:  # type: ignore[no-untyped-def]
    _, decision = run_short(eligibility, H12_DCS, pb.PersonFindings(needs_long_term_care=True))

    assert decision.programme == programme_pb2.PROGRAMME_SEVERE_DISABILITY_CARE_SUBSIDY
    assert decision.outcome == pb.DECISION_OUTCOME_APPROVED
    assert decision.monthly_amount.amount_fen == 10_000
    assert outcomes(decision)["SEVERITY"] == pb.CONDITION_OUTCOME_PASS
    assert "重度残疾人护理补贴" in decision.notice_text
    kinds = [kind for _, _, kind in eligibility.outbox()]
    assert "PublicNoticeStarted" not in kinds and kinds[-1] == "EntitlementActivated"


def test_h12_the_living_subsidy_is_refused_outside_a_dibao_household(eligibility) -> None:  # type: ignore[no-untyped-def]
    eligibility.clock.on(2025, 4, 1)
    open_case(eligibility, H12_DLS)
    survey(eligibility, H12_DLS, pb.PersonFindings())
    proposed = assess(eligibility, H12_DLS)

    assert proposed.outcome == pb.DECISION_OUTCOME_REJECTED
    assert outcomes(proposed)["DIBAO_MEMBER"] == pb.CONDITION_OUTCOME_FAIL


def test_h12_a_work_injury_care_allowance_refuses_the_care_subsidy(eligibility) -> None:  # type: ignore[no-untyped-def]
    eligibility.clock.on(2025, 4, 1)
    open_case(eligibility, H12_DCS)
    survey(
        eligibility, H12_DCS, pb.PersonFindings(needs_long_term_care=True, work_injury_care_allowance=True)
    )
    proposed = assess(eligibility, H12_DCS)

    assert proposed.outcome == pb.DECISION_OUTCOME_REJECTED
    assert outcomes(proposed)["EXCLUSIONS"] == pb.CONDITION_OUTCOME_FAIL
    assert outcomes(proposed)["E5"] == pb.CONDITION_OUTCOME_FAIL


def test_a_tekun_person_is_refused_the_disability_subsidies_held_by_eligibility(eligibility) -> None:  # type: ignore[no-untyped-def]
    grade_one = Example(
        "app_tekun_disabled",
        RURAL,
        (("640402195705123139", "马有福"),),
        ((0, "disability_certificate", 0, {"type": "physical", "grade": "1"}),),
        ASSETS_PASS,
        programme_pb2.PROGRAMME_TEKUN,
    )
    run_six_steps(eligibility, grade_one, pb.PersonFindings())
    care = Example(
        "app_tekun_dcs",
        RURAL,
        grade_one.members,
        grade_one.items,
        ASSETS_PASS,
        programme_pb2.PROGRAMME_SEVERE_DISABILITY_CARE_SUBSIDY,
    )
    eligibility.clock.on(2025, 4, 1)
    open_case(eligibility, care)
    survey(eligibility, care, pb.PersonFindings(needs_long_term_care=True))
    proposed = assess(eligibility, care)

    assert proposed.outcome == pb.DECISION_OUTCOME_REJECTED
    e5 = next(c for c in proposed.conditions if c.code == "E5")
    assert e5.outcome == pb.CONDITION_OUTCOME_FAIL
    assert any(line.startswith("holds=TEKUN:") for line in e5.inputs)


def test_a_tekun_member_leaves_the_dibao_count_and_a_member_on_another_dibao_fails_e5(eligibility) -> None:  # type: ignore[no-untyped-def]
    run_six_steps(eligibility, H07_GRANDMOTHER, pb.PersonFindings(self_care_items_lost=2))
    household = Example("app_h07_household", RURAL, (HU, GRANDSON), (), ASSETS_PASS)
    eligibility.clock.on(2025, 4, 1)
    open_case(eligibility, household)
    survey(eligibility, household, None)
    review(eligibility, household)
    proposed = assess(eligibility, household)

    assert proposed.outcome == pb.DECISION_OUTCOME_APPROVED
    assert any("/ 12 / 1 =" in line for line in proposed.computation)  # the grandson alone is counted
    notice = case_of(eligibility, household.application_id).notice
    assert [entry.household_size for entry in notice.entries] == [1]
    eligibility.clock.on(2025, 4, 10)
    eligibility.app.procedure.close_due_notices()
    decide(eligibility, household)

    again = Example("app_h07_again", RURAL, (GRANDSON,), (), ASSETS_PASS)
    open_case(eligibility, again)
    survey(eligibility, again, None)
    review(eligibility, again)
    refused = assess(eligibility, again)
    assert refused.outcome == pb.DECISION_OUTCOME_REJECTED
    assert outcomes(refused)["E5"] == pb.CONDITION_OUTCOME_FAIL


def test_a_tekun_grandmother_and_the_dibao_household_not_counting_her_announce_one_household_by_key(
    eligibility,
) -> None:  # type: ignore[no-untyped-def]
    """§5.7, §5.8: the electricity subsidy is once per household and year, so each entitlement announces the
    opaque keys of every co-resident member its application declared, counted or not: the Dibao household
    that does not count the Tekun grandmother still names her, with the key her own Tekun entitlement gives
    her; no ID number is in either event."""
    tekun_decision = run_six_steps(eligibility, H07_GRANDMOTHER, pb.PersonFindings(self_care_items_lost=2))
    assert tekun_decision.programme == programme_pb2.PROGRAMME_TEKUN
    household = Example("app_h07_household", RURAL, (HU, GRANDSON), (), ASSETS_PASS)
    eligibility.clock.on(2025, 4, 1)
    open_case(eligibility, household)
    survey(eligibility, household, None)
    review(eligibility, household)
    assess(eligibility, household)
    eligibility.clock.on(2025, 4, 10)
    eligibility.app.procedure.close_due_notices()
    decide(eligibility, household)

    tekun = activated(eligibility, case_of(eligibility, H07_GRANDMOTHER.application_id).entitlement_id)
    dibao = activated(eligibility, case_of(eligibility, household.application_id).entitlement_id)
    assert dibao.programme == programme_pb2.PROGRAMME_DIBAO
    (grandmother,) = tekun.covered_person_keys
    (grandson,) = dibao.covered_person_keys
    assert grandmother != grandson
    assert sorted(dibao.household_person_keys) == sorted({grandmother, grandson})
    assert grandmother in tekun.household_person_keys
    for entitlement in (tekun, dibao):
        wire = entitlement.SerializeToString()
        assert HU[0].encode() not in wire and GRANDSON[0].encode() not in wire
    stored = entitlement_of(eligibility, household.application_id)
    assert stored.household_person_keys == dibao.household_person_keys


def test_a_person_case_needs_the_persons_findings_and_they_are_validated_field_by_field(eligibility) -> None:  # type: ignore[no-untyped-def]
    eligibility.clock.on(2025, 3, 3)
    open_case(eligibility, H04)
    with pytest.raises(grpc.RpcError) as missing:
        survey(eligibility, H04, None)
    assert missing.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "person" in {field for field, _ in field_violations_from(missing.value)}

    bad = pb.PersonFindings(
        self_care_items_lost=7,
        obligors=[pb.Obligor(relative_id="x", age=200)],
        father=pb.ParentSituation(status=pb.PARENT_STATUS_LOST_CONTACT, months=-1),
    )
    with pytest.raises(grpc.RpcError) as invalid:
        survey(eligibility, H04, bad)
    assert invalid.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert {field for field, _ in field_violations_from(invalid.value)} >= {
        "person.self_care_items_lost",
        "person.obligors[0].relation",
        "person.obligors[0].age",
        "person.father.months",
    }


def test_tekun_for_a_member_of_an_active_dibao_household_puts_that_dibao_under_review(eligibility) -> None:  # type: ignore[no-untyped-def]
    household = Example("app_h07_dibao_first", RURAL, (HU, GRANDSON), (), ASSETS_PASS)
    run_six_steps(eligibility, household, None)
    eligibility.clock.on(2025, 4, 1)
    eligibility.app.entitlements.activate_due()
    dibao = entitlement_of(eligibility, household.application_id)
    assert dibao.state == pb.ENTITLEMENT_STATE_ACTIVE

    eligibility.clock.on(2025, 4, 1)
    open_case(eligibility, H07_GRANDMOTHER)
    survey(eligibility, H07_GRANDMOTHER, pb.PersonFindings(self_care_items_lost=2))
    review(eligibility, H07_GRANDMOTHER)
    proposed = assess(eligibility, H07_GRANDMOTHER)
    e5 = next(c for c in proposed.conditions if c.code == "E5")
    assert e5.outcome == pb.CONDITION_OUTCOME_PASS and "最低生活保障" in e5.reason
    assert "REVIEW_DISPLACED_ENTITLEMENT" in proposed.statuses
    eligibility.clock.on(2025, 4, 10)
    eligibility.app.procedure.close_due_notices()
    decision = decide(eligibility, H07_GRANDMOTHER)

    assert decision.monthly_amount.amount_fen == 73_700
    after = eligibility.stub.GetEntitlement(
        pb.GetEntitlementRequest(entitlement_id=dibao.entitlement_id), metadata=AUTH, timeout=10
    ).entitlement
    assert after.state == pb.ENTITLEMENT_STATE_UNDER_REVIEW
    assert after.monthly_amount == dibao.monthly_amount  # payments go on until the review concludes


ZHAO_MEMBERS = (
    ("640402197206013137", "赵建国"),
    ("640402197407013248", "钱桂芳"),
    ("64040220000501324X", "赵小燕"),
    ("640402200509013139", "赵小刚"),
)
_ZHAO_ITEMS = (
    (0, "wage_income", 3_840_000, {}),
    (0, "deposits", 4_000_000, {}),
    (2, "disability_certificate", 0, {"type": "intellectual", "grade": "1"}),
    (3, "scholarship", 400_000, {}),
)


def zhao(application_id: str, programme: int) -> Example:
    """H05: Zhao (52, wage 3,200/month), his wife (50), their daughter (24, grade 1 intellectual) and son
    (19, undergraduate with an excluded scholarship): y = 720, a marginal household."""
    return Example(application_id, URBAN, ZHAO_MEMBERS, _ZHAO_ITEMS, ASSETS_PASS, programme)


#: The daughter's parents owe her support (an adult who cannot live independently); her father is capable.
DAUGHTER = pb.PersonFindings(
    member_index=2,
    obligors=[
        pb.Obligor(relative_id="father", relation=pb.KIN_RELATION_PARENT, age=52),
        pb.Obligor(relative_id="mother", relation=pb.KIN_RELATION_PARENT, age=50),
    ],
    needs_long_term_care=True,
)


def test_h05_the_daughter_gets_672_single_person_dibao_then_both_subsidies_of_100(eligibility) -> None:  # type: ignore[no-untyped-def]
    single = zhao("app_h05_single", programme_pb2.PROGRAMME_SINGLE_PERSON_DIBAO)
    decision = run_six_steps(eligibility, single, DAUGHTER)

    assert decision.programme == programme_pb2.PROGRAMME_SINGLE_PERSON_DIBAO
    assert decision.outcome == pb.DECISION_OUTCOME_APPROVED
    assert decision.monthly_amount.amount_fen == 67_200
    assert decision.category == programme_pb2.HOUSEHOLD_CATEGORY_A
    u1 = next(c for c in decision.conditions if c.code == "U1")
    assert "household y=720.00" in u1.inputs and "p Tekun-eligible=False" in u1.inputs
    notice = eligibility.stub.GetDecision(
        pb.GetDecisionRequest(decision_id=decision.decision_id), metadata=AUTH, timeout=10
    ).decision
    assert notice == decision

    living = zhao("app_h05_dls", programme_pb2.PROGRAMME_DISABILITY_LIVING_SUBSIDY)
    care = zhao("app_h05_dcs", programme_pb2.PROGRAMME_SEVERE_DISABILITY_CARE_SUBSIDY)
    _, dls = run_short(eligibility, living, DAUGHTER)
    _, dcs = run_short(eligibility, care, DAUGHTER)
    assert (dls.monthly_amount.amount_fen, dcs.monthly_amount.amount_fen) == (10_000, 10_000)
    assert outcomes(dls)["DIBAO_MEMBER"] == pb.CONDITION_OUTCOME_PASS  # 单人保 counts as Dibao (§5.4)


def test_h05_boundary_at_3800_a_month_the_household_is_not_marginal_so_no_single_person_dibao(
    eligibility,
) -> None:  # type: ignore[no-untyped-def]
    richer = Example(
        "app_h05_richer",
        URBAN,
        ZHAO_MEMBERS,
        ((0, "wage_income", 4_560_000, {}), *_ZHAO_ITEMS[1:]),
        ASSETS_PASS,
        programme_pb2.PROGRAMME_SINGLE_PERSON_DIBAO,
    )
    eligibility.clock.on(2025, 3, 3)
    open_case(eligibility, richer)
    survey(eligibility, richer, DAUGHTER)
    review(eligibility, richer)
    proposed = assess(eligibility, richer)
    assert proposed.outcome == pb.DECISION_OUTCOME_REJECTED
    assert outcomes(proposed)["U1"] == pb.CONDITION_OUTCOME_FAIL


def test_h10_the_child_with_leukaemia_gets_672_single_person_dibao_in_a_marginal_household(
    eligibility,
) -> None:  # type: ignore[no-untyped-def]
    sun = Example(
        "app_h10_single",
        URBAN,
        (("640402198701013139", "孙建华"), ("640402198902023245", "周敏"), ("640402201803033151", "孙乐乐")),
        (
            (0, "wage_income", 3_600_000, {}),
            (1, "wage_income", 1_800_000, {}),
            (2, "out_of_pocket", 12_000_000, {}),
        ),
        ASSETS_PASS,
        programme_pb2.PROGRAMME_SINGLE_PERSON_DIBAO,
    )
    child = pb.PersonFindings(
        member_index=2,
        seriously_ill=True,
        obligors=[
            pb.Obligor(relative_id="father", relation=pb.KIN_RELATION_PARENT, age=38),
            pb.Obligor(relative_id="mother", relation=pb.KIN_RELATION_PARENT, age=36),
        ],
    )
    decision = run_six_steps(eligibility, sun, child)

    assert decision.outcome == pb.DECISION_OUTCOME_APPROVED
    assert decision.monthly_amount.amount_fen == 67_200
    assert "household y=750.00" in next(c for c in decision.conditions if c.code == "U1").inputs
    assert "U2b serious illness" in " ".join(next(c for c in decision.conditions if c.code == "U2").inputs)
