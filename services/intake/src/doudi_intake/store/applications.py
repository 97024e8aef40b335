"""Reading and writing applications; queries never commit (the use-case owns the transaction)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.orm import Session

from doudi_common.bank_account import PayeeAccount
from doudi_intake.domain.application import (
    Application,
    ApplicationState,
    Channel,
    DuplicateFlag,
    DuplicateScope,
    HouseholdDeclaration,
    HouseholdType,
    MemberDeclaration,
    Programme,
    Relation,
)
from doudi_intake.domain.duplicates import OpenMembership
from doudi_intake.domain.window import FINAL_STATES
from doudi_intake.store.tables import applications, open_memberships
from doudi_runtime.paging import Page
from doudi_runtime.store.sealed import matches_any


def _household_to_json(household: HouseholdDeclaration) -> str:
    def member(m: MemberDeclaration) -> dict[str, object]:
        data = asdict(m)
        data["birth_date"] = m.birth_date.isoformat() if m.birth_date else None
        data["relation"] = m.relation.value if m.relation else None
        return data

    return json.dumps(
        {
            "residence_region": household.residence_region,
            "household_type": household.household_type.value if household.household_type else None,
            "members": [member(m) for m in household.members],
        },
        ensure_ascii=False,
    )


def _household_from_json(text: str) -> HouseholdDeclaration:
    data = json.loads(text)
    members = []
    for m in data["members"]:
        m["birth_date"] = date.fromisoformat(m["birth_date"]) if m["birth_date"] else None
        m["relation"] = Relation(m["relation"]) if m["relation"] else None
        members.append(MemberDeclaration(**m))
    household_type = data.get("household_type")
    return HouseholdDeclaration(
        residence_region=data["residence_region"],
        members=tuple(members),
        household_type=HouseholdType(household_type) if household_type else None,
    )


def _duplicates_to_json(flags: tuple[DuplicateFlag, ...]) -> str:
    return json.dumps([asdict(flag) for flag in flags])


def _duplicates_from_json(text: str) -> tuple[DuplicateFlag, ...]:
    return tuple(
        DuplicateFlag(
            **{**flag, "programme": Programme(flag["programme"]), "scope": DuplicateScope(flag["scope"])}
        )
        for flag in json.loads(text)
    )


def _payee_to_json(payee: PayeeAccount | None) -> str:
    return "" if payee is None else json.dumps(asdict(payee), ensure_ascii=False)


def _payee_from_json(text: str | None) -> PayeeAccount | None:
    return PayeeAccount(**json.loads(text)) if text else None


def _row_values(application: Application) -> dict[str, Any]:
    return {
        "programme": application.programme.value,
        "channel": application.channel.value,
        "township": application.township,
        "state": application.state.value,
        "submitted_at": application.submitted_at,
        "updated_at": application.updated_at or application.submitted_at,
        "statement": application.statement,
        "requested_amount_fen": application.requested_amount_fen,
        "household": _household_to_json(application.household),
        "missing_items": json.dumps(list(application.missing_items), ensure_ascii=False),
        "correction_due": application.correction_due,
        "accepted_at": application.accepted_at,
        "decision_due": application.decision_due,
        "state_reason": application.state_reason,
        "transferred_to": application.transferred_to,
        "transferred_from": application.transferred_from,
        "transferred_as": application.transferred_as,
        "lead_id": application.lead_id,
        "mandate_reference": application.mandate_reference,
        "duplicates": _duplicates_to_json(application.duplicates),
        "payee": _payee_to_json(application.payee),
    }


def _sync_memberships(session: Session, application: Application) -> None:
    """Keep the duplicate index equal to the counted members of open applications."""
    session.execute(
        delete(open_memberships).where(open_memberships.c.application_id == application.application_id)
    )
    if application.state in FINAL_STATES:
        return
    rows = [
        {
            "application_id": application.application_id,
            "member_index": index,
            "id_number": member.id_number,
            "id_number_hash": member.id_number,
            "programme": application.programme.value,
            "township": application.township,
        }
        for index, member in enumerate(application.household.members)
        if member.counted
    ]
    if rows:
        session.execute(insert(open_memberships), rows)


def insert_application(session: Session, application: Application) -> None:
    session.execute(
        insert(applications).values(application_id=application.application_id, **_row_values(application))
    )
    _sync_memberships(session, application)


def save_application(session: Session, application: Application) -> None:
    session.execute(
        update(applications)
        .where(applications.c.application_id == application.application_id)
        .values(**_row_values(application))
    )
    _sync_memberships(session, application)


def _from_row(row: Any) -> Application:
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
        updated_at=row.updated_at,
        missing_items=tuple(json.loads(row.missing_items)),
        correction_due=row.correction_due,
        accepted_at=row.accepted_at,
        decision_due=row.decision_due,
        state_reason=row.state_reason,
        transferred_to=row.transferred_to,
        transferred_from=row.transferred_from,
        transferred_as=row.transferred_as,
        lead_id=row.lead_id,
        mandate_reference=row.mandate_reference,
        duplicates=_duplicates_from_json(row.duplicates),
        payee=_payee_from_json(row.payee),
    )


def get_application(session: Session, application_id: str, *, for_update: bool = False) -> Application | None:
    query = select(applications).where(applications.c.application_id == application_id)
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).one_or_none()
    return None if row is None else _from_row(row)


def list_applications(
    session: Session, township: str, state: ApplicationState | None, page: Page
) -> list[Application]:
    """Newest first (ids sort by creation time); ``page.size + 1`` rows so the caller sees if more exist."""
    conditions = [applications.c.township == township]
    if state is not None:
        conditions.append(applications.c.state == state.value)
    if page.after is not None:
        conditions.append(applications.c.application_id < page.after)
    rows = session.execute(
        select(applications)
        .where(and_(*conditions))
        .order_by(applications.c.application_id.desc())
        .limit(page.size + 1)
    ).all()
    return [_from_row(row) for row in rows]


def open_memberships_of(session: Session, id_numbers: Iterable[str]) -> list[OpenMembership]:
    wanted = sorted(set(id_numbers))
    if not wanted:
        return []
    rows = session.execute(
        select(open_memberships).where(matches_any(open_memberships.c.id_number_hash, wanted))
    ).all()
    return [
        OpenMembership(
            id_number=row.id_number,
            application_id=row.application_id,
            programme=Programme(row.programme),
            township=row.township,
        )
        for row in rows
    ]


def lapsed_correction_ids(session: Session, before: date, limit: int) -> list[str]:
    """Applications whose correction window ended before ``before`` (the sweep withdraws them)."""
    rows = session.execute(
        select(applications.c.application_id)
        .where(
            applications.c.state == ApplicationState.NEEDS_CORRECTION.value,
            applications.c.correction_due < before,
        )
        .order_by(applications.c.application_id)
        .limit(limit)
    ).all()
    return [row.application_id for row in rows]
