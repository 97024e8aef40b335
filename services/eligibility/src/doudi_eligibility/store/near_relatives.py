"""The separate archive of near-relative registrations (DOMAIN §12.2): one row per household and staff
member; the columns are what the county's list filters on, the note is sealed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from doudi_eligibility.domain.near_relative import (
    NearRelation,
    NearRelativeRegistration,
    StaffPosition,
    StaffRelation,
)
from doudi_eligibility.store.tables import near_relatives

_TABLE = near_relatives.c


def insert_registration(session: Session, registration: NearRelativeRegistration) -> None:
    staff = registration.staff
    session.execute(
        insert(near_relatives).values(
            registration_id=registration.registration_id,
            application_id=registration.application_id,
            region=registration.region,
            staff_user_id=staff.staff_user_id,
            staff_position=staff.position.value,
            organisation=staff.organisation,
            relation=staff.relation.value,
            note=staff.note,
            registered_by=registration.registered_by,
            registered_role=registration.registered_role,
            registered_at=registration.registered_at,
        )
    )


def get_registration(session: Session, registration_id: str) -> NearRelativeRegistration | None:
    row = session.execute(
        select(near_relatives).where(_TABLE.registration_id == registration_id)
    ).one_or_none()
    return None if row is None else _registration(row)


def find_registration(
    session: Session, application_id: str, staff_user_id: str
) -> NearRelativeRegistration | None:
    row = session.execute(
        select(near_relatives).where(
            _TABLE.application_id == application_id, _TABLE.staff_user_id == staff_user_id
        )
    ).one_or_none()
    return None if row is None else _registration(row)


def registered_staff(session: Session, application_id: str) -> tuple[str, ...]:
    """The staff user ids registered for an application (the unique index on application and staff)."""
    rows = session.execute(
        select(_TABLE.staff_user_id).where(_TABLE.application_id == application_id)
    ).scalars()
    return tuple(rows)


def list_registrations(
    session: Session, *, region_prefix: str, application_id: str, after: str | None, limit: int
) -> list[NearRelativeRegistration]:
    """Registrations by id; ``region_prefix`` keeps those of households residing within a region."""
    query = select(near_relatives).order_by(_TABLE.registration_id).limit(limit)
    if region_prefix:
        query = query.where(_TABLE.region.startswith(region_prefix, autoescape=True))
    if application_id:
        query = query.where(_TABLE.application_id == application_id)
    if after:
        query = query.where(_TABLE.registration_id > after)
    return [_registration(row) for row in session.execute(query)]


def _registration(row: Any) -> NearRelativeRegistration:
    return NearRelativeRegistration(
        registration_id=row.registration_id,
        application_id=row.application_id,
        region=row.region,
        staff=StaffRelation(
            staff_user_id=row.staff_user_id,
            position=StaffPosition(row.staff_position),
            organisation=row.organisation,
            relation=NearRelation(row.relation),
            note=row.note,
        ),
        registered_by=row.registered_by,
        registered_role=row.registered_role,
        registered_at=row.registered_at,
    )
