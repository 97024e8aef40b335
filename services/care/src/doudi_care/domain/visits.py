"""Visit records (DOMAIN §9.2) and what a visit, an alert or a tier change does to a person's plan."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from doudi_care.domain.ledger import LedgerEntry, RiskLevel
from doudi_care.domain.schedule import (
    VisitPolicy,
    VisitStage,
    immediate_due,
    next_due_after_visit,
    replanned_due,
)
from doudi_common.calendar import china_date
from doudi_common.errors import FailedPrecondition


class VisitMode(StrEnum):
    HOME = "HOME"
    PHONE = "PHONE"
    VIDEO = "VIDEO"
    THIRD_PARTY = "THIRD_PARTY"
    NEIGHBOUR = "NEIGHBOUR"
    SMART_ALERT = "SMART_ALERT"


@dataclass(frozen=True)
class VisitReport:
    """What a visitor records: time, place, findings, whether a risk was found (DOMAIN §9.2)."""

    visited_at: datetime
    place: str
    findings: str
    risk_found: bool
    mode: VisitMode
    visitor: str


@dataclass(frozen=True)
class Visit:
    visit_id: str
    entry_id: str
    visited_at: datetime
    visitor: str
    mode: VisitMode
    place: str
    findings: str
    risk_found: bool
    #: The due day this visit answered, and whether it came after it.
    due_on: date
    late: bool
    next_due: date
    recorded_at: datetime

    @property
    def outcome(self) -> str:
        """The ``outcome`` label of doudi_care_visits_total."""
        if self.risk_found:
            return "risk_found"
        return "late" if self.late else "on_time"


def record_visit(
    entry: LedgerEntry, report: VisitReport, *, visit_id: str, policy: VisitPolicy, now: datetime
) -> tuple[Visit, LedgerEntry]:
    """The visit and the entry re-planned from it; a risk found raises the person's tier by one."""
    if not entry.is_open:
        raise FailedPrecondition(f"ledger entry {entry.entry_id} is closed")
    visited_on = china_date(report.visited_at)
    if entry.last_visited_on is not None and visited_on < entry.last_visited_on:
        raise FailedPrecondition(
            f"ledger entry {entry.entry_id} already has a visit on {entry.last_visited_on}, after this one"
        )
    risk = entry.risk_level.raised() if report.risk_found else entry.risk_level
    interval = policy.interval_for(entry.ledger, risk, entry.child_category)
    next_due = next_due_after_visit(visited_on, interval)
    visit = Visit(
        visit_id=visit_id,
        entry_id=entry.entry_id,
        visited_at=report.visited_at,
        visitor=report.visitor,
        mode=report.mode,
        place=report.place,
        findings=report.findings,
        risk_found=report.risk_found,
        due_on=entry.next_due,
        late=visited_on > entry.next_due,
        next_due=next_due,
        recorded_at=now,
    )
    updated = replace(
        entry,
        risk_level=risk,
        last_visited_on=visited_on,
        next_due=next_due,
        announced_stage=VisitStage.SCHEDULED.value,
        updated_at=now,
    )
    return visit, updated


def change_risk(
    entry: LedgerEntry, risk: RiskLevel, *, policy: VisitPolicy, today: date, now: datetime, visit_now: bool
) -> LedgerEntry:
    """A new tier re-plans the next visit (never later than planned); ``visit_now`` makes it due today."""
    interval = policy.interval_for(entry.ledger, risk, entry.child_category)
    due = replanned_due(entry.next_due, entry.plan_base, interval)
    if visit_now:
        due = immediate_due(due, today)
    stage = entry.announced_stage if due == entry.next_due else VisitStage.SCHEDULED.value
    return replace(entry, risk_level=risk, next_due=due, announced_stage=stage, updated_at=now)
