"""Reading and writing cases, decisions, notices, entitlements, appeals and parameter versions; never commits.

Domain objects are kept as JSON in each row's ``body``; the other columns repeat what queries filter on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import String, bindparam, func, insert, select, type_coerce, update
from sqlalchemy.orm import Session

from doudi_common.bank_account import PayeeAccount
from doudi_common.disability import Disability, DisabilityType
from doudi_common.period import Period
from doudi_eligibility.domain.case_file import (
    Applicant,
    ApplicationFacts,
    EventFacts,
    MemberFindings,
    PersonFacts,
    ReportFacts,
    SurveyFacts,
)
from doudi_eligibility.domain.explain import Category, Programme
from doudi_eligibility.domain.machines.entitlement import Entitlement, State
from doudi_eligibility.domain.machines.procedure import Case, Step
from doudi_eligibility.domain.rules.children import Parent, ParentStatus
from doudi_eligibility.domain.rules.dibao_changes import TerminationReason
from doudi_eligibility.domain.rules.facts import HouseholdType
from doudi_eligibility.domain.rules.tekun import Relation, Relative, SupportMode
from doudi_eligibility.domain.rules.temporary_assistance import Severity
from doudi_eligibility.store.tables import (
    appeals,
    applications,
    audit_log,
    cases,
    decisions,
    entitlement_persons,
    entitlements,
    notices,
    objections,
    parameter_versions,
    ta_advances,
    ta_events,
)
from doudi_runtime.store.sealed import field_crypto, matches_any


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Period):
        return str(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    return value


def dumps(value: Any) -> str:
    return json.dumps(_plain(value), ensure_ascii=False, sort_keys=True)


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _month(text: str | None) -> Period | None:
    return None if text is None else Period.parse(text)


def _run(session: Session, statement: Any, parameters: Any = None) -> Any:
    """A Core statement on the transaction's connection: the ORM session adds nothing to it but time."""
    return session.connection().execute(statement, parameters)


# -- the case file ------------------------------------------------------------------------------


def application_from(data: dict[str, Any]) -> ApplicationFacts:
    return ApplicationFacts(
        application_id=data["application_id"],
        programme=data["programme"],
        township=data["township"],
        region=data["region"],
        household_type=HouseholdType(data["household_type"]),
        members=tuple(Applicant(**m) for m in data["members"]),
        accepted_at=datetime.fromisoformat(data["accepted_at"]),
        payee=PayeeAccount(**data["payee"]) if data.get("payee") else None,
    )


def report_from(data: dict[str, Any]) -> ReportFacts:
    return ReportFacts(
        report_id=data["report_id"],
        policy_version=data["policy_version"],
        gross_income_fen=data["gross_income_fen"],
        members=tuple(MemberFindings(**m) for m in data["members"]),
        assets=tuple(tuple(a) for a in data["assets"]),  # type: ignore[misc]
    )


def _disability_from(data: dict[str, Any] | None) -> Disability | None:
    if data is None:
        return None
    return Disability(DisabilityType(data["type"]), data["grade"], data["certificate_valid"])


def _parent_from(data: dict[str, Any] | None) -> Parent | None:
    if data is None:
        return None
    return Parent(ParentStatus(data["status"]), data["months"], _disability_from(data["disability"]))


def _person_from(data: dict[str, Any] | None) -> PersonFacts | None:
    if data is None:
        return None
    obligors = tuple(
        Relative(
            **{
                **r,
                "relation": Relation(r["relation"]),
                "disability": _disability_from(r["disability"]),
            }
        )
        for r in data["obligors"]
    )
    return PersonFacts(
        **{
            **data,
            "support_mode": SupportMode(data["support_mode"]),
            "obligors": obligors,
            "father": _parent_from(data["father"]),
            "mother": _parent_from(data["mother"]),
        }
    )


def _event_from(data: dict[str, Any] | None) -> EventFacts | None:
    if data is None:
        return None
    return EventFacts(data["event_key"], Severity(**data["severity"]), data["out_of_pocket_fen"])


