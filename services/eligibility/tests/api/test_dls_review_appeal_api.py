"""Where the county extends the disability living subsidy to marginal households (DOMAIN §5.4), the end of
the Dibao puts the subsidy under review instead of ending it; an appeal that reverses that end (§7.6) closes
the review in the same transaction: the subsidy is ACTIVE again, announced as EntitlementChanged, owed
nothing for the months the review paid and every month a suspension during the review held (§11.4)."""

from __future__ import annotations

from datetime import date

from doudi.eligibility.v1 import eligibility_pb2 as pb

from .conftest import AUTH, COUNTY_OFFICER, TOWNSHIP_OFFICER, Eligibility
from .test_dibao_dependents_api import changes_of, h05_paying_from_may, revoke, terminate, terminations_of
from .test_entitlements_api import get
from .test_parameters_api import COUNTY, publish


def h05_under_marginal_extension(e: Eligibility) -> tuple[str, str]:
    """H05's single-person Dibao and the daughter's living subsidy, paying from May 2025, in a county that
    extends the subsidy to marginal households from June: their entitlement ids."""
    dibao, dls, _ = h05_paying_from_may(e, care=False)
    e.clock.on(2025, 5, 20)
    publish(e, "EX-GY-2025-06-DLS", COUNTY, date(2025, 6, 1), {"dls.extend_to_marginal": "true"})
    return dibao, dls


def test_the_dibaos_end_puts_the_subsidy_under_review_and_the_appeal_returns_it_to_active(
    eligibility: Eligibility,
) -> None:
    dibao, dls = h05_under_marginal_extension(eligibility)
    subsidy = get(eligibility, dls).monthly_amount.amount_fen
    eligibility.clock.on(2025, 6, 5)
    ended = terminate(eligibility, dibao)
    reviewed = get(eligibility, dls)
    assert (reviewed.state, reviewed.monthly_amount.amount_fen) == (
        pb.ENTITLEMENT_STATE_UNDER_REVIEW,
        subsidy,
    )
    assert terminations_of(eligibility, dls) == [] and changes_of(eligibility, dls) == []

    # September: the reviewing body revokes the Dibao's end; the subsidy, paid all along, owes nothing.
    eligibility.clock.on(2025, 9, 20)
    revoke(eligibility, ended.decision_id)
    restored = get(eligibility, dls)
    assert (restored.state, restored.monthly_amount.amount_fen) == (pb.ENTITLEMENT_STATE_ACTIVE, subsidy)
    [back] = changes_of(eligibility, dls)
    assert (back.before.state, back.after.state) == (
        pb.ENTITLEMENT_STATE_UNDER_REVIEW,
        pb.ENTITLEMENT_STATE_ACTIVE,
    )
    assert (back.effective_month.month, back.arrears.amount_fen) == ("2025-10", 0)
    assert back.reversed_decision_id == reviewed.decision_id
    assert back.after.monthly_amount.amount_fen == subsidy

    # Closed, the review is not closed twice: the same appeal heard again changes nothing more.
    revoke(eligibility, ended.decision_id)
    assert len(changes_of(eligibility, dls)) == 1


def test_a_subsidy_suspended_during_that_review_is_owed_the_held_months(eligibility: Eligibility) -> None:
    dibao, dls = h05_under_marginal_extension(eligibility)
    subsidy = get(eligibility, dls).monthly_amount.amount_fen
    eligibility.clock.on(2025, 6, 5)
    ended = terminate(eligibility, dibao)

    # July: the township, unable to reach the household for the review, suspends the subsidy from August.
    eligibility.clock.on(2025, 7, 10)
    suspended = eligibility.stub.Suspend(
        pb.SuspendRequest(request_id="hold", entitlement_id=dls, reason="联系不上", actor=TOWNSHIP_OFFICER),
        metadata=AUTH,
        timeout=10,
    ).entitlement
    assert suspended.state == pb.ENTITLEMENT_STATE_SUSPENDED

    # September: the Dibao's end is revoked; the subsidy pays again from October, August and September owed.
    eligibility.clock.on(2025, 9, 20)
    revoke(eligibility, ended.decision_id)
    restored = get(eligibility, dls)
    assert (restored.state, restored.monthly_amount.amount_fen) == (pb.ENTITLEMENT_STATE_ACTIVE, subsidy)
    [back] = changes_of(eligibility, dls)
    assert (back.before.state, back.after.state) == (
        pb.ENTITLEMENT_STATE_SUSPENDED,
        pb.ENTITLEMENT_STATE_ACTIVE,
    )
    assert (back.effective_month.month, back.arrears.amount_fen) == ("2025-10", 2 * subsidy)
    assert back.reversed_decision_id == suspended.decision_id


def test_a_review_the_township_concluded_before_the_appeal_stays_concluded(eligibility: Eligibility) -> None:
    dibao, dls = h05_under_marginal_extension(eligibility)
    subsidy = get(eligibility, dls).monthly_amount.amount_fen
    eligibility.clock.on(2025, 6, 5)
    ended = terminate(eligibility, dibao)
    eligibility.clock.on(2025, 7, 10)
    eligibility.stub.CompleteReview(
        pb.CompleteReviewRequest(
            request_id="marginal",
            entitlement_id=dls,
            result=pb.REVIEW_RESULT_CONTINUE,
            monthly_amount=get(eligibility, dls).monthly_amount,
            reason="认定为低保边缘家庭，继续发放",
            actor=COUNTY_OFFICER,
        ),
        metadata=AUTH,
        timeout=10,
    )
    concluded = get(eligibility, dls)
    assert concluded.state == pb.ENTITLEMENT_STATE_ACTIVE

    eligibility.clock.on(2025, 9, 20)
    revoke(eligibility, ended.decision_id)
    after = get(eligibility, dls)
    assert (after.state, after.monthly_amount.amount_fen, after.decision_id) == (
        pb.ENTITLEMENT_STATE_ACTIVE,
        subsidy,
        concluded.decision_id,
    )
    assert changes_of(eligibility, dls) == []
