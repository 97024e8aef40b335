"""Matching by looking near the incident first (DOMAIN §10.3): a box around the incident holds everyone
within its radius, so the nearest volunteers found in ever wider boxes are exactly the first of the whole
township's ranking, without reading the whole township."""

from __future__ import annotations

import math
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from doudi_dispatch.domain.geo import MAX_LATITUDE_E6, BoundingBox, GeoPoint, box_around, distance_m
from doudi_dispatch.domain.matching import SearchArea, nearest_candidates, rank_candidates
from doudi_dispatch.domain.teams import Skill, Volunteer

from .builders import HOME, NEIGHBOUR, VILLAGE, volunteer

latitudes = st.integers(-89_000_000, 89_000_000)
longitudes = st.integers(-180_000_000, 180_000_000)
radii = st.integers(1, 200_000)


@given(latitudes, longitudes, latitudes, longitudes, radii)
def test_whatever_lies_outside_the_box_is_farther_than_its_radius(lat, lon, lat2, lon2, radius) -> None:  # type: ignore[no-untyped-def]
    origin, place = GeoPoint(lat, lon), GeoPoint(lat2, lon2)
    box = box_around(origin, radius)
    assert box.contains(origin)
    if not box.contains(place):
        assert distance_m(origin, place) >= radius


@given(latitudes, longitudes, radii, st.floats(0, 6.283), st.floats(0, 1))
def test_every_place_within_the_radius_is_inside_the_box(lat, lon, radius, bearing, share) -> None:  # type: ignore[no-untyped-def]
    """Places near the origin in any direction (a local flat approximation, well inside the radius)."""
    origin = GeoPoint(lat, lon)
    metres = radius * share * 0.9
    dlat = metres * math.cos(bearing) / 111_195
    cos_lat = max(math.cos(math.radians(lat / 1e6)), 1e-6)
    dlon = metres * math.sin(bearing) / (111_195 * cos_lat)
    place = GeoPoint(
        max(-MAX_LATITUDE_E6, min(MAX_LATITUDE_E6, round(lat + dlat * 1e6))),
        max(-180_000_000, min(180_000_000, round(lon + dlon * 1e6))),
    )
    if distance_m(origin, place) < radius:
        assert box_around(origin, radius).contains(place)


def test_a_box_of_a_few_kilometres_in_ningxia_is_a_few_kilometres_wide() -> None:
    box = box_around(HOME, 5_000)
    assert 44_000 <= box.max_latitude_e6 - HOME.latitude_e6 <= 46_000  # 5 km ≈ 0.045°
    assert 54_000 <= box.max_longitude_e6 - HOME.longitude_e6 <= 57_000  # ÷ cos 36°


class CountingPool:
    """The township as a store would answer a box search, counting the volunteers it hands out."""

    def __init__(self, pool: list[Volunteer]) -> None:
        self.pool = pool
        self.read = 0

    def __call__(self, box: BoundingBox | None, skill: Skill | None) -> list[Volunteer]:
        found = [
            v
            for v in self.pool
            if v.available
            and (skill is None or skill in v.skills)
            and (box is None or (v.location is not None and box.contains(v.location)))
        ]
        self.read += len(found)
        return found


def test_a_fire_in_a_village_reads_its_neighbours_not_the_whole_township() -> None:
    near = [volunteer(f"near{i}", metres_north=300 * i) for i in range(1, 8)]
    far = [volunteer(f"far{i:03d}", metres_north=30_000 + i, village=NEIGHBOUR) for i in range(500)]
    pool = CountingPool(near + far)
    found = nearest_candidates(pool, wanted=3, skill=Skill.FIRST_AID, origin=HOME, village=VILLAGE)
    assert [c.volunteer_id for c in found[:3]] == ["near1", "near2", "near3"]
    assert pool.read <= len(near)  # none of the 500 members 30 km away


def test_when_too_few_are_near_the_look_widens_and_then_takes_the_whole_township() -> None:
    pool = CountingPool([volunteer("far", metres_north=60_000), volunteer("unplaced", metres_north=None)])
    found = nearest_candidates(pool, wanted=3, skill=None, origin=HOME, village=VILLAGE)
    assert [c.volunteer_id for c in found] == ["far", "unplaced"]


pools = st.lists(
    st.builds(
        lambda index, north, east, skills, available, home: replace(
            volunteer(
                f"v{index:03d}",
                metres_north=north,
                skills=frozenset(skills),
                available=available,
                village=VILLAGE if home else NEIGHBOUR,
            ),
            location=None
            if north is None
            else GeoPoint(HOME.latitude_e6 + north * 9, HOME.longitude_e6 + east * 11),
        ),
        st.integers(0, 999),
        st.one_of(st.none(), st.integers(-120_000, 120_000)),
        st.integers(-120_000, 120_000),
        st.sets(st.sampled_from(list(Skill)), min_size=1),
        st.booleans(),
        st.booleans(),
    ),
    max_size=30,
    unique_by=lambda v: v.volunteer_id,
)


@given(
    pools,
    st.one_of(st.none(), st.sampled_from(list(Skill))),
    st.sets(st.integers(0, 999)),
    st.integers(1, 6),
    st.builds(SearchArea, st.integers(100, 20_000), st.integers(2, 5), st.just(150_000)),
)
def test_the_near_look_gives_exactly_the_first_of_the_whole_ranking(
    pool, skill, excluded_numbers, wanted, area
) -> None:  # type: ignore[no-untyped-def]
    excluded = frozenset(f"v{n:03d}" for n in excluded_numbers)
    whole = rank_candidates(pool, skill=skill, origin=HOME, village=VILLAGE, excluded=excluded)
    found = nearest_candidates(
        CountingPool(pool),
        wanted=wanted,
        skill=skill,
        origin=HOME,
        village=VILLAGE,
        excluded=excluded,
        area=area,
    )
    assert found == whole[: len(found)]
    assert len(found) >= min(wanted, len(whole))
