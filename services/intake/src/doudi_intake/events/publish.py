"""Intake's events: domain records → the protos other services read from doudi.intake.* topics."""

from __future__ import annotations

from datetime import date

from doudi.common.v1 import programme_pb2, types_pb2
from doudi.intake.v1 import events_pb2, intake_pb2
from doudi_common.bank_account import PayeeAccount
from doudi_common.masking import mask_id_number
from doudi_contracts.topics import topic
from doudi_intake.domain.application import Application, DuplicateFlag, MemberDeclaration
from doudi_intake.domain.leads import Lead
from doudi_intake.domain.referrals import Referral
from doudi_runtime.grpc.convert import programme_pb, timestamp

TOPIC_APPLICATIONS = topic("doudi.intake.application.v1").name
TOPIC_LEADS = topic("doudi.intake.lead.v1").name
TOPIC_REFERRALS = topic("doudi.intake.referral.v1").name


def date_proto(day: date | None) -> types_pb2.Date | None:
    return None if day is None else types_pb2.Date(year=day.year, month=day.month, day=day.day)


def _person(id_number: str, name: str, phone: str = "") -> types_pb2.Person:
    return types_pb2.Person(id_number=types_pb2.IdNumber(value=id_number), name=name, phone=phone)


def _member_to_proto(member: MemberDeclaration) -> intake_pb2.HouseholdMember:
    person = _person(member.id_number, member.name, member.phone)
    person.hukou_region.code = member.hukou_region
    if member.birth_date is not None:
        person.birth_date.CopyFrom(date_proto(member.birth_date))
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


def _duplicate_to_proto(flag: DuplicateFlag) -> intake_pb2.DuplicateFlag:
    return intake_pb2.DuplicateFlag(
        member_index=flag.member_index,
        masked_id_number=mask_id_number(flag.id_number),
        programme=programme_pb(flag.programme.value),
        scope=intake_pb2.DuplicateScope.Value(f"DUPLICATE_SCOPE_{flag.scope.value}"),
        region=types_pb2.RegionCode(code=flag.region),
        other_application_id=flag.other_application_id,
    )


def _payee_to_proto(payee: PayeeAccount | None) -> intake_pb2.PayeeAccount | None:
    if payee is None:
        return None
    return intake_pb2.PayeeAccount(
        holder_name=payee.holder_name,
        account_number=payee.account_number,
        bank_name=payee.bank_name,
        guardian_name=payee.guardian_name,
    )


def application_to_proto(application: Application) -> intake_pb2.Application:
    message = intake_pb2.Application(
        application_id=application.application_id,
        programme=programme_pb(application.programme.value),
        channel=programme_pb2.Channel.Value(f"CHANNEL_{application.channel.value}"),
        township=types_pb2.RegionCode(code=application.township),
        household=intake_pb2.Household(
            residence_region=types_pb2.RegionCode(code=application.household.residence_region),
            members=[_member_to_proto(m) for m in application.household.members],
            household_type=intake_pb2.HouseholdType.Value(
                f"HOUSEHOLD_TYPE_{application.household.household_type.value}"
            )
            if application.household.household_type
            else intake_pb2.HouseholdType.HOUSEHOLD_TYPE_UNSPECIFIED,
        ),
        state=intake_pb2.ApplicationState.Value(f"APPLICATION_STATE_{application.state.value}"),
        submitted_at=timestamp(application.submitted_at),
        statement=application.statement,
        requested_amount=types_pb2.Money(amount_fen=application.requested_amount_fen),
        missing_items=list(application.missing_items),
        correction_due=date_proto(application.correction_due),
        accepted_at=timestamp(application.accepted_at),
        decision_due=date_proto(application.decision_due),
        state_reason=application.state_reason,
        transferred_from=application.transferred_from,
        transferred_as=application.transferred_as,
        lead_id=application.lead_id,
        mandate_reference=application.mandate_reference,
        duplicates=[_duplicate_to_proto(flag) for flag in application.duplicates],
        updated_at=timestamp(application.updated_at),
        payee=_payee_to_proto(application.payee),
        payee_missing=application.payee_missing,
    )
    if application.transferred_to:
        message.transferred_to.code = application.transferred_to
    return message


