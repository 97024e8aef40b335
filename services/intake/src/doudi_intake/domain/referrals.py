"""One-window referrals (DOMAIN §7.1): a need outside social assistance, sent to its department and
tracked until the requester is told the answer. States move strictly forward, one step at a time."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from doudi_common.errors import FailedPrecondition, FieldViolation, InvalidArgument
from doudi_common.idcard import parse_id_number
from doudi_intake.domain.application import MAX_NAME_LENGTH, local_date
from doudi_intake.domain.window import WindowTimeLimits, require_reason

MAX_NEED_LENGTH = 2000


class Department(StrEnum):
    MEDICAL_INSURANCE = "MEDICAL_INSURANCE"
    EDUCATION = "EDUCATION"
    HOUSING = "HOUSING"
    HUMAN_RESOURCES = "HUMAN_RESOURCES"
    EMERGENCY_MANAGEMENT = "EMERGENCY_MANAGEMENT"


class ReferralState(StrEnum):
    CREATED = "CREATED"
    SENT = "SENT"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    RESULT_RECEIVED = "RESULT_RECEIVED"
    CLOSED = "CLOSED"


#: Each state and the one that must come before it.
_PREVIOUS = {
    ReferralState.SENT: ReferralState.CREATED,
    ReferralState.ACKNOWLEDGED: ReferralState.SENT,
    ReferralState.RESULT_RECEIVED: ReferralState.ACKNOWLEDGED,
    ReferralState.CLOSED: ReferralState.RESULT_RECEIVED,
}


@dataclass(frozen=True)
class ReferralRequest:
    id_number: str
    name: str
    department: Department | None
    need: str
    application_id: str = ""


@dataclass(frozen=True)
class Referral:
    referral_id: str
    id_number: str
    name: str
    department: Department
    need: str
    state: ReferralState
    send_due: date
    created_at: datetime
    updated_at: datetime
    application_id: str = ""
    result: str = ""


def create(
    request: ReferralRequest, *, referral_id: str, now: datetime, limits: WindowTimeLimits
) -> Referral:
    """A referral to be sent within the time limit (EX: 3 working days)."""
    today = local_date(now)
    violations: list[FieldViolation] = []
    try:
        parse_id_number(request.id_number, field="person.id_number", today=today)
    except InvalidArgument as exc:
        violations.extend(exc.violations)
    if not request.name.strip():
        violations.append(FieldViolation("person.name", "is required"))
    elif len(request.name) > MAX_NAME_LENGTH:
        violations.append(FieldViolation("person.name", f"must be at most {MAX_NAME_LENGTH} characters"))
    if request.department is None:
        violations.append(FieldViolation("department", "is required"))
    if not request.need.strip():
        violations.append(FieldViolation("need", "is required: say what the person needs"))
    elif len(request.need) > MAX_NEED_LENGTH:
        violations.append(FieldViolation("need", f"must be at most {MAX_NEED_LENGTH} characters"))
    if violations:
        raise InvalidArgument(violations)
    assert request.department is not None
    return Referral(
        referral_id=referral_id,
        id_number=request.id_number,
        name=request.name.strip(),
        department=request.department,
        need=request.need.strip(),
        state=ReferralState.CREATED,
        send_due=limits.due(today, limits.referral_send_working_days),
        created_at=now,
        updated_at=now,
        application_id=request.application_id,
    )


def progress(referral: Referral, to: ReferralState | None, result: str, *, now: datetime) -> Referral:
    """One step forward; the department's answer is required when it arrives."""
    if to is None or to not in _PREVIOUS:
        raise InvalidArgument.single("state", "must be SENT, ACKNOWLEDGED, RESULT_RECEIVED or CLOSED")
    answer = (
        require_reason(result, field="result") if to is ReferralState.RESULT_RECEIVED else referral.result
    )
    if referral.state is not _PREVIOUS[to]:
        raise FailedPrecondition(
            f"referral {referral.referral_id} is {referral.state.value}; "
            f"{to.value} comes only after {_PREVIOUS[to].value}"
        )
    return replace(referral, state=to, result=answer, updated_at=now)
