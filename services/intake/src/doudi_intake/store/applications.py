"""Reading and writing applications; queries never commit (the use-case owns the transaction)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from doudi_intake.domain.application import (
    Application,
    ApplicationState,
    Channel,
    HouseholdDeclaration,
    MemberDeclaration,
    Programme,
    Relation,
)
from doudi_intake.store.tables import applications


def _household_to_json(household: HouseholdDeclaration) -> str:
    def member(m: MemberDeclaration) -> dict[str, object]:
        data = asdict(m)
        data["birth_date"] = m.birth_date.isoformat() if m.birth_date else None
        data["relation"] = m.relation.value if m.relation else None
        return data

    return json.dumps(
        {"residence_region": household.residence_region, "members": [member(m) for m in household.members]},
        ensure_ascii=False,
    )


def _household_from_json(text: str) -> HouseholdDeclaration:
    data = json.loads(text)
    members = []
    for m in data["members"]:
        m["birth_date"] = date.fromisoformat(m["birth_date"]) if m["birth_date"] else None
        m["relation"] = Relation(m["relation"]) if m["relation"] else None
        members.append(MemberDeclaration(**m))
    return HouseholdDeclaration(residence_region=data["residence_region"], members=tuple(members))


def insert_application(session: Session, application: Application) -> None:
    session.execute(
        insert(applications).values(
            application_id=application.application_id,
            programme=application.programme.value,
            channel=application.channel.value,
            township=application.township,
            state=application.state.value,
            submitted_at=application.submitted_at,
            updated_at=application.submitted_at,
            statement=application.statement,
            requested_amount_fen=application.requested_amount_fen,
            household=_household_to_json(application.household),
        )
    )


def get_application(session: Session, application_id: str) -> Application | None:
    row = session.execute(
        select(applications).where(applications.c.application_id == application_id)
    ).one_or_none()
    if row is None:
        return None
    return Application(
        application_id=row.application_id,
        programme=Programme(row.programme),
        channel=Channel(row.channel),
        township=row.township,
        household=_household_from_json(row.household),
        state=ApplicationState(row.state),
        submitted_at=row.submitted_at,
        statement=row.statement,
        requested_amount_fen=row.requested_amount_fen,
    )