def _survey_from(data: dict[str, Any] | None) -> SurveyFacts | None:
    if data is None:
        return None
    return SurveyFacts(
        **{
            **data,
            "surveyors": tuple(data["surveyors"]),
            "person": _person_from(data.get("person")),
            "temporary_assistance": _event_from(data.get("temporary_assistance")),
        }
    )


def _case_from(data: dict[str, Any]) -> Case:
    return Case(
        case_id=data["case_id"],
        step=Step(data["step"]),
        accepted_on=date.fromisoformat(data["accepted_on"]),
        report_done=data["report_done"],
        survey_done=data["survey_done"],
        positive_opinion=data["positive_opinion"],
        notice_start=_day(data["notice_start"]),
        notice_end=_day(data["notice_end"]),
        objections=data["objections"],
        county_survey_required=data["county_survey_required"],
        county_survey_done=data["county_survey_done"],
        extension_reason=data["extension_reason"],
        decided_on=_day(data["decided_on"]),
        short=data.get("short", False),
        returns=data.get("returns", 0),
        federation_review_required=data.get("federation_review_required", False),
        federation_confirmed=data.get("federation_confirmed"),
        county_survey_mandatory=data.get("county_survey_mandatory", False),
        recused=tuple(data.get("recused", ())),
    )


@dataclass(frozen=True)
class StoredFile:
    """The parts of a case file as they were read, with their JSON: saving the case writes a part that is
    still the one read (the same object, and the objects are immutable) from its JSON, not serialised anew."""

    application: ApplicationFacts
    report: ReportFacts | None
    survey: SurveyFacts | None
    #: The case's body as decoded.
    body: dict[str, Any]


@dataclass(frozen=True)
class CaseRecord:
    """A case in the procedure with its file: what the rules assess and what the steps produced."""

    case: Case
    application: ApplicationFacts
    report: ReportFacts | None
    survey: SurveyFacts | None
    deadline: date
    opinion_id: str = ""
    notice_id: str = ""
    decision_id: str = ""
    entitlement_id: str = ""
    #: The file as read from the store (None for a case made here); not part of the case's value.
    stored: StoredFile | None = field(default=None, compare=False, repr=False)

    @property
    def application_id(self) -> str:
        return self.application.application_id


def _file_part(record: CaseRecord, name: str) -> Any:
    value, stored = getattr(record, name), record.stored
    return stored.body[name] if stored is not None and getattr(stored, name) is value else _plain(value)


def _case_values(record: CaseRecord, now: datetime) -> dict[str, Any]:
    body = {
        "case": _plain(record.case),
        "application": _file_part(record, "application"),
        "report": _file_part(record, "report"),
        "survey": _file_part(record, "survey"),
        "opinion_id": record.opinion_id,
        "notice_id": record.notice_id,
    }
    return {
        "programme": record.application.programme,
        "region": record.application.region,
        "step": record.case.step.value,
        "accepted_at": record.application.accepted_at,
        "deadline": record.deadline,
        "decision_id": record.decision_id,
        "entitlement_id": record.entitlement_id,
        "body": json.dumps(body, ensure_ascii=False, sort_keys=True),
        "updated_at": now,
    }


def _case_record(row: Any) -> CaseRecord:
    body = json.loads(row.body)
    application = application_from(body["application"])
    report = report_from(body["report"]) if body["report"] else None
    survey = _survey_from(body["survey"])
    return CaseRecord(
        case=_case_from(body["case"]),
        application=application,
        report=report,
        survey=survey,
        deadline=row.deadline,
        opinion_id=body["opinion_id"],
        notice_id=body["notice_id"],
        decision_id=row.decision_id,
        entitlement_id=row.entitlement_id,
        stored=StoredFile(application, report, survey, body),
    )


# The statements of the procedure's hot path are built once: building one costs more than running it.
_CASE = select(cases).where(cases.c.application_id == bindparam("key"))
_CASE_FOR_UPDATE = _CASE.with_for_update()
_SAVE_CASE = update(cases).where(cases.c.application_id == bindparam("key"))
_INSERT_CASE = insert(cases)


