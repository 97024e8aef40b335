"""The window's steps through the gRPC API on a real store: accept, correct, refuse, transfer, withdraw,
list, and duplicate warnings; every step is announced once, and a retry changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import grpc
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from doudi.common.v1 import types_pb2
from doudi.intake.v1 import events_pb2, intake_pb2
from doudi_common.calendar import load_cn_calendar
from doudi_intake.app.applications import ApplicationUseCases
from doudi_intake.domain.window import WindowTimeLimits
from doudi_runtime.events.envelope import decode
from doudi_runtime.grpc.errors import field_violations_from

from .conftest import AUTH, submission

OTHER_TOWNSHIP = "640402101000"
OTHER_COUNTY_TOWNSHIP = "640522100000"


def call(stub, method: str, request):  # type: ignore[no-untyped-def]
    return getattr(stub, method)(request, metadata=AUTH, timeout=10)


def rpc_error(stub, method: str, request) -> grpc.RpcError:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as raised:
        call(stub, method, request)
    return raised.value


def event_types(context) -> list[str]:  # type: ignore[no-untyped-def]
    with context.database.read() as session:
        rows = session.execute(select(context.store.messaging.outbox.c.envelope)).all()
    return [decode(row.envelope).event_type.rsplit(".", 1)[1] for row in rows]


def submitted(stub, request_id: str = "req-1", **overrides):  # type: ignore[no-untyped-def]
    return call(stub, "SubmitApplication", submission(request_id, **overrides)).application


def with_all_consents(request_id: str = "req-1", **overrides):  # type: ignore[no-untyped-def]
    request = submission(request_id, **overrides)
    for member in request.household.members:
        member.consent_signed = True
    return request


def test_acceptance_waits_for_every_consent_then_starts_the_clock(intake) -> None:  # type: ignore[no-untyped-def]
    stub, context = intake
    application = submitted(stub)
    accept = intake_pb2.AcceptApplicationRequest(
        request_id="acc-1", application_id=application.application_id
    )
    error = rpc_error(stub, "AcceptApplication", accept)
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "household.members[1].consent_signed" in error.details()

    signed = call(stub, "SubmitApplication", with_all_consents("req-2")).application
    accepted = call(
        stub,
        "AcceptApplication",
        intake_pb2.AcceptApplicationRequest(request_id="acc-2", application_id=signed.application_id),
    )
    assert accepted.application.state == intake_pb2.APPLICATION_STATE_ACCEPTED
    due = accepted.decision_due
    accepted_day = accepted.application.accepted_at.ToDatetime(UTC).astimezone(timezone(timedelta(hours=8)))
    expected = load_cn_calendar().add_working_days(accepted_day.date(), 30)
    assert (due.year, due.month, due.day) == (expected.year, expected.month, expected.day)
    assert event_types(context) == ["ApplicationSubmitted", "ApplicationSubmitted", "ApplicationAccepted"]


def test_a_retried_acceptance_answers_the_same_and_announces_once(intake) -> None:  # type: ignore[no-untyped-def]
    stub, context = intake
    application = call(stub, "SubmitApplication", with_all_consents()).application
    accept = intake_pb2.AcceptApplicationRequest(
        request_id="acc-1", application_id=application.application_id
    )
    accepted_before = accepted_count()
    first = call(stub, "AcceptApplication", accept)
    second = call(stub, "AcceptApplication", accept)
    assert first == second
    assert event_types(context).count("ApplicationAccepted") == 1
    assert accepted_count() == accepted_before + 1, "the metric counts the acceptance once too"


def accepted_count() -> float:
    return REGISTRY.get_sample_value("doudi_intake_applications_total", {"state": "ACCEPTED"}) or 0.0


def test_correction_then_resubmission_then_acceptance(intake) -> None:  # type: ignore[no-untyped-def]
    stub, context = intake
    application = submitted(stub)
    waiting = call(
        stub,
        "RequestCorrection",
        intake_pb2.RequestCorrectionRequest(
            request_id="cor-1",
            application_id=application.application_id,
            missing_items=["马小花的授权核对书", "户口簿复印件"],
        ),
    )
    assert waiting.application.state == intake_pb2.APPLICATION_STATE_NEEDS_CORRECTION
    assert list(waiting.application.missing_items) == ["马小花的授权核对书", "户口簿复印件"]
    assert waiting.correction_due.year >= 2026

    household = with_all_consents().household
    back = call(
        stub,
        "ResubmitApplication",
        intake_pb2.ResubmitApplicationRequest(
            request_id="res-1",
            application_id=application.application_id,
            household=household,
            statement="已补齐",
        ),
    ).application
    assert back.state == intake_pb2.APPLICATION_STATE_SUBMITTED and not back.missing_items
    call(
        stub,
        "AcceptApplication",
        intake_pb2.AcceptApplicationRequest(request_id="acc-1", application_id=application.application_id),
    )
    assert event_types(context) == [
        "ApplicationSubmitted",
        "CorrectionRequested",
        "ApplicationResubmitted",
        "ApplicationAccepted",
    ]


def test_a_lapsed_correction_window_withdraws_the_application(intake) -> None:  # type: ignore[no-untyped-def]
    stub, context = intake
    application = submitted(stub)
    call(
        stub,
        "RequestCorrection",
        intake_pb2.RequestCorrectionRequest(
            request_id="cor-1", application_id=application.application_id, missing_items=["户口簿"]
        ),
    )
    limits = WindowTimeLimits(calendar=load_cn_calendar())
    today = ApplicationUseCases(context, limits)
    assert today.lapse_corrections() == 0
    in_three_weeks = ApplicationUseCases(
        context, limits, clock=lambda: datetime.now(UTC) + timedelta(days=21)
    )
    assert in_three_weeks.lapse_corrections() == 1
    assert in_three_weeks.lapse_corrections() == 0
    fetched = call(
        stub, "GetApplication", intake_pb2.GetApplicationRequest(application_id=application.application_id)
    ).application
    assert fetched.state == intake_pb2.APPLICATION_STATE_WITHDRAWN
    assert event_types(context)[-1] == "ApplicationWithdrawn"


def test_a_transfer_opens_the_application_at_the_competent_township(intake) -> None:  # type: ignore[no-untyped-def]
    stub, context = intake
    application = submitted(stub)
    response = call(
        stub,
        "TransferApplication",
        intake_pb2.TransferApplicationRequest(
            request_id="tr-1",
            application_id=application.application_id,
            to_township=types_pb2.RegionCode(code=OTHER_TOWNSHIP),
            reason="经常居住地在邻乡",
        ),
    )
    assert response.application.state == intake_pb2.APPLICATION_STATE_TRANSFERRED
    opened = call(
        stub, "GetApplication", intake_pb2.GetApplicationRequest(application_id=response.new_application_id)
    ).application
    assert opened.township.code == OTHER_TOWNSHIP
    assert opened.transferred_from == application.application_id
    assert opened.state == intake_pb2.APPLICATION_STATE_SUBMITTED
    assert not opened.duplicates, "the file it came from is closed, so it is no duplicate"
    assert event_types(context) == ["ApplicationSubmitted", "ApplicationTransferred", "ApplicationSubmitted"]


def test_refusal_and_withdrawal_need_reasons_and_respect_the_state(intake) -> None:  # type: ignore[no-untyped-def]
    stub, _ = intake
    application = submitted(stub)
    error = rpc_error(
        stub,
        "RejectIntake",
        intake_pb2.RejectIntakeRequest(request_id="rej-1", application_id=application.application_id),
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [field for field, _ in field_violations_from(error)] == ["reason"]
    refused = call(
        stub,
        "RejectIntake",
        intake_pb2.RejectIntakeRequest(
            request_id="rej-2", application_id=application.application_id, reason="家庭人均收入明显高于标准"
        ),
    ).application
    assert refused.state == intake_pb2.APPLICATION_STATE_NOT_ACCEPTED
    error = rpc_error(
        stub,
        "WithdrawApplication",
        intake_pb2.WithdrawApplicationRequest(
            request_id="wd-1", application_id=application.application_id, reason="不再申请"
        ),
    )
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_a_step_on_an_unknown_application_is_not_found(intake) -> None:  # type: ignore[no-untyped-def]
    stub, _ = intake
    error = rpc_error(
        stub, "AcceptApplication", intake_pb2.AcceptApplicationRequest(request_id="a", application_id="app_x")
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND


def test_duplicates_are_flagged_with_the_region_the_caller_may_see(intake) -> None:  # type: ignore[no-untyped-def]
    stub, _ = intake
    first = submitted(stub, "req-1")
    here = submitted(stub, "req-2")
    assert {flag.other_application_id for flag in here.duplicates} == {first.application_id}
    assert all(flag.scope == intake_pb2.DUPLICATE_SCOPE_SAME_COUNTY for flag in here.duplicates)
    assert all("*" in flag.masked_id_number for flag in here.duplicates)

    far = submission("req-3")
    far.township.code = OTHER_COUNTY_TOWNSHIP
    far.household.residence_region.code = "640522100201"
    elsewhere = call(stub, "SubmitApplication", far).application
    scopes = {(flag.scope, flag.region.code, flag.other_application_id) for flag in elsewhere.duplicates}
    assert scopes == {(intake_pb2.DUPLICATE_SCOPE_OTHER_COUNTY, "640402000000", "")}


def test_a_withdrawn_application_no_longer_counts_as_a_duplicate(intake) -> None:  # type: ignore[no-untyped-def]
    stub, _ = intake
    first = submitted(stub, "req-1")
    call(
        stub,
        "WithdrawApplication",
        intake_pb2.WithdrawApplicationRequest(
            request_id="wd-1", application_id=first.application_id, reason="改在户籍地申请"
        ),
    )
    assert not submitted(stub, "req-2").duplicates


def test_listing_pages_through_a_townships_applications_newest_first(intake) -> None:  # type: ignore[no-untyped-def]
    stub, _ = intake
    ids = [submitted(stub, f"req-{n}").application_id for n in range(5)]
    seen: list[str] = []
    token = ""
    while True:
        page = call(
            stub,
            "ListApplications",
            intake_pb2.ListApplicationsRequest(
                township=types_pb2.RegionCode(code=submission().township.code),
                page=types_pb2.PageRequest(page_size=2, page_token=token),
            ),
        )
        seen.extend(a.application_id for a in page.applications)
        token = page.page.next_page_token
        if not token:
            break
    assert seen == list(reversed(ids))
    for township, token, field in (
        (submission().township.code, "forged", "page.page_token"),
        ("640402100201", "", "township"),
    ):
        error = rpc_error(
            stub,
            "ListApplications",
            intake_pb2.ListApplicationsRequest(
                township=types_pb2.RegionCode(code=township), page=types_pb2.PageRequest(page_token=token)
            ),
        )
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert [name for name, _ in field_violations_from(error)] == [field]


def test_the_submitted_event_carries_the_duplicate_flags(intake) -> None:  # type: ignore[no-untyped-def]
    stub, context = intake
    submitted(stub, "req-1")
    second = submitted(stub, "req-2")
    with context.database.read() as session:
        rows = session.execute(select(context.store.messaging.outbox.c.envelope)).all()
    last = events_pb2.ApplicationSubmitted()
    decode(rows[-1].envelope).payload.Unpack(last)
    assert list(last.application.duplicates) == list(second.duplicates)
