"""Use-cases of the application procedure (DOMAIN §5.1.7, §6, §7.2): a case opens when both the accepted
application and its verification report are in; the township surveys, reviews and gives its opinion; a
positive opinion is posted for 7 days; the county (or a delegated township) decides, with a written notice.

Every step is a domain transition taken by a role the machine allows; each runs in one transaction with its
audit record and its events (transactional outbox) and is idempotent on the request_id.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from google.protobuf.message import Message
from sqlalchemy.orm import Session

from doudi.eligibility.v1 import eligibility_pb2, events_pb2
from doudi_common.calendar import WorkingDayCalendar, china_date, load_cn_calendar
from doudi_common.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound
from doudi_common.ids import new_id
from doudi_common.masking import mask_id_number
from doudi_common.parameters import Parameters
from doudi_common.period import Period
from doudi_eligibility.app import temporary_assistance as ta_lifecycle
from doudi_eligibility.app.common import (
    DECISIONS,
    TIME_TO_DECISION,
    TOPIC_DECISIONS,
    TOPIC_ENTITLEMENTS,
    Actor,
    Commands,
    require_text,
)
from doudi_eligibility.app.parameters import ParameterBook
from doudi_eligibility.domain.case_file import (
    ApplicationFacts,
    EventFacts,
    Holding,
    PersonFacts,
    ReportFacts,
    SurveyFacts,
    household_of,
)
from doudi_eligibility.domain.explain import Decision, Programme
from doudi_eligibility.domain.machines.entitlement import Entitlement, State
from doudi_eligibility.domain.machines.procedure import FINAL, Case, Step, in_county_sample
from doudi_eligibility.domain.machines.roles import Role, require_role
from doudi_eligibility.domain.notice import NoticeContext, decision_notice
from doudi_eligibility.domain.payee import entitlement_payee
from doudi_eligibility.domain.person_case import (
    PERSON_PROGRAMMES,
    SHORT_PROCEDURE,
    assess_person,
    assess_single_person_case,
    displaced_by,
    person_case_of,
)
from doudi_eligibility.domain.rules.delay_arrears import DecisionTiming, DelayArrears, delay_arrears
from doudi_eligibility.domain.rules.dibao import assess_dibao
from doudi_eligibility.domain.ta_case import TA_PROGRAMMES, Approver, TaCase, assess_ta_case, ta_event_of
from doudi_eligibility.events import mapping
from doudi_eligibility.store import records as store
from doudi_eligibility.store.records import CaseRecord, EntitlementRecord
from doudi_runtime.grpc.convert import programme_name

#: Programmes whose procedure this service runs end to end today: Dibao and Tekun (§7.2), the disability
#: subsidies and the child allowances (§7.5), temporary assistance (§7.4).
SUPPORTED = frozenset(
    {
        Programme.DIBAO.value,
        Programme.SINGLE_PERSON_DIBAO.value,
        *(p.value for p in PERSON_PROGRAMMES),
        *(p.value for p in TA_PROGRAMMES),
    }
)
#: Programmes whose case is about one person of the application (the survey names which).
_ONE_PERSON = frozenset({*PERSON_PROGRAMMES, Programme.SINGLE_PERSON_DIBAO})
#: Temporary assistance has no notice and no democratic review either (§7.4).
_SHORT = frozenset({*(p.value for p in SHORT_PROCEDURE), *(p.value for p in TA_PROGRAMMES)})
#: The two disability subsidies pass the disabled persons' federation's review before the decision (§7.5).
_FEDERATION_REVIEWED = frozenset(
    {Programme.DISABILITY_LIVING_SUBSIDY.value, Programme.SEVERE_DISABILITY_CARE_SUBSIDY.value}
)
#: Who approves temporary assistance, by the event total (§5.3.2, §7.4).
_TA_ROLES = {
    Approver.TOWNSHIP: frozenset({Role.TOWNSHIP, Role.COUNTY}),
    Approver.COUNTY: frozenset({Role.COUNTY}),
    Approver.COUNTY_MEETING: frozenset({Role.COUNTY}),
}
#: Entitlements that still pay (or will): what the stacking matrix and E5 look at.
_HELD_STATES = tuple(s.value for s in State if s is not State.TERMINATED)
_AUTHORITY = {Role.COUNTY: "县级人民政府民政部门", Role.TOWNSHIP: "乡镇人民政府（街道办事处）"}


@dataclass
class ProcedureUseCases:
    commands: Commands
    book: ParameterBook
    calendar: WorkingDayCalendar = field(default_factory=load_cn_calendar)

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.commands.clock

    @property
    def database(self):  # type: ignore[no-untyped-def]
        return self.commands.persistence.database

    def today(self) -> date:
        return china_date(self.clock())

    # -- facts from intake and verification --------------------------------------------------------

    def application_accepted(self, session: Session, facts: ApplicationFacts) -> None:
        """Intake accepted an application; a redelivery or a second acceptance changes nothing."""
        now = self.clock()
        pending = store.get_pending(session, facts.application_id)
        if pending is not None and pending.application is not None:
            return
        store.put_pending(session, facts.application_id, now, application=store.dumps(facts))
        self._open_if_ready(session, facts.application_id)

    def application_withdrawn(self, session: Session, application_id: str, reason: str) -> None:
        now = self.clock()
        store.put_pending(session, application_id, now, withdrawn=True)
        record = store.get_case(session, application_id, for_update=True)
        if record is None or record.case.step in FINAL:
            return
        withdrawn = replace(record, case=record.case.withdraw(Role.APPLICANT))
        store.save_case(session, withdrawn, now)
        self._audit(session, application_id, "withdrawn", Actor(Role.APPLICANT, "intake"), {"reason": reason})

    def report_ready(self, session: Session, application_id: str, report: ReportFacts) -> None:
        """A complete verification report: it opens the case, or replaces the report of an open case."""
        now = self.clock()
        record = store.get_case(session, application_id, for_update=True)
        if record is None:
            store.put_pending(session, application_id, now, report=store.dumps(report))
            self._open_if_ready(session, application_id)
            return
        if record.report and record.report.report_id == report.report_id:
            return
        if record.case.step in FINAL:
            return
        store.save_case(session, replace(record, report=report), now)
        self._audit(
            session, application_id, "report replaced", Actor.system(), {"report_id": report.report_id}
        )

    def _open_if_ready(self, session: Session, application_id: str) -> None:
        pending = store.get_pending(session, application_id)
        if pending is None or pending.application is None or pending.report is None or pending.withdrawn:
            return
        if store.get_case(session, application_id) is not None:
            return
        application = store.application_from(json.loads(pending.application))
        report = store.report_from(json.loads(pending.report))
        accepted_on = china_date(application.accepted_at)
        params = self.book.resolve(session, application.region, accepted_on)
        short = application.programme in _SHORT
        # Row 21: the county's sample is drawn once, at opening, under the parameters of the acceptance day.
        sampled = not short and in_county_sample(application_id, params)
        case = Case.accepted(
            application_id,
            accepted_on,
            short=short,
            county_survey_required=sampled,
            federation_review_required=application.programme in _FEDERATION_REVIEWED,
        )
        case = case.start_investigation(Role.SYSTEM)
        case = case.record_report(Role.VERIFICATION_CENTRE, params)
        record = CaseRecord(
            case=case,
            application=application,
            report=report,
            survey=None,
            deadline=case.deadline(params, self.calendar),
        )
        store.insert_case(session, record, self.clock())
        detail: dict[str, object] = {"report_id": report.report_id}
        if sampled:
            detail["county_survey"] = "SAMPLED"
        self._audit(session, application_id, "case opened", Actor.system(), detail)
        if Programme(application.programme) in TA_PROGRAMMES:
            masked = tuple(mask_id_number(m.id_number) for m in application.members)
            advanced = store.advances_for(session, (application_id,), masked)
            ta_lifecycle.on_case_opened(
                self.commands,
                session,
                application_id,
                application.programme,
                application.township,
                accepted_on,
                advanced,
            )

    def advance_paid(
        self,
        session: Session,
        advance_id: str,
        case_reference: str,
        person_id: str,
        amount_fen: int,
        paid_at: datetime,
    ) -> None:
        """Disbursement paid urgent advance aid from a township's reserve fund (§7.4): it counts toward the
        total of the event it was paid for, whether or not the case has opened yet. The person arrives
        masked, as disbursement announces it, and is matched against the case's members masked alike."""
        if store.record_advance(session, advance_id, case_reference, person_id, amount_fen, paid_at):
            ta_lifecycle.on_advance_paid(self.commands, session, case_reference, amount_fen)

    # -- the township's steps -------------------------------------------------------------------

    def record_home_survey(
        self,
        request_id: str,
        application_id: str,
        actor: Actor,
        surveyors: tuple[str, ...],
        findings: str,
        income_stable: bool,
        category_override: str,
        override_reason: str,
        person: PersonFacts | None = None,
        event: EventFacts | None = None,
    ) -> CaseRecord:
        violations: list[FieldViolation] = []
        staff = tuple(dict.fromkeys(s.strip() for s in surveyors if s.strip()))
        if len(staff) < 2:
            violations.append(FieldViolation("surveyor_ids", "a home survey needs at least two staff"))
        if not findings.strip():
            violations.append(FieldViolation("findings", "is required"))
        if category_override and not override_reason.strip():
            violations.append(
                FieldViolation("override_reason", "is required when the category is overridden")
            )
        if violations:
            raise InvalidArgument(violations)
        with self.database.transaction() as session:

            def perform() -> tuple[str, CaseRecord]:
                record = self.case_record(session, application_id)
                record.case.require_not_recused("record the home survey", actor.user_id, *staff)
                params = self.params_for(session, record)
                _require_findings(record.application, person, event)
                survey = SurveyFacts(
                    new_id("svy"),
                    staff,
                    findings.strip(),
                    income_stable,
                    category_override,
                    override_reason.strip(),
                    person,
                    event,
                )
                moved = replace(
                    record, survey=survey, case=record.case.record_home_survey(actor.role, params)
                )
                self.save_case(session, moved, "home survey recorded", actor, {"survey_id": survey.survey_id})
                return application_id, moved

            return self.commands.once(
                session,
                "RecordHomeSurvey",
                request_id,
                (
                    application_id,
                    staff,
                    findings,
                    income_stable,
                    category_override,
                    override_reason,
                    store.dumps(person),
                    store.dumps(event),
                ),
                perform,
                lambda ref: self.case_record(session, ref),
            )

    def record_democratic_review(
        self, request_id: str, application_id: str, actor: Actor, minutes: str
    ) -> CaseRecord:
        text = require_text(minutes, "minutes")
        with self.database.transaction() as session:

            def perform() -> tuple[str, CaseRecord]:
                record = self.case_record(session, application_id)
                record.case.require_not_recused("record the democratic review", actor.user_id)
                moved = replace(record, case=record.case.record_democratic_review(actor.role))
                self.save_case(session, moved, "democratic review recorded", actor, {"minutes": text})
                return application_id, moved

            return self.commands.once(
                session,
                "RecordDemocraticReview",
                request_id,
                (application_id, text),
                perform,
                lambda ref: self.case_record(session, ref),
            )

    def assess(
        self, request_id: str, application_id: str, report_id: str, actor: Actor
    ) -> eligibility_pb2.Decision:
        """Row 14–16: the rules give the initial opinion; a positive one is posted from the next day."""
        # The opinion's id is chosen first: the request_id is claimed for it without a lookup (run_once).
        opinion_id = new_id("dec")
        with self.database.transaction() as session:

            def perform() -> tuple[str, eligibility_pb2.Decision]:
                # The case and whether parameter versions were published since last seen: one query.
                if not application_id:
                    raise InvalidArgument.single("application_id", "is required")
                found, fingerprint = store.get_case_and_fingerprint(session, application_id)
                record = _found(found, application_id)
                record.case.require_not_recused("give an initial opinion", actor.user_id)
                if record.application.programme not in SUPPORTED:
                    raise FailedPrecondition(
                        f"programme {record.application.programme} is not assessed here yet"
                    )
                if report_id and record.report and record.report.report_id != report_id:
                    raise FailedPrecondition(
                        f"report {report_id!r} is not the case's latest report {record.report.report_id!r}"
                    )
                today = self.today()
                params = self.book.resolve(session, record.application.region, today, fingerprint)
                ta = self._ta(session, record, params, today, 0)
                # The members' other entitlements are read once: the rules and the notice both need them.
                holdings = None if ta else self._holdings(session, record)
                household_size = None
                if ta is not None:
                    decision = ta.decision
                elif Programme(record.application.programme) in _ONE_PERSON:
                    decision = self._assessment(session, record, params, today, holdings)
                else:
                    # The household is built once: the rules assess it and the notice counts it.
                    household = household_of(
                        record.application, record.report, record.survey, today, holdings
                    )
                    decision = assess_dibao(household, params).decision
                    household_size = len(household.counted)
                case = record.case.give_opinion(
                    decision.approved,
                    today,
                    actor.role,
                    params,
                    self.calendar,
                    post=self._posted(record, params, today),
                )
                now = self.clock()
                proposed = mapping.decision_pb(
                    decision,
                    decision_id=opinion_id,
                    application_id=application_id,
                    approved=decision.approved,
                    decided_at=now,
                    start_month=None,
                )
                _ta_fields(proposed, ta)
                if ta is not None:
                    ta_lifecycle.on_assessed(
                        self.commands,
                        session,
                        application_id,
                        record.application.programme,
                        record.application.township,
                        today,
                        actor,
                        ta.advance_paid_fen,
                    )
                self._store_decision(session, proposed, "OPINION")
                moved = replace(record, case=case, opinion_id=opinion_id)
                if case.step is Step.PUBLIC_NOTICE:
                    moved = self._post_notice(session, moved, decision, holdings, household_size)
                self.save_case(
                    session,
                    moved,
                    "initial opinion",
                    actor,
                    {
                        "decision_id": opinion_id,
                        "approved": decision.approved,
                        "version": decision.parameter_version,
                    },
                )
                return opinion_id, proposed

            return self.commands.once(
                session,
                "Assess",
                request_id,
                (application_id, report_id),
                perform,
                lambda ref: self._decision(session, ref),
                reference=opinion_id,
            )

    def _holdings(self, session: Session, record: CaseRecord) -> dict[str, tuple[Holding, ...]]:
        """By ID number, the members' entitlements other than this case's own (§5.8, §12.1)."""
        ids = tuple(m.id_number for m in record.application.members)
        found = store.entitlements_of_persons(session, ids, _HELD_STATES)
        return {
            person: tuple(
                Holding(
                    e.entitlement_id,
                    e.entitlement.programme,
                    e.entitlement.monthly_amount_fen,
                    len(e.persons),
                )
                for e in held
                if e.application_id != record.application_id
            )
            for person, held in found.items()
        }

    def _ta(
        self, session: Session, record: CaseRecord, params: Parameters, on: date, meeting_addition_fen: int
    ) -> TaCase | None:
        """Temporary assistance: the event with the advances paid under this case or its event, and the last
        approved application for the same event (None for other programmes)."""
        if Programme(record.application.programme) not in TA_PROGRAMMES:
            return None
        found = record.survey.temporary_assistance if record.survey else None
        persons = tuple(m.id_number for m in record.application.members)
        masked = tuple(mask_id_number(p) for p in persons)
        references = (record.application_id, *((found.event_key,) if found else ()))
        event = ta_event_of(
            record.application,
            record.report,
            record.survey,
            found,
            on=on,
            advance_paid_fen=store.advances_for(session, references, masked),
            previous=store.last_ta_event(session, persons, found.event_key, record.application_id)
            if found
            else None,
            meeting_addition_fen=meeting_addition_fen,
            params=params,
        )
        return TaCase(assess_ta_case(event, params), event.advance_paid_fen)

    def _assessment(
        self,
        session: Session,
        record: CaseRecord,
        params: Parameters,
        on: date,
        holdings: dict[str, tuple[Holding, ...]] | None = None,
    ) -> Decision:
        if holdings is None:
            holdings = self._holdings(session, record)
        programme = Programme(record.application.programme)
        if programme in _ONE_PERSON:
            case = person_case_of(record.application, record.report, record.survey, (), on)
            case = replace(case, holdings=holdings.get(case.person.person_id, ()))
            if programme in PERSON_PROGRAMMES:
                return assess_person(case, params)
            household = household_of(record.application, record.report, record.survey, on, holdings)
            return assess_single_person_case(household, case, params)
        household = household_of(record.application, record.report, record.survey, on, holdings)
        return assess_dibao(household, params).decision

    def _posted(self, record: CaseRecord, params: Parameters, on: date) -> bool:
        """Row 15: Tekun minors are not posted (the short procedure of §7.5 posts nobody)."""
        if record.application.programme != Programme.TEKUN.value:
            return True
        case = person_case_of(record.application, record.report, record.survey, (), on)
        return case.person.age >= params.integer("child.adult_age")

    def _persons(
        self,
        session: Session,
        record: CaseRecord,
        decision: Decision,
        holdings: dict[str, tuple[Holding, ...]] | None = None,
    ) -> tuple[str, ...]:
        """Whom an approved entitlement pays for: the one person, or the household's counted members."""
        if Programme(record.application.programme) in _ONE_PERSON:
            return (decision.subject,)
        on = self.today()
        if holdings is None:
            holdings = self._holdings(session, record)
        household = household_of(record.application, record.report, record.survey, on, holdings)
        return tuple(m.person.person_id for m in household.counted)

    def _post_notice(
        self,
        session: Session,
        record: CaseRecord,
        decision: Decision,
        holdings: dict[str, tuple[Holding, ...]] | None = None,
        household_size: int | None = None,
    ) -> CaseRecord:
        """Row 15: name, household size, proposed amount; never an ID number in full nor a health detail."""
        case = record.case
        assert case.notice_start is not None and case.notice_end is not None
        applicant = record.application.applicant
        if household_size is None:
            household_size = len(self._persons(session, record, decision, holdings))
        entry = {
            "name": applicant.name,
            "masked_id_number": mask_id_number(applicant.id_number),
            "household_size": household_size,
            "proposed_amount_fen": decision.monthly_amount_fen,
            "region": record.application.region,
        }
        notice_id = new_id("ntc")
        store.insert_notice(
            session,
            notice_id,
            record.application_id,
            case.notice_start,
            case.notice_end,
            store.dumps({"entries": [entry]}),
        )
        self._announce(
            session,
            record.application_id,
            events_pb2.PublicNoticeStarted(
                application_id=record.application_id, ends_on=mapping.date_pb(case.notice_end)
            ),
        )
        return replace(record, notice_id=notice_id)

    def publish_notice(
        self, request_id: str, application_id: str, actor: Actor
    ) -> eligibility_pb2.PublicNotice:
        """The notice as posted for a case in its notice period (posting follows a positive opinion)."""
        with self.database.transaction() as session:

            def perform() -> tuple[str, eligibility_pb2.PublicNotice]:
                record = self.case_record(session, application_id)
                if record.case.step is not Step.PUBLIC_NOTICE or not record.notice_id:
                    raise FailedPrecondition(
                        f"case {application_id} in state {record.case.step.value} has no notice to post"
                    )
                require_role(
                    actor.role, "post a notice", frozenset({Role.TOWNSHIP, Role.VILLAGE, Role.COUNTY})
                )
                return record.notice_id, mapping.notice_pb(store.get_notice(session, record.notice_id))

            return self.commands.once(
                session,
                "PublishNotice",
                request_id,
                (application_id,),
                perform,
                lambda ref: mapping.notice_pb(store.get_notice(session, ref)),
            )

    def raise_objection(
        self, request_id: str, notice_id: str, actor: Actor, content: str, real_name: bool
    ) -> tuple[str, CaseRecord]:
        """Row 17: an objection during the notice sends the case back to investigation."""
        text = require_text(content, "content")
        with self.database.transaction() as session:

            def perform() -> tuple[str, tuple[str, CaseRecord]]:
                notice = store.get_notice(session, notice_id)
                if notice is None:
                    raise NotFound(f"no notice {notice_id!r}")
                record = self.case_record(session, notice.application_id)
                if record.notice_id != notice_id:
                    raise FailedPrecondition(f"notice {notice_id} is no longer the case's current notice")
                case = record.case.raise_objection(self.today(), actor.role)
                objection_id = new_id("obj")
                store.insert_objection(
                    session,
                    objection_id=objection_id,
                    notice_id=notice_id,
                    application_id=record.application_id,
                    content=text,
                    real_name=real_name,
                    raised_by=actor.user_id,
                    raised_at=self.clock(),
                )
                store.set_notice_state(session, notice_id, "OBJECTED")
                moved = replace(record, case=case)
                # Row 21: a complaint makes the county's home survey mandatory before the decision.
                detail: dict[str, object] = {"objection_id": objection_id, "county_survey": "MANDATORY"}
                self.save_case(session, moved, "objection raised", actor, detail)
                self._announce(
                    session,
                    record.application_id,
                    events_pb2.ObjectionRaised(
                        application_id=record.application_id, objection_id=objection_id
                    ),
                )
                return f"{objection_id}|{record.application_id}", (objection_id, moved)

            def replay(ref: str) -> tuple[str, CaseRecord]:
                objection_id, application_id = ref.split("|")
                return objection_id, self.case_record(session, application_id)

            return self.commands.once(
                session, "RaiseObjection", request_id, (notice_id, text, real_name), perform, replay
            )

    def conclude_objection(
        self, request_id: str, application_id: str, actor: Actor, findings: str
    ) -> CaseRecord:
        text = require_text(findings, "findings")
        with self.database.transaction() as session:

            def perform() -> tuple[str, CaseRecord]:
                record = self.case_record(session, application_id)
                record.case.require_not_recused("conclude the objection investigation", actor.user_id)
                params = self.params_for(session, record)
                moved = replace(record, case=record.case.conclude_objection(actor.role, params))
                self.save_case(session, moved, "objection concluded", actor, {"findings": text})
                return application_id, moved

            return self.commands.once(
                session,
                "ConcludeObjection",
                request_id,
                (application_id, text),
                perform,
                lambda ref: self.case_record(session, ref),
            )

    def close_notice(self, request_id: str, application_id: str, actor: Actor) -> CaseRecord:
        with self.database.transaction() as session:

            def perform() -> tuple[str, CaseRecord]:
                return application_id, self._close_notice(session, application_id, actor)

            return self.commands.once(
                session,
                "CloseNotice",
                request_id,
                (application_id,),
                perform,
                lambda ref: self.case_record(session, ref),
            )

    def _close_notice(self, session: Session, application_id: str, actor: Actor) -> CaseRecord:
        record = self.case_record(session, application_id)
        moved = replace(record, case=record.case.close_notice(self.today(), actor.role))
        store.set_notice_state(session, record.notice_id, "CLOSED")
        self.save_case(session, moved, "notice closed", actor, {"notice_id": record.notice_id})
        return moved

    def close_due_notices(self, limit: int = 100) -> int:
        """Row 19 (system): notices whose days ran without objection go to confirmation."""
        today = self.today()
        closed = 0
        with self.database.transaction() as session:
            for application_id in store.cases_with_notice_ended(session, today, limit):
                record = self.case_record(session, application_id)
                if record.case.step is Step.PUBLIC_NOTICE:
                    self._close_notice(session, application_id, Actor.system())
                    closed += 1
        return closed

    # -- the decision ------------------------------------------------------------------------

    def decide(
        self,
        request_id: str,
        application_id: str,
        approve: bool,
        reason: str,
        actor: Actor,
        meeting_addition_fen: int = 0,
        meeting_minutes: str = "",
        meeting_requested_fen: int | None = None,
    ) -> tuple[eligibility_pb2.Decision, EntitlementRecord | None]:
        """Rows 22–23: confirm (the entitlement starts the month after) or refuse with written reasons.

        An approval decided after the case's deadline in force (row 24: the standard one, or the extended
        one) owes, where ``dibao.deadline.delay_arrears`` is on, the months from the month after the deadline
        to the decision's month at the monthly amount (§11.4): the explanation and the notice state them, the
        audit records them, and the entitlement's activation announces them as arrears. This holds for every
        programme whose approval creates a monthly entitlement here (Dibao, single-person Dibao, Tekun, the
        two disability subsidies, the orphan and unsupported-child allowances); temporary assistance is paid
        once and owes none.

        Temporary assistance is approved by the authority its event total calls for; above the cap a county
        meeting (一事一议) may add to the tier, with its minutes (§5.3.2, §7.4)."""
        text = require_text(reason, "reason")
        minutes = meeting_minutes.strip()
        if meeting_addition_fen < 0:
            raise InvalidArgument.single("meeting_addition", "must not be negative")
        if meeting_addition_fen and not minutes:
            raise InvalidArgument.single("meeting_minutes", "are required with a county meeting's addition")
        requested = meeting_addition_fen if meeting_requested_fen is None else meeting_requested_fen
        if requested < meeting_addition_fen:
            raise InvalidArgument.single("meeting_requested", "must not be less than the meeting's addition")
        if requested and not minutes:
            raise InvalidArgument.single("meeting_minutes", "are required with a county meeting's outcome")
        decided: list[tuple[str, str, float]] = []
        with self.database.transaction() as session:

            def perform() -> tuple[str, tuple[eligibility_pb2.Decision, EntitlementRecord | None]]:
                record = self.case_record(session, application_id)
                record.case.require_not_recused("decide", actor.user_id)
                if approve and record.case.positive_opinion is False:
                    raise FailedPrecondition(
                        f"case {application_id} has a negative opinion: return the file for investigation"
                    )
                today = self.today()
                params = self.params_for(session, record, today)
                ta = self._ta(session, record, params, today, meeting_addition_fen if approve else 0)
                if ta is None and meeting_addition_fen:
                    raise InvalidArgument.single("meeting_addition", "applies to temporary assistance only")
                roles = _TA_ROLES[ta.approver] if ta and ta.approver else None
                if ta and approve and ta.approver is Approver.COUNTY_MEETING and not minutes:
                    raise InvalidArgument.single(
                        "meeting_minutes", "are required: the event total is above the cap (一事一议)"
                    )
                case = record.case.decide(approve, today, actor.role, params, roles=roles)
                decision = ta.decision if ta else self._assessment(session, record, params, today)
                approved = case.step is Step.APPROVED
                if approved and not decision.approved:
                    raise FailedPrecondition(
                        f"case {application_id} no longer meets the conditions on {today}: return the file"
                    )
                now = self.clock()
                decision_id = new_id("dec")
                start = case.first_month
                delay = _delay(record, today, decision, params) if approved and ta is None else None
                if delay is not None and delay.owed:
                    decision = replace(decision, computation=(*decision.computation, delay.computation()))
                context = NoticeContext(
                    addressee=record.application.applicant.name or "申请人",
                    authority=_AUTHORITY.get(actor.role, "县级人民政府民政部门"),
                    decided_on=today,
                    delivered_on=today,
                    start_month=start,
                    delay_arrears=delay,
                )
                final = mapping.decision_pb(
                    decision,
                    decision_id=decision_id,
                    application_id=application_id,
                    approved=approved,
                    decided_at=now,
                    start_month=start,
                    notice_text=decision_notice(replace(decision, approved=approved), context, params),
                    reason=text,
                    refusal_letter_due=case.refusal_letter_due(params, self.calendar),
                )
                _ta_fields(final, ta)
                self._store_decision(session, final, "FINAL")
                moved = replace(record, case=case, decision_id=decision_id)
                self._announce(session, application_id, events_pb2.DecisionMade(decision=final))
                entitlement = None
                if approved and ta is not None:
                    entitlement = self._pay_temporary_assistance(
                        session, moved, ta, decision_id, today, minutes
                    )
                elif approved:
                    entitlement = self._create_entitlement(
                        session, moved, decision, decision_id, today, delay
                    )
                    self._review_displaced(session, moved, params, today, decision_id)
                if entitlement is not None:
                    moved = replace(moved, entitlement_id=entitlement.entitlement_id)
                if ta is not None:
                    ta_lifecycle.on_decided(
                        self.commands,
                        session,
                        application_id,
                        actor,
                        granted_fen=ta.total_fen if approved else 0,
                        advance_fen=ta.advance_paid_fen,
                        payment_month=Period.of(today).next(),
                        on=today,
                        meeting_requested_fen=requested if approve else 0,
                        meeting_granted_fen=meeting_addition_fen if approve else 0,
                        minutes=minutes,
                        entitlement_id=entitlement.entitlement_id if entitlement else None,
                    )
                detail: dict[str, object] = {"decision_id": decision_id, "approved": approved}
                if delay is not None:
                    detail.update(_delay_detail(delay))
                self.save_case(session, moved, "decided", actor, detail)
                outcome = "APPROVED" if approved else "REJECTED"
                waited = (now - record.application.accepted_at).total_seconds()
                decided.append((record.application.programme, outcome, waited))
                return decision_id, (final, entitlement)

            def replay(ref: str) -> tuple[eligibility_pb2.Decision, EntitlementRecord | None]:
                final = self._decision(session, ref)
                entitlement = store.get_case(session, application_id)
                found = store.get_entitlement(session, entitlement.entitlement_id) if entitlement else None
                return final, found

            result = self.commands.once(
                session,
                "Decide",
                request_id,
                (
                    application_id,
                    approve,
                    text,
                    meeting_addition_fen,
                    minutes,
                    *((requested,) if requested != meeting_addition_fen else ()),
                ),
                perform,
                replay,
            )
        # Counted once the decision is committed, and only by the request that made it (not by a retry).
        for programme, outcome, waited in decided:
            DECISIONS.labels(programme, outcome).inc()
            TIME_TO_DECISION.observe(max(0.0, waited))
        return result

    def _create_entitlement(
        self,
        session: Session,
        record: CaseRecord,
        decision: Decision,
        decision_id: str,
        today: date,
        delay: DelayArrears | None = None,
    ) -> EntitlementRecord:
        entitlement = Entitlement.approved(
            new_id("ent"), decision.programme, decision.monthly_amount_fen, today
        )
        created = EntitlementRecord(
            entitlement=replace(entitlement, changed_from=entitlement.start_month),
            application_id=record.application_id,
            subject_id=record.application_id,
            region=record.application.township,
            **payee_fields(record.application),
            category=decision.category,
            parameter_version=decision.parameter_version,
            last_decision_id=decision_id,
            persons=self._persons(session, record, decision),
            household=tuple(member.id_number for member in record.application.members),
            components=decision.components,
            near_relative=record.case.near_relative_registered,
        )
        store.insert_entitlement(session, created, self.clock())
        # The roster learns of the entitlement now, with its first month, so the first run includes it; and
        # of what a late decision owes for the delay (§11.4), paid once as arrears of the months before it.
        activated = events_pb2.EntitlementActivated(entitlement=mapping.entitlement_pb(created))
        if delay is not None and delay.owed and delay.first_month is not None:
            activated.arrears.amount_fen = delay.total_fen
            activated.arrears_from.month = str(delay.first_month)
        self.commands.announce(session, TOPIC_ENTITLEMENTS, created.subject_id, activated, decision_id)
        return created

    def _review_displaced(
        self, session: Session, record: CaseRecord, params: Parameters, on: date, decision_id: str
    ) -> None:
        """§5.2.2, §5.8: an approval that displaces another of the person's entitlements (the Dibao household
        that counted a new Tekun person or orphan, say) puts that entitlement under review: payments go on
        until the review recomputes or ends it, so nobody is cut off before the new benefit starts."""
        if Programme(record.application.programme) not in PERSON_PROGRAMMES:
            return
        case = person_case_of(record.application, record.report, record.survey, (), on)
        holdings = self._holdings(session, record).get(case.person.person_id, ())
        for holding in displaced_by(replace(case, holdings=holdings), params):
            found = store.get_entitlement(session, holding.entitlement_id, for_update=True)
            if found is None:
                continue
            detail = {"displaced_by": decision_id, "application_id": record.application_id}
            if found.entitlement.state is State.ACTIVE:
                reviewed = found.moved(found.entitlement.start_review(Role.SYSTEM), found.last_decision_id)
                store.save_entitlement(session, reviewed, self.clock())
                self._audit(
                    session, holding.entitlement_id, "review: displaced (§5.8)", Actor.system(), detail
                )
            else:
                self._audit(
                    session,
                    holding.entitlement_id,
                    "displaced (§5.8): review when active",
                    Actor.system(),
                    detail,
                )

    def _pay_temporary_assistance(
        self,
        session: Session,
        record: CaseRecord,
        ta: TaCase,
        decision_id: str,
        today: date,
        minutes: str,
    ) -> EntitlementRecord | None:
        """What remains after the advance is paid once, in the next monthly run, as a one-month entitlement
        the roster already understands (activated, then ended with that month as its last); the approved
        event locks the same event for the window (§5.3.3)."""
        found = record.survey.temporary_assistance if record.survey else None
        persons = tuple(m.id_number for m in record.application.members if m.counted)
        if found is not None:
            store.record_ta_event(session, record.application_id, persons, found.event_key, Period.of(today))
        if minutes:
            self._audit(
                session, record.application_id, "county meeting", Actor.system(), {"minutes": minutes}
            )
        if ta.remaining_fen <= 0:
            return None
        month = Period.of(today).next()
        programme = Programme(record.application.programme)
        paid = Entitlement(
            new_id("ent"),
            programme,
            State.TERMINATED,
            ta.remaining_fen,
            month,
            terminated_from=month.next(),
            changed_from=month,
        )
        created = EntitlementRecord(
            entitlement=paid,
            application_id=record.application_id,
            subject_id=record.application_id,
            region=record.application.township,
            **payee_fields(record.application),
            category=None,
            parameter_version=ta.decision.parameter_version,
            last_decision_id=decision_id,
            persons=persons,
            components=(("ONE_OFF", ta.remaining_fen),),
        )
        store.insert_entitlement(session, created, self.clock())
        message = mapping.entitlement_pb(created)
        activated = eligibility_pb2.Entitlement()
        activated.CopyFrom(message)
        activated.state = eligibility_pb2.ENTITLEMENT_STATE_ACTIVE
        activated.ClearField("last_month")
        for payload in (
            events_pb2.EntitlementActivated(entitlement=activated),
            events_pb2.EntitlementTerminated(
                entitlement=message, reason="ONE_OFF_PAID", last_month=mapping.period_pb(month)
            ),
        ):
            self.commands.announce(session, TOPIC_ENTITLEMENTS, created.subject_id, payload, decision_id)
        return created

    # -- queries ----------------------------------------------------------------------------

    def get_case(self, application_id: str) -> tuple[CaseRecord, object | None]:
        with self.database.read() as session:
            record = self.case_record(session, application_id, lock=False)
            notice = store.get_notice(session, record.notice_id) if record.notice_id else None
        return record, notice

    def list_cases(
        self, step: str | None, overdue_only: bool, after: str | None, limit: int, region_prefix: str = ""
    ) -> list[CaseRecord]:
        with self.database.read() as session:
            return store.list_cases(
                session,
                step=step,
                overdue_on=self.today() if overdue_only else None,
                after=after,
                limit=limit,
                region_prefix=region_prefix,
            )

    def get_decision(self, decision_id: str) -> eligibility_pb2.Decision:
        if not decision_id:
            raise InvalidArgument.single("decision_id", "is required")
        with self.database.read() as session:
            return self._decision(session, decision_id)

    # -- helpers -----------------------------------------------------------------------------

    def case_record(self, session: Session, application_id: str, *, lock: bool = True) -> CaseRecord:
        if not application_id:
            raise InvalidArgument.single("application_id", "is required")
        return _found(store.get_case(session, application_id, for_update=lock), application_id)

    def _decision(self, session: Session, decision_id: str) -> eligibility_pb2.Decision:
        row = store.get_decision(session, decision_id)
        if row is None:
            raise NotFound(f"no decision {decision_id!r}")
        return eligibility_pb2.Decision.FromString(row.body)

    def params_for(self, session: Session, record: CaseRecord, on: date | None = None) -> Parameters:
        return self.book.resolve(session, record.application.region, on or self.today())

    def _store_decision(self, session: Session, decision: eligibility_pb2.Decision, stage: str) -> None:
        store.insert_decision(
            session,
            decision_id=decision.decision_id,
            application_id=decision.application_id,
            stage=stage,
            programme=programme_name(decision.programme),
            outcome=eligibility_pb2.DecisionOutcome.Name(decision.outcome).removeprefix("DECISION_OUTCOME_"),
            decided_at=decision.decided_at.ToDatetime(UTC),
            body=decision.SerializeToString(),
        )

    def save_case(
        self, session: Session, record: CaseRecord, action: str, actor: Actor, detail: dict[str, object]
    ) -> None:
        store.save_case(session, record, self.clock())
        self._audit(session, record.application_id, action, actor, {**detail, "step": record.case.step.value})

    def _audit(
        self, session: Session, subject: str, action: str, actor: Actor, detail: dict[str, object]
    ) -> None:
        self.commands.audit(session, subject, action, actor, detail)

    def _announce(self, session: Session, application_id: str, payload: Message) -> None:
        self.commands.announce(session, TOPIC_DECISIONS, application_id, payload)