def insert_case(session: Session, record: CaseRecord, now: datetime) -> None:
    _run(session, _INSERT_CASE, {"application_id": record.application_id, **_case_values(record, now)})


def save_case(session: Session, record: CaseRecord, now: datetime) -> None:
    _run(session, _SAVE_CASE, {"key": record.application_id, **_case_values(record, now)})


def get_case(session: Session, application_id: str, *, for_update: bool = False) -> CaseRecord | None:
    query = _CASE_FOR_UPDATE if for_update else _CASE
    row = _run(session, query, {"key": application_id}).one_or_none()
    return None if row is None else _case_record(row)


def get_case_and_fingerprint(
    session: Session, application_id: str
) -> tuple[CaseRecord | None, tuple[int, datetime | None]]:
    """The case, locked, and the published parameter versions' fingerprint (``published_fingerprint``) in
    one query: the step that assesses a case needs both."""
    row = _run(session, _CASE_AND_FINGERPRINT, {"key": application_id}).one_or_none()
    if row is None:
        return None, published_fingerprint(session)
    return _case_record(row), (int(row.published_count), row.published_last)


def list_cases(
    session: Session,
    *,
    step: str | None,
    overdue_on: date | None,
    after: str | None,
    limit: int,
    region_prefix: str = "",
) -> list[CaseRecord]:
    """Cases by application id; ``region_prefix`` keeps those of households residing within a region."""
    query = select(cases).order_by(cases.c.application_id).limit(limit)
    if region_prefix:
        query = query.where(cases.c.region.startswith(region_prefix, autoescape=True))
    if step:
        query = query.where(cases.c.step == step)
    if overdue_on is not None:
        final = [Step.APPROVED.value, Step.REJECTED.value, Step.WITHDRAWN.value]
        query = query.where(cases.c.deadline < overdue_on, cases.c.step.not_in(final))
    if after:
        query = query.where(cases.c.application_id > after)
    return [_case_record(row) for row in session.execute(query)]


def cases_with_notice_ended(session: Session, before: date, limit: int) -> list[str]:
    rows = session.execute(
        select(notices.c.application_id)
        .where(notices.c.state == "POSTED", notices.c.ends_on < before)
        .order_by(notices.c.ends_on)
        .limit(limit)
    )
    return [row.application_id for row in rows]


# -- applications waiting for their case ---------------------------------------------------------


def get_pending(session: Session, application_id: str) -> Any:
    return session.execute(
        select(applications).where(applications.c.application_id == application_id).with_for_update()
    ).one_or_none()


def put_pending(session: Session, application_id: str, now: datetime, **values: Any) -> None:
    if get_pending(session, application_id) is None:
        defaults: dict[str, Any] = {"application": None, "report": None, "withdrawn": False}
        session.execute(
            insert(applications).values(
                application_id=application_id, updated_at=now, **{**defaults, **values}
            )
        )
    else:
        session.execute(
            update(applications)
            .where(applications.c.application_id == application_id)
            .values(updated_at=now, **values)
        )


# -- decisions and notices -----------------------------------------------------------------------


def insert_decision(
    session: Session,
    *,
    decision_id: str,
    application_id: str,
    stage: str,
    programme: str,
    outcome: str,
    decided_at: datetime,
    body: bytes,
) -> None:
    _run(
        session,
        _INSERT_DECISION,
        {
            "decision_id": decision_id,
            "application_id": application_id,
            "stage": stage,
            "programme": programme,
            "outcome": outcome,
            "decided_at": decided_at,
            "body": body,
        },
    )


_INSERT_DECISION = insert(decisions)
_DECISION = select(decisions).where(decisions.c.decision_id == bindparam("key"))
_INSERT_NOTICE = insert(notices)


def get_decision(session: Session, decision_id: str) -> Any:
    return _run(session, _DECISION, {"key": decision_id}).one_or_none()


