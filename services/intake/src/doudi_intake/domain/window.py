"""What the window does with a submitted application: DOMAIN §7.2 rows 3–8 and 25, and §6's time limits.

Every transition is a pure function: the current application and what the caseworker decided in, the
next application out, or a domain error naming why the step is not allowed now.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from doudi_common.calendar import WorkingDayCalendar
from doudi_common.errors import FailedPrecondition, FieldViolation, InvalidArgument
from doudi_common.region import RegionCode
from doudi_intake.domain.application import (
    Application,
    ApplicationState,
    HouseholdDeclaration,
    Submission,
    local_date,
    validate_submission,
)

MAX_REASON_LENGTH = 2000
MAX_MISSING_ITEMS = 50
MAX_ITEM_LENGTH = 500

#: States in which the window's work on an application is over.
FINAL_STATES = frozenset(
    {ApplicationState.NOT_ACCEPTED, ApplicationState.TRANSFERRED, ApplicationState.WITHDRAWN}
)
WITHDRAWABLE_STATES = frozenset(
    {ApplicationState.SUBMITTED, ApplicationState.NEEDS_CORRECTION, ApplicationState.ACCEPTED}
)


@dataclass(frozen=True)
class WindowTimeLimits:
    """The time limits of DOMAIN §6 that the window applies, in working days (parameters, EX values)."""

    calendar: WorkingDayCalendar
    decision_working_days: int = 30
    correction_working_days: int = 10
    lead_contact_working_days: int = 3
    referral_send_working_days: int = 3

    def due(self, start: date, working_days: int) -> date:
        """Counting starts the day after ``start`` (DOMAIN §6 clock rules)."""
        return self.calendar.add_working_days(start, working_days)


def _require_state(application: Application, allowed: frozenset[ApplicationState], action: str) -> None:
    if application.state not in allowed:
        names = ", ".join(sorted(s.value for s in allowed))
        raise FailedPrecondition(
            f"application {application.application_id} is {application.state.value}; "
            f"it can be {action} only when {names}"
        )


def require_reason(reason: str, field: str = "reason") -> str:
    reason = reason.strip()
    if not reason:
        raise InvalidArgument.single(field, "is required: the applicant is owed a written reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidArgument.single(field, f"must be at most {MAX_REASON_LENGTH} characters")
    return reason


def clean_missing_items(items: tuple[str, ...]) -> tuple[str, ...]:
    """The one-time list of everything missing (DOMAIN §6): non-empty, each item named, no repeats."""
    violations: list[FieldViolation] = []
    if not items:
        violations.append(FieldViolation("missing_items", "must list every missing item, at least one"))
    if len(items) > MAX_MISSING_ITEMS:
        violations.append(FieldViolation("missing_items", f"must list at most {MAX_MISSING_ITEMS} items"))
    cleaned: list[str] = []
    for index, item in enumerate(items):
        text = item.strip()
        if not text:
            violations.append(FieldViolation(f"missing_items[{index}]", "is empty"))
        elif len(text) > MAX_ITEM_LENGTH:
            violations.append(
                FieldViolation(f"missing_items[{index}]", f"must be at most {MAX_ITEM_LENGTH} characters")
            )
        elif text not in cleaned:
            cleaned.append(text)
    if violations:
        raise InvalidArgument(violations)
    return tuple(cleaned)


def request_correction(
    application: Application, items: tuple[str, ...], *, now: datetime, limits: WindowTimeLimits
) -> Application:
    """§7.2 row 4: materials incomplete → NEEDS_CORRECTION with the one-time list and its due date."""
    missing = clean_missing_items(items)
    _require_state(application, frozenset({ApplicationState.SUBMITTED}), "sent back for correction")
    return replace(
        application,
        state=ApplicationState.NEEDS_CORRECTION,
        missing_items=missing,
        correction_due=limits.due(local_date(now), limits.correction_working_days),
        updated_at=now,
    )


def resubmit(
    application: Application, household: HouseholdDeclaration, statement: str, *, now: datetime
) -> Application:
    """§7.2 row 5: the corrected application goes back to the window, validated like a new one."""
    corrected = Submission(
        programme=application.programme,
        channel=application.channel,
        township=application.township,
        household=household,
        statement=statement,
        requested_amount_fen=application.requested_amount_fen,
        payee=application.payee,
    )
    validate_submission(corrected, local_date(now))
    _require_state(application, frozenset({ApplicationState.NEEDS_CORRECTION}), "resubmitted")
    return replace(
        application,
        state=ApplicationState.SUBMITTED,
        household=household,
        statement=statement,
        missing_items=(),
        correction_due=None,
        updated_at=now,
    )


def members_without_consent(application: Application) -> list[int]:
    """Indexes of counted members who have not signed the authorisation for verification (§4.1)."""
    return [
        index
        for index, member in enumerate(application.household.members)
        if member.counted and not member.consent_signed
    ]


def accept(application: Application, *, now: datetime, limits: WindowTimeLimits) -> Application:
    """§7.2 row 8: complete materials and every counted member's consent → ACCEPTED; the clock starts."""
    _require_state(application, frozenset({ApplicationState.SUBMITTED}), "accepted")
    unsigned = members_without_consent(application)
    if unsigned:
        fields = ", ".join(f"household.members[{i}].consent_signed" for i in unsigned)
        raise FailedPrecondition(
            f"every counted member must sign the authorisation for verification first; missing: {fields}"
        )
    return replace(
        application,
        state=ApplicationState.ACCEPTED,
        accepted_at=now,
        decision_due=limits.due(local_date(now), limits.decision_working_days),
        missing_items=(),
        correction_due=None,
        updated_at=now,
    )


