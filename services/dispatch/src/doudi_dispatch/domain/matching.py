"""Who is offered an incident: the nearest available volunteers with the skill it needs (DOMAIN §10.3).

The pool is every member of the teams of the incident's township, so the neighbouring village team
is reached when the incident's own team cannot help. Volunteers already leading another incident,
off duty, without the skill, or already offered this incident are left out. Distance is measured
from the incident (or, when its place is unknown, from its village team's base); volunteers whose
place is unknown come after everyone whose distance is known, members of the incident's own village
first among them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from doudi_dispatch.domain.geo import GeoPoint, distance_m
from doudi_dispatch.domain.teams import Skill, Volunteer


@dataclass(frozen=True)
class Candidate:
    volunteer_id: str
    distance_m: int | None


def is_eligible(volunteer: Volunteer, skill: Skill | None, excluded: frozenset[str]) -> bool:
    return (
        volunteer.available
        and volunteer.volunteer_id not in excluded
        and (skill is None or skill in volunteer.skills)
    )


def rank_candidates(
    pool: Iterable[Volunteer],
    *,
    skill: Skill | None,
    origin: GeoPoint | None,
    village: str,
    excluded: frozenset[str] = frozenset(),
) -> list[Candidate]:
    """Every eligible volunteer, nearest first; ties go to the incident's own village, then by id."""
    ranked = []
    for volunteer in pool:
        if not is_eligible(volunteer, skill, excluded):
            continue
        distance = (
            distance_m(origin, volunteer.location)
            if origin is not None and volunteer.location is not None
            else None
        )
        key = (
            distance is None,
            distance if distance is not None else 0,
            volunteer.village != village,
            volunteer.volunteer_id,
        )
        ranked.append((key, Candidate(volunteer.volunteer_id, distance)))
    ranked.sort(key=lambda item: item[0])
    return [candidate for _, candidate in ranked]