def insert_notice(
    session: Session, notice_id: str, application_id: str, starts_on: date, ends_on: date, body: str
) -> None:
    _run(
        session,
        _INSERT_NOTICE,
        {
            "notice_id": notice_id,
            "application_id": application_id,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "state": "POSTED",
            "body": body,
        },
    )


def get_notice(session: Session, notice_id: str) -> Any:
    return session.execute(select(notices).where(notices.c.notice_id == notice_id)).one_or_none()


def set_notice_state(session: Session, notice_id: str, state: str) -> None:
    session.execute(update(notices).where(notices.c.notice_id == notice_id).values(state=state))


def insert_objection(session: Session, **values: Any) -> None:
    session.execute(insert(objections).values(**values))


# -- entitlements --------------------------------------------------------------------------------


#: An entitlement's fields but the one before it; and the types stored as they are (the rest via ``_plain``).
_ENTITLEMENT_FIELDS = tuple(f.name for f in fields(Entitlement) if f.name != "previous")
_AS_IS = frozenset({str, int, bool, type(None)})


def _entitlement_plain(
    entitlement: Entitlement, depth: int = 1, stored: StoredEntitlement | None = None
) -> dict[str, Any]:
    if not depth and stored is not None and entitlement is stored.entitlement:
        # The state before this change, as read: its JSON is at hand.
        return {**stored.data, "previous": None}
    data = {}
    for name in _ENTITLEMENT_FIELDS:
        value = getattr(entitlement, name)
        data[name] = value if type(value) in _AS_IS else _plain(value)
    # One step back is what an appeal can reverse; older states live in the audit log.
    data["previous"] = (
        _entitlement_plain(entitlement.previous, depth - 1, stored)
        if entitlement.previous and depth
        else None
    )
    return data


def _entitlement_from(data: dict[str, Any] | None) -> Entitlement | None:
    if data is None:
        return None
    reason = data["termination_reason"]
    return Entitlement(
        entitlement_id=data["entitlement_id"],
        programme=Programme(data["programme"]),
        state=State(data["state"]),
        monthly_amount_fen=data["monthly_amount_fen"],
        start_month=Period.parse(data["start_month"]),
        gradual_exit_last_month=_month(data["gradual_exit_last_month"]),
        suspended_from=_month(data["suspended_from"]),
        termination_reason=TerminationReason(reason) if reason else None,
        termination_notice_start=_day(data["termination_notice_start"]),
        terminated_from=_month(data["terminated_from"]),
        changed_from=_month(data.get("changed_from")),
        previous=_entitlement_from(data["previous"]),
        reviewed_with_dibao=_month(data.get("reviewed_with_dibao")),
    )


@dataclass(frozen=True)
class StoredEntitlement:
    """An entitlement as read with its JSON: the state before a change is written from it, not anew."""

    entitlement: Entitlement
    data: dict[str, Any]


@dataclass(frozen=True)
class EntitlementRecord:
    entitlement: Entitlement
    application_id: str
    subject_id: str
    region: str
    payee_name: str
    category: Category | None
    parameter_version: str
    last_decision_id: str
    #: The persons the entitlement pays for (its counted members, or the one beneficiary), by ID number.
    persons: tuple[str, ...] = ()
    #: The co-resident members the application declared, counted or not, by ID number (DOMAIN §5.7: the
    #: electricity subsidy is once per household); empty for an entitlement recorded before they were kept.
    household: tuple[str, ...] = ()
    #: The monthly amount by component (e.g. Tekun BASE and CARE) when it has more than one.
    components: tuple[tuple[str, int], ...] = ()
    #: The account paid into (DOMAIN §11.1); empty when none is on record and payments must wait.
    payee_account: str = ""
    payee_bank: str = ""
    payee_guardian: str = ""
    #: §12.2: a near relative of staff is registered for the application (the staff are in the archive).
    near_relative: bool = False
    #: The entitlement as read from the store (None for one made here); not part of the record's value.
    stored: StoredEntitlement | None = field(default=None, compare=False, repr=False)

    @property
    def entitlement_id(self) -> str:
        return self.entitlement.entitlement_id

    def moved(self, entitlement: Entitlement, decision_id: str, **changes: Any) -> EntitlementRecord:
        return replace(self, entitlement=entitlement, last_decision_id=decision_id, **changes)