def refuse(application: Application, reason: str, *, now: datetime) -> Application:
    """§7.2 row 7: obviously ineligible → NOT_ACCEPTED, always with a written reason (appeal rights, §7.6)."""
    written = require_reason(reason)
    _require_state(application, frozenset({ApplicationState.SUBMITTED}), "refused")
    return replace(application, state=ApplicationState.NOT_ACCEPTED, state_reason=written, updated_at=now)


def transfer(
    application: Application, to_township: str, reason: str, *, new_application_id: str, now: datetime
) -> tuple[Application, Application]:
    """§7.2 row 3 (首问负责): the window forwards the file; the competent township gets a new application.

    Returns the closed original and the new application, which starts at the window again in SUBMITTED.
    """
    violations: list[FieldViolation] = []
    try:
        target = RegionCode.parse(to_township, field="to_township")
        if target.level.name != "TOWNSHIP":
            violations.append(
                FieldViolation("to_township", "must be the 12-digit code of a township or street office")
            )
        elif to_township == application.township:
            violations.append(FieldViolation("to_township", "is the township that already holds it"))
    except InvalidArgument as exc:
        violations.extend(exc.violations)
    try:
        written = require_reason(reason)
    except InvalidArgument as exc:
        violations.extend(exc.violations)
    if violations:
        raise InvalidArgument(violations)
    _require_state(application, frozenset({ApplicationState.SUBMITTED}), "transferred")
    closed = replace(
        application,
        state=ApplicationState.TRANSFERRED,
        state_reason=written,
        transferred_to=to_township,
        transferred_as=new_application_id,
        updated_at=now,
    )
    opened = replace(
        application,
        application_id=new_application_id,
        township=to_township,
        state=ApplicationState.SUBMITTED,
        submitted_at=now,
        updated_at=now,
        state_reason="",
        transferred_from=application.application_id,
        duplicates=(),
    )
    return closed, opened


def withdraw(application: Application, reason: str, *, now: datetime) -> Application:
    """§7.2 rows 6 and 25: the applicant withdraws, at any step before a final one."""
    written = require_reason(reason)
    _require_state(application, WITHDRAWABLE_STATES, "withdrawn")
    return replace(application, state=ApplicationState.WITHDRAWN, state_reason=written, updated_at=now)


CORRECTION_LAPSED_REASON = (
    "补正材料期限已过，视为撤回 (the correction window passed without the missing items)"
)


def correction_lapsed(application: Application, today: date) -> bool:
    return (
        application.state is ApplicationState.NEEDS_CORRECTION
        and application.correction_due is not None
        and today > application.correction_due
    )


def lapse_correction(application: Application, *, now: datetime) -> Application:
    """§7.2 row 6: the correction window passed → WITHDRAWN, with the notice's reason."""
    if not correction_lapsed(application, local_date(now)):
        raise FailedPrecondition(f"application {application.application_id} has no lapsed correction window")
    return replace(
        application, state=ApplicationState.WITHDRAWN, state_reason=CORRECTION_LAPSED_REASON, updated_at=now
    )
