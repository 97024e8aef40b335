"""Facts eligibility acts on, consumed through the inbox (a redelivered event changes nothing):
intake's accepted and withdrawn applications, verification's complete reports (DOMAIN §7.2 rows 8–10), the
advance aid disbursement paid from a township's reserve fund, and the settlement of the payment of what
remains of a temporary-assistance grant, which pays the case (a returned or failed payment holds it back)
(§7.4).

The close of a monthly run is not news of any one payment: a case is paid when its own payment settles, never
because a run closed while its money had not arrived."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from doudi.common.v1.envelope_pb2 import EventEnvelope
from doudi.disbursement.v1 import events_pb2 as disbursement_events
from doudi.intake.v1 import events_pb2 as intake_events
from doudi.intake.v1 import intake_pb2
from doudi.verification.v1 import events_pb2 as verification_events
from doudi.verification.v1 import verification_pb2
from doudi_common.bank_account import PayeeAccount
from doudi_common.calendar import china_date
from doudi_common.income_items import DEDUCTION_KINDS, INCOME_KINDS, ITEM_KINDS, Kind
from doudi_contracts.topics import topic
from doudi_eligibility.app import temporary_assistance as ta_lifecycle
from doudi_eligibility.app.entitlements import EntitlementUseCases
from doudi_eligibility.app.procedure import ProcedureUseCases
from doudi_eligibility.domain.case_file import (
    Applicant,
    ApplicationFacts,
    MemberFindings,
    ReportFacts,
)
from doudi_eligibility.domain.rules.facts import HouseholdType
from doudi_runtime.events.consumer import Subscription
from doudi_runtime.events.envelope import unpack
from doudi_runtime.grpc.convert import programme_name

TOPIC_APPLICATIONS = topic("doudi.intake.application.v1").name
TOPIC_REPORTS = topic("doudi.verification.report.v1").name
TOPIC_PAYMENTS = topic("doudi.disbursement.payment.v1").name
_ADVANCE_PAID = disbursement_events.AdvancePaid.DESCRIPTOR.full_name
_SETTLED = disbursement_events.PaymentSettled.DESCRIPTOR.full_name
_NOT_PAID = {
    disbursement_events.PaymentReturned.DESCRIPTOR.full_name: disbursement_events.PaymentReturned,
    disbursement_events.PaymentFailed.DESCRIPTOR.full_name: disbursement_events.PaymentFailed,
}
_ACCEPTED = intake_events.ApplicationAccepted.DESCRIPTOR.full_name
_WITHDRAWN = intake_events.ApplicationWithdrawn.DESCRIPTOR.full_name
_VERIFIED = verification_events.HouseholdVerified.DESCRIPTOR.full_name


class UnusableEvent(ValueError):
    """An event that cannot become part of a case; the consumer retries it, then sends it to the DLQ."""


def application_facts(event: intake_events.ApplicationAccepted, now: datetime) -> ApplicationFacts:
    application = event.application
    household_type = intake_pb2.HouseholdType.Name(application.household.household_type).removeprefix(
        "HOUSEHOLD_TYPE_"
    )
    if household_type not in HouseholdType.__members__:
        raise UnusableEvent(f"application {event.application_id} has no household type")
    members = tuple(
        Applicant(
            index=index,
            id_number=member.person.id_number.value,
            name=member.person.name,
            counted=member.counted,
            consent_signed=member.consent_signed,
        )
        for index, member in enumerate(application.household.members)
    )
    if not any(m.counted for m in members):
        raise UnusableEvent(f"application {event.application_id} has no counted member")
    accepted_at = application.accepted_at.ToDatetime(UTC) if application.HasField("accepted_at") else now
    payee = application.payee
    account = (
        PayeeAccount(payee.holder_name, payee.account_number, payee.bank_name, payee.guardian_name)
        if application.HasField("payee") and payee.account_number
        else None
    )
    return ApplicationFacts(
        application_id=event.application_id,
        programme=programme_name(application.programme),
        township=application.township.code,
        region=application.household.residence_region.code,
        household_type=HouseholdType(household_type),
        members=members,
        accepted_at=accepted_at,
        payee=account,
    )


def report_facts(report: verification_pb2.Report) -> ReportFacts:
    """Per member: counted gross, wages (the employment-cost base) and rigid expenditure; a disability
    certificate if a source reported one; the asset outcomes. The report's G must equal the members' sum."""
    members: dict[int, dict[str, object]] = {}
    for item in report.items:
        found = members.setdefault(
            item.member_index, {"gross": 0, "wage": 0, "rigid": 0, "type": "", "grade": 0}
        )
        kind = ITEM_KINDS.get(item.item)
        if kind in INCOME_KINDS:
            found["gross"] = int(found["gross"]) + item.amount_fen  # type: ignore[call-overload]
        if kind is Kind.WAGE:
            found["wage"] = int(found["wage"]) + item.amount_fen  # type: ignore[call-overload]
        if kind in DEDUCTION_KINDS:
            found["rigid"] = int(found["rigid"]) + item.amount_fen  # type: ignore[call-overload]
        if item.item == "disability_certificate":
            found["type"] = item.attributes.get("type", "")
            grade = item.attributes.get("grade", "0")
            found["grade"] = int(grade) if grade.isdigit() else 0
    findings = tuple(
        MemberFindings(
            index=index,
            gross_fen=int(m["gross"]),  # type: ignore[call-overload]
            wage_fen=int(m["wage"]),  # type: ignore[call-overload]
            rigid_fen=int(m["rigid"]),  # type: ignore[call-overload]
            disability_type=str(m["type"]),
            disability_grade=int(m["grade"]),  # type: ignore[call-overload]
        )
        for index, m in sorted(members.items())
    )
    total = sum(m.gross_fen for m in findings)
    if total != report.gross_income_fen:
        raise UnusableEvent(
            f"report {report.report_id}: items add up to {total} fen, G says {report.gross_income_fen}"
        )
    assets = tuple(
        (
            test.rule.rsplit(".", 1)[-1],
            verification_pb2.AssetOutcome.Name(test.outcome).removeprefix("ASSET_OUTCOME_"),
            test.reason,
        )
        for test in report.asset_tests
    )
    return ReportFacts(report.report_id, report.policy_version, report.gross_income_fen, findings, assets)


def intake_subscription(use_cases: ProcedureUseCases, clock: Callable[[], datetime]) -> Subscription:
    def handle(session: Session, envelope: EventEnvelope) -> None:
        if envelope.event_type == _ACCEPTED:
            event = unpack(envelope, intake_events.ApplicationAccepted)
            use_cases.application_accepted(session, application_facts(event, clock()))
        elif envelope.event_type == _WITHDRAWN:
            event = unpack(envelope, intake_events.ApplicationWithdrawn)
            use_cases.application_withdrawn(session, event.application_id, event.reason)

    return Subscription(TOPIC_APPLICATIONS, handle)


def verification_subscription(
    use_cases: ProcedureUseCases, entitlements: EntitlementUseCases
) -> Subscription:
    """A first check's report feeds the case; a periodic review's puts the entitlement under review."""

    def handle(session: Session, envelope: EventEnvelope) -> None:
        if envelope.event_type == _VERIFIED:
            report = unpack(envelope, verification_events.HouseholdVerified).report
            if report.state != verification_pb2.REPORT_STATE_COMPLETE:
                return
            if report.purpose == verification_pb2.CHECK_PURPOSE_PERIODIC_REVIEW:
                entitlements.periodic_review_reported(
                    session, report.application_id, report.report_id, report.review_id
                )
                return
            use_cases.report_ready(session, report.application_id, report_facts(report))

    return Subscription(TOPIC_REPORTS, handle)


def payment_subscription(use_cases: ProcedureUseCases, clock: Callable[[], datetime]) -> Subscription:
    def handle(session: Session, envelope: EventEnvelope) -> None:
        if envelope.event_type == _SETTLED:
            payment = unpack(envelope, disbursement_events.PaymentSettled).payment
            if payment.entitlement_id:
                at = envelope.occurred_at.ToDatetime(UTC) if envelope.HasField("occurred_at") else clock()
                ta_lifecycle.on_payment_settled(
                    use_cases.commands,
                    session,
                    payment.entitlement_id,
                    payment.payment_id,
                    payment.amount.amount_fen,
                    china_date(at),
                )
            return
        if envelope.event_type in _NOT_PAID:
            payment = unpack(envelope, _NOT_PAID[envelope.event_type]).payment
            if payment.entitlement_id:
                ta_lifecycle.on_payment_problem(
                    use_cases.commands, session, payment.entitlement_id, payment.reason
                )
            return
        if envelope.event_type != _ADVANCE_PAID:
            return
        advance = unpack(envelope, disbursement_events.AdvancePaid).advance
        if not advance.case_reference or advance.amount.amount_fen <= 0:
            return
        paid_at = envelope.occurred_at.ToDatetime(UTC) if envelope.HasField("occurred_at") else clock()
        use_cases.advance_paid(
            session,
            advance.advance_id,
            advance.case_reference,
            advance.person.id_number.value,
            advance.amount.amount_fen,
            paid_at,
        )

    return Subscription(TOPIC_PAYMENTS, handle)
