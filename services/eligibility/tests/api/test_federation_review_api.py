"""The disabled persons' federation's review of the two disability subsidies (DOMAIN §7.5:
DS_TOWNSHIP_REVIEWED → DS_CDPF_REVIEWED → DS_DECIDED): the county approves only after the review, never
against a review that does not confirm, and other programmes have no such step."""

from __future__ import annotations

import grpc
import pytest
from sqlalchemy import select

from doudi.eligibility.v1 import eligibility_pb2 as pb
from doudi_eligibility.store.tables import audit_log
from doudi_runtime.grpc.errors import field_violations_from

from .conftest import AUTH, COUNTY_OFFICER, TOWNSHIP_OFFICER, Eligibility, open_case
from .test_person_programmes_api import H08_DIBAO, H12_DCS, assess, case_of, decide, federation_review, survey

CARE = pb.PersonFindings(needs_long_term_care=True)


def at_county(e: Eligibility) -> None:
    e.clock.on(2025, 4, 1)
    open_case(e, H12_DCS)
    e.clock.on(2025, 4, 3)
    survey(e, H12_DCS, CARE)
    assess(e, H12_DCS)


def test_h12_the_care_subsidy_waits_for_the_federation_and_is_approved_once_it_confirms(
    eligibility: Eligibility,
) -> None:
    at_county(eligibility)
    case = case_of(eligibility, H12_DCS.application_id)
    assert case.federation_review_required
    assert case.federation_review == pb.FEDERATION_REVIEW_OUTCOME_UNSPECIFIED
    eligibility.clock.on(2025, 4, 10)
    with pytest.raises(grpc.RpcError) as early:
        decide(eligibility, H12_DCS)
    assert early.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert "federation" in (early.value.details() or "")

    reviewed = federation_review(eligibility, H12_DCS)

    assert reviewed.step == pb.CASE_STEP_CONFIRMATION_REVIEW
    assert reviewed.federation_review == pb.FEDERATION_REVIEW_OUTCOME_CONFIRMED
    with eligibility.context.database.read() as session:  # type: ignore[union-attr]
        row = session.execute(
            select(audit_log).where(
                audit_log.c.subject_id == H12_DCS.application_id,
                audit_log.c.action == "federation review recorded",
            )
        ).one()
    assert row.actor_role == "COUNTY" and "残联" in row.detail
    approved = eligibility.stub.Decide(
        pb.DecideRequest(
            request_id="decide-after-review",
            application_id=H12_DCS.application_id,
            outcome=pb.DECISION_OUTCOME_APPROVED,
            reason="经审核确认",
            actor=COUNTY_OFFICER,
        ),
        metadata=AUTH,
        timeout=10,
    ).decision
    assert (approved.outcome, approved.monthly_amount.amount_fen) == (pb.DECISION_OUTCOME_APPROVED, 10_000)


def test_a_review_that_does_not_confirm_leaves_the_county_to_refuse(eligibility: Eligibility) -> None:
    at_county(eligibility)
    federation_review(eligibility, H12_DCS, pb.FEDERATION_REVIEW_OUTCOME_NOT_CONFIRMED)
    with pytest.raises(grpc.RpcError) as against:
        decide(eligibility, H12_DCS)
    assert against.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    refused = eligibility.stub.Decide(
        pb.DecideRequest(
            request_id="refuse",
            application_id=H12_DCS.application_id,
            outcome=pb.DECISION_OUTCOME_REJECTED,
            reason="县残联复核残疾等级不符",
            actor=COUNTY_OFFICER,
        ),
        metadata=AUTH,
        timeout=10,
    ).decision
    assert refused.outcome == pb.DECISION_OUTCOME_REJECTED


def test_the_review_is_recorded_once_by_the_county_and_needs_an_outcome_and_an_opinion(
    eligibility: Eligibility,
) -> None:
    at_county(eligibility)
    with pytest.raises(grpc.RpcError) as township:
        eligibility.stub.RecordFederationReview(
            pb.RecordFederationReviewRequest(
                request_id="f-t",
                application_id=H12_DCS.application_id,
                outcome=pb.FEDERATION_REVIEW_OUTCOME_CONFIRMED,
                opinion="属实",
                actor=TOWNSHIP_OFFICER,
            ),
            metadata=AUTH,
            timeout=10,
        )
    assert township.value.code() is grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as empty:
        eligibility.stub.RecordFederationReview(
            pb.RecordFederationReviewRequest(
                request_id="f-empty", application_id=H12_DCS.application_id, actor=COUNTY_OFFICER
            ),
            metadata=AUTH,
            timeout=10,
        )
    assert empty.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert {name for name, _ in field_violations_from(empty.value)} == {"outcome", "opinion"}
    federation_review(eligibility, H12_DCS)
    with pytest.raises(grpc.RpcError) as again:
        eligibility.stub.RecordFederationReview(
            pb.RecordFederationReviewRequest(
                request_id="f-again",
                application_id=H12_DCS.application_id,
                outcome=pb.FEDERATION_REVIEW_OUTCOME_NOT_CONFIRMED,
                opinion="再审",
                actor=COUNTY_OFFICER,
            ),
            metadata=AUTH,
            timeout=10,
        )
    assert again.value.code() is grpc.StatusCode.FAILED_PRECONDITION


def test_a_dibao_case_has_no_federation_review(eligibility: Eligibility) -> None:
    open_case(eligibility, H08_DIBAO)
    assert not case_of(eligibility, H08_DIBAO.application_id).federation_review_required
