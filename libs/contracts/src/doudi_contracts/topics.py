"""The one catalogue of doudi's Kafka topics: name, key, producer, event types and consumers.

A topic per producing aggregate, ``doudi.<service>.<aggregate>.v1``, keyed by the subject whose
events must stay in order. Each topic has a dead-letter twin ``<topic>.dlq``. Topics that systems
outside doudi write are named ``doudi.external.<aggregate>.v1`` and use the schema of the service that
reads them.
"""

from __future__ import annotations

from dataclasses import dataclass

DLQ_SUFFIX = ".dlq"
#: The producer named by inbound topics, written by systems outside doudi.
EXTERNAL_PRODUCER = "external"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    producer: str
    key: str
    events: tuple[str, ...]
    consumers: tuple[str, ...]
    partitions: int = 6


CATALOGUE: tuple[TopicSpec, ...] = (
    TopicSpec(
        "doudi.intake.application.v1",
        producer="intake",
        key="application id",
        events=(
            "doudi.intake.v1.ApplicationSubmitted",
            "doudi.intake.v1.ApplicationAccepted",
            "doudi.intake.v1.CorrectionRequested",
            "doudi.intake.v1.ApplicationResubmitted",
            "doudi.intake.v1.ApplicationNotAccepted",
            "doudi.intake.v1.ApplicationWithdrawn",
            "doudi.intake.v1.ApplicationTransferred",
        ),
        consumers=("verification", "eligibility"),
    ),
    TopicSpec(
        "doudi.intake.lead.v1",
        producer="intake",
        key="lead id",
        events=(
            "doudi.intake.v1.LeadRegistered",
            "doudi.intake.v1.LeadUpdated",
            "doudi.intake.v1.LeadConverted",
        ),
        consumers=("verification",),
    ),
    TopicSpec(
        "doudi.intake.referral.v1",
        producer="intake",
        key="referral id",
        events=("doudi.intake.v1.ReferralCreated", "doudi.intake.v1.ReferralProgressed"),
        consumers=(),
    ),
    TopicSpec(
        "doudi.verification.report.v1",
        producer="verification",
        key="application id",
        events=(
            "doudi.verification.v1.HouseholdVerified",
            "doudi.verification.v1.VerificationIncomplete",
            "doudi.verification.v1.HomeSurveyCompleted",
        ),
        consumers=("eligibility",),
    ),
    TopicSpec(
        "doudi.verification.alert.v1",
        producer="verification",
        key="household id",
        events=(
            "doudi.verification.v1.AlertRaised",
            "doudi.verification.v1.AlertAssigned",
            "doudi.verification.v1.AlertDisposed",
            "doudi.verification.v1.AlertOverdue",
            "doudi.verification.v1.AlertClosed",
        ),
        consumers=("eligibility", "care", "dispatch", "intake"),
    ),
    TopicSpec(
        "doudi.external.monitoring.v1",
        producer=EXTERNAL_PRODUCER,
        key="person id",
        events=("doudi.verification.v1.MonitoringEventReported",),
        consumers=("verification",),
    ),
    TopicSpec(
        "doudi.eligibility.decision.v1",
        producer="eligibility",
        key="application id",
        events=(
            "doudi.eligibility.v1.PublicNoticeStarted",
            "doudi.eligibility.v1.ObjectionRaised",
            "doudi.eligibility.v1.DecisionMade",
            "doudi.eligibility.v1.AppealFiled",
            "doudi.eligibility.v1.TemporaryAssistancePostChecked",
            "doudi.eligibility.v1.TemporaryAssistanceClosed",
        ),
        consumers=("intake", "disbursement"),
    ),
    TopicSpec(
        "doudi.eligibility.entitlement.v1",
        producer="eligibility",
        key="household id",
        events=(
            "doudi.eligibility.v1.EntitlementActivated",
            "doudi.eligibility.v1.EntitlementChanged",
            "doudi.eligibility.v1.EntitlementSuspended",
            "doudi.eligibility.v1.EntitlementTerminated",
            "doudi.eligibility.v1.EntitlementReannounced",
        ),
        consumers=("disbursement", "care", "verification"),
    ),
    TopicSpec(
        "doudi.disbursement.payroll.v1",
        producer="disbursement",
        key="run id",
        events=(
            "doudi.disbursement.v1.PayrollOpened",
            "doudi.disbursement.v1.PayrollClosed",
            "doudi.disbursement.v1.DerivedPaymentDeclared",
        ),
        consumers=(),
    ),
    TopicSpec(
        "doudi.disbursement.payment.v1",
        producer="disbursement",
        key="beneficiary id",
        events=(
            "doudi.disbursement.v1.BankBatchReconciled",
            "doudi.disbursement.v1.PaymentSettled",
            "doudi.disbursement.v1.PaymentReturned",
            "doudi.disbursement.v1.PaymentFailed",
            "doudi.disbursement.v1.PaymentHeld",
            "doudi.disbursement.v1.PaymentReissued",
            "doudi.disbursement.v1.OverpaymentDetected",
            "doudi.disbursement.v1.AdvancePaid",
            "doudi.disbursement.v1.AdvanceRegularised",
        ),
        consumers=("eligibility",),
    ),
    TopicSpec(
        "doudi.care.visit.v1",
        producer="care",
        key="ledger entry id",
        events=(
            "doudi.care.v1.VisitDue",
            "doudi.care.v1.VisitOverdue",
            "doudi.care.v1.RiskReported",
            "doudi.care.v1.RiskLevelChanged",
            "doudi.care.v1.ProtectionCaseOpened",
            "doudi.care.v1.ProtectionStepRecorded",
            "doudi.care.v1.ProtectionStepOverdue",
        ),
        consumers=("dispatch", "verification"),
    ),
    TopicSpec(
        "doudi.care.workorder.v1",
        producer="care",
        key="provider id",
        events=(
            "doudi.care.v1.WorkOrderCompleted",
            "doudi.care.v1.WorkOrderMissed",
            "doudi.care.v1.ProviderFeeSettled",
        ),
        consumers=("disbursement",),
    ),
    TopicSpec(
        "doudi.dispatch.incident.v1",
        producer="dispatch",
        key="incident id",
        events=(
            "doudi.dispatch.v1.IncidentReported",
            "doudi.dispatch.v1.TeamDispatched",
            "doudi.dispatch.v1.IncidentEscalated",
            "doudi.dispatch.v1.TeamArrived",
            "doudi.dispatch.v1.IncidentHandedOver",
            "doudi.dispatch.v1.IncidentClosed",
        ),
        consumers=("intake", "verification"),
    ),
    TopicSpec(
        "doudi.dispatch.disaster.v1",
        producer="dispatch",
        key="disaster id",
        events=("doudi.dispatch.v1.DisasterDeclared",),
        consumers=("verification",),
    ),
)

_BY_NAME = {spec.name: spec for spec in CATALOGUE}


def topic(name: str) -> TopicSpec:
    """The topic of that name; KeyError for a topic the catalogue does not know."""
    return _BY_NAME[name]


def topics_produced_by(service: str) -> tuple[TopicSpec, ...]:
    return tuple(spec for spec in CATALOGUE if spec.producer == service)


def topics_consumed_by(service: str) -> tuple[TopicSpec, ...]:
    return tuple(spec for spec in CATALOGUE if service in spec.consumers)


def dlq_topic(name: str) -> str:
    return f"{name}{DLQ_SUFFIX}"


def all_topic_names(include_dlq: bool = True) -> list[str]:
    names = [spec.name for spec in CATALOGUE]
    if include_dlq:
        names += [dlq_topic(name) for name in names]
    return names
