"""Verification's report events and protos: domain reports → doudi.verification.v1 messages."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from doudi.common.v1 import types_pb2
from doudi.verification.v1 import events_pb2, verification_pb2
from doudi_contracts.topics import topic
from doudi_runtime.grpc.convert import timestamp
from doudi_verification.domain.income import yuan
from doudi_verification.domain.records import Item
from doudi_verification.domain.report import Report

TOPIC_REPORTS = topic("doudi.verification.report.v1").name


def _date(day: date | None) -> types_pb2.Date | None:
    return None if day is None else types_pb2.Date(year=day.year, month=day.month, day=day.day)


def exact(amount: Fraction | int | None) -> verification_pb2.ExactFen | None:
    if amount is None:
        return None
    value = Fraction(amount)
    return verification_pb2.ExactFen(
        numerator=value.numerator, denominator=value.denominator, display_yuan=yuan(value)
    )


def item_to_proto(item: Item) -> verification_pb2.SourceItem:
    return verification_pb2.SourceItem(
        member_index=item.member_index,
        source=item.source,
        item=item.item,
        amount_fen=item.amount_fen,
        as_of=_date(item.as_of),
        attributes=dict(item.attributes),
        overridden_by=item.overridden_by,
    )


def report_to_proto(report: Report) -> verification_pb2.Report:
    income = report.income
    return verification_pb2.Report(
        report_id=report.report_id,
        application_id=report.application_id,
        state=verification_pb2.ReportState.Value(f"REPORT_STATE_{report.state.value}"),
        policy_version=report.policy_version,
        counted_members=report.counted_members,
        gross_income_fen=income.gross_fen if income else 0,
        deductions=exact(income.deductions_fen) if income else None,
        per_capita_monthly=exact(income.per_capita_monthly_fen) if income else None,
        monthly_standard=exact(report.monthly_standard_fen) if income else None,
        income_band=verification_pb2.IncomeBand.Value(f"INCOME_BAND_{report.band.value}")
        if report.band
        else verification_pb2.INCOME_BAND_UNSPECIFIED,
        marginal_household=report.marginal_household,
        asset_tests=[
            verification_pb2.AssetTest(
                rule=test.rule,
                outcome=verification_pb2.AssetOutcome.Value(f"ASSET_OUTCOME_{test.outcome.value}"),
                reason=test.reason,
            )
            for test in report.assets
        ],
        computation=list(income.lines) if income else [],
        items=[item_to_proto(item) for item in report.items],
        unclassified_items=[item.item for item in report.unclassified],
        missing_sources=[
            verification_pb2.MissingSource(member_index=m.member_index, source=m.source, error=m.error)
            for m in report.missing
        ],
        produced_at=timestamp(report.produced_at),
        valid_until=_date(report.valid_until),
        purpose=verification_pb2.CheckPurpose.Value(f"CHECK_PURPOSE_{report.purpose}"),
        review_id=report.review_id,
    )


def household_verified(report: Report) -> events_pb2.HouseholdVerified:
    return events_pb2.HouseholdVerified(report=report_to_proto(report))


def verification_incomplete(report: Report) -> events_pb2.VerificationIncomplete:
    return events_pb2.VerificationIncomplete(
        report=report_to_proto(report), missing_sources=sorted({m.source for m in report.missing})
    )


def home_survey_completed(application_id: str, survey_id: str) -> events_pb2.HomeSurveyCompleted:
    return events_pb2.HomeSurveyCompleted(application_id=application_id, survey_id=survey_id)
