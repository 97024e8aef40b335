"""Reading and writing incidents; queries never commit (the use-case owns the transaction)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from doudi_common.region import RegionCode
from doudi_dispatch.domain.geo import GeoPoint
from doudi_dispatch.domain.incident import (
    OPEN_STATES,
    RESPONDING_STATES,
    Incident,
    IncidentKind,
    IncidentSource,
    IncidentState,
)
from doudi_dispatch.domain.teams import Skill
from doudi_dispatch.store import codec
from doudi_dispatch.store.tables import incidents
from doudi_runtime.paging import Page
from doudi_runtime.store.sealed import matches_any


def _values(incident: Incident) -> dict[str, Any]:
    return {
        "kind": incident.kind.value,
        "source": incident.source.value,
        "source_reference": incident.source_reference,
        "region": incident.region,
        "township": incident.township,
        "person_id_number": incident.person_id_number,
        "person_id_number_hash": incident.person_id_number,
        "person_name": incident.person_name,
        "contact_phone": incident.contact_phone,
        "description": incident.description,
        "latitude_e6": incident.location.latitude_e6 if incident.location else None,
        "longitude_e6": incident.location.longitude_e6 if incident.location else None,
        "required_skill": incident.required_skill.value if incident.required_skill else "",
        "disaster_id": incident.disaster_id,
        "state": incident.state.value,
        "wave": incident.wave,
        "lead_volunteer_id": incident.lead_volunteer_id,
        "reported_at": incident.reported_at,
        "updated_at": incident.updated_at,
        "next_check_at": incident.next_check_at,
        "offered_at": incident.offered_at,
        "accepted_at": incident.accepted_at,
        "on_scene_at": incident.on_scene_at,
        "handed_over_at": incident.handed_over_at,
        "closed_at": incident.closed_at,
        "escalated_at": incident.escalated_at,
        "offers": codec.offers_to_json(incident.offers),
        "supporters": json.dumps(list(incident.supporters)),
        "assessment": codec.assessment_to_json(incident.assessment),
        "close_reason": incident.close_reason,
        "timeline": codec.timeline_to_json(incident.timeline),
    }


def _incident(row: Any) -> Incident:
    location = None
    if row.latitude_e6 is not None and row.longitude_e6 is not None:
        location = GeoPoint(row.latitude_e6, row.longitude_e6)
    return Incident(
        incident_id=row.incident_id,
        kind=IncidentKind(row.kind),
        region=row.region,
        township=row.township,
        source=IncidentSource(row.source),
        description=row.description,
        state=IncidentState(row.state),
        reported_at=row.reported_at,
        updated_at=row.updated_at,
        next_check_at=row.next_check_at,
        required_skill=Skill(row.required_skill) if row.required_skill else None,
        source_reference=row.source_reference,
        person_id_number=row.person_id_number,
        person_name=row.person_name,
        contact_phone=row.contact_phone,
        location=location,
        disaster_id=row.disaster_id,
        wave=row.wave,
        offers=codec.offers_from_json(row.offers),
        lead_volunteer_id=row.lead_volunteer_id,
        supporters=tuple(json.loads(row.supporters)),
        offered_at=row.offered_at,
        accepted_at=row.accepted_at,
        on_scene_at=row.on_scene_at,
        handed_over_at=row.handed_over_at,
        closed_at=row.closed_at,
        escalated_at=row.escalated_at,
        assessment=codec.assessment_from_json(row.assessment),
        close_reason=row.close_reason,
        timeline=codec.timeline_from_json(row.timeline),
    )


def insert_incident(session: Session, incident: Incident) -> None:
    session.execute(insert(incidents).values(incident_id=incident.incident_id, **_values(incident)))


def save_incident(session: Session, incident: Incident) -> None:
    session.execute(
        update(incidents).where(incidents.c.incident_id == incident.incident_id).values(**_values(incident))
    )


def get_incident(session: Session, incident_id: str, *, for_update: bool = False) -> Incident | None:
    query = select(incidents).where(incidents.c.incident_id == incident_id)
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).one_or_none()
    return None if row is None else _incident(row)


def list_incidents(
    session: Session, region: RegionCode, state: IncidentState | None, disaster_id: str, page: Page
) -> list[Incident]:
    """Newest first (ids sort by creation time); ``page.size + 1`` rows so the caller sees if more exist."""
    query = select(incidents).where(incidents.c.region.startswith(region.prefix, autoescape=True))
    if state is not None:
        query = query.where(incidents.c.state == state.value)
    if disaster_id:
        query = query.where(incidents.c.disaster_id == disaster_id)
    if page.after is not None:
        query = query.where(incidents.c.incident_id < page.after)
    rows = session.execute(query.order_by(incidents.c.incident_id.desc()).limit(page.size + 1)).all()
    return [_incident(row) for row in rows]


def due_incident_ids(session: Session, now: datetime, limit: int) -> list[str]:
    """Incidents the dispatch loop should look at now, longest waiting first."""
    rows = session.execute(
        select(incidents.c.incident_id)
        .where(incidents.c.next_check_at <= now)
        .order_by(incidents.c.next_check_at, incidents.c.incident_id)
        .limit(limit)
    ).all()
    return [row.incident_id for row in rows]


def busy_volunteers(session: Session, township: str) -> frozenset[str]:
    """Volunteers leading an incident of the township that is not yet handed over."""
    rows = session.execute(
        select(incidents.c.lead_volunteer_id).where(
            incidents.c.township == township,
            incidents.c.state.in_([s.value for s in RESPONDING_STATES]),
        )
    ).all()
    return frozenset(row.lead_volunteer_id for row in rows)


def open_counts(session: Session) -> dict[IncidentState, int]:
    rows = session.execute(
        select(incidents.c.state, func.count())
        .where(incidents.c.state.in_([s.value for s in OPEN_STATES]))
        .group_by(incidents.c.state)
    ).all()
    counts = dict.fromkeys(OPEN_STATES, 0)
    counts.update({IncidentState(state): int(count) for state, count in rows})
    return counts


def persons_with_open_check_on(session: Session, id_numbers: Iterable[str]) -> frozenset[str]:
    """Of these persons, those who already have a check-on task not yet handed over (found by the lookup
    hash of their identity number)."""
    wanted = sorted(set(id_numbers))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        rows = session.execute(
            select(incidents.c.person_id_number).where(
                matches_any(incidents.c.person_id_number_hash, wanted[start : start + 500]),
                incidents.c.kind == IncidentKind.CHECK_ON.value,
                incidents.c.state.in_([s.value for s in OPEN_STATES]),
            )
        ).all()
        found.update(row.person_id_number for row in rows)
    return frozenset(found.intersection(wanted))
