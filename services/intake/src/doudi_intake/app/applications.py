"""Use-cases on applications: each opens one transaction, changes state, and writes its events."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from google.protobuf.message import Message
from prometheus_client import Counter
from sqlalchemy.orm import Session

from doudi_common.calendar import load_cn_calendar
from doudi_common.errors import InvalidArgument, NotFound
from doudi_common.ids import new_id
from doudi_common.validation import validate_together
from doudi_intake.domain import window
from doudi_intake.domain.application import (
    Application,
    ApplicationState,
    HouseholdDeclaration,
    Submission,
    local_date,
    submit,
    validate_submission,
)
from doudi_intake.domain.duplicates import duplicate_flags
from doudi_intake.events import publish
from doudi_intake.store import applications as store
from doudi_runtime.idempotency import fingerprint_of, run_once, validate_request_id
from doudi_runtime.paging import Page
from doudi_runtime.service import Persistence, ServiceContext
from doudi_runtime.store.hooks import after_commit

log = logging.getLogger(__name__)


APPLICATIONS = Counter(
    "doudi_intake_applications_total",
    "Applications reaching each state of the window (DOMAIN §7.1), resubmissions counted again.",
    ["state"],
)


def default_time_limits() -> window.WindowTimeLimits:
    return window.WindowTimeLimits(calendar=load_cn_calendar())


@dataclass
class ApplicationUseCases:
    context: ServiceContext
    limits: window.WindowTimeLimits = field(default_factory=default_time_limits)
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    # -- plumbing shared by every command -------------------------------------------------------

    @property
    def persistence(self) -> Persistence:
        return self.context.persistence()

    def announce(self, session: Session, application: Application, payload: Message, cause: str) -> None:
        """Publish a change of the application (with its transaction) and count the state it reached."""
        state = application.state.value
        after_commit(session, lambda: APPLICATIONS.labels(state).inc())
        self.persistence.outbox.add(
            session,
            topic=publish.TOPIC_APPLICATIONS,
            subject_key=application.application_id,
            payload=payload,
            causation_id=cause,
        )

    def _load(self, session: Session, application_id: str) -> Application:
        if not application_id:
            raise InvalidArgument.single("application_id", "is required")
        application = store.get_application(session, application_id, for_update=True)
        if application is None:
            raise NotFound(f"no application {application_id!r}")
        return application

    def _replay(self, session: Session) -> Callable[[str], Application]:
        return lambda reference: self._load(session, reference)

    def _change(
        self,
        method: str,
        request_id: str,
        application_id: str,
        fingerprint: str,
        change: Callable[[Session, Application, datetime], Application],
    ) -> Application:
        """Load, change, save and announce one application, once per request_id."""
        validate_request_id(request_id)
        now = self.clock()
        with self.persistence.database.transaction() as session:

            def perform() -> tuple[str, Application]:
                changed = change(session, self._load(session, application_id), now)
                store.save_application(session, changed)
                return changed.application_id, changed

            return run_once(
                session,
                self.persistence.store.idempotency,
                method=method,
                request_id=request_id,
                fingerprint=fingerprint_of(application_id, fingerprint),
                perform=perform,
                replay=self._replay(session),
            )

    def _with_duplicates(self, session: Session, application: Application) -> Application:
        others = store.open_memberships_of(session, (m.id_number for m in application.counted_members))
        return replace(application, duplicates=duplicate_flags(application, others))

    # -- the commands ---------------------------------------------------------------------------

    def submit_application(
        self, request_id: str, submission: Submission, *, lead_id: str = "", mandate_reference: str = ""
    ) -> Application:
        """DOMAIN §7.2 row 2: record the submission, flag duplicates, and announce it."""
        now = self.clock()
        validate_together(
            lambda: validate_request_id(request_id),
            lambda: validate_submission(submission, local_date(now)),
        )
        with self.persistence.database.transaction() as session:
            return self.submit_in(session, request_id, submission, now, lead_id, mandate_reference)

    def submit_in(
        self,
        session: Session,
        request_id: str,
        submission: Submission,
        now: datetime,
        lead_id: str = "",
        mandate_reference: str = "",
    ) -> Application:
        """Submit inside a transaction the caller owns (a lead's conversion submits in its own)."""

        def perform() -> tuple[str, Application]:
            application = submit(
                submission,
                application_id=new_id("app"),
                now=now,
                lead_id=lead_id,
                mandate_reference=mandate_reference,
            )
            application = self._with_duplicates(session, application)
            store.insert_application(session, application)
            self.announce(session, application, publish.application_submitted(application), request_id)
            return application.application_id, application

        return run_once(
            session,
            self.persistence.store.idempotency,
            method="SubmitApplication",
            request_id=request_id,
            fingerprint=fingerprint_of(submission, lead_id, mandate_reference),
            perform=perform,
            replay=self._replay(session),
        )

    def accept(self, request_id: str, application_id: str) -> Application:
        """§7.2 row 8; duplicates are checked again (a soft warning at acceptance, DOMAIN §12.1)."""

        def change(session: Session, application: Application, now: datetime) -> Application:
            accepted = self._with_duplicates(session, window.accept(application, now=now, limits=self.limits))
            self.announce(session, accepted, publish.application_accepted(accepted), request_id)
            return accepted

        return self._change("AcceptApplication", request_id, application_id, "", change)

    def request_correction(self, request_id: str, application_id: str, items: tuple[str, ...]) -> Application:
        window.clean_missing_items(items)

        def change(session: Session, application: Application, now: datetime) -> Application:
            changed = window.request_correction(application, items, now=now, limits=self.limits)
            self.announce(session, changed, publish.correction_requested(changed), request_id)
            return changed

        return self._change("RequestCorrection", request_id, application_id, repr(items), change)

    def resubmit(
        self, request_id: str, application_id: str, household: HouseholdDeclaration, statement: str
    ) -> Application:
        def change(session: Session, application: Application, now: datetime) -> Application:
            changed = self._with_duplicates(
                session, window.resubmit(application, household, statement, now=now)
            )
            self.announce(session, changed, publish.application_resubmitted(changed), request_id)
            return changed

        return self._change(
            "ResubmitApplication", request_id, application_id, fingerprint_of(household, statement), change
        )

    def refuse(self, request_id: str, application_id: str, reason: str) -> Application:
        window.require_reason(reason)

        def change(session: Session, application: Application, now: datetime) -> Application:
            changed = window.refuse(application, reason, now=now)
            self.announce(session, changed, publish.application_not_accepted(changed), request_id)
            return changed

        return self._change("RejectIntake", request_id, application_id, reason, change)

    def withdraw(self, request_id: str, application_id: str, reason: str) -> Application:
        window.require_reason(reason)

        def change(session: Session, application: Application, now: datetime) -> Application:
            changed = window.withdraw(application, reason, now=now)
            self.announce(session, changed, publish.application_withdrawn(changed), request_id)
            return changed

        return self._change("WithdrawApplication", request_id, application_id, reason, change)

    def transfer(self, request_id: str, application_id: str, to_township: str, reason: str) -> Application:
        """§7.2 row 3: close this one and open the competent township's application in one transaction."""

        def change(session: Session, application: Application, now: datetime) -> Application:
            closed, opened = window.transfer(
                application, to_township, reason, new_application_id=new_id("app"), now=now
            )
            opened = self._with_duplicates(session, opened)
            store.insert_application(session, opened)
            self.announce(session, closed, publish.application_transferred(closed), request_id)
            self.announce(session, opened, publish.application_submitted(opened), request_id)
            return closed

        return self._change(
            "TransferApplication", request_id, application_id, fingerprint_of(to_township, reason), change
        )

    def lapse_corrections(self, batch_size: int = 100) -> int:
        """§7.2 row 6: withdraw every application whose correction window has passed; returns how many."""
        database = self.persistence.database
        now = self.clock()
        with database.read() as session:
            due = store.lapsed_correction_ids(session, local_date(now), batch_size)
        lapsed = 0
        for application_id in due:
            with database.transaction() as session:
                application = store.get_application(session, application_id, for_update=True)
                if application is None or not window.correction_lapsed(application, local_date(now)):
                    continue
                changed = window.lapse_correction(application, now=now)
                store.save_application(session, changed)
                self.announce(session, changed, publish.application_withdrawn(changed), "correction-lapsed")
                lapsed += 1
        if lapsed:
            log.info("applications withdrawn after the correction window", extra={"count": lapsed})
        return lapsed

    # -- queries --------------------------------------------------------------------------------

    def get_application(self, application_id: str) -> Application:
        with self.persistence.database.read() as session:
            return self.get_in(session, application_id)

    def get_in(self, session: Session, application_id: str) -> Application:
        if not application_id:
            raise InvalidArgument.single("application_id", "is required")
        application = store.get_application(session, application_id)
        if application is None:
            raise NotFound(f"no application {application_id!r}")
        return application

    def list_applications(
        self, township: str, state: ApplicationState | None, page: Page
    ) -> list[Application]:
        with self.persistence.database.read() as session:
            return store.list_applications(session, township, state, page)