def payee_fields(application: ApplicationFacts) -> dict[str, str]:
    """The entitlement record's payee fields under DOMAIN §11.1 (empty account: payments wait)."""
    payee = entitlement_payee(application)
    return {
        "payee_name": payee.name,
        "payee_account": payee.account_number,
        "payee_bank": payee.bank_name,
        "payee_guardian": payee.guardian_name,
    }


def _delay(record: CaseRecord, today: date, decision: Decision, params: Parameters) -> DelayArrears:
    """§11.4: what an approval owes for deciding after the case's deadline in force (nothing in time)."""
    timing = DecisionTiming(record.case.accepted_on, record.deadline, today)
    return delay_arrears(timing, decision.monthly_amount_fen, params)


def _delay_detail(delay: DelayArrears) -> dict[str, object]:
    """The audit line's account of the deadline: whether the decision came after it, and what that owes."""
    detail: dict[str, object] = {
        "deadline": delay.timing.deadline.isoformat(),
        "after_deadline": delay.timing.late,
    }
    if delay.owed:
        detail["delay_arrears_months"] = [str(month) for month in delay.months]
        detail["delay_arrears_fen"] = delay.total_fen
    return detail


def _found(record: CaseRecord | None, application_id: str) -> CaseRecord:
    if record is None:
        raise NotFound(f"no case for application {application_id!r}")
    return record


