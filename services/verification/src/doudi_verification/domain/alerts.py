"""The life of a monitoring alert (DOMAIN §8.3): raised, assigned, verified, disposed of, closed.

``RAISED → ASSIGNED → VERIFYING → DISPOSED → CLOSED``, with an optional ``FOLLOW_UP`` between disposal and
closing. Every transition is a pure function: an alert and a decision in, the next alert out, or a domain
error (InvalidArgument naming the field, FailedPrecondition naming the state). Outcomes never enrol anyone:
INCLUDE_DIBAO / INCLUDE_TEKUN become leads for intake (DOMAIN §0.2.5).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from doudi_common.calendar import china_date
from doudi_common.errors import FailedPrecondition
from doudi_common.masking import mask_id_number
from doudi_common.region import RegionCode, RegionLevel
from doudi_common.validation import Violations
from doudi_verification.domain.triggers import (
    MAX_TEXT,
    MonitoredGroup,
    MonitoringEvent,
    SlaPolicy,
    Trigger,
    Urgency,
    Verdict,
)

MAX_STAFF_ID = 100
MAX_DISPOSITIONS = 9
MAX_FOLLOW_UP_DAYS = 90
MAX_FINDINGS = 50
#: A verification dated this far after the recording clock is an error, not a plan.
FUTURE_TOLERANCE = timedelta(minutes=10)


class AlertState(StrEnum):
    RAISED = "RAISED"
    ASSIGNED = "ASSIGNED"
    VERIFYING = "VERIFYING"
    DISPOSED = "DISPOSED"
    FOLLOW_UP = "FOLLOW_UP"
    CLOSED = "CLOSED"


#: Not yet verified: the SLA clock (``alert.sla``) is running.
UNVERIFIED = frozenset({AlertState.RAISED, AlertState.ASSIGNED})
#: Still open: a repeated report of the same fact folds into the alert.
OPEN = frozenset(set(AlertState) - {AlertState.CLOSED})


class Disposition(StrEnum):
    """The outcomes of DOMAIN §8.3 step 3."""

    INCLUDE_DIBAO = "INCLUDE_DIBAO"
    INCLUDE_TEKUN = "INCLUDE_TEKUN"
    TA_URGENT = "TA_URGENT"
    TA_EXPENDITURE = "TA_EXPENDITURE"
    ADJUST_CATEGORY = "ADJUST_CATEGORY"
    REVIEW_ENTITLEMENT = "REVIEW_ENTITLEMENT"
    REFER = "REFER"
    CARE_LEDGER = "CARE_LEDGER"
    NO_ACTION_FALSE_POSITIVE = "NO_ACTION_FALSE_POSITIVE"


#: Outcomes that become a lead for intake, and the programme the household is helped to apply for.
LEAD_PROGRAMMES: Mapping[Disposition, str] = {
    Disposition.INCLUDE_DIBAO: "DIBAO",
    Disposition.INCLUDE_TEKUN: "TEKUN",
}


class ReferralTarget(StrEnum):
    MEDICAL = "MEDICAL"
    EDUCATION = "EDUCATION"
    HOUSING = "HOUSING"
    EMPLOYMENT = "EMPLOYMENT"
    EMERGENCY_MANAGEMENT = "EMERGENCY_MANAGEMENT"
    ANTI_POVERTY_IDENTIFICATION = "ANTI_POVERTY_IDENTIFICATION"


class AssigneeRole(StrEnum):
    TOWNSHIP_OFFICER = "TOWNSHIP_OFFICER"
    VILLAGE_CADRE = "VILLAGE_CADRE"
    ASSISTANT = "ASSISTANT"


class VerificationMethod(StrEnum):
    HOME_VISIT = "HOME_VISIT"
    PHONE = "PHONE"


@dataclass(frozen=True)
class Assignment:
    assignee: str
    role: AssigneeRole | None
    note: str = ""
    #: Set by the transition, from its clock.
    assigned_at: datetime | None = None


@dataclass(frozen=True)
class Findings:
    """What one visit or call found (DOMAIN §8.3 step 2)."""

    method: VerificationMethod | None
    verified_by: str
    verified_at: datetime | None
    living_conditions: str = ""
    food: str = ""
    housing: str = ""
    health: str = ""
    income_change: str = ""
    needs: str = ""
    recorded_at: datetime | None = None

    @property
    def observations(self) -> tuple[str, ...]:
        return (self.living_conditions, self.food, self.housing, self.health, self.income_change, self.needs)


@dataclass(frozen=True)
class DispositionChoice:
    kind: Disposition | None
    reason: str = ""
    refer_to: ReferralTarget | None = None
    downstream_reference: str = ""


@dataclass(frozen=True)
class Lead:
    """A lead for intake from an INCLUDE_* outcome: inform the household and help it apply (DOMAIN §8.3)."""

    programme: str
    person_id: str
    residence_region: str
    reason: str
    alert_id: str


@dataclass(frozen=True)
class Alert:
    alert_id: str
    trigger: Trigger
    state: AlertState
    person_id: str
    household_id: str
    region: str
    township: str
    urgency: Urgency
    groups: frozenset[MonitoredGroup]
    source: str
    source_reference: str
    amount_fen: int | None
    occurred_at: datetime
    raised_at: datetime
    due_at: datetime
    trigger_reason: str
    description: str
    reports: int
    updated_at: datetime
    overdue_at: datetime | None = None
    assignment: Assignment | None = None
    findings: tuple[Findings, ...] = ()
    dispositions: tuple[DispositionChoice, ...] = ()
    disposal_reason: str = ""
    disposed_at: datetime | None = None
    follow_up_due: date | None = None
    closed_at: datetime | None = None
    close_note: str = ""

    @property
    def person_masked(self) -> str:
        return mask_id_number(self.person_id)

    @property
    def overdue(self) -> bool:
        return self.overdue_at is not None

    @property
    def open_key(self) -> str | None:
        """Unique among open alerts (the store enforces it); None once closed, so a new fact may reopen."""
        return (
            None
            if self.state is AlertState.CLOSED
            else fact_key(self.person_id, self.trigger, self.source_reference)
        )

    @property
    def subject_key(self) -> str:
        """The Kafka key of its events: the household when known (the topic's key), else the alert itself."""
        return self.household_id or self.alert_id


def fact_key(person_id: str, trigger: Trigger, source_reference: str) -> str:
    """One fact about one person: person, trigger and source reference (the store keeps its keyed digest)."""
    return "\x1f".join((person_id, trigger.value, source_reference))


def _require(alert: Alert, allowed: frozenset[AlertState], action: str) -> None:
    if alert.state not in allowed:
        names = ", ".join(sorted(s.value for s in allowed))
        raise FailedPrecondition(
            f"alert {alert.alert_id} is {alert.state.value}; it can be {action} only when {names}"
        )


def _text(v: Violations, value: str, field: str, *, required: bool = False, limit: int = MAX_TEXT) -> None:
    if required and not value.strip():
        v.add(field, "is required")
    elif len(value) > limit:
        v.add(field, f"must be at most {limit} characters")


# -- raising and folding ---------------------------------------------------------------------------


def raise_alert(
    event: MonitoringEvent, verdict: Verdict, *, alert_id: str, now: datetime, sla: SlaPolicy
) -> Alert:
    """DOMAIN §8.3: an alert for the township of the person's residence, due by its urgency's SLA."""
    if not verdict.opens or event.trigger is None or event.occurred_at is None:
        raise ValueError("only a validated event whose rule opens an alert raises one")
    township = RegionCode(event.region).ancestor(RegionLevel.TOWNSHIP)
    if township is None:
        raise ValueError("a validated event's region lies within a township")
    return Alert(
        alert_id=alert_id,
        trigger=event.trigger,
        state=AlertState.RAISED,
        person_id=event.person_id,
        household_id=event.household_id,
        region=event.region,
        township=township.code,
        urgency=sla.urgency_of(event.trigger),
        groups=event.groups,
        source=event.source,
        source_reference=event.source_reference,
        amount_fen=event.amount_fen,
        occurred_at=event.occurred_at,
        raised_at=now,
        due_at=sla.due(event.trigger, now),
        trigger_reason=verdict.reason,
        description=event.description,
        reports=1,
        updated_at=now,
    )


def folds_into(alert: Alert, event: MonitoringEvent) -> bool:
    """A repeated report of the same fact while the alert is open adds to it instead of opening another."""
    return (
        alert.state in OPEN
        and event.trigger is alert.trigger
        and event.person_id == alert.person_id
        and event.source_reference == alert.source_reference
    )


def fold(alert: Alert, now: datetime) -> Alert:
    return replace(alert, reports=alert.reports + 1, updated_at=now)


# -- assignment and verification -------------------------------------------------------------------


def validate_assignment(assignment: Assignment) -> None:
    v = Violations()
    _text(v, assignment.assignee, "assignee", required=True, limit=MAX_STAFF_ID)
    v.check(assignment.role is not None, "role", "is required: township officer, village cadre or assistant")
    _text(v, assignment.note, "note")
    v.raise_if_any()


def assign(alert: Alert, assignment: Assignment, now: datetime) -> Alert:
    """Step 1: to someone of the township; a verifying alert may be handed to another assignee."""
    validate_assignment(assignment)
    _require(alert, frozenset({AlertState.RAISED, AlertState.ASSIGNED, AlertState.VERIFYING}), "assigned")
    state = AlertState.ASSIGNED if alert.state is AlertState.RAISED else alert.state
    return replace(alert, state=state, assignment=replace(assignment, assigned_at=now), updated_at=now)


def validate_findings(findings: Findings, now: datetime) -> None:
    v = Violations()
    with v.nested("findings"):
        v.check(findings.method is not None, "method", "is required: a home visit or a phone call")
        _text(v, findings.verified_by, "verified_by", required=True, limit=MAX_STAFF_ID)
        if findings.verified_at is None:
            v.add("verified_at", "is required")
        elif findings.verified_at > now + FUTURE_TOLERANCE:
            v.add("verified_at", "must not be in the future")
        names = ("living_conditions", "food", "housing", "health", "income_change", "needs")
        for name, text in zip(names, findings.observations, strict=True):
            _text(v, text, name)
        v.check(
            any(text.strip() for text in findings.observations),
            "living_conditions",
            "at least one observation (living conditions, food, housing, health, income change, needs) "
            "is required",
        )
    v.raise_if_any()


def record_verification(alert: Alert, findings: Findings, now: datetime) -> Alert:
    """Step 2: an assigned alert is being verified once a visit or call is recorded; a follow-up visit too."""
    validate_findings(findings, now)
    allowed = frozenset({AlertState.ASSIGNED, AlertState.VERIFYING, AlertState.FOLLOW_UP})
    _require(alert, allowed, "verified")
    if len(alert.findings) >= MAX_FINDINGS:
        raise FailedPrecondition(f"alert {alert.alert_id} holds the most findings it may ({MAX_FINDINGS})")
    state = AlertState.FOLLOW_UP if alert.state is AlertState.FOLLOW_UP else AlertState.VERIFYING
    recorded = replace(findings, recorded_at=now)
    return replace(alert, state=state, findings=(*alert.findings, recorded), updated_at=now)


# -- disposal --------------------------------------------------------------------------------------


def validate_disposal(choices: Sequence[DispositionChoice], reason: str, follow_up_days: int) -> None:
    """Step 3: one or more outcomes, each once; a false positive stands alone and says why."""
    v = Violations()
    if not choices:
        v.add("dispositions", "must name at least one outcome")
    if len(choices) > MAX_DISPOSITIONS:
        v.add("dispositions", f"must name at most {MAX_DISPOSITIONS} outcomes")
    seen: set[Disposition] = set()
    for index, choice in enumerate(choices):
        with v.nested(f"dispositions[{index}]"):
            if choice.kind is None:
                v.add("kind", "is required")
                continue
            if choice.kind in seen:
                v.add("kind", f"{choice.kind.value} is named twice")
            seen.add(choice.kind)
            _text(v, choice.reason, "reason", required=choice.kind is Disposition.NO_ACTION_FALSE_POSITIVE)
            if choice.kind is Disposition.REFER:
                v.check(
                    choice.refer_to is not None, "refer_to", "is required: where the household is referred"
                )
            else:
                v.check(choice.refer_to is None, "refer_to", "is only for REFER")
            v.check(not choice.downstream_reference, "downstream_reference", "is given when closing")
    if Disposition.NO_ACTION_FALSE_POSITIVE in seen and len(seen) > 1:
        v.add("dispositions", "NO_ACTION_FALSE_POSITIVE cannot be combined with an action")
    _text(v, reason, "reason", required=True)
    v.check(
        0 <= follow_up_days <= MAX_FOLLOW_UP_DAYS,
        "follow_up_days",
        f"must be between 0 and {MAX_FOLLOW_UP_DAYS}",
    )
    v.raise_if_any()


def dispose(
    alert: Alert,
    choices: Sequence[DispositionChoice],
    reason: str,
    *,
    follow_up_days: int,
    now: datetime,
) -> Alert:
    """Step 3: only a verified alert is disposed of; a follow-up visit, when asked for, has a due day."""
    validate_disposal(choices, reason, follow_up_days)
    _require(alert, frozenset({AlertState.VERIFYING}), "disposed of")
    follow_up_due = china_date(now) + timedelta(days=follow_up_days) if follow_up_days else None
    return replace(
        alert,
        state=AlertState.FOLLOW_UP if follow_up_due else AlertState.DISPOSED,
        dispositions=tuple(replace(c, reason=c.reason.strip()) for c in choices),
        disposal_reason=reason.strip(),
        disposed_at=now,
        follow_up_due=follow_up_due,
        updated_at=now,
    )


def leads_of(alert: Alert) -> tuple[Lead, ...]:
    """The leads intake receives with the AlertDisposed event: applications are made, never assumed."""
    return tuple(
        Lead(
            programme=LEAD_PROGRAMMES[choice.kind],
            person_id=alert.person_id,
            residence_region=alert.region,
            reason=choice.reason or alert.disposal_reason,
            alert_id=alert.alert_id,
        )
        for choice in alert.dispositions
        if choice.kind in LEAD_PROGRAMMES
    )


def needs_downstream(choice: DispositionChoice) -> bool:
    return choice.kind is not Disposition.NO_ACTION_FALSE_POSITIVE


# -- closing ---------------------------------------------------------------------------------------


def validate_closing(downstream: Sequence[tuple[Disposition | None, str]], note: str) -> None:
    v = Violations()
    seen: set[Disposition] = set()
    for index, (kind, reference) in enumerate(downstream):
        with v.nested(f"downstream[{index}]"):
            if kind is None:
                v.add("kind", "is required")
            elif kind in seen:
                v.add("kind", f"{kind.value} is named twice")
            else:
                seen.add(kind)
            _text(v, reference, "reference", required=True, limit=200)
    _text(v, note, "note")
    v.raise_if_any()


def close(
    alert: Alert, downstream: Sequence[tuple[Disposition | None, str]], note: str, *, now: datetime
) -> Alert:
    """Step 4: every outcome's downstream case exists, and the follow-up visit (if asked for) is recorded."""
    validate_closing(downstream, note)
    _require(alert, frozenset({AlertState.DISPOSED, AlertState.FOLLOW_UP}), "closed")
    references = {kind: reference.strip() for kind, reference in downstream if kind is not None}
    chosen = {choice.kind for choice in alert.dispositions}
    unknown = sorted(kind.value for kind in references if kind not in chosen)
    if unknown:
        v = Violations()
        v.add("downstream", f"names outcomes the alert was not disposed with: {', '.join(unknown)}")
        v.raise_if_any()
    updated = tuple(
        replace(c, downstream_reference=references.get(c.kind, c.downstream_reference))
        for c in alert.dispositions
    )
    missing = sorted(
        c.kind.value for c in updated if c.kind and needs_downstream(c) and not c.downstream_reference
    )
    if missing:
        raise FailedPrecondition(
            f"alert {alert.alert_id} cannot close before the downstream case of {', '.join(missing)} exists"
        )
    if alert.state is AlertState.FOLLOW_UP and not _followed_up(alert):
        raise FailedPrecondition(f"alert {alert.alert_id} waits for its follow-up visit to be recorded")
    return replace(
        alert,
        state=AlertState.CLOSED,
        dispositions=updated,
        closed_at=now,
        close_note=note.strip(),
        updated_at=now,
    )


def _followed_up(alert: Alert) -> bool:
    disposed_at = alert.disposed_at
    return disposed_at is not None and any(
        f.recorded_at is not None and f.recorded_at >= disposed_at for f in alert.findings
    )


# -- the SLA ---------------------------------------------------------------------------------------


def is_overdue(alert: Alert, now: datetime) -> bool:
    """``alert.sla`` (DOMAIN §3): not verified by its due time and not flagged yet (flagged once only)."""
    return alert.state in UNVERIFIED and alert.overdue_at is None and now >= alert.due_at


def flag_overdue(alert: Alert, now: datetime) -> Alert:
    if not is_overdue(alert, now):
        raise FailedPrecondition(f"alert {alert.alert_id} is not overdue")
    return replace(alert, overdue_at=now, updated_at=now)
