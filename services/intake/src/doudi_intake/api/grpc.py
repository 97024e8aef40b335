"""The intake gRPC API (doudi.intake.v1.IntakeService): proto ↔ command, and nothing more."""

from __future__ import annotations

from datetime import date

import grpc

from doudi.common.v1 import programme_pb2, types_pb2
from doudi.intake.v1 import intake_pb2, intake_pb2_grpc
from doudi_common.bank_account import PayeeAccount
from doudi_common.errors import InvalidArgument
from doudi_common.region import RegionCode
from doudi_intake.app.applications import ApplicationUseCases
from doudi_intake.app.leads import LeadUseCases, ReferralUseCases
from doudi_intake.domain.application import (
    ApplicationState,
    Channel,
    HouseholdDeclaration,
    HouseholdType,
    MemberDeclaration,
    Programme,
    Relation,
    Submission,
)
from doudi_intake.domain.leads import LeadReport, LeadState
from doudi_intake.domain.referrals import Department, ReferralRequest, ReferralState
from doudi_intake.domain.window import WindowTimeLimits
from doudi_intake.events.publish import application_to_proto, lead_to_proto, referral_to_proto
from doudi_runtime.grpc.convert import domain_enum
from doudi_runtime.paging import next_token, parse_page
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


def _member(message: intake_pb2.HouseholdMember, index: int) -> MemberDeclaration:
    person = message.person
    return MemberDeclaration(
        id_number=person.id_number.value.strip().upper(),
        name=person.name.strip(),
        relation=domain_enum(
            Relation,
            intake_pb2.Relation,
            message.relation_to_applicant,
            "RELATION_",
            field=f"household.members[{index}].relation_to_applicant",
        ),
        counted=message.counted,
        birth_date=_date(person.birth_date, f"household.members[{index}].person.birth_date"),
        sex=_enum_name(types_pb2.Sex, person.sex, "SEX_"),
        hukou_region=person.hukou_region.code,
        phone=person.phone,
        membership_reason=message.membership_reason,
        consent_signed=message.consent_signed,
    )


def household_from_proto(message: intake_pb2.Household) -> HouseholdDeclaration:
    return HouseholdDeclaration(
        residence_region=message.residence_region.code,
        members=tuple(_member(m, i) for i, m in enumerate(message.members)),
        household_type=domain_enum(
            HouseholdType,
            intake_pb2.HouseholdType,
            message.household_type,
            "HOUSEHOLD_TYPE_",
            field="household.household_type",
        ),
    )


def payee_from_proto(message: intake_pb2.SubmitApplicationRequest) -> PayeeAccount | None:
    """The payee account, or None when the request carries none (payment then waits for one)."""
    if not message.HasField("payee"):
        return None
    payee = message.payee
    return PayeeAccount(
        holder_name=payee.holder_name,
        account_number=payee.account_number,
        bank_name=payee.bank_name,
        guardian_name=payee.guardian_name,
    )


def submission_from_proto(request: intake_pb2.SubmitApplicationRequest) -> Submission:
    return Submission(
        programme=domain_enum(
            Programme, programme_pb2.Programme, request.programme, "PROGRAMME_", field="programme"
        ),
        channel=domain_enum(Channel, programme_pb2.Channel, request.channel, "CHANNEL_", field="channel"),
        township=request.township.code,
        household=household_from_proto(request.household),
        statement=request.statement,
        requested_amount_fen=request.requested_amount.amount_fen,
        payee=payee_from_proto(request),
    )


def _township(code: str, field: str) -> str:
    region = RegionCode.parse(code, field=field)
    if region.level.name != "TOWNSHIP":
        raise InvalidArgument.single(field, "must be the 12-digit code of a township or street office")
    return code


