"""Entitlements that rest on a Dibao follow it through the API (DOMAIN §5.4, §5.5, §7.5, H05, H08): the FUC
top-up is recomputed from the month a change of the household's Dibao applies, and the disability living
subsidy stops with the Dibao while the care subsidy, which does not need it, goes on."""

from __future__ import annotations

from datetime import date

import grpc
import pytest

from doudi.common.v1 import programme_pb2, types_pb2
from doudi.eligibility.v1 import eligibility_pb2 as pb
from doudi.eligibility.v1 import events_pb2

from .conftest import APPLICANT, AUTH, COUNTY_OFFICER, REVIEWING_BODY, TOWNSHIP_OFFICER, Eligibility
from .test_entitlements_api import get
from .test_parameters_api import COUNTY, publish
from .test_person_programmes_api import (
    DAUGHTER,
    H08_DIBAO,
    H08_FUC,
    entitlement_of,
    run_short,
    run_six_steps,
    zhao,
)

#: H08: the girl's parents, one imprisoned and one out of contact; her grandfather can support her (K3).
H08_GIRL = pb.PersonFindings(
    member_index=1,
    obligors=[
        pb.Obligor(
            relative_id="grandfather", relation=pb.KIN_RELATION_GRANDPARENT, age=58, duty_condition_met=True
        )
    ],
    father=pb.ParentSituation(status=pb.PARENT_STATUS_DEPRIVED_OF_LIBERTY, months=60),
    mother=pb.ParentSituation(status=pb.PARENT_STATUS_LOST_CONTACT, months=36),
)


def review(e: Eligibility, entitlement_id: str, key: str, result: int, **fields: object) -> pb.Entitlement:
    e.stub.StartReview(
        pb.StartReviewRequest(
            request_id=f"start-{key}", entitlement_id=entitlement_id, reason="复核", actor=TOWNSHIP_OFFICER
        ),
        metadata=AUTH,
        timeout=10,
    )
    return e.stub.CompleteReview(
        pb.CompleteReviewRequest(
            request_id=f"complete-{key}",
            entitlement_id=entitlement_id,
            result=result,
            reason="复核结论",
            actor=COUNTY_OFFICER,
            **fields,  # type: ignore[arg-type]
        ),
        metadata=AUTH,
        timeout=10,
    ).entitlement


def terminate(e: Eligibility, entitlement_id: str) -> pb.Entitlement:
    review(e, entitlement_id, "end", pb.REVIEW_RESULT_TERMINATE, termination_reason="INCOME_ABOVE_STD")
    return e.stub.Terminate(
        pb.TerminateRequest(
            request_id="terminate",
            entitlement_id=entitlement_id,
            reason="INCOME_ABOVE_STD",
            actor=COUNTY_OFFICER,
        ),
        metadata=AUTH,
        timeout=10,
    ).entitlement


def changes_of(e: Eligibility, entitlement_id: str) -> list[events_pb2.EntitlementChanged]:
    found = [
        events_pb2.EntitlementChanged.FromString(env.payload.value)
        for env in e.envelopes("EntitlementChanged")
    ]
    return [c for c in found if c.after.entitlement_id == entitlement_id]


def terminations_of(e: Eligibility, entitlement_id: str) -> list[events_pb2.EntitlementTerminated]:
    found = [
        events_pb2.EntitlementTerminated.FromString(env.payload.value)
        for env in e.envelopes("EntitlementTerminated")
    ]
    return [t for t in found if t.entitlement.entitlement_id == entitlement_id]


def h05_paying_from_may(e: Eligibility, *, care: bool = True) -> tuple[str, str, str]:
    """H05's single-person Dibao and the daughter's living subsidy (and, with ``care``, her care subsidy),
    paying from May 2025: their entitlement ids ("" for a care subsidy not applied for)."""
    single = zhao("app_h05_single", programme_pb2.PROGRAMME_SINGLE_PERSON_DIBAO)
    run_six_steps(e, single, DAUGHTER)
    living = zhao("app_h05_dls", programme_pb2.PROGRAMME_DISABILITY_LIVING_SUBSIDY)
    run_short(e, living, DAUGHTER)
    severe = zhao("app_h05_dcs", programme_pb2.PROGRAMME_SEVERE_DISABILITY_CARE_SUBSIDY)
    if care:
        run_short(e, severe, DAUGHTER)
    e.clock.on(2025, 5, 1)
    e.app.entitlements.activate_due()
    return (
        entitlement_of(e, single.application_id).entitlement_id,
        entitlement_of(e, living.application_id).entitlement_id,
        entitlement_of(e, severe.application_id).entitlement_id if care else "",
    )


