"""Matching (DOMAIN §10.3): the nearest available volunteers with the needed skill, nobody else."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from doudi_dispatch.domain.geo import GeoPoint, distance_m
from doudi_dispatch.domain.matching import is_eligible, rank_candidates
from doudi_dispatch.domain.teams import Skill

from .builders import HOME, NEIGHBOUR, VILLAGE, volunteer


def test_the_nearest_skilled_available_volunteers_come_first() -> None:
    pool = [
        volunteer("far", metres_north=3000),
        volunteer("near", metres_north=200),
        volunteer("off-duty", metres_north=10, available=False),
        volunteer("doctor-only", metres_north=20, skills=frozenset({Skill.MEDICAL})),
        volunteer("busy", metres_north=30),
        volunteer("unknown-place", metres_north=None),
    ]
    ranked = rank_candidates(
        pool, skill=Skill.FIRST_AID, origin=HOME, village=VILLAGE, excluded=frozenset({"busy"})
    )
    assert [c.volunteer_id for c in ranked] == ["near", "far", "unknown-place"]
    assert ranked[0].distance_m is not None and 190 <= ranked[0].distance_m <= 210
    assert ranked[2].distance_m is None


def test_without_a_needed_skill_anyone_available_may_go_and_own_village_wins_ties() -> None:
    pool = [
        volunteer("b-neighbour", metres_north=100, village=NEIGHBOUR),
        volunteer("a-home", metres_north=100, skills=frozenset({Skill.TRANSPORT})),
    ]
    ranked = rank_candidates(pool, skill=None, origin=HOME, village=VILLAGE)
    assert [c.volunteer_id for c in ranked] == ["a-home", "b-neighbour"]


def test_without_any_place_the_own_village_comes_first() -> None:
    pool = [volunteer("a-neighbour", village=NEIGHBOUR), volunteer("z-home")]
    ranked = rank_candidates(pool, skill=None, origin=None, village=VILLAGE)
    assert [c.volunteer_id for c in ranked] == ["z-home", "a-neighbour"]


pools = st.lists(
    st.builds(
        lambda index, north, skills, available, home: volunteer(
            f"v{index:03d}",
            metres_north=north,
            skills=frozenset(skills),
            available=available,
            village=VILLAGE if home else NEIGHBOUR,
        ),
        st.integers(0, 999),
        st.one_of(st.none(), st.integers(-20_000, 20_000)),
        st.sets(st.sampled_from(list(Skill)), min_size=1),
        st.booleans(),
        st.booleans(),
    ),
    max_size=25,
    unique_by=lambda v: v.volunteer_id,
)


@given(pools, st.one_of(st.none(), st.sampled_from(list(Skill))), st.sets(st.integers(0, 999)))
def test_ranking_keeps_exactly_the_eligible_nearest_first(pool, skill, excluded_numbers) -> None:  # type: ignore[no-untyped-def]
    excluded = frozenset(f"v{n:03d}" for n in excluded_numbers)
    ranked = rank_candidates(pool, skill=skill, origin=HOME, village=VILLAGE, excluded=excluded)
    eligible = {v.volunteer_id for v in pool if is_eligible(v, skill, excluded)}
    assert [c.volunteer_id for c in ranked] != [] or not eligible
    assert {c.volunteer_id for c in ranked} == eligible
    known = [c.distance_m for c in ranked if c.distance_m is not None]
    assert known == sorted(known)
    first_unknown = next((i for i, c in enumerate(ranked) if c.distance_m is None), len(ranked))
    assert all(c.distance_m is None for c in ranked[first_unknown:])


@given(
    st.integers(-89_000_000, 89_000_000),
    st.integers(-179_000_000, 179_000_000),
    st.integers(-89_000_000, 89_000_000),
    st.integers(-179_000_000, 179_000_000),
)
def test_distance_is_symmetric_and_zero_only_at_the_same_place(lat1, lon1, lat2, lon2) -> None:  # type: ignore[no-untyped-def]
    a, b = GeoPoint(lat1, lon1), GeoPoint(lat2, lon2)
    assert distance_m(a, b) == distance_m(b, a)
    assert distance_m(a, a) == 0
    assert 0 <= distance_m(a, b) <= 20_038_000
