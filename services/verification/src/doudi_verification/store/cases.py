"""Reading and writing cases, reports, surveys and disputes; queries never commit."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import ColumnElement, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from doudi_verification.domain.assets import AssetTest, Outcome
from doudi_verification.domain.case import RUNNABLE, Case, CaseState, CheckPurpose, Member
from doudi_verification.domain.income import IncomeAssessment, IncomeBand
from doudi_verification.domain.policy import HouseholdType
from doudi_verification.domain.records import Item
from doudi_verification.domain.report import MissingSource, Override, Report, ReportState
from doudi_verification.store.tables import cases, disputes, reports, surveys


def _case_values(case: Case) -> dict[str, Any]:
    return {
        "programme": case.programme,
        "township": case.township,
        "residence_region": case.residence_region,
        "household": json.dumps(
            {"household_type": case.household_type.value, "members": [asdict(m) for m in case.members]}
        ),
        "accepted_at": case.accepted_at,
        **_progress_values(case),
    }


def _progress_values(case: Case) -> dict[str, Any]:
    """What a check changes; the household as intake accepted it never changes."""
    return {
        "state": case.state.value,
        "attempts": case.attempts,
        "next_attempt_at": case.next_attempt_at,
        "latest_report_id": case.latest_report_id,
        "updated_at": case.updated_at,
        "purpose": case.purpose.value,
        "review_id": case.review_id,
        "reference_at": case.reference_at,
    }


def _case_from_row(row: Any) -> Case:
    household = json.loads(row.household)
    return Case(
        application_id=row.application_id,
        programme=row.programme,
        township=row.township,
        residence_region=row.residence_region,
        household_type=HouseholdType(household["household_type"]),
        members=tuple(Member(**m) for m in household["members"]),
        accepted_at=row.accepted_at,
        state=CaseState(row.state),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        latest_report_id=row.latest_report_id,
        updated_at=row.updated_at,
        purpose=CheckPurpose(row.purpose),
        review_id=row.review_id,
        reference_at=row.reference_at,
    )


# The statements every check runs are built once and take their values as parameters: building a
# statement with literal values costs more than running it (SQLAlchemy keys its compiled cache on them).
_INSERT_CASE = insert(cases)
_UPDATE_CASE = update(cases).where(cases.c.application_id == bindparam("key"))
_GET_CASE = select(cases).where(cases.c.application_id == bindparam("key"))
_GET_CASE_FOR_UPDATE = _GET_CASE.with_for_update()


def insert_case(session: Session, case: Case) -> None:
    session.execute(_INSERT_CASE, {"application_id": case.application_id, **_case_values(case)})


def save_case(session: Session, case: Case) -> None:
    session.execute(_UPDATE_CASE, {"key": case.application_id, **_progress_values(case)})


_CASE_EXISTS = select(cases.c.application_id).where(cases.c.application_id == bindparam("key"))
_CASE_PROGRESS = (
    select(cases.c.state, cases.c.attempts, cases.c.latest_report_id)
    .where(cases.c.application_id == bindparam("key"))
    .with_for_update()
)


def case_exists(session: Session, application_id: str) -> bool:
    return session.execute(_CASE_EXISTS, {"key": application_id}).first() is not None


def case_progress(session: Session, application_id: str) -> tuple[CaseState, int, str] | None:
    """(state, attempts, latest report) of a case, locked for update; None for an unknown case."""
    row = session.execute(_CASE_PROGRESS, {"key": application_id}).first()
    return None if row is None else (CaseState(row.state), row.attempts, row.latest_report_id)


def get_case(session: Session, application_id: str, *, for_update: bool = False) -> Case | None:
    query = _GET_CASE_FOR_UPDATE if for_update else _GET_CASE
    row = session.execute(query, {"key": application_id}).one_or_none()
    return None if row is None else _case_from_row(row)


def _due(now: datetime) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (
        cases.c.state.in_([s.value for s in RUNNABLE]),
        or_(cases.c.next_attempt_at.is_(None), cases.c.next_attempt_at <= now),
    )


def any_due(session: Session, now: datetime) -> bool:
    return session.execute(select(cases.c.application_id).where(*_due(now)).limit(1)).first() is not None


def due_cases(session: Session, now: datetime, limit: int) -> list[Case]:
    """Runnable cases whose time has come, oldest first; PostgreSQL skips rows other workers hold."""
    query = (
        select(cases)
        .where(*_due(now))
        .order_by(cases.c.next_attempt_at, cases.c.application_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [_case_from_row(row) for row in session.execute(query).all()]


def _fraction(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def _item_body(item: Item) -> dict[str, Any]:
    # Written field by field: dataclasses.asdict deep-copies every value and dominates a report's cost.
    return {
        "member_index": item.member_index,
        "source": item.source,
        "item": item.item,
        "amount_fen": item.amount_fen,
        "attributes": [list(pair) for pair in item.attributes],
        "as_of": item.as_of.isoformat() if item.as_of else None,
        "overridden_by": item.overridden_by,
    }


def _report_body(report: Report) -> str:
    income = None
    if report.income is not None:
        income = {
            **asdict(report.income),
            "employment_deduction_fen": _fraction(report.income.employment_deduction_fen),
            "deductions_fen": _fraction(report.income.deductions_fen),
            "per_capita_monthly_fen": _fraction(report.income.per_capita_monthly_fen),
        }
    return json.dumps(
        {
            "policy_version": report.policy_version,
            "items": [_item_body(i) for i in report.items],
            "missing": [
                {"member_index": m.member_index, "source": m.source, "error": m.error} for m in report.missing
            ],
            "unclassified": [i.item for i in report.unclassified],
            "income": income,
            "band": report.band.value if report.band else None,
            "assets": [asdict(t) for t in report.assets],
            "marginal_household": report.marginal_household,
            "monthly_standard_fen": _fraction(report.monthly_standard_fen)
            if report.monthly_standard_fen is not None
            else None,
            "purpose": report.purpose,
            "review_id": report.review_id,
        },
        ensure_ascii=False,
    )


_INSERT_REPORT = insert(reports)


def insert_report(session: Session, report: Report) -> None:
    session.execute(
        _INSERT_REPORT,
        {
            "report_id": report.report_id,
            "application_id": report.application_id,
            "state": report.state.value,
            "counted_members": report.counted_members,
            "gross_income_fen": report.income.gross_fen if report.income else 0,
            "deductions_fen": int(report.income.deductions_fen) if report.income else 0,
            "body": _report_body(report),
            "produced_at": report.produced_at,
            "valid_until": report.valid_until,
        },
    )


def _item(data: dict[str, Any]) -> Item:
    return Item(
        member_index=data["member_index"],
        source=data["source"],
        item=data["item"],
        amount_fen=data["amount_fen"],
        attributes=tuple(tuple(pair) for pair in data["attributes"]),  # type: ignore[misc]
        as_of=date.fromisoformat(data["as_of"]) if data["as_of"] else None,
        overridden_by=data["overridden_by"],
    )


def _report_from_row(row: Any) -> Report:
    body = json.loads(row.body)
    items = tuple(_item(i) for i in body["items"])
    income = None
    if body["income"] is not None:
        data = body["income"]
        income = IncomeAssessment(
            counted_members=data["counted_members"],
            period_months=data["period_months"],
            gross_fen=data["gross_fen"],
            wage_fen=data["wage_fen"],
            employment_deduction_fen=Fraction(data["employment_deduction_fen"]),
            rigid_deductions_fen=data["rigid_deductions_fen"],
            deductions_fen=Fraction(data["deductions_fen"]),
            per_capita_monthly_fen=Fraction(data["per_capita_monthly_fen"]),
            lines=tuple(data["lines"]),
        )
    return Report(
        report_id=row.report_id,
        application_id=row.application_id,
        state=ReportState(row.state),
        policy_version=body["policy_version"],
        counted_members=row.counted_members,
        items=items,
        missing=tuple(MissingSource(**m) for m in body["missing"]),
        unclassified=tuple(i for i in items if i.item in set(body["unclassified"])),
        produced_at=row.produced_at,
        valid_until=row.valid_until,
        income=income,
        band=IncomeBand(body["band"]) if body["band"] else None,
        assets=tuple(AssetTest(t["rule"], Outcome(t["outcome"]), t["reason"]) for t in body["assets"]),
        marginal_household=body["marginal_household"],
        monthly_standard_fen=Fraction(body["monthly_standard_fen"]) if body["monthly_standard_fen"] else None,
        purpose=body.get("purpose", CheckPurpose.APPLICATION.value),
        review_id=body.get("review_id", ""),
    )


def get_report(session: Session, report_id: str) -> Report | None:
    row = session.execute(select(reports).where(reports.c.report_id == report_id)).one_or_none()
    return None if row is None else _report_from_row(row)


def insert_survey(
    session: Session,
    *,
    survey_id: str,
    application_id: str,
    surveyors: tuple[str, ...],
    findings: str,
    overrides: tuple[Override, ...],
    recorded_by: str,
    recorded_at: datetime,
) -> None:
    session.execute(
        insert(surveys).values(
            survey_id=survey_id,
            application_id=application_id,
            body=json.dumps(
                {
                    "surveyors": list(surveyors),
                    "findings": findings,
                    "overrides": [asdict(o) for o in overrides],
                },
                ensure_ascii=False,
            ),
            recorded_by=recorded_by,
            recorded_at=recorded_at,
        )
    )


_SURVEYS_OF = (
    select(surveys.c.body).where(surveys.c.application_id == bindparam("key")).order_by(surveys.c.recorded_at)
)


def _overrides(bodies: Iterable[str]) -> tuple[Override, ...]:
    result: list[Override] = []
    for body in bodies:
        for data in json.loads(body)["overrides"]:
            data["attributes"] = tuple(tuple(pair) for pair in data["attributes"])
            result.append(Override(**data))
    return tuple(result)


def overrides_for(session: Session, application_id: str) -> tuple[Override, ...]:
    """Every override the case's surveys recorded, oldest first, so a later survey wins."""
    return _overrides(row.body for row in session.execute(_SURVEYS_OF, {"key": application_id}).all())


