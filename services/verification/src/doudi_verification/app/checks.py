"""Use-cases of the household economic check: open a case when intake accepts an application, check it
(asking the departments outside any transaction), record the report, and announce it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Protocol

from google.protobuf.message import Message
from prometheus_client import Counter, Histogram
from sqlalchemy.orm import Session

from doudi_common.calendar import WorkingDayCalendar, china_date, load_cn_calendar
from doudi_common.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound
from doudi_common.ids import new_id
from doudi_common.period import Period
from doudi_runtime.idempotency import fingerprint_of, run_once, validate_request_id
from doudi_runtime.service import Persistence, ServiceContext
from doudi_verification.app.records_gateway import PersonQuery
from doudi_verification.app.reviews import complete_review
from doudi_verification.domain import case as cases_domain
from doudi_verification.domain.case import Case, CaseState, CheckPurpose, RetryPolicy
from doudi_verification.domain.policy import CheckPolicy, HouseholdType
from doudi_verification.domain.records import SourceOutcome
from doudi_verification.domain.report import Override, Report, ReportState, build_report
from doudi_verification.domain.sources import is_means_tested, sources_for
from doudi_verification.events import reports as events
from doudi_verification.store import cases as store

log = logging.getLogger(__name__)

CHECKS = Counter("doudi_verification_checks_total", "Household checks finished, by report state.", ["state"])
CHECK_SECONDS = Histogram(
    "doudi_verification_check_seconds",
    "From acceptance of the application to its first complete report.",
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600),
)

#: Why doudi asks the departments (purpose limitation, DOMAIN §4.1).
PURPOSE = "SOCIAL_ASSISTANCE_ELIGIBILITY"
MAX_SURVEY_TEXT = 4000


class Records(Protocol):
    def ask(
        self, people: Sequence[PersonQuery], sources: Sequence[str], first: Period, last: Period, purpose: str
    ) -> list[SourceOutcome]: ...


PolicySource = Callable[[str, HouseholdType, date], CheckPolicy]


@dataclass
class VerificationUseCases:
    context: ServiceContext
    records: Records
    policies: PolicySource
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    calendar: WorkingDayCalendar = field(default_factory=load_cn_calendar)
    recheck_working_days: int = 2
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    parallel_cases: int = 8
    #: How often the reports of the checks finished so far are recorded while a round runs.
    record_every_seconds: float = 0.2

    def __post_init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=self.parallel_cases, thread_name_prefix="household-check")

    @property
    def persistence(self) -> Persistence:
        return self.context.persistence()

    def _announce(self, session: Session, application_id: str, payload: Message, cause: str) -> None:
        self.persistence.outbox.add(
            session,
            topic=events.TOPIC_REPORTS,
            subject_key=application_id,
            payload=payload,
            causation_id=cause,
        )

    # -- cases from intake's events ---------------------------------------------------------------

    def open_case(self, session: Session, case: Case) -> None:
        """An accepted application becomes a case to check; a second acceptance of it changes nothing."""
        if not store.case_exists(session, case.application_id):
            store.insert_case(session, case)

    def cancel_case(self, session: Session, application_id: str) -> None:
        case = store.get_case(session, application_id, for_update=True)
        if case is not None and case.state is not CaseState.CANCELLED:
            store.save_case(session, cases_domain.cancel(case, self.clock()))

    # -- checking ---------------------------------------------------------------------------------

    def run_due(self, limit: int = 32) -> int:
        """Claim the cases whose time has come and check them; returns how many were checked."""
        now = self.clock()
        with self.persistence.database.read() as session:
            if not store.any_due(session, now):
                return 0
        with self.persistence.database.transaction() as session:
            claimed = [cases_domain.claim(c, now, self.retry) for c in store.due_cases(session, now, limit)]
            for case in claimed:
                store.save_case(session, case)
            overrides = store.overrides_of(session, [c.application_id for c in claimed])
        # The reports are recorded as the checks finish, a round's worth at a time, so that a quick
        # household does not wait for the slowest one claimed with it.
        cases_of = {
            self._pool.submit(self._check_safely, case, overrides.get(case.application_id, ())): case
            for case in claimed
        }
        pending: set[Future[Report | None]] = set(cases_of)
        recorded = 0
        while pending:
            finished, pending = wait(pending, timeout=self.record_every_seconds)
            recorded += self._record_all(
                [(cases_of[f], report) for f in finished if (report := f.result()) is not None]
            )
        return recorded

    def _record_all(self, done: list[tuple[Case, Report]]) -> int:
        """Record finished checks in one transaction: one write lock for all of them."""
        if not done:
            return 0
        now = self.clock()
        with self.persistence.database.transaction() as session:
            recorded = [self._record(session, case, report, now) for case, report in done]
        for recorded_report in (report for (_, report), ok in zip(done, recorded, strict=True) if ok):
            CHECKS.labels(recorded_report.state.value).inc()
        return sum(recorded)

    def _check_safely(self, case: Case, overrides: tuple[Override, ...]) -> Report | None:
        try:
            return self._check(case, overrides)
        except Exception:
            log.exception(
                "household check failed; it will be tried again", extra={"case": case.application_id}
            )
            return None

    def _check(self, case: Case, overrides: tuple[Override, ...]) -> Report:
        now = self.clock()
        today = china_date(now)
        policy = self.policies(case.residence_region, case.household_type, today)
        first, last = case.reference_period(
            policy.income.period_months, Period.of(china_date(case.reference_moment))
        )
        people = [
            PersonQuery(m.index, m.id_number, f"{case.application_id}/members/{m.index}")
            for m in case.counted
        ]
        outcomes = self.records.ask(people, sources_for(case.programme), first, last, PURPOSE)
        report = build_report(
            report_id=new_id("rep"),
            application_id=case.application_id,
            outcomes=outcomes,
            counted_members=len(people),
            means_tested=is_means_tested(case.programme),
            policy=policy,
            produced_at=now,
            today=today,
            overrides=overrides,
        )
        return replace(report, purpose=case.purpose.value, review_id=case.review_id)

    def _record(self, session: Session, claimed: Case, report: Report, now: datetime) -> bool:
        """Store the report if the case is still ours (its lease may have passed to another worker)."""
        # The claim's attempt number still on the case in CHECKING means no other check, reopening or
        # cancellation touched it since: the claimed case is the current one.
        progress = store.case_progress(session, claimed.application_id)
        if progress is None or progress[:2] != (CaseState.CHECKING, claimed.attempts):
            log.info("a newer check owns this case; report dropped", extra={"case": claimed.application_id})
            return False
        current = replace(claimed, latest_report_id=progress[2])
        previous_missing = store.missing_sources_of(session, current.latest_report_id)
        complete = report.state is ReportState.COMPLETE
        store.insert_report(session, report)
        store.save_case(session, cases_domain.settle(current, report.report_id, complete, now, self.retry))
        if complete:
            if current.latest_report_id:  # a dispute needs a report to dispute: none before the first
                store.resolve_disputes(session, current.application_id, report.report_id)
            if report.review_id:
                complete_review(session, report.review_id, report.report_id, now)
            self._announce(
                session, current.application_id, events.household_verified(report), report.report_id
            )
            if report.purpose == CheckPurpose.APPLICATION and (previous_missing is None or previous_missing):
                CHECK_SECONDS.observe((now - current.accepted_at).total_seconds())
        elif previous_missing != {m.source for m in report.missing}:
            self._announce(
                session, current.application_id, events.verification_incomplete(report), report.report_id
            )
        return True

    # -- requests from caseworkers and other systems ----------------------------------------------

    def request_check(self, request_id: str, application_id: str, reason: str) -> tuple[Case, Report | None]:
        validate_request_id(request_id)
        if not reason.strip():
            raise InvalidArgument.single("reason", "is required: say why the household is checked again")
        with self.persistence.database.transaction() as session:

            def perform() -> tuple[str, Case]:
                case = self._case(session, application_id)
                reopened = cases_domain.reopen(case, self.clock())
                store.save_case(session, reopened)
                return reopened.application_id, reopened

            case = run_once(
                session,
                self.persistence.store.idempotency,
                method="RequestVerification",
                request_id=request_id,
                fingerprint=fingerprint_of(application_id, reason),
                perform=perform,
                replay=lambda reference: self._case(session, reference),
            )
            latest = store.get_report(session, case.latest_report_id) if case.latest_report_id else None
        return case, latest

    def _case(self, session: Session, application_id: str) -> Case:
        if not application_id:
            raise InvalidArgument.single("application_id", "is required")
        case = store.get_case(session, application_id, for_update=True)
        if case is None:
            raise NotFound(f"no verification case for application {application_id!r}")
        return case

    def get_report(self, report_id: str, application_id: str) -> Report:
        with self.persistence.database.read() as session:
            if not report_id:
                if not application_id:
                    raise InvalidArgument.single("report_id", "give a report_id or an application_id")
                case = store.get_case(session, application_id)
                if case is None or not case.latest_report_id:
                    raise NotFound(f"no report yet for application {application_id!r}")
                report_id = case.latest_report_id
            report = store.get_report(session, report_id)
        if report is None:
            raise NotFound(f"no report {report_id!r}")
        return report

    def record_survey(
        self,
        request_id: str,
        application_id: str,
        surveyors: tuple[str, ...],
        findings: str,
        overrides: tuple[Override, ...],
        override_reason: str,
        recorded_by: str,
    ) -> tuple[str, Report | None]:
        """DOMAIN §7.2 row 11 and §4.6: a survey by two or more staff; an override needs its reason and
        produces a new report from the latest data, without asking the departments again."""
        violations: list[FieldViolation] = []
        for check in (lambda: validate_request_id(request_id),):
            try:
                check()
            except InvalidArgument as exc:
                violations.extend(exc.violations)
        staff = tuple(dict.fromkeys(s.strip() for s in surveyors if s.strip()))
        if len(staff) < 2:
            violations.append(FieldViolation("surveyor_ids", "a home survey needs at least two staff"))
        if not findings.strip() or len(findings) > MAX_SURVEY_TEXT:
            violations.append(
                FieldViolation("findings", f"is required, at most {MAX_SURVEY_TEXT} characters")
            )
        if overrides and not override_reason.strip():
            violations.append(FieldViolation("override_reason", "is required when the survey overrides data"))
        if violations:
            raise InvalidArgument(violations)
        now = self.clock()
        with self.persistence.database.transaction() as session:

            def perform() -> tuple[str, tuple[str, Report | None]]:
                case = self._case(session, application_id)
                if case.state is CaseState.CANCELLED:
                    raise FailedPrecondition(f"application {application_id} was withdrawn")
                survey_id = new_id("sv")
                stamped = tuple(
                    Override(**{**o.__dict__, "reason": override_reason.strip(), "survey_id": survey_id})
                    for o in overrides
                )
                self._validate_overrides(case, stamped)
                store.insert_survey(
                    session,
                    survey_id=survey_id,
                    application_id=application_id,
                    surveyors=staff,
                    findings=findings.strip(),
                    overrides=stamped,
                    recorded_by=recorded_by,
                    recorded_at=now,
                )
                self._announce(
                    session,
                    application_id,
                    events.home_survey_completed(application_id, survey_id),
                    request_id,
                )
                if stamped and case.state is CaseState.CHECKING:
                    # A check under way read the overrides before this survey: it is asked again.
                    case = cases_domain.reopen(case, now)
                    store.save_case(session, case)
                report = self._rebuild(session, case, now) if stamped else None
                return survey_id, (survey_id, report)

            return run_once(
                session,
                self.persistence.store.idempotency,
                method="RecordHomeSurvey",
                request_id=request_id,
                fingerprint=fingerprint_of(application_id, staff, findings, overrides, override_reason),
                perform=perform,
                replay=lambda reference: (reference, None),
            )

    @staticmethod
    def _validate_overrides(case: Case, overrides: tuple[Override, ...]) -> None:
        counted = {m.index for m in case.counted}
        violations = [
            FieldViolation(f"overrides[{i}].member_index", "is not a counted member of the household")
            for i, o in enumerate(overrides)
            if o.member_index not in counted
        ]
        violations += [
            FieldViolation(f"overrides[{i}].amount_fen", "must not be negative")
            for i, o in enumerate(overrides)
            if o.amount_fen < 0
        ]
        violations += [
            FieldViolation(f"overrides[{i}].item", "is required")
            for i, o in enumerate(overrides)
            if not o.item.strip() or not o.source.strip()
        ]
        if violations:
            raise InvalidArgument(violations)

    def _rebuild(self, session: Session, case: Case, now: datetime) -> Report | None:
        """A new report from the latest report's data plus every survey override so far."""
        latest = store.get_report(session, case.latest_report_id) if case.latest_report_id else None
        if latest is None or latest.state is not ReportState.COMPLETE:
            return None
        today = china_date(now)
        outcomes = [
            SourceOutcome(i.member_index, i.source, True, items=(i,))
            for i in latest.items
            if not i.overridden_by
        ]
        report = build_report(
            report_id=new_id("rep"),
            application_id=case.application_id,
            outcomes=outcomes,
            counted_members=latest.counted_members,
            means_tested=is_means_tested(case.programme),
            policy=self.policies(case.residence_region, case.household_type, today),
            produced_at=now,
            today=today,
            overrides=store.overrides_for(session, case.application_id),
        )
        report = replace(report, purpose=case.purpose.value, review_id=case.review_id)
        store.insert_report(session, report)
        store.save_case(session, cases_domain.settle(case, report.report_id, True, now, self.retry))
        if report.review_id:
            complete_review(session, report.review_id, report.report_id, now)
        self._announce(session, case.application_id, events.household_verified(report), report.report_id)
        return report

    def dispute(
        self, request_id: str, report_id: str, item: dict[str, object], evidence: str
    ) -> tuple[str, date]:
        """DOMAIN §4.8: the applicant disputes an item with evidence; the sources are asked again now and
        the re-check is due within the parameter's working days (EX: 2)."""
        validate_request_id(request_id)
        if not evidence.strip():
            raise InvalidArgument.single("evidence", "is required: a dispute comes with evidence")
        if not report_id:
            raise InvalidArgument.single("report_id", "is required")
        now = self.clock()
        due = self.calendar.add_working_days(china_date(now), self.recheck_working_days)
        with self.persistence.database.transaction() as session:

            def perform() -> tuple[str, tuple[str, date]]:
                report = store.get_report(session, report_id)
                if report is None:
                    raise NotFound(f"no report {report_id!r}")
                case = self._case(session, report.application_id)
                dispute_id = new_id("dsp")
                store.insert_dispute(
                    session,
                    dispute_id=dispute_id,
                    report_id=report_id,
                    application_id=case.application_id,
                    body={"item": item, "evidence": evidence.strip()},
                    recheck_due=due,
                    created_at=now,
                )
                store.save_case(session, cases_domain.reopen(case, now))
                return f"{dispute_id}|{due.isoformat()}", (dispute_id, due)

            def replay(reference: str) -> tuple[str, date]:
                dispute_id, day = reference.split("|")
                return dispute_id, date.fromisoformat(day)

            return run_once(
                session,
                self.persistence.store.idempotency,
                method="DisputeReport",
                request_id=request_id,
                fingerprint=fingerprint_of(report_id, sorted(item.items()), evidence),
                perform=perform,
                replay=replay,
            )
