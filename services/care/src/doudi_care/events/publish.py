"""Care's events and API messages: domain records → the protos others read.

The API layer and the outbox share these mappings, so an event carries what a Get answer shows.
"""

from __future__ import annotations

from datetime import date, datetime

from doudi.care.v1 import care_pb2, events_pb2
from doudi.common.v1 import types_pb2
from doudi_care.domain.ledger import (
    ChildDetails,
    DisabilityDetails,
    ElderlyDetails,
    Ledger,
    LedgerEntry,
    PlannedVisit,
    RiskLevel,
    TekunDetails,
)
from doudi_care.domain.protection import ProtectionCase, ProtectionStep
from doudi_care.domain.schedule import VisitStage
from doudi_care.domain.visits import Visit
from doudi_care.domain.workorders import Settlement, WorkOrder
from doudi_common.masking import mask_id_number, mask_phone, scrub
from doudi_contracts.topics import topic
from doudi_runtime.grpc.convert import timestamp

TOPIC_VISITS = topic("doudi.care.visit.v1").name
TOPIC_WORK_ORDERS = topic("doudi.care.workorder.v1").name


def date_to_proto(day: date | None) -> types_pb2.Date | None:
    return None if day is None else types_pb2.Date(year=day.year, month=day.month, day=day.day)


def region(code: str) -> types_pb2.RegionCode:
    return types_pb2.RegionCode(code=code)


def ledger_to_proto(ledger: Ledger) -> int:
    return care_pb2.Ledger.Value(f"LEDGER_{ledger.value}")


def risk_to_proto(risk: RiskLevel) -> int:
    return care_pb2.RiskLevel.Value(f"RISK_LEVEL_{risk.value}")


def stage_to_proto(stage: VisitStage) -> int:
    return care_pb2.VisitStage.Value(f"VISIT_STAGE_{stage.value}")


def step_to_proto(step: ProtectionStep) -> int:
    return care_pb2.ProtectionStep.Value(f"PROTECTION_STEP_{step.value}")


def _enum(enum_type: object, prefix: str, value: object) -> int:
    if value is None:
        return 0
    return enum_type.Value(f"{prefix}{value.value}")  # type: ignore[attr-defined]


def _details(entry: LedgerEntry, message: care_pb2.LedgerEntry) -> None:
    d = entry.details
    if isinstance(d, ElderlyDetails):
        message.elderly.CopyFrom(
            care_pb2.ElderlyDetails(
                contact_name=d.contact_name,
                contact_phone=d.contact_phone,
                support_agreement_signed=d.support_agreement_signed,
                living_arrangement=_enum(
                    care_pb2.LivingArrangement, "LIVING_ARRANGEMENT_", d.living_arrangement
                ),
                self_care=_enum(care_pb2.SelfCare, "SELF_CARE_", d.self_care),
            )
        )
    elif isinstance(d, ChildDetails):
        message.child.CopyFrom(
            care_pb2.ChildDetails(
                category=_enum(care_pb2.ChildCategory, "CHILD_CATEGORY_", d.category),
                guardian_name=d.guardian_name,
                guardian_phone=d.guardian_phone,
                child_director=d.child_director,
                school=d.school,
            )
        )
    elif isinstance(d, DisabilityDetails):
        message.disability.CopyFrom(
            care_pb2.DisabilityDetails(
                certificate_type=_enum(care_pb2.DisabilityType, "DISABILITY_TYPE_", d.certificate_type),
                grade=d.grade,
                certificate_number=d.certificate_number,
                valid_until=date_to_proto(d.valid_until),
            )
        )
    elif isinstance(d, TekunDetails):
        message.tekun.CopyFrom(
            care_pb2.TekunDetails(
                carer_name=d.carer_name,
                carer_phone=d.carer_phone,
                entrustment_agreement_signed=d.entrustment_agreement_signed,
                agreement_signed_on=date_to_proto(d.agreement_signed_on),
                visit_person=d.visit_person,
                self_care=_enum(care_pb2.SelfCare, "SELF_CARE_", d.self_care),
            )
        )


