"""The intake gRPC API (doudi.intake.v1.IntakeService): proto ↔ command, and nothing more."""

from __future__ import annotations

from datetime import date

import grpc

from doudi.common.v1 import programme_pb2, types_pb2
from doudi.intake.v1 import intake_pb2, intake_pb2_grpc
from doudi_common.errors import InvalidArgument
from doudi_intake.app.applications import ApplicationUseCases
from doudi_intake.domain.application import (
    Application,
    Channel,
    HouseholdDeclaration,
    MemberDeclaration,
    Programme,
    Relation,
    Submission,
)
from doudi_intake.events.publish import application_to_proto
from doudi_runtime.service import ServiceContext


def _enum_name(enum_type: object, value: int, prefix: str) -> str | None:
    """The domain name of a proto enum value, or None for UNSPECIFIED or unknown numbers."""
    try:
        name = enum_type.Name(value)  # type: ignore[attr-defined]
    except ValueError:
        return None
    return None if name.endswith("_UNSPECIFIED") else name.removeprefix(prefix)


def _date(message: types_pb2.Date, field: str) -> date | None:
    if not (message.year or message.month or message.day):
        return None
    try:
        return date(message.year, message.month, message.day)
    except ValueError:
        raise InvalidArgument.single(field, "is not a calendar date") from None


def _sex(value: int) -> str | None:
    return _enum_name(types_pb2.Sex, value, "SEX_")


def _member(message: intake_pb2.HouseholdMember, index: int) -> MemberDeclaration:
    relation = _enum_name(intake_pb2.Relation, message.relation_to_applicant, "RELATION_")
    person = message.person
    return MemberDeclaration(
        id_number=person.id_number.value.strip().upper(),
        name=person.name.strip(),
        relation=Relation(relation) if relation else None,
        counted=message.counted,
        birth_date=_date(person.birth_date, f"household.members[{index}].person.birth_date"),
        sex=_sex(person.sex),
        hukou_region=person.hukou_region.code,
        phone=person.phone,
        membership_reason=message.membership_reason,
        consent_signed=message.consent_signed,
    )


def submission_from_proto(request: intake_pb2.SubmitApplicationRequest) -> Submission:
    programme = _enum_name(programme_pb2.Programme, request.programme, "PROGRAMME_")
    channel = _enum_name(programme_pb2.Channel, request.channel, "CHANNEL_")
    return Submission(
        programme=Programme(programme) if programme else None,
        channel=Channel(channel) if channel else None,
        township=request.township.code,
        household=HouseholdDeclaration(
            residence_region=request.household.residence_region.code,
            members=tuple(_member(m, i) for i, m in enumerate(request.household.members)),
        ),
        statement=request.statement,
        requested_amount_fen=request.requested_amount.amount_fen,
    )


def _application(application: Application) -> intake_pb2.Application:
    return application_to_proto(application)


class IntakeApi(intake_pb2_grpc.IntakeServiceServicer):
    """The one window's API; RPCs not listed here answer UNIMPLEMENTED until intake grows them."""

    def __init__(self, context: ServiceContext) -> None:
        self._applications = ApplicationUseCases(context)

    def SubmitApplication(
        self, request: intake_pb2.SubmitApplicationRequest, context: grpc.ServicerContext
    ) -> intake_pb2.SubmitApplicationResponse:
        application = self._applications.submit_application(
            request.request_id, submission_from_proto(request)
        )
        return intake_pb2.SubmitApplicationResponse(application=_application(application))

    def GetApplication(
        self, request: intake_pb2.GetApplicationRequest, context: grpc.ServicerContext
    ) -> intake_pb2.GetApplicationResponse:
        if not request.application_id:
            raise InvalidArgument.single("application_id", "is required")
        application = self._applications.get_application(request.application_id)
        return intake_pb2.GetApplicationResponse(application=_application(application))
