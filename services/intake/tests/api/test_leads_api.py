"""Leads and referrals through the gRPC API: a lead becomes an application only with a mandate, and a
referral is tracked to its answer."""

from __future__ import annotations

from datetime import date

import grpc
import pytest
from sqlalchemy import select

from doudi.common.v1 import programme_pb2, types_pb2
from doudi.intake.v1 import intake_pb2
from doudi_common.testing import EXAMPLE_VILLAGE, make_resident_id
from doudi_runtime.events.envelope import decode
from doudi_runtime.grpc.errors import field_violations_from

from .conftest import AUTH, submission

WIDOW = types_pb2.Person(
    id_number=types_pb2.IdNumber(value=make_resident_id(date(1948, 7, 1), 42, female=True)), name="王桂英"
)


def call(stub, method: str, request):  # type: ignore[no-untyped-def]
    return getattr(stub, method)(request, metadata=AUTH, timeout=10)


def register(stub, request_id: str = "lead-1"):  # type: ignore[no-untyped-def]
    return call(
        stub,
        "RegisterLead",
        intake_pb2.RegisterLeadRequest(
            request_id=request_id,
            person=WIDOW,
            residence_region=types_pb2.RegionCode(code=EXAMPLE_VILLAGE),
            found_by="村委会 马主任",
            reason="独居老人，冬季无取暖",
        ),
    ).lead


def application_for_widow(request_id: str) -> intake_pb2.SubmitApplicationRequest:
    request = submission(request_id, channel=programme_pb2.CHANNEL_PROACTIVE)
    del request.household.members[1:]
    request.household.members[0].person.CopyFrom(WIDOW)
    request.household.members[0].consent_signed = True
    return request


def topics_and_types(context) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    outbox = context.store.messaging.outbox
    with context.database.read() as session:
        rows = session.execute(select(outbox.c.topic, outbox.c.envelope)).all()
    return [(row.topic, decode(row.envelope).event_type.rsplit(".", 1)[1]) for row in rows]


def test_a_lead_is_contacted_then_converted_with_the_households_mandate(intake) -> None:  # type: ignore[no-untyped-def]
    stub, context = intake
    lead = register(stub)
    assert lead.state == intake_pb2.LEAD_STATE_NEW and lead.contact_due.year >= 2026
    contacted = call(
        stub,
        "ContactLead",
        intake_pb2.ContactLeadRequest(request_id="c-1", lead_id=lead.lead_id, note="已上门告知低保政策"),
    ).lead
    assert contacted.state == intake_pb2.LEAD_STATE_CONTACTED

    convert = intake_pb2.ConvertLeadRequest(
        request_id="conv-1", lead_id=lead.lead_id, application=application_for_widow("ignored")
    )
    with pytest.raises(grpc.RpcError) as raised:
        call(stub, "ConvertLead", convert)
    assert [field for field, _ in field_violations_from(raised.value)] == ["mandate_reference"]

    convert.mandate_reference = "委托书-2026-118"
    response = call(stub, "ConvertLead", convert)
    again = call(stub, "ConvertLead", convert)
    assert response.lead.state == intake_pb2.LEAD_STATE_CONVERTED
    assert response.application.lead_id == lead.lead_id
    assert response.application.mandate_reference == "委托书-2026-118"
    assert again.application.application_id == response.application.application_id
    assert topics_and_types(context) == [
        ("doudi.intake.lead.v1", "LeadRegistered"),
        ("doudi.intake.lead.v1", "LeadUpdated"),
        ("doudi.intake.application.v1", "ApplicationSubmitted"),
        ("doudi.intake.lead.v1", "LeadConverted"),
    ]


def test_a_declined_lead_is_closed_and_listed_by_region(intake) -> None:  # type: ignore[no-untyped-def]
    stub, _ = intake
    lead = register(stub)
    closed = call(
        stub,
        "CloseLead",
        intake_pb2.CloseLeadRequest(
            request_id="close-1",
            lead_id=lead.lead_id,
            outcome=intake_pb2.LEAD_STATE_DECLINED,
            reason="本人表示子女按月赡养",
        ),
    ).lead
    assert closed.state == intake_pb2.LEAD_STATE_DECLINED
    listed = call(
        stub,
        "ListLeads",
        intake_pb2.ListLeadsRequest(region=types_pb2.RegionCode(code="640402100000")),
    )
    assert [item.lead_id for item in listed.leads] == [lead.lead_id]
    elsewhere = call(
        stub, "ListLeads", intake_pb2.ListLeadsRequest(region=types_pb2.RegionCode(code="640402101000"))
    )
    assert list(elsewhere.leads) == []


def test_a_bad_lead_report_names_its_fields(intake) -> None:  # type: ignore[no-untyped-def]
    stub, context = intake
    with pytest.raises(grpc.RpcError) as raised:
        call(stub, "RegisterLead", intake_pb2.RegisterLeadRequest(request_id="l-1", person=WIDOW))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert {field for field, _ in field_violations_from(raised.value)} == {
        "residence_region",
        "found_by",
        "reason",
    }
    assert topics_and_types(context) == []


def test_a_referral_is_tracked_to_its_answer(intake) -> None:  # type: ignore[no-untyped-def]
    stub, context = intake
    created = call(
        stub,
        "ReferToDepartment",
        intake_pb2.ReferToDepartmentRequest(
            request_id="ref-1",
            person=WIDOW,
            department=intake_pb2.DEPARTMENT_HOUSING,
            need="房屋漏雨，需危房改造",
        ),
    )
    referral_id = created.referral_id
    assert created.referral.state == intake_pb2.REFERRAL_STATE_CREATED
    for step, (state, result) in enumerate(
        [
            (intake_pb2.REFERRAL_STATE_SENT, ""),
            (intake_pb2.REFERRAL_STATE_ACKNOWLEDGED, ""),
            (intake_pb2.REFERRAL_STATE_RESULT_RECEIVED, "已列入2027年危房改造计划"),
            (intake_pb2.REFERRAL_STATE_CLOSED, ""),
        ]
    ):
        call(
            stub,
            "RecordReferralProgress",
            intake_pb2.RecordReferralProgressRequest(
                request_id=f"p-{step}", referral_id=referral_id, state=state, result=result
            ),
        )
    final = call(stub, "GetReferral", intake_pb2.GetReferralRequest(referral_id=referral_id)).referral
    assert (final.state, final.result) == (intake_pb2.REFERRAL_STATE_CLOSED, "已列入2027年危房改造计划")
    with pytest.raises(grpc.RpcError) as raised:
        call(
            stub,
            "RecordReferralProgress",
            intake_pb2.RecordReferralProgressRequest(
                request_id="p-late", referral_id=referral_id, state=intake_pb2.REFERRAL_STATE_SENT
            ),
        )
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert [t for _, t in topics_and_types(context)] == ["ReferralCreated"] + ["ReferralProgressed"] * 4