def entry_to_proto(entry: LedgerEntry, stage: VisitStage, *, masked: bool) -> care_pb2.LedgerEntry:
    """One entry; ``masked`` for list answers (DOMAIN §12.3: the ID number is not shown in lists)."""
    id_number = mask_id_number(entry.id_number) if masked and entry.id_number else entry.id_number
    message = care_pb2.LedgerEntry(
        entry_id=entry.entry_id,
        ledger=ledger_to_proto(entry.ledger),
        person=types_pb2.Person(
            id_number=types_pb2.IdNumber(value=id_number),
            name=entry.name,
            phone=entry.phone if not masked else "",
        ),
        region=region(entry.region),
        contact=entry.contact,
        risk_level=risk_to_proto(entry.risk_level),
        status=care_pb2.EntryStatus.Value(f"ENTRY_STATUS_{entry.status.value}"),
        source=care_pb2.EntrySource.Value(f"ENTRY_SOURCE_{entry.source.value}"),
        subject_id=entry.subject_id,
        next_visit_due=date_to_proto(entry.next_due),
        visit_stage=stage_to_proto(stage),
        last_visited_on=date_to_proto(entry.last_visited_on),
        provider_id=entry.provider_id,
        care_services=entry.care_services,
        registered_at=timestamp(entry.registered_at),
        rural_class1_dibao=entry.rural_class1_dibao,
    )
    _details(entry, message)
    if masked:
        _mask_phones(message)
    return message


def _mask_phones(message: care_pb2.LedgerEntry) -> None:
    """Lists show who to call, not the number (DOMAIN §11.5, §12.3); a single-record answer shows it."""
    message.contact = scrub(message.contact)
    kind = message.WhichOneof("details")
    if kind is None:
        return
    details = getattr(message, kind)
    for name in ("contact_phone", "guardian_phone", "carer_phone"):
        if hasattr(details, name) and getattr(details, name):
            setattr(details, name, mask_phone(getattr(details, name)))


def due_visit_to_proto(entry: LedgerEntry, stage: VisitStage) -> care_pb2.DueVisit:
    return care_pb2.DueVisit(
        entry_id=entry.entry_id,
        due=date_to_proto(entry.next_due),
        overdue=stage.overdue,
        ledger=ledger_to_proto(entry.ledger),
        region=region(entry.region),
        person_name=entry.name,
        risk_level=risk_to_proto(entry.risk_level),
        stage=stage_to_proto(stage),
    )


def visit_to_proto(visit: Visit) -> care_pb2.Visit:
    return care_pb2.Visit(
        visit_id=visit.visit_id,
        entry_id=visit.entry_id,
        visited_at=timestamp(visit.visited_at),
        place=visit.place,
        findings=visit.findings,
        risk_found=visit.risk_found,
        mode=care_pb2.VisitMode.Value(f"VISIT_MODE_{visit.mode.value}"),
        visitor=visit.visitor,
        late=visit.late,
        next_visit_due=date_to_proto(visit.next_due),
    )


def work_order_to_proto(order: WorkOrder) -> care_pb2.WorkOrder:
    return care_pb2.WorkOrder(
        work_order_id=order.work_order_id,
        entry_id=order.entry_id,
        provider_id=order.provider_id,
        period=types_pb2.Period(month=str(order.period)),
        state=care_pb2.WorkOrderState.Value(f"WORK_ORDER_STATE_{order.state.value}"),
        content=order.content,
        quality_score=order.quality_score,
        confirmed_by=order.confirmed_by,
        completed_at=timestamp(order.completed_at),
        audit_passed=bool(order.audit_passed),
        missed_reason=order.missed_reason,
    )


def settlement_to_proto(settlement: Settlement) -> care_pb2.ProviderSettlement:
    f = settlement.figures
    return care_pb2.ProviderSettlement(
        settlement_id=settlement.settlement_id,
        provider_id=settlement.provider_id,
        period=types_pb2.Period(month=str(settlement.period)),
        planned=f.planned,
        paid_services=f.paid_services,
        missed=f.missed,
        failed_audit=f.failed_audit,
        average_score_x100=settlement.average_score_x100,
        gross=types_pb2.Money(amount_fen=f.gross_fen),
        deductions=types_pb2.Money(amount_fen=f.deductions_fen),
        payable=types_pb2.Money(amount_fen=f.payable_fen),
        settled_at=timestamp(settlement.settled_at),
    )


def case_to_proto(case: ProtectionCase) -> care_pb2.ProtectionCase:
    return care_pb2.ProtectionCase(
        case_id=case.case_id,
        entry_id=case.entry_id,
        child=types_pb2.Person(
            id_number=types_pb2.IdNumber(value=case.child_id_number), name=case.child_name
        ),
        region=region(case.region),
        description=case.description,
        reporter=case.reporter,
        reported_at=timestamp(case.reported_at),
        dispatch_due_at=timestamp(case.dispatch_due_at),
        assessment_due_at=timestamp(case.assessment_due_at),
        intervention_due_at=timestamp(case.intervention_due_at),
        dispatched_at=timestamp(case.dispatched_at),
        assessed_at=timestamp(case.assessed_at),
        intervened_at=timestamp(case.intervened_at),
        overdue_steps=[step_to_proto(s) for s in case.overdue_steps],
        contact_phone=case.contact_phone,
    )


# -- events ---------------------------------------------------------------------------------------


def _person(entry: LedgerEntry | PlannedVisit) -> types_pb2.IdNumber | None:
    return types_pb2.IdNumber(value=entry.id_number) if entry.id_number else None


def visit_due(entry: LedgerEntry | PlannedVisit) -> events_pb2.VisitDue:
    return events_pb2.VisitDue(
        entry_id=entry.entry_id,
        region=region(entry.region),
        due=date_to_proto(entry.next_due),
        ledger=ledger_to_proto(entry.ledger),
        risk_level=risk_to_proto(entry.risk_level),
    )


def visit_overdue(entry: LedgerEntry | PlannedVisit, stage: VisitStage) -> events_pb2.VisitOverdue:
    level = "COUNTY" if stage is VisitStage.OVERDUE_COUNTY else "TOWNSHIP"
    return events_pb2.VisitOverdue(
        entry_id=entry.entry_id,
        region=region(entry.region),
        due=date_to_proto(entry.next_due),
        ledger=ledger_to_proto(entry.ledger),
        escalated_to=care_pb2.EscalationLevel.Value(f"ESCALATION_LEVEL_{level}"),
        township=region(entry.township),
        risk_level=risk_to_proto(entry.risk_level),
        person=_person(entry),
    )


def risk_reported(entry: LedgerEntry, visit: Visit) -> events_pb2.RiskReported:
    return events_pb2.RiskReported(
        entry_id=entry.entry_id,
        region=region(entry.region),
        description=visit.findings,
        visit_id=visit.visit_id,
        ledger=ledger_to_proto(entry.ledger),
        risk_level=risk_to_proto(entry.risk_level),
        observed_at=timestamp(visit.visited_at),
        person=_person(entry),
        person_name=entry.name,
    )


def risk_level_changed(before: LedgerEntry, after: LedgerEntry, reason: str) -> events_pb2.RiskLevelChanged:
    return events_pb2.RiskLevelChanged(
        entry_id=after.entry_id,
        before=risk_to_proto(before.risk_level),
        after=risk_to_proto(after.risk_level),
        reason=reason,
        next_visit_due=date_to_proto(after.next_due),
    )


def work_order_completed(order: WorkOrder) -> events_pb2.WorkOrderCompleted:
    return events_pb2.WorkOrderCompleted(
        work_order_id=order.work_order_id,
        quality_score=order.quality_score,
        provider_id=order.provider_id,
        entry_id=order.entry_id,
        period=types_pb2.Period(month=str(order.period)),
    )


def work_order_missed(order: WorkOrder) -> events_pb2.WorkOrderMissed:
    return events_pb2.WorkOrderMissed(
        work_order_id=order.work_order_id,
        provider_id=order.provider_id,
        entry_id=order.entry_id,
        period=types_pb2.Period(month=str(order.period)),
        reason=order.missed_reason,
        region=region(order.region),
    )


def provider_fee_settled(settlement: Settlement) -> events_pb2.ProviderFeeSettled:
    return events_pb2.ProviderFeeSettled(settlement=settlement_to_proto(settlement))


def protection_case_opened(case: ProtectionCase) -> events_pb2.ProtectionCaseOpened:
    return events_pb2.ProtectionCaseOpened(protection_case=case_to_proto(case))


def protection_step_recorded(
    case: ProtectionCase, step: ProtectionStep, at: datetime, note: str
) -> events_pb2.ProtectionStepRecorded:
    return events_pb2.ProtectionStepRecorded(
        case_id=case.case_id, step=step_to_proto(step), at=timestamp(at), note=note, entry_id=case.entry_id
    )


def protection_step_overdue(case: ProtectionCase, step: ProtectionStep) -> events_pb2.ProtectionStepOverdue:
    return events_pb2.ProtectionStepOverdue(
        case_id=case.case_id,
        step=step_to_proto(step),
        due_at=timestamp(case.due_at(step)),
        region=region(case.region),
        escalated_to=care_pb2.ESCALATION_LEVEL_COUNTY,
        entry_id=case.entry_id,
    )