class IntakeApi(intake_pb2_grpc.IntakeServiceServicer):
    """The one window's API."""

    def __init__(self, context: ServiceContext, limits: WindowTimeLimits | None = None) -> None:
        self._applications = (
            ApplicationUseCases(context, limits) if limits is not None else ApplicationUseCases(context)
        )
        self._leads = LeadUseCases(self._applications)
        self._referrals = ReferralUseCases(self._applications)

    # -- applications ---------------------------------------------------------------------------

    def SubmitApplication(
        self, request: intake_pb2.SubmitApplicationRequest, context: grpc.ServicerContext
    ) -> intake_pb2.SubmitApplicationResponse:
        application = self._applications.submit_application(
            request.request_id, submission_from_proto(request)
        )
        return intake_pb2.SubmitApplicationResponse(application=application_to_proto(application))

    def GetApplication(
        self, request: intake_pb2.GetApplicationRequest, context: grpc.ServicerContext
    ) -> intake_pb2.GetApplicationResponse:
        application = self._applications.get_application(request.application_id)
        return intake_pb2.GetApplicationResponse(application=application_to_proto(application))

    def ListApplications(
        self, request: intake_pb2.ListApplicationsRequest, context: grpc.ServicerContext
    ) -> intake_pb2.ListApplicationsResponse:
        township = _township(request.township.code, "township")
        state = domain_enum(
            ApplicationState, intake_pb2.ApplicationState, request.state, "APPLICATION_STATE_", field="state"
        )
        page = parse_page(request.page.page_size, request.page.page_token)
        found = self._applications.list_applications(township, state, page)
        return intake_pb2.ListApplicationsResponse(
            applications=[application_to_proto(a) for a in found[: page.size]],
            page=types_pb2.PageResponse(next_page_token=next_token([a.application_id for a in found], page)),
        )

    def AcceptApplication(
        self, request: intake_pb2.AcceptApplicationRequest, context: grpc.ServicerContext
    ) -> intake_pb2.AcceptApplicationResponse:
        application = self._applications.accept(request.request_id, request.application_id)
        proto = application_to_proto(application)
        return intake_pb2.AcceptApplicationResponse(application=proto, decision_due=proto.decision_due)

    def RequestCorrection(
        self, request: intake_pb2.RequestCorrectionRequest, context: grpc.ServicerContext
    ) -> intake_pb2.RequestCorrectionResponse:
        application = self._applications.request_correction(
            request.request_id, request.application_id, tuple(request.missing_items)
        )
        proto = application_to_proto(application)
        return intake_pb2.RequestCorrectionResponse(application=proto, correction_due=proto.correction_due)

    def ResubmitApplication(
        self, request: intake_pb2.ResubmitApplicationRequest, context: grpc.ServicerContext
    ) -> intake_pb2.ResubmitApplicationResponse:
        application = self._applications.resubmit(
            request.request_id,
            request.application_id,
            household_from_proto(request.household),
            request.statement,
        )
        return intake_pb2.ResubmitApplicationResponse(application=application_to_proto(application))

    def RejectIntake(
        self, request: intake_pb2.RejectIntakeRequest, context: grpc.ServicerContext
    ) -> intake_pb2.RejectIntakeResponse:
        application = self._applications.refuse(request.request_id, request.application_id, request.reason)
        return intake_pb2.RejectIntakeResponse(application=application_to_proto(application))

    def TransferApplication(
        self, request: intake_pb2.TransferApplicationRequest, context: grpc.ServicerContext
    ) -> intake_pb2.TransferApplicationResponse:
        application = self._applications.transfer(
            request.request_id, request.application_id, request.to_township.code, request.reason
        )
        return intake_pb2.TransferApplicationResponse(
            application=application_to_proto(application), new_application_id=application.transferred_as
        )

    def WithdrawApplication(
        self, request: intake_pb2.WithdrawApplicationRequest, context: grpc.ServicerContext
    ) -> intake_pb2.WithdrawApplicationResponse:
        application = self._applications.withdraw(request.request_id, request.application_id, request.reason)
        return intake_pb2.WithdrawApplicationResponse(application=application_to_proto(application))

    # -- leads ----------------------------------------------------------------------------------

    def RegisterLead(
        self, request: intake_pb2.RegisterLeadRequest, context: grpc.ServicerContext
    ) -> intake_pb2.RegisterLeadResponse:
        report = LeadReport(
            id_number=request.person.id_number.value.strip().upper(),
            name=request.person.name,
            phone=request.person.phone,
            residence_region=request.residence_region.code,
            found_by=request.found_by,
            reason=request.reason,
            source_reference=request.source_reference,
        )
        lead = self._leads.register(request.request_id, report)
        return intake_pb2.RegisterLeadResponse(lead=lead_to_proto(lead))

    def GetLead(
        self, request: intake_pb2.GetLeadRequest, context: grpc.ServicerContext
    ) -> intake_pb2.GetLeadResponse:
        return intake_pb2.GetLeadResponse(lead=lead_to_proto(self._leads.get(request.lead_id)))

    def ListLeads(
        self, request: intake_pb2.ListLeadsRequest, context: grpc.ServicerContext
    ) -> intake_pb2.ListLeadsResponse:
        state = domain_enum(LeadState, intake_pb2.LeadState, request.state, "LEAD_STATE_", field="state")
        page = parse_page(request.page.page_size, request.page.page_token)
        found = self._leads.list(request.region.code, state, page)
        return intake_pb2.ListLeadsResponse(
            leads=[lead_to_proto(lead) for lead in found[: page.size]],
            page=types_pb2.PageResponse(next_page_token=next_token([lead.lead_id for lead in found], page)),
        )

    def ContactLead(
        self, request: intake_pb2.ContactLeadRequest, context: grpc.ServicerContext
    ) -> intake_pb2.ContactLeadResponse:
        lead = self._leads.contact(request.request_id, request.lead_id, request.note)
        return intake_pb2.ContactLeadResponse(lead=lead_to_proto(lead))

    def CloseLead(
        self, request: intake_pb2.CloseLeadRequest, context: grpc.ServicerContext
    ) -> intake_pb2.CloseLeadResponse:
        outcome = domain_enum(
            LeadState, intake_pb2.LeadState, request.outcome, "LEAD_STATE_", field="outcome"
        )
        lead = self._leads.close(request.request_id, request.lead_id, outcome, request.reason)
        return intake_pb2.CloseLeadResponse(lead=lead_to_proto(lead))

    def ConvertLead(
        self, request: intake_pb2.ConvertLeadRequest, context: grpc.ServicerContext
    ) -> intake_pb2.ConvertLeadResponse:
        lead, application = self._leads.convert(
            request.request_id,
            request.lead_id,
            submission_from_proto(request.application),
            request.mandate_reference,
        )
        return intake_pb2.ConvertLeadResponse(
            lead=lead_to_proto(lead), application=application_to_proto(application)
        )

    # -- referrals ------------------------------------------------------------------------------

    def ReferToDepartment(
        self, request: intake_pb2.ReferToDepartmentRequest, context: grpc.ServicerContext
    ) -> intake_pb2.ReferToDepartmentResponse:
        referral = self._referrals.refer(
            request.request_id,
            ReferralRequest(
                id_number=request.person.id_number.value.strip().upper(),
                name=request.person.name,
                department=domain_enum(
                    Department, intake_pb2.Department, request.department, "DEPARTMENT_", field="department"
                ),
                need=request.need,
                application_id=request.application_id,
            ),
        )
        return intake_pb2.ReferToDepartmentResponse(
            referral_id=referral.referral_id, referral=referral_to_proto(referral)
        )

    def GetReferral(
        self, request: intake_pb2.GetReferralRequest, context: grpc.ServicerContext
    ) -> intake_pb2.GetReferralResponse:
        return intake_pb2.GetReferralResponse(
            referral=referral_to_proto(self._referrals.get(request.referral_id))
        )

    def RecordReferralProgress(
        self, request: intake_pb2.RecordReferralProgressRequest, context: grpc.ServicerContext
    ) -> intake_pb2.RecordReferralProgressResponse:
        referral = self._referrals.progress(
            request.request_id,
            request.referral_id,
            domain_enum(
                ReferralState, intake_pb2.ReferralState, request.state, "REFERRAL_STATE_", field="state"
            ),
            request.result,
        )
        return intake_pb2.RecordReferralProgressResponse(referral=referral_to_proto(referral))
