"""The payee account through the window's API (DOMAIN §11.1): validated, kept sealed, carried in the event
eligibility reads; an application without one is accepted and flagged."""

from __future__ import annotations

import grpc
import pytest
from sqlalchemy import select, text

from doudi.common.v1 import programme_pb2
from doudi.intake.v1 import events_pb2, intake_pb2
from doudi_common.masking import luhn_valid
from doudi_runtime.events.envelope import decode, unpack
from doudi_runtime.grpc.errors import field_violations_from

from .conftest import AUTH, submission

CARD = next(f"622202100112345678{d}" for d in "0123456789" if luhn_valid(f"622202100112345678{d}"))


def payee(**overrides: str) -> intake_pb2.PayeeAccount:
    values = {"holder_name": "马建国", "account_number": CARD, "bank_name": "宁夏黄河农村商业银行"}
    return intake_pb2.PayeeAccount(**{**values, **overrides})


def test_the_account_given_at_the_window_is_kept_and_carried_in_the_accepted_event(intake) -> None:  # type: ignore[no-untyped-def]
    stub, context = intake
    request = submission("payee-1")
    request.household.members[1].consent_signed = True
    request.payee.CopyFrom(payee(account_number=f"{CARD[:4]} {CARD[4:]}"))
    submitted = stub.SubmitApplication(request, metadata=AUTH, timeout=10).application
    assert submitted.payee == payee() and not submitted.payee_missing
    application_id = submitted.application_id
    assert (
        stub.GetApplication(
            intake_pb2.GetApplicationRequest(application_id=application_id), metadata=AUTH, timeout=10
        ).application.payee
        == payee()
    )
    stub.AcceptApplication(
        intake_pb2.AcceptApplicationRequest(request_id="payee-1-accept", application_id=application_id),
        metadata=AUTH,
        timeout=10,
    )
    with context.database.engine.connect() as connection:
        stored = connection.execute(
            text("SELECT payee FROM applications WHERE application_id = :id"), {"id": application_id}
        ).scalar_one()
    assert "v1.dev." in stored and CARD not in stored and "马建国" not in stored
    with context.database.read() as session:
        envelopes = session.execute(select(context.store.messaging.outbox.c.envelope)).scalars().all()
    accepted = [
        unpack(envelope, events_pb2.ApplicationAccepted)
        for envelope in map(decode, envelopes)
        if envelope.event_type.endswith("ApplicationAccepted")
    ]
    assert [event.application.payee for event in accepted] == [payee()]


def test_an_application_without_an_account_is_accepted_and_flagged(intake) -> None:  # type: ignore[no-untyped-def]
    stub, _ = intake
    submitted = stub.SubmitApplication(submission("payee-none"), metadata=AUTH, timeout=10).application
    assert submitted.payee_missing
    assert not submitted.HasField("payee")


@pytest.mark.parametrize(
    ("account", "field"),
    [
        (payee(account_number=CARD[:-1] + str((int(CARD[-1]) + 1) % 10)), "payee.account_number"),
        (payee(account_number="6222-0210"), "payee.account_number"),
        (payee(account_number="12345"), "payee.account_number"),
        (payee(holder_name="王五"), "payee.holder_name"),
        (payee(bank_name=""), "payee.bank_name"),
    ],
)
def test_a_faulty_account_is_refused_naming_the_field(intake, account, field) -> None:  # type: ignore[no-untyped-def]
    stub, _ = intake
    request = submission("payee-bad")
    request.payee.CopyFrom(account)
    with pytest.raises(grpc.RpcError) as raised:
        stub.SubmitApplication(request, metadata=AUTH, timeout=10)
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field in (raised.value.details() or "")


def test_the_audit_trail_keeps_no_account_number(intake) -> None:  # type: ignore[no-untyped-def]
    stub, context = intake
    request = submission("payee-audit")
    request.payee.CopyFrom(payee())
    stub.SubmitApplication(request, metadata=AUTH, timeout=10)
    text = "".join(r.after_json + r.before_json for r in context.audit_log().page(0, 10))
    assert CARD not in text


def submit_error(stub, request) -> grpc.RpcError | None:  # type: ignore[no-untyped-def]
    try:
        stub.SubmitApplication(request, metadata=AUTH, timeout=10)
    except grpc.RpcError as error:
        return error
    return None


def test_household_dibao_is_paid_to_the_applicant_and_not_to_another_member(intake) -> None:  # type: ignore[no-untyped-def]
    stub, _ = intake
    request = submission("payee-dibao-member")
    request.payee.CopyFrom(payee(holder_name="马小花"))
    error = submit_error(stub, request)
    assert error is not None and error.code() is grpc.StatusCode.INVALID_ARGUMENT
    [(field, description)] = field_violations_from(error)
    assert field == "payee.holder_name" and "must be the applicant" in description


@pytest.mark.parametrize(
    ("account", "field"),
    [
        (payee(holder_name="马建国", guardian_name="马建国"), "payee.guardian_name"),
        (payee(holder_name="马小花"), "payee.guardian_name"),
        (payee(holder_name="王五", guardian_name="马建国"), "payee.holder_name"),
    ],
)
def test_a_child_allowance_refuses_an_account_that_is_not_the_childs_managed_by_the_guardian(
    intake, account, field
) -> None:  # type: ignore[no-untyped-def]
    stub, _ = intake
    request = submission("payee-orphan-bad", programme=programme_pb2.PROGRAMME_ORPHAN_ALLOWANCE)
    request.payee.CopyFrom(account)
    error = submit_error(stub, request)
    assert error is not None and error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field in (error.details() or "")


def test_a_child_allowance_pays_the_childs_account_managed_by_the_guardian(intake) -> None:  # type: ignore[no-untyped-def]
    stub, _ = intake
    request = submission("payee-orphan", programme=programme_pb2.PROGRAMME_ORPHAN_ALLOWANCE)
    request.payee.CopyFrom(payee(holder_name="马小花", guardian_name="马建国"))
    submitted = stub.SubmitApplication(request, metadata=AUTH, timeout=10).application
    assert submitted.payee.holder_name == "马小花" and submitted.payee.guardian_name == "马建国"


def test_tekun_at_the_window_takes_no_institutions_account(intake) -> None:  # type: ignore[no-untyped-def]
    stub, _ = intake
    request = submission("payee-tekun-institution", programme=programme_pb2.PROGRAMME_TEKUN)
    request.payee.CopyFrom(payee(holder_name="原州区中心敬老院"))
    error = submit_error(stub, request)
    assert error is not None and error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "payee.holder_name" in (error.details() or "")
    request.payee.CopyFrom(payee(holder_name="马建国"))
    assert (
        stub.SubmitApplication(request, metadata=AUTH, timeout=10).application.payee.holder_name == "马建国"
    )