def lead_to_proto(lead: Lead) -> intake_pb2.Lead:
    return intake_pb2.Lead(
        lead_id=lead.lead_id,
        person=_person(lead.id_number, lead.name, lead.phone),
        residence_region=types_pb2.RegionCode(code=lead.residence_region),
        found_by=lead.found_by,
        reason=lead.reason,
        state=intake_pb2.LeadState.Value(f"LEAD_STATE_{lead.state.value}"),
        application_id=lead.application_id,
        registered_at=timestamp(lead.registered_at),
        contact_due=date_proto(lead.contact_due),
        note=lead.note,
        source_reference=lead.source_reference,
    )


def referral_to_proto(referral: Referral) -> intake_pb2.Referral:
    return intake_pb2.Referral(
        referral_id=referral.referral_id,
        application_id=referral.application_id,
        person=_person(referral.id_number, referral.name),
        department=intake_pb2.Department.Value(f"DEPARTMENT_{referral.department.value}"),
        need=referral.need,
        state=intake_pb2.ReferralState.Value(f"REFERRAL_STATE_{referral.state.value}"),
        send_due=date_proto(referral.send_due),
        result=referral.result,
        created_at=timestamp(referral.created_at),
        updated_at=timestamp(referral.updated_at),
    )


def application_submitted(application: Application) -> events_pb2.ApplicationSubmitted:
    return events_pb2.ApplicationSubmitted(
        application_id=application.application_id, application=application_to_proto(application)
    )


def application_accepted(application: Application) -> events_pb2.ApplicationAccepted:
    return events_pb2.ApplicationAccepted(
        application_id=application.application_id,
        application=application_to_proto(application),
        decision_due=date_proto(application.decision_due),
    )


def correction_requested(application: Application) -> events_pb2.CorrectionRequested:
    return events_pb2.CorrectionRequested(
        application_id=application.application_id, missing_items=list(application.missing_items)
    )


def application_resubmitted(application: Application) -> events_pb2.ApplicationResubmitted:
    return events_pb2.ApplicationResubmitted(
        application_id=application.application_id, application=application_to_proto(application)
    )


def application_not_accepted(application: Application) -> events_pb2.ApplicationNotAccepted:
    return events_pb2.ApplicationNotAccepted(
        application_id=application.application_id, reason=application.state_reason
    )


def application_withdrawn(application: Application) -> events_pb2.ApplicationWithdrawn:
    return events_pb2.ApplicationWithdrawn(
        application_id=application.application_id, reason=application.state_reason
    )


def application_transferred(application: Application) -> events_pb2.ApplicationTransferred:
    return events_pb2.ApplicationTransferred(
        application_id=application.application_id,
        to_township=types_pb2.RegionCode(code=application.transferred_to),
        new_application_id=application.transferred_as,
    )


def lead_registered(lead: Lead) -> events_pb2.LeadRegistered:
    return events_pb2.LeadRegistered(lead=lead_to_proto(lead))


def lead_updated(lead: Lead) -> events_pb2.LeadUpdated:
    return events_pb2.LeadUpdated(lead=lead_to_proto(lead))


def lead_converted(lead: Lead) -> events_pb2.LeadConverted:
    return events_pb2.LeadConverted(lead_id=lead.lead_id, application_id=lead.application_id)


def referral_created(referral: Referral) -> events_pb2.ReferralCreated:
    return events_pb2.ReferralCreated(
        referral_id=referral.referral_id,
        department=intake_pb2.Department.Value(f"DEPARTMENT_{referral.department.value}"),
        referral=referral_to_proto(referral),
    )


def referral_progressed(referral: Referral) -> events_pb2.ReferralProgressed:
    return events_pb2.ReferralProgressed(referral=referral_to_proto(referral))