def h08_paying_from_may(e: Eligibility) -> tuple[str, str]:
    """H08's Dibao and the girl's FUC top-up, approved and paying from May 2025: their entitlement ids."""
    run_six_steps(e, H08_DIBAO, None, stable=True)
    run_short(e, H08_FUC, H08_GIRL)
    e.clock.on(2025, 5, 1)
    e.app.entitlements.activate_due()
    return (
        entitlement_of(e, H08_DIBAO.application_id).entitlement_id,
        entitlement_of(e, H08_FUC.application_id).entitlement_id,
    )


def test_h08_the_fuc_top_up_follows_the_households_dibao_down_and_to_its_end(
    eligibility: Eligibility,
) -> None:
    dibao, fuc = h08_paying_from_may(eligibility)
    assert get(eligibility, fuc).monthly_amount.amount_fen == 150_150

    # May: the review lowers the household's Dibao to 150 from June; the girl's share is 75.
    eligibility.clock.on(2025, 5, 12)
    review(
        eligibility,
        dibao,
        "lower",
        pb.REVIEW_RESULT_CONTINUE,
        monthly_amount=types_pb2.Money(amount_fen=15_000),
    )
    assert get(eligibility, fuc).monthly_amount.amount_fen == 152_500
    [lowered] = changes_of(eligibility, fuc)
    assert lowered.effective_month.month == "2025-06"
    assert (lowered.before.monthly_amount.amount_fen, lowered.after.monthly_amount.amount_fen) == (
        150_150,
        152_500,
    )
    assert "75.00" in lowered.reason

    # June: the Dibao ends from July; the FUC allowance is paid in full from July.
    eligibility.clock.on(2025, 6, 5)
    ended = terminate(eligibility, dibao)
    assert ended.last_month.month == "2025-06"
    assert get(eligibility, fuc).monthly_amount.amount_fen == 160_000
    assert get(eligibility, fuc).state == pb.ENTITLEMENT_STATE_ACTIVE
    full = changes_of(eligibility, fuc)[-1]
    assert full.effective_month.month == "2025-07"
    assert full.after.monthly_amount.amount_fen == 160_000


def test_an_appeal_that_restores_the_dibao_amount_restores_the_top_up(eligibility: Eligibility) -> None:
    dibao, fuc = h08_paying_from_may(eligibility)
    eligibility.clock.on(2025, 5, 12)
    lowered = review(
        eligibility,
        dibao,
        "lower",
        pb.REVIEW_RESULT_CONTINUE,
        monthly_amount=types_pb2.Money(amount_fen=15_000),
    )
    appeal_id = eligibility.stub.FileAppeal(
        pb.FileAppealRequest(
            request_id="appeal",
            decision_id=lowered.decision_id,
            kind="RECONSIDERATION",
            grounds="收入认定有误",
            actor=APPLICANT,
        ),
        metadata=AUTH,
        timeout=10,
    ).appeal_id
    eligibility.clock.on(2025, 6, 20)
    eligibility.stub.DecideAppeal(
        pb.DecideAppealRequest(
            request_id="revoke",
            appeal_id=appeal_id,
            outcome=pb.APPEAL_OUTCOME_REVOKED,
            reason="撤销减发决定",
            actor=REVIEWING_BODY,
        ),
        metadata=AUTH,
        timeout=10,
    )
    assert get(eligibility, dibao).monthly_amount.amount_fen == 19_700
    assert get(eligibility, fuc).monthly_amount.amount_fen == 150_150
    restored = changes_of(eligibility, fuc)[-1]
    assert (restored.effective_month.month, restored.after.monthly_amount.amount_fen) == ("2025-07", 150_150)


