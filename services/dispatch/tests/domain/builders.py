"""Builders of dispatch domain records shared by the pure tests."""

from __future__ import annotations

from datetime import UTC, datetime

from doudi_common.testing import EXAMPLE_VILLAGE
from doudi_dispatch.domain.geo import GeoPoint
from doudi_dispatch.domain.incident import IncidentKind, IncidentReport, IncidentSource
from doudi_dispatch.domain.teams import Skill, Volunteer

#: 02:00 on a winter night, China time (DOMAIN §13 H09's fire).
NIGHT = datetime(2026, 1, 14, 18, 0, tzinfo=UTC)
#: A village in Yuanzhou district near 36.0 N, 106.28 E, and its neighbour in the same township.
VILLAGE = EXAMPLE_VILLAGE
NEIGHBOUR = "640402100202"
HOME = GeoPoint(36_000_000, 106_280_000)


def volunteer(
    volunteer_id: str,
    *,
    metres_north: int | None = 0,
    skills: frozenset[Skill] = frozenset({Skill.FIRST_AID}),
    available: bool = True,
    village: str = VILLAGE,
) -> Volunteer:
    """A volunteer ``metres_north`` of HOME (about 9 micro-degrees of latitude per metre); None: unknown."""
    location = (
        None if metres_north is None else GeoPoint(HOME.latitude_e6 + metres_north * 9, HOME.longitude_e6)
    )
    return Volunteer(
        volunteer_id=volunteer_id,
        team_id="team_1",
        village=village,
        name=f"队员{volunteer_id}",
        phone="13800000000",
        skills=skills,
        available=available,
        location=location,
        updated_at=NIGHT,
    )


def fire_report(**overrides: object) -> IncidentReport:
    values: dict[str, object] = {
        "kind": IncidentKind.FIRE,
        "region": VILLAGE,
        "source": IncidentSource.VILLAGER,
        "description": "凌晨两点陈家房屋起火，丈夫烧伤已送医",
        "location": HOME,
    }
    values.update(overrides)
    return IncidentReport(**values)  # type: ignore[arg-type]
