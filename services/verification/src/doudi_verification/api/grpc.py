"""The verification gRPC API (doudi.verification.v1.VerificationService): proto ↔ command, nothing more."""

from __future__ import annotations

from datetime import date

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from doudi.common.v1 import types_pb2
from doudi.verification.v1 import verification_pb2, verification_pb2_grpc
from doudi_runtime.grpc import context as call_context
from doudi_runtime.paging import parse_page
from doudi_verification.app.checks import VerificationUseCases
from doudi_verification.app.reviews import ReviewUseCases
from doudi_verification.domain.report import Override
from doudi_verification.domain.review import Review
from doudi_verification.events.reports import report_to_proto


def _override(message: verification_pb2.SurveyOverride) -> Override:
    return Override(
        member_index=message.member_index,
        source=message.source.strip().upper(),
        item=message.item.strip(),
        amount_fen=message.amount_fen,
        attributes=tuple(sorted(message.attributes.items())),
        reason="",
        survey_id="",
    )


def review_to_proto(review: Review, today: date) -> verification_pb2.Review:
    started_at = Timestamp()
    started_at.FromDatetime(review.started_at)
    return verification_pb2.Review(
        review_id=review.review_id,
        entitlement_id=review.entitlement_id,
        household_id=review.household_id,
        application_id=review.application_id,
        region=types_pb2.RegionCode(code=review.region),
        category=review.category.value if review.category else "",
        due_on=types_pb2.Date(year=review.due_on.year, month=review.due_on.month, day=review.due_on.day),
        state=verification_pb2.ReviewState.Value(f"REVIEW_STATE_{review.state.value}"),
        overdue=review.is_overdue(today),
        started_at=started_at,
        report_id=review.report_id,
        note=review.note,
    )


class VerificationApi(verification_pb2_grpc.VerificationServiceServicer):
    def __init__(self, use_cases: VerificationUseCases, reviews: ReviewUseCases) -> None:
        self._checks = use_cases
        self._reviews = reviews

    def RequestVerification(
        self, request: verification_pb2.RequestVerificationRequest, context: grpc.ServicerContext
    ) -> verification_pb2.RequestVerificationResponse:
        case, latest = self._checks.request_check(request.request_id, request.application_id, request.reason)
        return verification_pb2.RequestVerificationResponse(
            application_id=case.application_id, latest_report=report_to_proto(latest) if latest else None
        )

    def GetReport(
        self, request: verification_pb2.GetReportRequest, context: grpc.ServicerContext
    ) -> verification_pb2.GetReportResponse:
        report = self._checks.get_report(request.report_id, request.application_id)
        return verification_pb2.GetReportResponse(report=report_to_proto(report))

    def RecordHomeSurvey(
        self, request: verification_pb2.RecordHomeSurveyRequest, context: grpc.ServicerContext
    ) -> verification_pb2.RecordHomeSurveyResponse:
        survey_id, report = self._checks.record_survey(
            request.request_id,
            request.application_id,
            tuple(request.surveyor_ids),
            request.findings,
            tuple(_override(o) for o in request.overrides),
            request.override_reason,
            recorded_by=call_context.current_principal() or "unknown",
        )
        return verification_pb2.RecordHomeSurveyResponse(
            survey_id=survey_id, report=report_to_proto(report) if report else None
        )

    def DisputeReport(
        self, request: verification_pb2.DisputeReportRequest, context: grpc.ServicerContext
    ) -> verification_pb2.DisputeReportResponse:
        item = {
            "member_index": request.item.member_index,
            "source": request.item.source,
            "item": request.item.item,
            "amount_fen": request.item.amount_fen,
        }
        dispute_id, due = self._checks.dispute(request.request_id, request.report_id, item, request.evidence)
        return verification_pb2.DisputeReportResponse(
            dispute_id=dispute_id, recheck_due={"year": due.year, "month": due.month, "day": due.day}
        )

    def ListReviews(
        self, request: verification_pb2.ListReviewsRequest, context: grpc.ServicerContext
    ) -> verification_pb2.ListReviewsResponse:
        page = parse_page(request.page.page_size, request.page.page_token)
        found, token = self._reviews.list(request.region.code, request.overdue_only, page)
        today = self._reviews.today()
        return verification_pb2.ListReviewsResponse(
            reviews=[review_to_proto(r, today) for r in found],
            page=types_pb2.PageResponse(next_page_token=token),
        )
