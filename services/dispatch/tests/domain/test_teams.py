"""Teams (DOMAIN §10.1): one per village, size within the configured bounds, a public phone list."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from doudi_common.errors import FailedPrecondition, InvalidArgument
from doudi_dispatch.domain import teams
from doudi_dispatch.domain.geo import GeoPoint
from doudi_dispatch.domain.teams import NewVolunteer, Skill, TeamRegistration, TeamSize

from .builders import VILLAGE

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
SIZE = TeamSize(minimum=5, maximum=6)


def member(index: int, **overrides: object) -> NewVolunteer:
    values: dict[str, object] = {
        "name": f"队员{index}",
        "phone": f"1390954{index:04d}",
        "skills": frozenset({Skill.FIRST_AID}),
    }
    values.update(overrides)
    return NewVolunteer(**values)  # type: ignore[arg-type]


def registration(count: int = 5, **overrides: object) -> TeamRegistration:
    values: dict[str, object] = {
        "village": VILLAGE,
        "name": "河川村急难问题快速响应服务队",
        "duty_phone": "0954-2051234",
        "members": tuple(member(i) for i in range(count)),
        "base_location": GeoPoint(36_000_000, 106_280_000),
    }
    values.update(overrides)
    return TeamRegistration(**values)  # type: ignore[arg-type]


def formed(count: int = 5):  # type: ignore[no-untyped-def]
    ids = tuple(f"vol_{i}" for i in range(count))
    return teams.form_team(registration(count), team_id="team_1", volunteer_ids=ids, size=SIZE, now=NOW)


def test_a_team_within_the_bounds_is_formed_with_compact_phones() -> None:
    team = formed()
    assert len(team.members) == 5 and team.duty_phone == "09542051234"
    assert {m.village for m in team.members} == {VILLAGE}


@pytest.mark.parametrize("count", [4, 7])
def test_the_size_bounds_are_the_parameters(count: int) -> None:
    with pytest.raises(InvalidArgument) as raised:
        teams.form_team(
            registration(count),
            team_id="t",
            volunteer_ids=tuple(str(i) for i in range(count)),
            size=SIZE,
            now=NOW,
        )
    assert [v.field for v in raised.value.violations] == ["members"]
    assert "5 to 6" in raised.value.violations[0].description


def test_every_field_at_fault_is_named() -> None:
    bad = registration(
        village="640402100000",
        duty_phone="12",
        members=(member(0, phone="x", skills=frozenset()), *(member(i) for i in range(1, 5))),
        base_location=GeoPoint(91_000_000, 0),
    )
    with pytest.raises(InvalidArgument) as raised:
        teams.validate_registration(bad, SIZE)
    assert {v.field for v in raised.value.violations} == {
        "village",
        "duty_phone",
        "members[0].phone",
        "members[0].skills",
        "base_location.latitude_e6",
    }


def test_members_join_up_to_the_maximum_and_leave_down_to_the_minimum() -> None:
    team, volunteer = teams.add_member(formed(), member(9), volunteer_id="vol_9", size=SIZE, now=NOW)
    assert volunteer in team.members
    with pytest.raises(FailedPrecondition):
        teams.add_member(team, member(10), volunteer_id="vol_10", size=SIZE, now=NOW)
    smaller = teams.remove_member(team, "vol_9", "外出务工", size=SIZE)
    with pytest.raises(FailedPrecondition):
        teams.remove_member(smaller, "vol_0", "外出务工", size=SIZE)


def test_the_public_line_shows_the_duty_phone_and_masks_the_members() -> None:
    line = teams.duty_phone(formed())
    assert line.duty_phone == "09542051234"
    assert line.members[0].masked_phone == "139****0000"
    assert all("*" in m.masked_phone for m in line.members)


def test_size_bounds_must_make_sense() -> None:
    with pytest.raises(ValueError):
        TeamSize(minimum=6, maximum=5)