def test_h05_the_living_subsidy_stops_with_the_single_person_dibao_and_the_care_subsidy_goes_on(
    eligibility: Eligibility,
) -> None:
    dibao, dls, dcs = h05_paying_from_may(eligibility)

    eligibility.clock.on(2025, 6, 5)
    terminate(eligibility, dibao)

    ended = get(eligibility, dls)
    assert ended.state == pb.ENTITLEMENT_STATE_TERMINATED
    assert (ended.termination_reason, ended.last_month.month) == ("DIBAO_ENDED", "2025-06")
    [announced] = terminations_of(eligibility, dls)
    assert (announced.reason, announced.last_month.month) == ("DIBAO_ENDED", "2025-06")
    assert get(eligibility, dcs).state == pb.ENTITLEMENT_STATE_ACTIVE
    assert terminations_of(eligibility, dcs) == []


def test_a_dibao_review_that_keeps_the_amount_leaves_its_dependents_alone(eligibility: Eligibility) -> None:
    dibao, dls, _ = h05_paying_from_may(eligibility, care=False)
    review(
        eligibility,
        dibao,
        "same",
        pb.REVIEW_RESULT_CONTINUE,
        monthly_amount=types_pb2.Money(amount_fen=67_200),
    )
    assert get(eligibility, dls).state == pb.ENTITLEMENT_STATE_ACTIVE
    assert changes_of(eligibility, dls) == [] and terminations_of(eligibility, dls) == []


def revoke(e: Eligibility, decision_id: str) -> pb.DecideAppealResponse:
    appeal_id = e.stub.FileAppeal(
        pb.FileAppealRequest(
            request_id=f"appeal-{decision_id}",
            decision_id=decision_id,
            kind="RECONSIDERATION",
            grounds="家庭收入认定有误",
            actor=APPLICANT,
        ),
        metadata=AUTH,
        timeout=10,
    ).appeal_id
    return e.stub.DecideAppeal(
        pb.DecideAppealRequest(
            request_id=f"revoke-{decision_id}",
            appeal_id=appeal_id,
            outcome=pb.APPEAL_OUTCOME_REVOKED,
            reason="撤销停保决定",
            actor=REVIEWING_BODY,
        ),
        metadata=AUTH,
        timeout=10,
    )


def test_h05_an_appeal_that_reverses_the_dibaos_end_restores_the_living_subsidy_with_arrears(
    eligibility: Eligibility,
) -> None:
    dibao, dls, dcs = h05_paying_from_may(eligibility)
    subsidy = get(eligibility, dls).monthly_amount.amount_fen
    eligibility.clock.on(2025, 6, 5)
    ended = terminate(eligibility, dibao)
    ended_dls = get(eligibility, dls)
    assert ended_dls.state == pb.ENTITLEMENT_STATE_TERMINATED

    # September: the reviewing body revokes the termination; both pay again from October, and July to
    # September are owed.
    eligibility.clock.on(2025, 9, 20)
    revoked = revoke(eligibility, ended.decision_id)
    assert revoked.entitlement.state != pb.ENTITLEMENT_STATE_TERMINATED
    assert revoked.arrears.amount_fen == 3 * ended.monthly_amount.amount_fen

    restored = get(eligibility, dls)
    assert (restored.state, restored.monthly_amount.amount_fen) == (pb.ENTITLEMENT_STATE_ACTIVE, subsidy)
    assert not restored.HasField("last_month") and restored.termination_reason == ""
    [back] = changes_of(eligibility, dls)
    assert back.reversed_decision_id == ended_dls.decision_id
    assert (back.effective_month.month, back.arrears.amount_fen) == ("2025-10", 3 * subsidy)
    assert (back.before.state, back.after.state) == (
        pb.ENTITLEMENT_STATE_TERMINATED,
        pb.ENTITLEMENT_STATE_ACTIVE,
    )
    assert changes_of(eligibility, dcs) == [], "the care subsidy never ended"

    # The revoked termination pays the Dibao again (ACTIVE, not back to a pending end); ending it again
    # needs a new review, and ends the restored subsidy again.
    assert revoked.entitlement.state == pb.ENTITLEMENT_STATE_ACTIVE
    assert revoked.entitlement.termination_reason == ""
    eligibility.clock.on(2025, 10, 9)
    with pytest.raises(grpc.RpcError) as refused:
        eligibility.stub.Terminate(
            pb.TerminateRequest(
                request_id="terminate-without-review",
                entitlement_id=dibao,
                reason="INCOME_ABOVE_STD",
                actor=COUNTY_OFFICER,
            ),
            metadata=AUTH,
            timeout=10,
        )
    assert refused.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    review(eligibility, dibao, "end again", pb.REVIEW_RESULT_TERMINATE, termination_reason="INCOME_ABOVE_STD")
    eligibility.stub.Terminate(
        pb.TerminateRequest(
            request_id="terminate-again",
            entitlement_id=dibao,
            reason="INCOME_ABOVE_STD",
            actor=COUNTY_OFFICER,
        ),
        metadata=AUTH,
        timeout=10,
    )
    assert get(eligibility, dls).state == pb.ENTITLEMENT_STATE_TERMINATED
    assert get(eligibility, dls).last_month.month == "2025-10"