def _require_findings(
    application: ApplicationFacts, person: PersonFacts | None, event: EventFacts | None
) -> None:
    """A case for one person needs the findings about that person; a temporary-assistance case the event's."""
    programme = Programme(application.programme)
    if programme in TA_PROGRAMMES and event is None:
        raise InvalidArgument.single("temporary_assistance", f"is required for a {programme.value} case")
    if programme not in PERSON_PROGRAMMES and programme is not Programme.SINGLE_PERSON_DIBAO:
        return
    if person is None:
        raise InvalidArgument.single("person", f"is required for a {application.programme} case")
    if not any(m.index == person.member_index for m in application.members):
        raise InvalidArgument.single("person.member_index", "names no member of the application")


def _ta_fields(message: eligibility_pb2.Decision, ta: TaCase | None) -> None:
    """The temporary-assistance figures of a decision: event total, approver, advance and what remains."""
    if ta is None:
        return
    approved = message.outcome == eligibility_pb2.DECISION_OUTCOME_APPROVED
    message.one_off_amount.amount_fen = ta.total_fen if approved else 0
    message.approver = ta.approver.value if ta.approver else ""
    message.advance_paid.amount_fen = ta.advance_paid_fen
    message.remaining.amount_fen = ta.remaining_fen if approved else 0