def _entitlement_values(record: EntitlementRecord, now: datetime) -> dict[str, Any]:
    body = {
        "entitlement": _entitlement_plain(record.entitlement, stored=record.stored),
        "payee_name": record.payee_name,
        "payee_account": record.payee_account,
        "payee_bank": record.payee_bank,
        "payee_guardian": record.payee_guardian,
        "category": record.category.value if record.category else None,
        "persons": list(record.persons),
        "household": list(record.household),
        "components": [list(c) for c in record.components],
    }
    e = record.entitlement
    return {
        "application_id": record.application_id,
        "subject_id": record.subject_id,
        "programme": e.programme.value,
        "region": record.region,
        "state": e.state.value,
        "monthly_amount_fen": e.monthly_amount_fen,
        "parameter_version": record.parameter_version,
        "last_decision_id": record.last_decision_id,
        "body": json.dumps(body, ensure_ascii=False, sort_keys=True),
        "updated_at": now,
        "near_relative": record.near_relative,
    }


def _entitlement_record(row: Any) -> EntitlementRecord:
    body = json.loads(row.body)
    entitlement = _entitlement_from(body["entitlement"])
    assert entitlement is not None
    stored = StoredEntitlement(entitlement, body["entitlement"])
    return EntitlementRecord(
        entitlement=entitlement,
        application_id=row.application_id,
        subject_id=row.subject_id,
        region=row.region,
        payee_name=body["payee_name"],
        category=Category(body["category"]) if body["category"] else None,
        parameter_version=row.parameter_version,
        last_decision_id=row.last_decision_id,
        persons=tuple(body.get("persons", ())),
        household=tuple(body.get("household", ())),
        components=tuple((str(c[0]), int(c[1])) for c in body.get("components", ())),
        payee_account=body.get("payee_account", ""),
        payee_bank=body.get("payee_bank", ""),
        payee_guardian=body.get("payee_guardian", ""),
        near_relative=bool(row.near_relative),
        stored=stored,
    )


def save_entitlements(session: Session, saved: list[EntitlementRecord], now: datetime) -> None:
    """Many entitlements in one executemany (bulk re-determination)."""
    if not saved:
        return
    values = [{"key": r.entitlement_id, **_entitlement_values(r, now)} for r in saved]
    columns = {name: bindparam(name) for name in values[0] if name != "key"}
    session.execute(
        update(entitlements).where(entitlements.c.entitlement_id == bindparam("key")).values(**columns),
        values,
        execution_options={"synchronize_session": False},
    )


def insert_entitlement(session: Session, record: EntitlementRecord, now: datetime) -> None:
    session.execute(
        insert(entitlements).values(entitlement_id=record.entitlement_id, **_entitlement_values(record, now))
    )
    if record.persons:
        session.execute(
            insert(entitlement_persons),
            [
                {"entitlement_id": record.entitlement_id, "person_id": p, "person_id_hash": p}
                for p in record.persons
            ],
        )


def record_advance(
    session: Session, advance_id: str, case_reference: str, person_id: str, amount_fen: int, paid_at: datetime
) -> bool:
    """An advance paid from a township's reserve fund; the same advance again changes nothing (False)."""
    found = session.execute(
        select(ta_advances.c.advance_id).where(ta_advances.c.advance_id == advance_id)
    ).first()
    if found is None:
        session.execute(
            insert(ta_advances).values(
                advance_id=advance_id,
                case_reference=case_reference,
                person_id=person_id,
                amount_fen=amount_fen,
                paid_at=paid_at,
            )
        )
    return found is None