def test_h08_an_appeal_that_reverses_the_dibaos_end_recomputes_the_top_up_against_it(
    eligibility: Eligibility,
) -> None:
    dibao, fuc = h08_paying_from_may(eligibility)
    eligibility.clock.on(2025, 6, 5)
    ended = terminate(eligibility, dibao)
    assert get(eligibility, fuc).monthly_amount.amount_fen == 160_000

    eligibility.clock.on(2025, 6, 20)
    revoke(eligibility, ended.decision_id)
    assert get(eligibility, fuc).monthly_amount.amount_fen == 150_150
    recomputed = changes_of(eligibility, fuc)[-1]
    assert (recomputed.effective_month.month, recomputed.after.monthly_amount.amount_fen) == (
        "2025-07",
        150_150,
    )


def test_h08_a_new_rural_standard_re_determines_the_dibao_and_the_top_up_follows_in_the_same_run(
    eligibility: Eligibility,
) -> None:
    dibao, fuc = h08_paying_from_may(eligibility)
    old_dibao = get(eligibility, dibao).monthly_amount.amount_fen
    assert get(eligibility, fuc).monthly_amount.amount_fen == 160_000 - old_dibao // 2

    eligibility.clock.on(2025, 6, 10)
    published = publish(
        eligibility, "EX-GY-2025-07", COUNTY, date(2025, 7, 1), {"dibao.std.rural.annual": "4200"}
    )
    assert published.redetermination.changed == 1
    new_dibao = get(eligibility, dibao).monthly_amount.amount_fen
    assert new_dibao > old_dibao
    assert get(eligibility, fuc).monthly_amount.amount_fen == 160_000 - new_dibao // 2
    [followed] = changes_of(eligibility, fuc)
    assert followed.effective_month.month == "2025-07"
    assert (followed.before.monthly_amount.amount_fen, followed.after.monthly_amount.amount_fen) == (
        160_000 - old_dibao // 2,
        160_000 - new_dibao // 2,
    )

    # The same version heard again re-determines nothing and moves no top-up.
    publish(eligibility, "EX-GY-2025-07", COUNTY, date(2025, 7, 1), {"dibao.std.rural.annual": "4200"})
    assert len(changes_of(eligibility, fuc)) == 1


def test_h08_an_appeal_months_later_owes_the_dibao_less_what_the_full_fuc_paid_meanwhile(
    eligibility: Eligibility,
) -> None:
    dibao, fuc = h08_paying_from_may(eligibility)
    eligibility.clock.on(2025, 6, 5)
    ended = terminate(eligibility, dibao)
    assert get(eligibility, fuc).monthly_amount.amount_fen == 160_000  # in full from July

    # Revoked in September: the Dibao pays again from October. July to September it withheld 3 × 197, but
    # the girl's FUC paid her share (98.50) on top of the top-up each of those months: the household is owed
    # the difference, so that no month pays the girl's share twice.
    eligibility.clock.on(2025, 9, 20)
    revoked = revoke(eligibility, ended.decision_id)
    dibao_fen = ended.monthly_amount.amount_fen
    assert dibao_fen == 19_700
    assert revoked.arrears.amount_fen == 3 * dibao_fen - 3 * (160_000 - 150_150)
    assert get(eligibility, fuc).monthly_amount.amount_fen == 150_150
    [back] = [c for c in changes_of(eligibility, dibao) if c.reversed_decision_id == ended.decision_id]
    assert (back.effective_month.month, back.arrears.amount_fen) == ("2025-10", revoked.arrears.amount_fen)
