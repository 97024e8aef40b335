"""Reading and writing leads and referrals; queries never commit (the use-case owns the transaction)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.orm import Session

from doudi_intake.domain.leads import Lead, LeadState
from doudi_intake.domain.referrals import Department, Referral, ReferralState
from doudi_intake.store.tables import leads, referrals
from doudi_runtime.paging import Page


def _lead_values(lead: Lead) -> dict[str, Any]:
    values = asdict(lead)
    values["state"] = lead.state.value
    return values


def insert_lead(session: Session, lead: Lead) -> None:
    session.execute(insert(leads).values(**_lead_values(lead)))


def save_lead(session: Session, lead: Lead) -> None:
    session.execute(update(leads).where(leads.c.lead_id == lead.lead_id).values(**_lead_values(lead)))


def _lead_from_row(row: Any) -> Lead:
    values = dict(row._mapping)
    values["state"] = LeadState(values["state"])
    return Lead(**values)


def get_lead(session: Session, lead_id: str) -> Lead | None:
    row = session.execute(select(leads).where(leads.c.lead_id == lead_id)).one_or_none()
    return None if row is None else _lead_from_row(row)


def list_leads(session: Session, region_prefix: str, state: LeadState | None, page: Page) -> list[Lead]:
    conditions = [leads.c.residence_region.startswith(region_prefix, autoescape=True)]
    if state is not None:
        conditions.append(leads.c.state == state.value)
    if page.after is not None:
        conditions.append(leads.c.lead_id < page.after)
    rows = session.execute(
        select(leads).where(and_(*conditions)).order_by(leads.c.lead_id.desc()).limit(page.size + 1)
    ).all()
    return [_lead_from_row(row) for row in rows]


def _referral_values(referral: Referral) -> dict[str, Any]:
    values = asdict(referral)
    values["state"] = referral.state.value
    values["department"] = referral.department.value
    return values


def insert_referral(session: Session, referral: Referral) -> None:
    session.execute(insert(referrals).values(**_referral_values(referral)))


def save_referral(session: Session, referral: Referral) -> None:
    session.execute(
        update(referrals)
        .where(referrals.c.referral_id == referral.referral_id)
        .values(**_referral_values(referral))
    )


def get_referral(session: Session, referral_id: str) -> Referral | None:
    row = session.execute(select(referrals).where(referrals.c.referral_id == referral_id)).one_or_none()
    if row is None:
        return None
    values = dict(row._mapping)
    values["state"] = ReferralState(values["state"])
    values["department"] = Department(values["department"])
    return Referral(**values)