def advances_for(session: Session, references: tuple[str, ...], person_ids: tuple[str, ...]) -> int:
    """What was advanced under any of ``references`` to any of ``person_ids``, in fen."""
    total = session.execute(
        select(func.coalesce(func.sum(ta_advances.c.amount_fen), 0)).where(
            ta_advances.c.case_reference.in_(references), ta_advances.c.person_id.in_(person_ids)
        )
    ).scalar()
    return int(total or 0)


def record_ta_event(
    session: Session, application_id: str, person_ids: tuple[str, ...], event_key: str, applied_in: Period
) -> None:
    session.execute(
        insert(ta_events),
        [
            {
                "application_id": application_id,
                "person_id": p,
                "person_id_hash": p,
                "event_key": event_key,
                "applied_in": str(applied_in),
            }
            for p in dict.fromkeys(person_ids)
        ],
    )


def last_ta_event(
    session: Session, person_ids: tuple[str, ...], event_key: str, other_than: str
) -> Period | None:
    """The month of the latest approved application for the same event by any of the persons."""
    latest = session.execute(
        select(func.max(ta_events.c.applied_in)).where(
            matches_any(ta_events.c.person_id_hash, list(person_ids)),
            ta_events.c.event_key == event_key,
            ta_events.c.application_id != other_than,
        )
    ).scalar()
    return None if latest is None else Period.parse(latest)


_HELD_BY_PERSONS = (
    select(type_coerce(entitlement_persons.c.person_id_hash, String).label("digest"), entitlements)
    .join(entitlements, entitlements.c.entitlement_id == entitlement_persons.c.entitlement_id)
    .where(
        type_coerce(entitlement_persons.c.person_id_hash, String).in_(bindparam("digests", expanding=True)),
        entitlements.c.state.in_(bindparam("states", expanding=True)),
    )
    .order_by(entitlements.c.entitlement_id)
)


def entitlements_of_persons(
    session: Session, person_ids: tuple[str, ...], states: tuple[str, ...]
) -> dict[str, list[EntitlementRecord]]:
    """Per person, the entitlements in ``states`` that pay for them (the §5.8 matrix reads these)."""
    if not person_ids:
        return {}
    # Found by the keyed hashes of the ID numbers (every key of the ring while keys rotate), and told apart by
    # them, so no sealed ID number is opened on the way.
    hasher, context = field_crypto().hasher, entitlement_persons.c.person_id_hash.type.context
    person_of = {d: p for p in dict.fromkeys(person_ids) for d in hasher.digests(p, context=context)}
    rows = _run(session, _HELD_BY_PERSONS, {"digests": list(person_of), "states": list(states)}).all()
    found: dict[str, list[EntitlementRecord]] = {}
    for row in rows:
        found.setdefault(person_of[row.digest], []).append(_entitlement_record(row))
    return found


def save_entitlement(session: Session, record: EntitlementRecord, now: datetime) -> None:
    session.execute(
        update(entitlements)
        .where(entitlements.c.entitlement_id == record.entitlement_id)
        .values(**_entitlement_values(record, now))
    )


def get_entitlement(
    session: Session, entitlement_id: str, *, for_update: bool = False
) -> EntitlementRecord | None:
    query = select(entitlements).where(entitlements.c.entitlement_id == entitlement_id)
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).one_or_none()
    return None if row is None else _entitlement_record(row)


def entitlements_of_application(session: Session, application_id: str) -> list[EntitlementRecord]:
    rows = session.execute(
        select(entitlements)
        .where(entitlements.c.application_id == application_id)
        .order_by(entitlements.c.entitlement_id)
        .with_for_update()
    )
    return [_entitlement_record(row) for row in rows]


def entitlement_by_decision(session: Session, decision_id: str) -> EntitlementRecord | None:
    row = session.execute(
        select(entitlements).where(entitlements.c.last_decision_id == decision_id).with_for_update()
    ).one_or_none()
    return None if row is None else _entitlement_record(row)


