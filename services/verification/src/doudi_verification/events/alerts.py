"""Monitoring's protos and events: reported events → domain, alerts → doudi.verification.v1 messages.

Inbound, ``doudi.external.monitoring.v1`` carries MonitoringEventReported from external systems; it is read
through the inbox and has the same effect as the ReportMonitoringEvent RPC. Outbound, alert events go to
``doudi.verification.alert.v1`` keyed by household (the alert itself when no household is known).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Protocol, TypeVar

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy.orm import Session

from doudi.common.v1 import types_pb2
from doudi.common.v1.envelope_pb2 import EventEnvelope
from doudi.verification.v1 import events_pb2, monitoring_pb2
from doudi_common.calendar import china_date
from doudi_common.validation import Violations
from doudi_contracts.topics import topic
from doudi_runtime.events.consumer import Subscription
from doudi_runtime.events.envelope import unpack
from doudi_runtime.grpc.convert import programme_pb, timestamp
from doudi_verification.domain.alerts import (
    Alert,
    AlertState,
    AssigneeRole,
    Assignment,
    Disposition,
    DispositionChoice,
    Findings,
    ReferralTarget,
    VerificationMethod,
    leads_of,
)
from doudi_verification.domain.triggers import DisabilityType, Facts, MonitoredGroup, MonitoringEvent, Trigger

TOPIC_ALERTS = topic("doudi.verification.alert.v1").name
TOPIC_MONITORING_EVENTS = topic("doudi.external.monitoring.v1").name
#: Who intake records as having found a lead that came from an alert.
LEAD_FOUND_BY = "monitoring-alert"

E = TypeVar("E", bound=StrEnum)


# -- enums and scalars -----------------------------------------------------------------------------


def domain_enum(domain: type[E], proto_enum: object, value: int, prefix: str) -> E | None:
    """The domain member of a proto enum value; None for UNSPECIFIED, unknown numbers or unknown names."""
    try:
        name = proto_enum.Name(value)  # type: ignore[attr-defined]
    except ValueError:
        return None
    return domain.__members__.get(name.removeprefix(prefix))


def proto_enum_value(proto_enum: object, prefix: str, member: StrEnum | None) -> int:
    if member is None:
        return 0
    return int(proto_enum.Value(prefix + member.value))  # type: ignore[attr-defined]


def from_timestamp(message: Message, field: str) -> datetime | None:
    return getattr(message, field).ToDatetime(UTC) if message.HasField(field) else None


def proto_date(day: date | None) -> types_pb2.Date | None:
    return None if day is None else types_pb2.Date(year=day.year, month=day.month, day=day.day)


def _money(fen: int | None) -> types_pb2.Money | None:
    return None if fen is None else types_pb2.Money(amount_fen=fen)


def _fen(message: Message, field: str) -> int | None:
    return int(getattr(message, field).amount_fen) if message.HasField(field) else None


# -- reported events → domain ----------------------------------------------------------------------


class ReportedEvent(Protocol):
    """What ReportMonitoringEventRequest and MonitoringEventReported share, field for field."""

    trigger: int
    person: types_pb2.IdNumber
    region: types_pb2.RegionCode
    amount: types_pb2.Money
    source: str
    occurred_at: Timestamp
    source_reference: str
    household_id: str
    groups: list[int]
    facts: monitoring_pb2.MonitoringFacts
    description: str

    def HasField(self, field_name: str) -> bool: ...


def _groups(values: list[int]) -> frozenset[MonitoredGroup]:
    v = Violations()
    groups: set[MonitoredGroup] = set()
    for index, value in enumerate(values):
        group = domain_enum(MonitoredGroup, monitoring_pb2.MonitoredGroup, value, "MONITORED_GROUP_")
        if group is None:
            v.add(f"groups[{index}]", "is not a monitored group")
        else:
            groups.add(group)
    v.raise_if_any()
    return frozenset(groups)


def _facts(message: monitoring_pb2.MonitoringFacts) -> Facts:
    return Facts(
        household_annual_income_fen=_fen(message, "household_annual_income"),
        previous_amount_fen=_fen(message, "previous_amount"),
        earned_income_stopped=message.earned_income_stopped,
        on_serious_illness_list=message.on_serious_illness_list,
        house_damaged=message.house_damaged,
        crop_loss_percent=message.crop_loss_percent,
        disability_grade=message.disability_grade,
        disability_type=domain_enum(
            DisabilityType, monitoring_pb2.DisabilityType, message.disability_type, "DISABILITY_TYPE_"
        ),
        milestone_age=message.milestone_age,
        overdue_days=message.overdue_days,
    )


def event_from_proto(message: ReportedEvent) -> MonitoringEvent:
    """The domain event of an RPC request or a bus event (the domain validates it)."""
    return MonitoringEvent(
        trigger=domain_enum(Trigger, monitoring_pb2.Trigger, message.trigger, "TRIGGER_"),
        person_id=message.person.value.strip().upper(),
        region=message.region.code.strip(),
        source=message.source.strip(),
        source_reference=message.source_reference.strip(),
        occurred_at=from_timestamp(message, "occurred_at"),  # type: ignore[arg-type]
        amount_fen=_fen(message, "amount"),  # type: ignore[arg-type]
        household_id=message.household_id.strip(),
        groups=_groups(list(message.groups)),
        facts=_facts(message.facts),
        description=message.description.strip(),
    )


def assignment_from_proto(request: monitoring_pb2.AssignAlertRequest) -> Assignment:
    return Assignment(
        assignee=request.assignee.strip(),
        role=domain_enum(AssigneeRole, monitoring_pb2.AssigneeRole, request.role, "ASSIGNEE_ROLE_"),
        note=request.note.strip(),
    )


def findings_from_proto(message: monitoring_pb2.Findings) -> Findings:
    return Findings(
        method=domain_enum(
            VerificationMethod, monitoring_pb2.VerificationMethod, message.method, "VERIFICATION_METHOD_"
        ),
        verified_by=message.verified_by.strip(),
        verified_at=from_timestamp(message, "verified_at"),
        living_conditions=message.living_conditions.strip(),
        food=message.food.strip(),
        housing=message.housing.strip(),
        health=message.health.strip(),
        income_change=message.income_change.strip(),
        needs=message.needs.strip(),
    )


def disposition_from_proto(message: monitoring_pb2.AlertDisposition) -> DispositionChoice:
    return DispositionChoice(
        kind=domain_enum(Disposition, monitoring_pb2.Disposition, message.kind, "DISPOSITION_"),
        reason=message.reason.strip(),
        refer_to=domain_enum(
            ReferralTarget, monitoring_pb2.ReferralTarget, message.refer_to, "REFERRAL_TARGET_"
        ),
        downstream_reference=message.downstream_reference.strip(),
    )


def downstream_from_proto(message: monitoring_pb2.DownstreamCase) -> tuple[Disposition | None, str]:
    return (
        domain_enum(Disposition, monitoring_pb2.Disposition, message.kind, "DISPOSITION_"),
        message.reference,
    )


# -- domain → protos -------------------------------------------------------------------------------


def _trigger(trigger: Trigger) -> int:
    return proto_enum_value(monitoring_pb2.Trigger, "TRIGGER_", trigger)


def _state(state: AlertState) -> int:
    return proto_enum_value(monitoring_pb2.AlertState, "ALERT_STATE_", state)


def _id(person_id: str) -> types_pb2.IdNumber:
    return types_pb2.IdNumber(value=person_id)


def _region(code: str) -> types_pb2.RegionCode:
    return types_pb2.RegionCode(code=code)


def assignment_to_proto(assignment: Assignment | None) -> monitoring_pb2.Assignment | None:
    if assignment is None:
        return None
    return monitoring_pb2.Assignment(
        assignee=assignment.assignee,
        role=proto_enum_value(monitoring_pb2.AssigneeRole, "ASSIGNEE_ROLE_", assignment.role),
        note=assignment.note,
        assigned_at=timestamp(assignment.assigned_at),
    )


def findings_to_proto(findings: Findings) -> monitoring_pb2.Findings:
    return monitoring_pb2.Findings(
        method=proto_enum_value(monitoring_pb2.VerificationMethod, "VERIFICATION_METHOD_", findings.method),
        verified_by=findings.verified_by,
        verified_at=timestamp(findings.verified_at),
        living_conditions=findings.living_conditions,
        food=findings.food,
        housing=findings.housing,
        health=findings.health,
        income_change=findings.income_change,
        needs=findings.needs,
        recorded_at=timestamp(findings.recorded_at),
    )


def disposition_to_proto(choice: DispositionChoice) -> monitoring_pb2.AlertDisposition:
    return monitoring_pb2.AlertDisposition(
        kind=proto_enum_value(monitoring_pb2.Disposition, "DISPOSITION_", choice.kind),
        reason=choice.reason,
        refer_to=proto_enum_value(monitoring_pb2.ReferralTarget, "REFERRAL_TARGET_", choice.refer_to),
        downstream_reference=choice.downstream_reference,
    )


def alert_to_proto(alert: Alert, *, reveal_person: bool) -> monitoring_pb2.Alert:
    """The alert; the full ID number only where the caller works this one alert (lists see it masked)."""
    return monitoring_pb2.Alert(
        alert_id=alert.alert_id,
        trigger=_trigger(alert.trigger),
        state=_state(alert.state),
        person=_id(alert.person_id) if reveal_person else None,
        person_masked=alert.person_masked,
        household_id=alert.household_id,
        region=_region(alert.region),
        township=_region(alert.township),
        urgency=proto_enum_value(monitoring_pb2.AlertUrgency, "ALERT_URGENCY_", alert.urgency),
        source=alert.source,
        source_reference=alert.source_reference,
        amount=_money(alert.amount_fen),
        occurred_at=timestamp(alert.occurred_at),
        raised_at=timestamp(alert.raised_at),
        due_at=timestamp(alert.due_at),
        overdue=alert.overdue,
        assignment=assignment_to_proto(alert.assignment),
        findings=[findings_to_proto(f) for f in alert.findings],
        dispositions=[disposition_to_proto(c) for c in alert.dispositions],
        disposal_reason=alert.disposal_reason,
        disposed_at=timestamp(alert.disposed_at),
        follow_up_due=proto_date(alert.follow_up_due),
        closed_at=timestamp(alert.closed_at),
        close_note=alert.close_note,
        reports=alert.reports,
        trigger_reason=alert.trigger_reason,
        description=alert.description,
        groups=sorted(
            proto_enum_value(monitoring_pb2.MonitoredGroup, "MONITORED_GROUP_", g) for g in alert.groups
        ),
    )


def alert_raised(alert: Alert) -> events_pb2.AlertRaised:
    return events_pb2.AlertRaised(
        alert_id=alert.alert_id,
        trigger=_trigger(alert.trigger),
        region=_region(alert.region),
        due=proto_date(china_date(alert.due_at)),
        township=_region(alert.township),
        household_id=alert.household_id,
        person=_id(alert.person_id),
        urgency=proto_enum_value(monitoring_pb2.AlertUrgency, "ALERT_URGENCY_", alert.urgency),
        due_at=timestamp(alert.due_at),
        raised_at=timestamp(alert.raised_at),
        source=alert.source,
        source_reference=alert.source_reference,
    )


def alert_assigned(alert: Alert) -> events_pb2.AlertAssigned:
    return events_pb2.AlertAssigned(
        alert_id=alert.alert_id,
        township=_region(alert.township),
        assignment=assignment_to_proto(alert.assignment),
    )


def alert_disposed(alert: Alert) -> events_pb2.AlertDisposed:
    """Carries the leads intake registers for INCLUDE_DIBAO / INCLUDE_TEKUN (DOMAIN §8.3, §0.2.5)."""
    return events_pb2.AlertDisposed(
        alert_id=alert.alert_id,
        dispositions=[disposition_to_proto(c) for c in alert.dispositions],
        trigger=_trigger(alert.trigger),
        person=_id(alert.person_id),
        region=_region(alert.region),
        household_id=alert.household_id,
        reason=alert.disposal_reason,
        leads=[
            monitoring_pb2.AlertLead(
                programme=programme_pb(lead.programme),
                person=_id(lead.person_id),
                residence_region=_region(lead.residence_region),
                reason=lead.reason,
                source_reference=lead.alert_id,
                found_by=LEAD_FOUND_BY,
            )
            for lead in leads_of(alert)
        ],
        disposed_at=timestamp(alert.disposed_at),
        follow_up_due=proto_date(alert.follow_up_due),
    )


def alert_overdue(alert: Alert) -> events_pb2.AlertOverdue:
    return events_pb2.AlertOverdue(
        alert_id=alert.alert_id,
        trigger=_trigger(alert.trigger),
        township=_region(alert.township),
        due_at=timestamp(alert.due_at),
        flagged_at=timestamp(alert.overdue_at),
        state=_state(alert.state),
    )


def alert_closed(alert: Alert) -> events_pb2.AlertClosed:
    return events_pb2.AlertClosed(
        alert_id=alert.alert_id,
        trigger=_trigger(alert.trigger),
        dispositions=[disposition_to_proto(c) for c in alert.dispositions],
        closed_at=timestamp(alert.closed_at),
        overdue=alert.overdue,
    )


# -- the inbound subscription ----------------------------------------------------------------------


def monitoring_event_subscription(report: Callable[[Session, MonitoringEvent, str], object]) -> Subscription:
    """Each MonitoringEventReported is reported inside the inbox transaction: redelivery changes nothing,
    and a second event about the same fact folds into the alert the first one opened. ``report`` gets the
    event's id as the cause of the events it writes."""

    def handle(session: Session, envelope: EventEnvelope) -> None:
        # An invalid event raises InvalidArgument: the consumer retries it, then dead-letters it with the
        # fields at fault, and the partition moves on.
        event = event_from_proto(unpack(envelope, monitoring_pb2.MonitoringEventReported))
        report(session, event, envelope.event_id)

    return Subscription(TOPIC_MONITORING_EVENTS, handle)
