"""Reading and writing the vulnerable-person registry and declared disasters; queries never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from doudi_common.region import RegionCode
from doudi_dispatch.domain.geo import GeoPoint
from doudi_dispatch.domain.registry import Disaster, VulnerableCategory, VulnerablePerson
from doudi_dispatch.store.tables import disasters, vulnerable_persons


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


def get_person(
    session: Session, id_number: str, *, for_update: bool = False, removed: bool = False
) -> VulnerablePerson | None:
    """A registered person (with ``removed``, also one taken out of the registry)."""
    query = select(vulnerable_persons).where(vulnerable_persons.c.id_number == id_number)
    if not removed:
        query = query.where(vulnerable_persons.c.removed_at.is_(None))
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).one_or_none()
    return None if row is None else _person(row)


def upsert_person(session: Session, person: VulnerablePerson) -> None:
    if get_person(session, person.id_number, for_update=True, removed=True) is None:
        session.execute(insert(vulnerable_persons).values(id_number=person.id_number, **_values(person)))
    else:
        session.execute(
            update(vulnerable_persons)
            .where(vulnerable_persons.c.id_number == person.id_number)
            .values(**_values(person))
        )


def remove_person(session: Session, id_number: str, reason: str, now: datetime) -> None:
    session.execute(
        update(vulnerable_persons)
        .where(vulnerable_persons.c.id_number == id_number)
        .values(removed_at=now, removal_reason=reason)
    )


def persons_in(session: Session, region: RegionCode) -> list[VulnerablePerson]:
    rows = session.execute(
        select(vulnerable_persons)
        .where(
            vulnerable_persons.c.region.startswith(region.prefix, autoescape=True),
            vulnerable_persons.c.removed_at.is_(None),
        )
        .order_by(vulnerable_persons.c.region, vulnerable_persons.c.id_number)
    ).all()
    return [_person(row) for row in rows]


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