def overrides_of(session: Session, application_ids: Sequence[str]) -> dict[str, tuple[Override, ...]]:
    """``overrides_for`` of many cases in one query; cases without a survey are left out."""
    if not application_ids:
        return {}
    rows = session.execute(
        select(surveys.c.application_id, surveys.c.body)
        .where(surveys.c.application_id.in_(application_ids))
        .order_by(surveys.c.recorded_at)
    ).all()
    bodies: dict[str, list[str]] = {}
    for row in rows:
        bodies.setdefault(row.application_id, []).append(row.body)
    return {key: _overrides(found) for key, found in bodies.items()}


def insert_dispute(
    session: Session,
    *,
    dispute_id: str,
    report_id: str,
    application_id: str,
    body: dict[str, Any],
    recheck_due: date,
    created_at: datetime,
) -> None:
    session.execute(
        insert(disputes).values(
            dispute_id=dispute_id,
            report_id=report_id,
            application_id=application_id,
            body=json.dumps(body, ensure_ascii=False),
            state="OPEN",
            recheck_due=recheck_due,
            created_at=created_at,
            resolved_report_id="",
        )
    )


_RESOLVE_DISPUTES = (
    update(disputes)
    .where(disputes.c.application_id == bindparam("key"), disputes.c.state == "OPEN")
    .values(state="RECHECKED", resolved_report_id=bindparam("report"))
)


def resolve_disputes(session: Session, application_id: str, report_id: str) -> int:
    result = session.execute(_RESOLVE_DISPUTES, {"key": application_id, "report": report_id})
    return int(result.rowcount or 0)


def missing_sources_of(session: Session, report_id: str) -> set[str] | None:
    """The sources a report lacked (empty when it was complete); None when there is no such report."""
    if not report_id:
        return None
    row = session.execute(select(reports.c.body).where(reports.c.report_id == report_id)).one_or_none()
    if row is None:
        return None
    return {missing["source"] for missing in json.loads(row.body)["missing"]}
