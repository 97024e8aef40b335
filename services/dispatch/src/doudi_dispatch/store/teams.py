"""Reading and writing teams and volunteers; queries never commit (the use-case owns the transaction)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, literal, select, update
from sqlalchemy.orm import Session

from doudi_common.region import RegionCode
from doudi_dispatch.domain.geo import BoundingBox, GeoPoint
from doudi_dispatch.domain.teams import Skill, Team, Volunteer
from doudi_dispatch.store.tables import teams, volunteers
from doudi_runtime.paging import Page


def _point(latitude: int | None, longitude: int | None) -> GeoPoint | None:
    return None if latitude is None or longitude is None else GeoPoint(latitude, longitude)


def _township(village: str) -> str:
    township = RegionCode(village).township
    assert township is not None
    return township.code


def _volunteer_values(volunteer: Volunteer) -> dict[str, Any]:
    return {
        "team_id": volunteer.team_id,
        "village": volunteer.village,
        "township": _township(volunteer.village),
        "name": volunteer.name,
        "phone": volunteer.phone,
        "skills": ",".join(sorted(skill.value for skill in volunteer.skills)),
        "available": volunteer.available,
        "latitude_e6": volunteer.location.latitude_e6 if volunteer.location else None,
        "longitude_e6": volunteer.location.longitude_e6 if volunteer.location else None,
        "updated_at": volunteer.updated_at,
    }


def _volunteer(row: Any) -> Volunteer:
    return Volunteer(
        volunteer_id=row.volunteer_id,
        team_id=row.team_id,
        village=row.village,
        name=row.name,
        phone=row.phone,
        skills=frozenset(Skill(s) for s in row.skills.split(",") if s),
        available=row.available,
        location=_point(row.latitude_e6, row.longitude_e6),
        updated_at=row.updated_at,
    )


def insert_volunteer(session: Session, volunteer: Volunteer) -> None:
    session.execute(
        insert(volunteers).values(
            volunteer_id=volunteer.volunteer_id, active=True, **_volunteer_values(volunteer)
        )
    )


def save_volunteer(session: Session, volunteer: Volunteer) -> None:
    session.execute(
        update(volunteers)
        .where(volunteers.c.volunteer_id == volunteer.volunteer_id)
        .values(**_volunteer_values(volunteer))
    )


def deactivate_volunteer(session: Session, volunteer_id: str, now: datetime) -> None:
    session.execute(
        update(volunteers)
        .where(volunteers.c.volunteer_id == volunteer_id)
        .values(active=False, available=False, updated_at=now)
    )


def get_volunteer(
    session: Session, volunteer_id: str, *, for_update: bool = False, former: bool = False
) -> Volunteer | None:
    """A current member (with ``former``, also one who left a team)."""
    query = select(volunteers).where(volunteers.c.volunteer_id == volunteer_id)
    if not former:
        query = query.where(volunteers.c.active.is_(True))
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).one_or_none()
    return None if row is None else _volunteer(row)


def insert_team(session: Session, team: Team) -> None:
    session.execute(
        insert(teams).values(
            team_id=team.team_id,
            village=team.village,
            township=_township(team.village),
            name=team.name,
            duty_phone=team.duty_phone,
            base_latitude_e6=team.base_location.latitude_e6 if team.base_location else None,
            base_longitude_e6=team.base_location.longitude_e6 if team.base_location else None,
            registered_at=team.registered_at,
        )
    )
    for volunteer in team.members:
        insert_volunteer(session, volunteer)


def team_id_for_village(session: Session, village: str) -> str | None:
    return session.execute(select(teams.c.team_id).where(teams.c.village == village)).scalar_one_or_none()


def _members(session: Session, team_ids: list[str]) -> dict[str, list[Volunteer]]:
    found: dict[str, list[Volunteer]] = {team_id: [] for team_id in team_ids}
    if not team_ids:
        return found
    rows = session.execute(
        select(volunteers)
        .where(volunteers.c.team_id.in_(team_ids), volunteers.c.active.is_(True))
        .order_by(volunteers.c.volunteer_id)
    ).all()
    for row in rows:
        found[row.team_id].append(_volunteer(row))
    return found


def _team(row: Any, members: list[Volunteer]) -> Team:
    return Team(
        team_id=row.team_id,
        village=row.village,
        name=row.name,
        duty_phone=row.duty_phone,
        base_location=_point(row.base_latitude_e6, row.base_longitude_e6),
        members=tuple(members),
        registered_at=row.registered_at,
    )


def get_team(session: Session, team_id: str, *, for_update: bool = False) -> Team | None:
    query = select(teams).where(teams.c.team_id == team_id)
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).one_or_none()
    if row is None:
        return None
    return _team(row, _members(session, [row.team_id])[row.team_id])


def list_teams(session: Session, region: RegionCode, page: Page) -> list[Team]:
    """Teams of the villages inside ``region`` by village; ``page.size + 1`` rows to see if more exist."""
    query = select(teams).where(teams.c.village.startswith(region.prefix, autoescape=True))
    if page.after is not None:
        query = query.where(teams.c.village > page.after)
    rows = session.execute(query.order_by(teams.c.village).limit(page.size + 1)).all()
    members = _members(session, [row.team_id for row in rows])
    return [_team(row, members[row.team_id]) for row in rows]


def township_pool(
    session: Session, township: str, box: BoundingBox | None = None, skill: Skill | None = None
) -> list[Volunteer]:
    """The township's current members an incident there can be offered to: on duty, with ``skill``
    (any when None), placed inside ``box`` (anywhere, or nowhere known, when None).

    The box is searched on ``ix_volunteers_nearby`` (township, active, available, latitude, longitude).
    """
    c = volunteers.c
    query = select(volunteers).where(c.township == township, c.active.is_(True), c.available.is_(True))
    if box is not None:
        query = query.where(
            c.latitude_e6.between(box.min_latitude_e6, box.max_latitude_e6),
            c.longitude_e6.between(box.min_longitude_e6, box.max_longitude_e6),
        )
    if skill is not None:
        # ``skills`` is a comma-separated list: match whole names only.
        query = query.where((literal(",") + c.skills + literal(",")).like(f"%,{skill.value},%"))
    return [_volunteer(row) for row in session.execute(query).all()]


def team_base(session: Session, village: str) -> GeoPoint | None:
    row = session.execute(
        select(teams.c.base_latitude_e6, teams.c.base_longitude_e6).where(teams.c.village == village)
    ).one_or_none()
    return None if row is None else _point(row.base_latitude_e6, row.base_longitude_e6)
