"""Dispatch's own registry of vulnerable persons, and disasters that send a check on each of them.

Care keeps the ledgers (DOMAIN §9.1); dispatch keeps just enough to find the people to check on
when a disaster strikes an area (DOMAIN §8.2 M3), because it never reads care's store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from doudi_common.calendar import china_date
from doudi_common.errors import FieldViolation, InvalidArgument
from doudi_common.idcard import parse_id_number
from doudi_common.region import RegionCode, RegionLevel
from doudi_dispatch.domain.fields import (
    MAX_NAME_LENGTH,
    MAX_REFERENCE_LENGTH,
    MAX_TEXT_LENGTH,
    compact_phone,
    phone_violation,
    raise_if_any,
    text_violation,
)
from doudi_dispatch.domain.geo import GeoPoint, point_violations
from doudi_dispatch.domain.incident import IncidentKind, IncidentReport, IncidentSource
from doudi_dispatch.domain.teams import village_violation

#: A disaster is declared for a county or anything inside it, so one declaration stays one county's work.
DISASTER_LEVELS = frozenset({RegionLevel.COUNTY, RegionLevel.TOWNSHIP, RegionLevel.VILLAGE})


class VulnerableCategory(StrEnum):
    ELDERLY_LEFT_BEHIND = "ELDERLY_LEFT_BEHIND"
    ELDERLY_SPECIAL_DIFFICULTY = "ELDERLY_SPECIAL_DIFFICULTY"
    CHILD_LEFT_BEHIND = "CHILD_LEFT_BEHIND"
    CHILD_IN_DIFFICULTY = "CHILD_IN_DIFFICULTY"
    DISABLED = "DISABLED"
    TEKUN_DISPERSED = "TEKUN_DISPERSED"


@dataclass(frozen=True)
class VulnerablePerson:
    id_number: str
    name: str
    region: str
    category: VulnerableCategory | None
    phone: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    location: GeoPoint | None = None
    care_entry_id: str = ""
    updated_at: datetime | None = None


@dataclass(frozen=True)
class DisasterDeclaration:
    region: str
    description: str


@dataclass(frozen=True)
class Disaster:
    disaster_id: str
    region: str
    description: str
    declared_at: datetime
    check_on_tasks: int


def _id_violation(value: str, field: str, today: date) -> FieldViolation | None:
    try:
        parse_id_number(value, field=field, today=today)
    except InvalidArgument as error:
        return error.violations[0]
    return None


def register(person: VulnerablePerson, *, now: datetime) -> VulnerablePerson:
    raise_if_any(
        [
            _id_violation(person.id_number, "person.id_number", china_date(now)),
            text_violation(person.name, "person.name", MAX_NAME_LENGTH),
            phone_violation(person.phone, "person.phone", required=False),
            village_violation(person.region, "region"),
            None if person.category is not None else FieldViolation("category", "is required"),
            text_violation(person.contact_name, "contact_name", MAX_NAME_LENGTH, required=False),
            phone_violation(person.contact_phone, "contact_phone", required=False),
            text_violation(person.care_entry_id, "care_entry_id", MAX_REFERENCE_LENGTH, required=False),
            *point_violations(person.location, "location"),
        ]
    )
    return VulnerablePerson(
        id_number=person.id_number.strip().upper(),
        name=person.name.strip(),
        region=person.region,
        category=person.category,
        phone=compact_phone(person.phone),
        contact_name=person.contact_name.strip(),
        contact_phone=compact_phone(person.contact_phone),
        location=person.location,
        care_entry_id=person.care_entry_id.strip(),
        updated_at=now,
    )


def validate_id_number(value: str, field: str, *, now: datetime) -> str:
    raise_if_any([_id_violation(value, field, china_date(now))])
    return value.strip().upper()


def validate_declaration(declaration: DisasterDeclaration) -> RegionCode:
    violations: list[FieldViolation | None] = [
        text_violation(declaration.description, "description", MAX_TEXT_LENGTH)
    ]
    region = None
    try:
        region = RegionCode.parse(declaration.region, field="region")
    except InvalidArgument as error:
        violations.extend(error.violations)
    if region is not None and region.level not in DISASTER_LEVELS:
        violations.append(
            FieldViolation("region", "must be a county, township or village (declare county by county)")
        )
    raise_if_any(violations)
    assert region is not None
    return region


def check_on_report(person: VulnerablePerson, disaster: Disaster) -> IncidentReport:
    """The check-on task for one person in the disaster's area."""
    category = person.category.value.lower().replace("_", " ") if person.category else "registered person"
    return IncidentReport(
        kind=IncidentKind.CHECK_ON,
        region=person.region,
        source=IncidentSource.DISASTER_DECLARATION,
        description=f"check on a {category} after: {disaster.description}"[:MAX_TEXT_LENGTH],
        person_id_number=person.id_number,
        person_name=person.name,
        contact_phone=person.phone or person.contact_phone,
        source_reference=person.care_entry_id,
        location=person.location,
        disaster_id=disaster.disaster_id,
    )
