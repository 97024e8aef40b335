"""Reading and writing the vulnerable-person registry and declared disasters; queries never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from doudi_common.ids import new_id
from doudi_common.region import RegionCode
from doudi_dispatch.domain.geo import GeoPoint
from doudi_dispatch.domain.registry import Disaster, VulnerableCategory, VulnerablePerson
from doudi_dispatch.store.tables import disasters, vulnerable_persons
from doudi_runtime.store.sealed import matches


def _values(person: VulnerablePerson) -> dict[str, Any]:
    assert person.category is not None
    return {
        "name": person.name,
        "phone": person.phone,
        "region": person.region,
        "category": person.category.value,
        "contact_name": person.contact_name,
        "contact_phone": person.contact_phone,
        "latitude_e6": person.location.latitude_e6 if person.location else None,
        "longitude_e6": person.location.longitude_e6 if person.location else None,
        "care_entry_id": person.care_entry_id,
        "updated_at": person.updated_at,
        "removed_at": None,
        "removal_reason": "",
    }


def _person(row: Any) -> VulnerablePerson:
    location = None
    if row.latitude_e6 is not None and row.longitude_e6 is not None:
        location = GeoPoint(row.latitude_e6, row.longitude_e6)
    return VulnerablePerson(
        id_number=row.id_number,
        name=row.name,
        region=row.region,
        category=VulnerableCategory(row.category),
        phone=row.phone,
        contact_name=row.contact_name,
        contact_phone=row.contact_phone,
        location=location,
        care_entry_id=row.care_entry_id,
        updated_at=row.updated_at,
    )


def row_id(session: Session, id_number: str, *, for_update: bool = False) -> str | None:
    """The row of a person's identity number, found by its lookup hash."""
    query = select(vulnerable_persons.c.person_id).where(
        matches(vulnerable_persons.c.id_number_hash, id_number)
    )
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def region_of(session: Session, id_number: str) -> str | None:
    """The region of a person in the registry (removed or not), for the policy."""
    query = select(vulnerable_persons.c.region).where(matches(vulnerable_persons.c.id_number_hash, id_number))
    return session.execute(query).scalar_one_or_none()


def get_person(
    session: Session, id_number: str, *, for_update: bool = False, removed: bool = False
) -> VulnerablePerson | None:
    """A registered person (with ``removed``, also one taken out of the registry)."""
    query = select(vulnerable_persons).where(matches(vulnerable_persons.c.id_number_hash, id_number))
    if not removed:
        query = query.where(vulnerable_persons.c.removed_at.is_(None))
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).one_or_none()
    return None if row is None else _person(row)


def person_of_row(session: Session, person_id: str) -> VulnerablePerson | None:
    """The person of a row id :func:`upsert_person` or :func:`remove_person` answered, removed or not."""
    row = session.execute(
        select(vulnerable_persons).where(vulnerable_persons.c.person_id == person_id)
    ).one_or_none()
    return None if row is None else _person(row)


def upsert_person(session: Session, person: VulnerablePerson) -> str:
    """Enter or update the person; returns the row id (which names no one)."""
    person_id = row_id(session, person.id_number, for_update=True)
    if person_id is None:
        person_id = new_id("person")
        session.execute(
            insert(vulnerable_persons).values(
                person_id=person_id,
                id_number=person.id_number,
                id_number_hash=person.id_number,
                **_values(person),
            )
        )
    else:
        session.execute(
            update(vulnerable_persons)
            .where(vulnerable_persons.c.person_id == person_id)
            .values(id_number=person.id_number, id_number_hash=person.id_number, **_values(person))
        )
    return person_id


def remove_person(session: Session, id_number: str, reason: str, now: datetime) -> str | None:
    """Take the person out of the registry; returns the row id (None when no one has that number)."""
    person_id = row_id(session, id_number, for_update=True)
    if person_id is not None:
        session.execute(
            update(vulnerable_persons)
            .where(vulnerable_persons.c.person_id == person_id)
            .values(removed_at=now, removal_reason=reason)
        )
    return person_id


def persons_in(session: Session, region: RegionCode) -> list[VulnerablePerson]:
    """The registered persons of ``region`` by village, then identity number (sorted here: it is sealed)."""
    rows = session.execute(
        select(vulnerable_persons).where(
            vulnerable_persons.c.region.startswith(region.prefix, autoescape=True),
            vulnerable_persons.c.removed_at.is_(None),
        )
    ).all()
    return sorted((_person(row) for row in rows), key=lambda person: (person.region, person.id_number))


def insert_disaster(session: Session, disaster: Disaster) -> None:
    session.execute(
        insert(disasters).values(
            disaster_id=disaster.disaster_id,
            region=disaster.region,
            description=disaster.description,
            declared_at=disaster.declared_at,
            check_on_tasks=disaster.check_on_tasks,
        )
    )


def get_disaster(session: Session, disaster_id: str) -> Disaster | None:
    row = session.execute(select(disasters).where(disasters.c.disaster_id == disaster_id)).one_or_none()
    if row is None:
        return None
    return Disaster(row.disaster_id, row.region, row.description, row.declared_at, row.check_on_tasks)
