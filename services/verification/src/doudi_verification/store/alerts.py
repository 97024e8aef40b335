"""Reading and writing monitoring alerts; queries never commit (the use-case owns the transaction)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.orm import Session

from doudi_runtime.paging import Page
from doudi_runtime.store.sealed import matches
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
    fact_key,
)
from doudi_verification.domain.triggers import MonitoredGroup, Trigger, Urgency
from doudi_verification.store.tables import alerts

# -- the JSON of the work done on an alert ---------------------------------------------------------


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _findings_json(findings: Findings) -> dict[str, Any]:
    return {
        "method": findings.method.value if findings.method else None,
        "verified_by": findings.verified_by,
        "verified_at": _time(findings.verified_at),
        "living_conditions": findings.living_conditions,
        "food": findings.food,
        "housing": findings.housing,
        "health": findings.health,
        "income_change": findings.income_change,
        "needs": findings.needs,
        "recorded_at": _time(findings.recorded_at),
    }


def _findings_from(data: dict[str, Any]) -> Findings:
    return Findings(
        method=VerificationMethod(data["method"]) if data["method"] else None,
        verified_by=data["verified_by"],
        verified_at=_parse_time(data["verified_at"]),
        living_conditions=data["living_conditions"],
        food=data["food"],
        housing=data["housing"],
        health=data["health"],
        income_change=data["income_change"],
        needs=data["needs"],
        recorded_at=_parse_time(data["recorded_at"]),
    )


def _work_json(alert: Alert) -> str:
    assignment = alert.assignment
    return json.dumps(
        {
            "assignment": None
            if assignment is None
            else {
                "assignee": assignment.assignee,
                "role": assignment.role.value if assignment.role else None,
                "note": assignment.note,
                "assigned_at": _time(assignment.assigned_at),
            },
            "findings": [_findings_json(f) for f in alert.findings],
            "dispositions": [
                {
                    "kind": c.kind.value if c.kind else None,
                    "reason": c.reason,
                    "refer_to": c.refer_to.value if c.refer_to else None,
                    "downstream_reference": c.downstream_reference,
                }
                for c in alert.dispositions
            ],
            "disposal_reason": alert.disposal_reason,
            "disposed_at": _time(alert.disposed_at),
            "follow_up_due": alert.follow_up_due.isoformat() if alert.follow_up_due else None,
            "closed_at": _time(alert.closed_at),
            "close_note": alert.close_note,
        },
        ensure_ascii=False,
    )


def _work_fields(text: str) -> dict[str, Any]:
    data = json.loads(text)
    assignment = data["assignment"]
    return {
        "assignment": None
        if assignment is None
        else Assignment(
            assignee=assignment["assignee"],
            role=AssigneeRole(assignment["role"]) if assignment["role"] else None,
            note=assignment["note"],
            assigned_at=_parse_time(assignment["assigned_at"]),
        ),
        "findings": tuple(_findings_from(f) for f in data["findings"]),
        "dispositions": tuple(
            DispositionChoice(
                kind=Disposition(c["kind"]) if c["kind"] else None,
                reason=c["reason"],
                refer_to=ReferralTarget(c["refer_to"]) if c["refer_to"] else None,
                downstream_reference=c["downstream_reference"],
            )
            for c in data["dispositions"]
        ),
        "disposal_reason": data["disposal_reason"],
        "disposed_at": _parse_time(data["disposed_at"]),
        "follow_up_due": date.fromisoformat(data["follow_up_due"]) if data["follow_up_due"] else None,
        "closed_at": _parse_time(data["closed_at"]),
        "close_note": data["close_note"],
    }


# -- rows ------------------------------------------------------------------------------------------


def _values(alert: Alert) -> dict[str, Any]:
    return {
        "trigger": alert.trigger.value,
        "state": alert.state.value,
        "person_id": alert.person_id,
        "household_id": alert.household_id,
        "region": alert.region,
        "township": alert.township,
        "urgency": alert.urgency.value,
        "groups": json.dumps(sorted(g.value for g in alert.groups)),
        "source": alert.source,
        "source_reference": alert.source_reference,
        "amount_fen": alert.amount_fen,
        "occurred_at": alert.occurred_at,
        "raised_at": alert.raised_at,
        "due_at": alert.due_at,
        "overdue_at": alert.overdue_at,
        "trigger_reason": alert.trigger_reason,
        "description": alert.description,
        "reports": alert.reports,
        "work": _work_json(alert),
        "open_fact": alert.open_key or "",
        "open_key": alert.open_key,
        "updated_at": alert.updated_at,
    }


def _from_row(row: Any) -> Alert:
    return Alert(
        alert_id=row.alert_id,
        trigger=Trigger(row.trigger),
        state=AlertState(row.state),
        person_id=row.person_id,
        household_id=row.household_id,
        region=row.region,
        township=row.township,
        urgency=Urgency(row.urgency),
        groups=frozenset(MonitoredGroup(g) for g in json.loads(row.groups)),
        source=row.source,
        source_reference=row.source_reference,
        amount_fen=row.amount_fen,
        occurred_at=row.occurred_at,
        raised_at=row.raised_at,
        due_at=row.due_at,
        overdue_at=row.overdue_at,
        trigger_reason=row.trigger_reason,
        description=row.description,
        reports=row.reports,
        updated_at=row.updated_at,
        **_work_fields(row.work),
    )


def insert_alert(session: Session, alert: Alert) -> None:
    """Raises IntegrityError when an open alert of the same fact exists (a concurrent report won)."""
    session.execute(insert(alerts).values(alert_id=alert.alert_id, **_values(alert)))


def save_alert(session: Session, alert: Alert) -> None:
    session.execute(update(alerts).where(alerts.c.alert_id == alert.alert_id).values(**_values(alert)))


def get_alert(session: Session, alert_id: str, *, for_update: bool = False) -> Alert | None:
    query = select(alerts).where(alerts.c.alert_id == alert_id)
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).one_or_none()
    return None if row is None else _from_row(row)


def open_alert_of_fact(
    session: Session, person_id: str, trigger: Trigger, source_reference: str
) -> Alert | None:
    """The open alert a repeated report of this fact folds into, locked for the fold."""
    key = fact_key(person_id, trigger, source_reference)
    query = select(alerts).where(matches(alerts.c.open_key, key)).with_for_update()
    row = session.execute(query).first()
    return None if row is None else _from_row(row)


def list_alerts(
    session: Session,
    region_prefix: str,
    state: AlertState | None,
    trigger: Trigger | None,
    overdue_only: bool,
    page: Page,
) -> list[Alert]:
    """Newest first (ids sort by time), one row more than the page to tell whether another page follows."""
    conditions = [alerts.c.region.startswith(region_prefix, autoescape=True)]
    if state is not None:
        conditions.append(alerts.c.state == state.value)
    if trigger is not None:
        conditions.append(alerts.c.trigger == trigger.value)
    if overdue_only:
        conditions.append(alerts.c.overdue_at.is_not(None))
    if page.after is not None:
        conditions.append(alerts.c.alert_id < page.after)
    rows = session.execute(
        select(alerts).where(and_(*conditions)).order_by(alerts.c.alert_id.desc()).limit(page.size + 1)
    ).all()
    return [_from_row(row) for row in rows]


def overdue_candidates(
    session: Session, states: Sequence[AlertState], now: datetime, limit: int
) -> list[str]:
    """Unverified alerts past their due time and not flagged yet, oldest due first."""
    rows = session.execute(
        select(alerts.c.alert_id)
        .where(
            alerts.c.state.in_([s.value for s in states]),
            alerts.c.due_at <= now,
            alerts.c.overdue_at.is_(None),
        )
        .order_by(alerts.c.due_at)
        .limit(limit)
    ).all()
    return [row.alert_id for row in rows]


def open_counts_by_trigger(session: Session) -> dict[Trigger, int]:
    rows = session.execute(
        select(alerts.c.trigger, func.count())
        .where(alerts.c.state != AlertState.CLOSED.value)
        .group_by(alerts.c.trigger)
    ).all()
    return {Trigger(trigger): int(count) for trigger, count in rows}
