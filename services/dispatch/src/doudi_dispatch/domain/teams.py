"""Response teams (DOMAIN §10.1): one per village or community, 5 to 10 members, phones kept on.

The size bounds are parameters (the service's settings), never literals in the rules. The public
phone list shows each team's duty phone in full and its members' phones masked.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from doudi_common.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound
from doudi_common.masking import mask_phone
from doudi_common.region import RegionCode, RegionLevel
from doudi_dispatch.domain.fields import (
    MAX_NAME_LENGTH,
    MAX_TEXT_LENGTH,
    compact_phone,
    phone_violation,
    raise_if_any,
    text_violation,
)
from doudi_dispatch.domain.geo import GeoPoint, point_violations


class Skill(StrEnum):
    MEDICAL = "MEDICAL"
    FIRST_AID = "FIRST_AID"
    RESCUE = "RESCUE"
    ELDERLY_CARE = "ELDERLY_CARE"
    COUNSELLING = "COUNSELLING"
    TRANSPORT = "TRANSPORT"


@dataclass(frozen=True)
class TeamSize:
    """How many members a team may have (DOMAIN §10.1: EX 5 to 10)."""

    minimum: int = 5
    maximum: int = 10

    def __post_init__(self) -> None:
        if not 1 <= self.minimum <= self.maximum:
            raise ValueError("team size bounds need 1 <= minimum <= maximum")


@dataclass(frozen=True)
class NewVolunteer:
    name: str
    phone: str
    skills: frozenset[Skill]
    available: bool = True
    location: GeoPoint | None = None


@dataclass(frozen=True)
class Volunteer:
    volunteer_id: str
    team_id: str
    village: str
    name: str
    phone: str
    skills: frozenset[Skill]
    available: bool
    location: GeoPoint | None
    updated_at: datetime


@dataclass(frozen=True)
class TeamRegistration:
    village: str
    name: str
    duty_phone: str
    members: tuple[NewVolunteer, ...]
    base_location: GeoPoint | None = None


@dataclass(frozen=True)
class Team:
    team_id: str
    village: str
    name: str
    duty_phone: str
    base_location: GeoPoint | None
    members: tuple[Volunteer, ...]
    registered_at: datetime

    def member(self, volunteer_id: str) -> Volunteer:
        for volunteer in self.members:
            if volunteer.volunteer_id == volunteer_id:
                return volunteer
        raise NotFound(f"volunteer {volunteer_id!r} is not a member of team {self.team_id}")


@dataclass(frozen=True)
class PublicMember:
    name: str
    masked_phone: str
    skills: frozenset[Skill]


@dataclass(frozen=True)
class DutyPhone:
    """One line of the public phone list."""

    team_id: str
    village: str
    team_name: str
    duty_phone: str
    members: tuple[PublicMember, ...]


def village_violation(code: str, field: str) -> FieldViolation | None:
    try:
        region = RegionCode.parse(code, field=field)
    except InvalidArgument as error:
        return error.violations[0]
    if region.level is not RegionLevel.VILLAGE:
        return FieldViolation(field, "must be the 12-digit code of a village or community")
    return None


def _member_violations(member: NewVolunteer, field: str) -> list[FieldViolation | None]:
    return [
        text_violation(member.name, f"{field}.name", MAX_NAME_LENGTH),
        phone_violation(member.phone, f"{field}.phone"),
        None if member.skills else FieldViolation(f"{field}.skills", "needs at least one skill"),
        *point_violations(member.location, f"{field}.location"),
    ]


def validate_new_member(member: NewVolunteer, field: str = "member") -> None:
    raise_if_any(_member_violations(member, field))


def validate_registration(registration: TeamRegistration, size: TeamSize) -> None:
    violations: list[FieldViolation | None] = [
        village_violation(registration.village, "village"),
        text_violation(registration.name, "name", MAX_NAME_LENGTH),
        phone_violation(registration.duty_phone, "duty_phone"),
        *point_violations(registration.base_location, "base_location"),
    ]
    if not size.minimum <= len(registration.members) <= size.maximum:
        violations.append(FieldViolation("members", f"a team has {size.minimum} to {size.maximum} members"))
    for index, member in enumerate(registration.members):
        violations.extend(_member_violations(member, f"members[{index}]"))
    phones = [compact_phone(m.phone) for m in registration.members if phone_violation(m.phone, "") is None]
    if len(set(phones)) != len(phones):
        violations.append(FieldViolation("members", "two members share a phone number"))
    raise_if_any(violations)


def _volunteer(
    member: NewVolunteer, volunteer_id: str, team_id: str, village: str, now: datetime
) -> Volunteer:
    return Volunteer(
        volunteer_id=volunteer_id,
        team_id=team_id,
        village=village,
        name=member.name.strip(),
        phone=compact_phone(member.phone),
        skills=frozenset(member.skills),
        available=member.available,
        location=member.location,
        updated_at=now,
    )


def form_team(
    registration: TeamRegistration,
    *,
    team_id: str,
    volunteer_ids: tuple[str, ...],
    size: TeamSize,
    now: datetime,
) -> Team:
    validate_registration(registration, size)
    members = tuple(
        _volunteer(member, volunteer_id, team_id, registration.village, now)
        for member, volunteer_id in zip(registration.members, volunteer_ids, strict=True)
    )
    return Team(
        team_id=team_id,
        village=registration.village,
        name=registration.name.strip(),
        duty_phone=compact_phone(registration.duty_phone),
        base_location=registration.base_location,
        members=members,
        registered_at=now,
    )


def add_member(
    team: Team, member: NewVolunteer, *, volunteer_id: str, size: TeamSize, now: datetime
) -> tuple[Team, Volunteer]:
    validate_new_member(member)
    if len(team.members) >= size.maximum:
        raise FailedPrecondition(f"team {team.team_id} already has {size.maximum} members, the most allowed")
    if compact_phone(member.phone) in {m.phone for m in team.members}:
        raise InvalidArgument.single("member.phone", "another member of the team has this number")
    volunteer = _volunteer(member, volunteer_id, team.team_id, team.village, now)
    return replace(team, members=(*team.members, volunteer)), volunteer


def remove_member(team: Team, volunteer_id: str, reason: str, *, size: TeamSize) -> Team:
    raise_if_any([text_violation(reason, "reason", MAX_TEXT_LENGTH)])
    team.member(volunteer_id)
    if len(team.members) <= size.minimum:
        raise FailedPrecondition(
            f"team {team.team_id} has {len(team.members)} members, the fewest allowed; add one first"
        )
    return replace(team, members=tuple(m for m in team.members if m.volunteer_id != volunteer_id))


def update_status(
    volunteer: Volunteer, *, available: bool, location: GeoPoint | None, now: datetime
) -> Volunteer:
    """Availability as the volunteer says; an unknown place keeps the last known one."""
    raise_if_any(list(point_violations(location, "location")))
    return replace(
        volunteer,
        available=available,
        location=location if location is not None else volunteer.location,
        updated_at=now,
    )


def duty_phone(team: Team) -> DutyPhone:
    """The public line: the duty phone in full, members' phones masked (DOMAIN §10.1, §11.5)."""
    return DutyPhone(
        team_id=team.team_id,
        village=team.village,
        team_name=team.name,
        duty_phone=team.duty_phone,
        members=tuple(PublicMember(m.name, mask_phone(m.phone), m.skills) for m in team.members),
    )
