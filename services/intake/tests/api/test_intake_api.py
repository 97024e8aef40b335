"""Intake's gRPC API over a real socket and a real store: submit, retry, read back, refuse bad input."""

from __future__ import annotations

import grpc
import pytest
from sqlalchemy import select

from doudi.common.v1 import programme_pb2
from doudi.intake.v1 import events_pb2, intake_pb2
from doudi_runtime.events.envelope import decode, unpack
from doudi_runtime.grpc.errors import field_violations_from

from .conftest import AUTH, submission


def test_a_submitted_application_is_stored_and_announced(intake) -> None:  # type: ignore[no-untyped-def]
    stub, context = intake
    response = stub.SubmitApplication(submission(), metadata=AUTH, timeout=10)
    application = response.application
    assert application.state == intake_pb2.APPLICATION_STATE_SUBMITTED
    assert application.application_id.startswith("app_")
    assert len(application.household.members) == 2

    fetched = stub.GetApplication(
        intake_pb2.GetApplicationRequest(application_id=application.application_id), metadata=AUTH, timeout=10
    )
    assert fetched.application == application

    with context.database.read() as session:
        rows = session.execute(select(context.store.messaging.outbox)).all()
    assert [row.topic for row in rows] == ["doudi.intake.application.v1"]
    event = unpack(decode(rows[0].envelope), events_pb2.ApplicationSubmitted)
    assert event.application == application


def test_a_retried_submission_returns_the_first_application_and_announces_once(intake) -> None:  # type: ignore[no-untyped-def]
    stub, context = intake
    first = stub.SubmitApplication(submission("req-retry"), metadata=AUTH, timeout=10)
    second = stub.SubmitApplication(submission("req-retry"), metadata=AUTH, timeout=10)
    assert first.application.application_id == second.application.application_id
    with context.database.read() as session:
        assert len(session.execute(select(context.store.messaging.outbox)).all()) == 1


def test_a_request_id_reused_for_another_household_is_refused(intake) -> None:  # type: ignore[no-untyped-def]
    stub, _ = intake
    stub.SubmitApplication(submission("req-reused"), metadata=AUTH, timeout=10)
    other = submission("req-reused", statement="另一份申请")
    with pytest.raises(grpc.RpcError) as raised:
        stub.SubmitApplication(other, metadata=AUTH, timeout=10)
    assert raised.value.code() == grpc.StatusCode.ALREADY_EXISTS


def test_a_malformed_request_names_every_field_at_fault(intake) -> None:  # type: ignore[no-untyped-def]
    stub, context = intake
    bad = submission("", programme=programme_pb2.PROGRAMME_UNSPECIFIED)
    bad.household.members[1].person.id_number.value = "110105194912310021"
    bad.township.code = "6404021"
    with pytest.raises(grpc.RpcError) as raised:
        stub.SubmitApplication(bad, metadata=AUTH, timeout=10)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    fields = {field for field, _ in field_violations_from(raised.value)}
    assert fields == {"request_id", "programme", "township", "household.members[1].person.id_number"}
    with context.database.read() as session:
        assert session.execute(select(context.store.messaging.outbox)).all() == []


def test_an_unknown_application_is_not_found(intake) -> None:  # type: ignore[no-untyped-def]
    stub, _ = intake
    with pytest.raises(grpc.RpcError) as raised:
        stub.GetApplication(
            intake_pb2.GetApplicationRequest(application_id="app_nothing"), metadata=AUTH, timeout=10
        )
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND


def test_callers_without_a_token_are_turned_away(intake) -> None:  # type: ignore[no-untyped-def]
    stub, _ = intake
    with pytest.raises(grpc.RpcError) as raised:
        stub.SubmitApplication(submission("req-anon"), timeout=10)
    assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED
