"""Proto requests → the domain's commands; no rule lives here, only translation."""

from __future__ import annotations

from datetime import UTC, date, datetime

from doudi.care.v1 import care_pb2
from doudi.common.v1 import types_pb2
from doudi_care.app.ledger import ImportRow
from doudi_care.app.protection import ChildReport
from doudi_care.domain.ledger import (
    ChildCategory,
    ChildDetails,
    DisabilityDetails,
    DisabilityType,
    ElderlyDetails,
    Ledger,
    LivingArrangement,
    Registration,
    RiskLevel,
    SelfCare,
    TekunDetails,
)
from doudi_care.domain.protection import ProtectionStep
from doudi_care.domain.visits import VisitMode, VisitReport
from doudi_common.errors import InvalidArgument
from doudi_common.validation import Violations
from doudi_runtime.grpc.convert import domain_enum


def ledger(value: int, field: str = "ledger") -> Ledger | None:
    return domain_enum(Ledger, care_pb2.Ledger, value, "LEDGER_", field)


def risk_level(value: int, field: str = "risk_level") -> RiskLevel | None:
    return domain_enum(RiskLevel, care_pb2.RiskLevel, value, "RISK_LEVEL_", field)


def protection_step(value: int) -> ProtectionStep | None:
    return domain_enum(ProtectionStep, care_pb2.ProtectionStep, value, "PROTECTION_STEP_", "step")


def optional_date(message: object, field: str, v: Violations) -> date | None:
    if not message.HasField(field):  # type: ignore[attr-defined]
        return None
    value: types_pb2.Date = getattr(message, field)
    if (value.year, value.month, value.day) == (0, 0, 0):
        return None
    return v.require_date(value.year, value.month, value.day, field)


def optional_time(message: object, field: str) -> datetime | None:
    if not message.HasField(field):  # type: ignore[attr-defined]
        return None
    return getattr(message, field).ToDatetime(tzinfo=UTC)  # type: ignore[no-any-return]


def _details(message: care_pb2.LedgerRegistration, v: Violations) -> object:
    kind = message.WhichOneof("details")
    if kind is None:
        return None
    with v.nested(kind):
        if kind == "elderly":
            d = message.elderly
            return ElderlyDetails(
                contact_name=d.contact_name,
                contact_phone=d.contact_phone,
                support_agreement_signed=d.support_agreement_signed,
                living_arrangement=_try(v, lambda: domain_enum(
                    LivingArrangement, care_pb2.LivingArrangement, d.living_arrangement,
                    "LIVING_ARRANGEMENT_", v.path("living_arrangement"),
                )),
                self_care=_try(v, lambda: domain_enum(
                    SelfCare, care_pb2.SelfCare, d.self_care, "SELF_CARE_", v.path("self_care")
                )),
            )  # fmt: skip
        if kind == "child":
            c = message.child
            return ChildDetails(
                category=_try(v, lambda: domain_enum(
                    ChildCategory, care_pb2.ChildCategory, c.category, "CHILD_CATEGORY_", v.path("category")
                )),
                guardian_name=c.guardian_name,
                guardian_phone=c.guardian_phone,
                child_director=c.child_director,
                school=c.school,
            )  # fmt: skip
        if kind == "disability":
            b = message.disability
            return DisabilityDetails(
                certificate_type=_try(v, lambda: domain_enum(
                    DisabilityType, care_pb2.DisabilityType, b.certificate_type, "DISABILITY_TYPE_",
                    v.path("certificate_type"),
                )),
                grade=b.grade,
                certificate_number=b.certificate_number,
                valid_until=optional_date(b, "valid_until", v),
            )  # fmt: skip
        t = message.tekun
        return TekunDetails(
            carer_name=t.carer_name,
            carer_phone=t.carer_phone,
            entrustment_agreement_signed=t.entrustment_agreement_signed,
            agreement_signed_on=optional_date(t, "agreement_signed_on", v),
            visit_person=t.visit_person,
            self_care=_try(v, lambda: domain_enum(
                SelfCare, care_pb2.SelfCare, t.self_care, "SELF_CARE_", v.path("self_care")
            )),
        )  # fmt: skip


def _try(v: Violations, read: object) -> object:
    try:
        return read()  # type: ignore[operator]
    except InvalidArgument as error:
        v.absorb(error)
        return None


def registration(message: care_pb2.LedgerRegistration, v: Violations) -> Registration:
    """The registration in ``message``; translation faults (unknown enum values, unreal dates) go to ``v``."""
    birth = None
    with v.nested("person"):
        birth = optional_date(message.person, "birth_date", v)
    return Registration(
        ledger=_try(v, lambda: ledger(message.ledger, v.path("ledger"))),  # type: ignore[arg-type]
        id_number=message.person.id_number.value,
        name=message.person.name,
        phone=message.person.phone,
        region=message.region.code,
        risk_level=_try(v, lambda: risk_level(message.risk_level, v.path("risk_level"))),  # type: ignore[arg-type]
        subject_id=message.subject_id,
        provider_id=message.provider_id,
        rural_class1_dibao=message.rural_class1_dibao,
        details=_details(message, v),  # type: ignore[arg-type]
        birth_date=birth,
    )


def import_rows(request: care_pb2.ImportLedgerRequest) -> list[ImportRow]:
    rows = []
    for message in request.rows:
        v = Violations()
        row = registration(message, v)
        rows.append(ImportRow(registration=row, violations=v.violations))
    return rows


def visit_report(request: care_pb2.RecordVisitRequest, v: Violations) -> VisitReport | None:
    mode = _try(v, lambda: domain_enum(VisitMode, care_pb2.VisitMode, request.mode, "VISIT_MODE_", "mode"))
    if mode is None and not any(x.field == "mode" for x in v):
        v.add("mode", "is required: home, phone, video, third party, neighbour or smart alert")
    visited_at = optional_time(request, "visited_at")
    if visited_at is None:
        v.add("visited_at", "is required")
    if mode is None or visited_at is None:
        return None
    return VisitReport(
        visited_at=visited_at,
        place=request.place,
        findings=request.findings,
        risk_found=request.risk_observed,
        mode=mode,  # type: ignore[arg-type]
        visitor=request.visitor,
    )


def child_report(request: care_pb2.ReportChildProtectionRequest) -> ChildReport:
    return ChildReport(
        entry_id=request.entry_id,
        id_number=request.child.id_number.value,
        name=request.child.name,
        region=request.region.code,
        description=request.description,
        reporter=request.reporter,
        contact_phone=request.contact_phone,
    )
