"""Intake's events: domain records → the protos other services read from doudi.intake.* topics."""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp

from doudi.common.v1 import programme_pb2, types_pb2
from doudi.intake.v1 import events_pb2, intake_pb2
from doudi_contracts.topics import topic
from doudi_intake.domain.application import Application, MemberDeclaration

TOPIC_APPLICATIONS = topic("doudi.intake.application.v1").name


def _member_to_proto(member: MemberDeclaration) -> intake_pb2.HouseholdMember:
    person = types_pb2.Person(
        id_number=types_pb2.IdNumber(value=member.id_number),
        name=member.name,
        hukou_region=types_pb2.RegionCode(code=member.hukou_region),
        phone=member.phone,
    )
    if member.birth_date is not None:
        person.birth_date.CopyFrom(
            types_pb2.Date(
                year=member.birth_date.year, month=member.birth_date.month, day=member.birth_date.day
            )
        )
    if member.sex is not None:
        person.sex = types_pb2.Sex.Value(f"SEX_{member.sex}")
    return intake_pb2.HouseholdMember(
        person=person,
        relation_to_applicant=intake_pb2.Relation.Value(f"RELATION_{member.relation.value}")
        if member.relation
        else intake_pb2.Relation.RELATION_UNSPECIFIED,
        counted=member.counted,
        membership_reason=member.membership_reason,
        consent_signed=member.consent_signed,
    )


def application_to_proto(application: Application) -> intake_pb2.Application:
    submitted_at = Timestamp()
    submitted_at.FromDatetime(application.submitted_at)
    return intake_pb2.Application(
        application_id=application.application_id,
        programme=programme_pb2.Programme.Value(f"PROGRAMME_{application.programme.value}"),
        channel=programme_pb2.Channel.Value(f"CHANNEL_{application.channel.value}"),
        township=types_pb2.RegionCode(code=application.township),
        household=intake_pb2.Household(
            residence_region=types_pb2.RegionCode(code=application.household.residence_region),
            members=[_member_to_proto(m) for m in application.household.members],
        ),
        state=intake_pb2.ApplicationState.Value(f"APPLICATION_STATE_{application.state.value}"),
        submitted_at=submitted_at,
        statement=application.statement,
        requested_amount=types_pb2.Money(amount_fen=application.requested_amount_fen),
    )


def application_submitted(application: Application) -> events_pb2.ApplicationSubmitted:
    return events_pb2.ApplicationSubmitted(
        application_id=application.application_id, application=application_to_proto(application)
    )
