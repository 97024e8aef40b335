"""Leads (DOMAIN §7.1, §0.2.5): someone possibly in need, found by a cadre, a response team or an alert.

A lead is never an application. It becomes one only when the household signs an application or a
mandate, which a cadre then submits on its behalf.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from doudi_common.errors import FailedPrecondition, FieldViolation, InvalidArgument
from doudi_common.idcard import parse_id_number
from doudi_common.region import RegionCode
from doudi_intake.domain.application import MAX_NAME_LENGTH, Application, local_date
from doudi_intake.domain.window import WindowTimeLimits, require_reason

MAX_FOUND_BY_LENGTH = 200
MAX_TEXT_LENGTH = 2000


class LeadState(StrEnum):
    NEW = "NEW"
    CONTACTED = "CONTACTED"
    CONVERTED = "CONVERTED"
    DECLINED = "DECLINED"
    NOT_NEEDED = "NOT_NEEDED"


OPEN_LEAD_STATES = frozenset({LeadState.NEW, LeadState.CONTACTED})
CLOSING_OUTCOMES = frozenset({LeadState.DECLINED, LeadState.NOT_NEEDED})


@dataclass(frozen=True)
class LeadReport:
    """What the finder reports: who, where, by whom, why."""

    id_number: str
    name: str
    residence_region: str
    found_by: str
    reason: str
    source_reference: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Lead:
    lead_id: str
    id_number: str
    name: str
    residence_region: str
    found_by: str
    reason: str
    state: LeadState
    registered_at: datetime
    contact_due: date
    updated_at: datetime
    source_reference: str = ""
    phone: str = ""
    note: str = ""
    application_id: str = ""


def _text_violation(value: str, field: str, limit: int) -> FieldViolation | None:
    if not value.strip():
        return FieldViolation(field, "is required")
    if len(value) > limit:
        return FieldViolation(field, f"must be at most {limit} characters")
    return None


def validate_report(report: LeadReport, today: date) -> None:
    violations: list[FieldViolation] = []
    try:
        parse_id_number(report.id_number, field="person.id_number", today=today)
    except InvalidArgument as exc:
        violations.extend(exc.violations)
    for value, field, limit in (
        (report.name, "person.name", MAX_NAME_LENGTH),
        (report.found_by, "found_by", MAX_FOUND_BY_LENGTH),
        (report.reason, "reason", MAX_TEXT_LENGTH),
    ):
        violation = _text_violation(value, field, limit)
        if violation:
            violations.append(violation)
    if len(report.source_reference) > MAX_FOUND_BY_LENGTH:
        violations.append(
            FieldViolation("source_reference", f"must be at most {MAX_FOUND_BY_LENGTH} characters")
        )
    try:
        RegionCode.parse(report.residence_region, field="residence_region")
    except InvalidArgument as exc:
        violations.extend(exc.violations)
    if violations:
        raise InvalidArgument(violations)


def register(report: LeadReport, *, lead_id: str, now: datetime, limits: WindowTimeLimits) -> Lead:
    """A new lead, with the day by which the village must contact the household (SLA EX: 3 working days)."""
    today = local_date(now)
    validate_report(report, today)
    return Lead(
        lead_id=lead_id,
        id_number=report.id_number,
        name=report.name.strip(),
        residence_region=report.residence_region,
        found_by=report.found_by.strip(),
        reason=report.reason.strip(),
        state=LeadState.NEW,
        registered_at=now,
        contact_due=limits.due(today, limits.lead_contact_working_days),
        updated_at=now,
        source_reference=report.source_reference,
        phone=report.phone,
    )


def _require_open(lead: Lead, action: str) -> None:
    if lead.state not in OPEN_LEAD_STATES:
        raise FailedPrecondition(
            f"lead {lead.lead_id} is {lead.state.value}; only an open lead can be {action}"
        )


def contact(lead: Lead, note: str, *, now: datetime) -> Lead:
    """The household was contacted and told of the policy (DOMAIN §7.1; S2 Art. 6)."""
    written = require_reason(note, field="note")
    if lead.state is not LeadState.NEW:
        raise FailedPrecondition(
            f"lead {lead.lead_id} is {lead.state.value}; only a NEW lead can be contacted"
        )
    return replace(lead, state=LeadState.CONTACTED, note=written, updated_at=now)


def close(lead: Lead, outcome: LeadState, reason: str, *, now: datetime) -> Lead:
    if outcome not in CLOSING_OUTCOMES:
        raise InvalidArgument.single("outcome", "must be DECLINED or NOT_NEEDED")
    written = require_reason(reason)
    _require_open(lead, "closed")
    return replace(lead, state=outcome, note=written, updated_at=now)


def require_mandate(mandate_reference: str) -> None:
    """Nobody is enrolled without an application (DOMAIN §0.2.5): a cadre needs the signed mandate."""
    if not mandate_reference.strip():
        raise InvalidArgument.single(
            "mandate_reference", "is required: nobody is enrolled without a signed application or mandate"
        )
    if len(mandate_reference) > MAX_FOUND_BY_LENGTH:
        raise InvalidArgument.single("mandate_reference", f"must be at most {MAX_FOUND_BY_LENGTH} characters")


def convert(lead: Lead, application: Application, *, now: datetime) -> Lead:
    """The lead became ``application``, which must carry the household's mandate and include the person."""
    require_mandate(application.mandate_reference)
    if all(member.id_number != lead.id_number for member in application.household.members):
        raise InvalidArgument.single(
            "application.household.members", "must include the person the lead is about"
        )
    _require_open(lead, "converted")
    return replace(lead, state=LeadState.CONVERTED, application_id=application.application_id, updated_at=now)