def list_entitlements(
    session: Session, *, state: str | None, after: str | None, limit: int, region_prefix: str = ""
) -> list[EntitlementRecord]:
    """Entitlements by id; ``region_prefix`` keeps those paid by a region."""
    query = select(entitlements).order_by(entitlements.c.entitlement_id).limit(limit)
    if region_prefix:
        query = query.where(entitlements.c.region.startswith(region_prefix, autoescape=True))
    if state:
        query = query.where(entitlements.c.state == state)
    if after:
        query = query.where(entitlements.c.entitlement_id > after)
    return [_entitlement_record(row) for row in session.execute(query)]


def due_to_activate(session: Session, limit: int) -> list[EntitlementRecord]:
    rows = session.execute(
        select(entitlements).where(entitlements.c.state == State.PENDING_START.value).limit(limit)
    )
    return [_entitlement_record(row) for row in rows]


# -- appeals -------------------------------------------------------------------------------------


def insert_appeal(
    session: Session, appeal_id: str, decision_id: str, body: dict[str, Any], at: datetime
) -> None:
    session.execute(
        insert(appeals).values(
            appeal_id=appeal_id, decision_id=decision_id, state="FILED", body=dumps(body), filed_at=at
        )
    )


def get_appeal(session: Session, appeal_id: str) -> Any:
    return session.execute(
        select(appeals).where(appeals.c.appeal_id == appeal_id).with_for_update()
    ).one_or_none()


def close_appeal(session: Session, appeal_id: str, state: str, body: dict[str, Any]) -> None:
    session.execute(
        update(appeals).where(appeals.c.appeal_id == appeal_id).values(state=state, body=dumps(body))
    )


# -- parameter versions --------------------------------------------------------------------------


def insert_parameter_version(
    session: Session, *, set_id: str, region: str, effective_from: date, text: str, by: str, at: datetime
) -> None:
    session.execute(
        insert(parameter_versions).values(
            set_id=set_id,
            region=region,
            effective_from=effective_from,
            text=text,
            published_by=by,
            published_at=at,
        )
    )


def published_versions(session: Session) -> list[Any]:
    return list(session.execute(select(parameter_versions).order_by(parameter_versions.c.set_id)))


_FINGERPRINT = select(func.count(), func.max(parameter_versions.c.published_at)).select_from(
    parameter_versions
)
_CASE_AND_FINGERPRINT = (
    select(
        cases,
        select(func.count()).select_from(parameter_versions).scalar_subquery().label("published_count"),
        select(func.max(parameter_versions.c.published_at)).scalar_subquery().label("published_last"),
    )
    .where(cases.c.application_id == bindparam("key"))
    .with_for_update(of=cases)
)


def published_fingerprint(session: Session) -> tuple[int, datetime | None]:
    """How many versions are published and the newest publication time: a cheap staleness check."""
    row = _run(session, _FINGERPRINT).one()
    return int(row[0]), row[1]


# -- audit ---------------------------------------------------------------------------------------


def audit_many(session: Session, entries: list[dict[str, Any]]) -> None:
    if entries:
        session.execute(insert(audit_log), [{**e, "detail": dumps(e["detail"])} for e in entries])


def audit(
    session: Session, *, subject_id: str, action: str, role: str, actor_id: str, at: datetime, detail: Any
) -> None:
    _run(
        session,
        _INSERT_AUDIT,
        {
            "subject_id": subject_id,
            "action": action,
            "actor_role": role,
            "actor_id": actor_id,
            "at": at,
            "detail": dumps(detail),
        },
    )


_INSERT_AUDIT = insert(audit_log)


def last_audit_detail(session: Session, subject_id: str, action: str) -> dict[str, Any] | None:
    """The detail of the latest ``action`` in a subject's history (a retried command answers from it)."""
    detail = session.execute(
        select(audit_log.c.detail)
        .where(audit_log.c.subject_id == subject_id, audit_log.c.action == action)
        .order_by(audit_log.c.id.desc())
        .limit(1)
    ).scalar()
    return None if detail is None else json.loads(detail)
