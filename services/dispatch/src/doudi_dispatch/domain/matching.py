"""Who is offered an incident: the nearest available volunteers with the skill it needs (DOMAIN §10.3).

The pool is every member of the teams of the incident's township, so the neighbouring village team
is reached when the incident's own team cannot help. Volunteers already leading another incident,
off duty, without the skill, or already offered this incident are left out. Distance is measured
from the incident (or, when its place is unknown, from its village team's base); volunteers whose
place is unknown come after everyone whose distance is known, members of the incident's own village
first among them.

``nearest_candidates`` finds the first of that ranking without reading the whole township: it looks in
ever wider boxes around the incident (``SearchArea``) and stops once enough are nearer than the box's
radius, which no one outside the box can be.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from doudi_dispatch.domain.geo import BoundingBox, GeoPoint, box_around, distance_m
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


@dataclass(frozen=True)
class SearchArea:
    """How far the first look for volunteers reaches, how much each further look widens, and the widest
    look before the whole township is searched (service settings)."""

    first_radius_m: int = 2_000
    widening: int = 4
    max_radius_m: int = 80_000

    def __post_init__(self) -> None:
        if self.first_radius_m < 1 or self.widening < 2 or self.max_radius_m < self.first_radius_m:
            raise ValueError("a search area needs a positive first radius, a widening of 2 or more and a max")


#: Finds the available volunteers with the skill (all of them when the skill is None) in a box, or in the
#: whole pool when the box is None.
Search = Callable[[BoundingBox | None, Skill | None], Iterable[Volunteer]]


def nearest_candidates(
    search: Search,
    *,
    wanted: int,
    skill: Skill | None,
    origin: GeoPoint | None,
    village: str,
    excluded: frozenset[str] = frozenset(),
    area: SearchArea = SearchArea(),
) -> list[Candidate]:
    """The first candidates of ``rank_candidates`` over the whole pool, at least ``wanted`` of them when
    the pool has that many, found by looking in ever wider boxes around the origin.

    Every volunteer outside a box of radius r is farther than r (``box_around``), so the candidates of
    the box nearer than r are exactly the whole ranking's first ones; once they are ``wanted`` the look
    ends. Otherwise, and when the origin or places are unknown, the whole pool is ranked.
    """
    if origin is not None:
        radius = area.first_radius_m
        while radius <= area.max_radius_m:
            ranked = rank_candidates(
                search(box_around(origin, radius), skill),
                skill=skill,
                origin=origin,
                village=village,
                excluded=excluded,
            )
            within = [c for c in ranked if c.distance_m is not None and c.distance_m < radius]
            if len(within) >= wanted:
                return within
            radius *= area.widening
    return rank_candidates(
        search(None, skill), skill=skill, origin=origin, village=village, excluded=excluded
    )
