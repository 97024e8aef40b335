"""Use-cases on applications: each opens one transaction, changes state, and writes its events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from doudi_common.errors import FieldViolation, InvalidArgument, NotFound
from doudi_common.ids import new_id
from doudi_intake.domain.application import (
    CHINA_STANDARD_TIME,
    Application,
    Submission,
    submit,
    validate_submission,
)
from doudi_intake.events.publish import TOPIC_APPLICATIONS, application_submitted
from doudi_intake.store import applications as store
from doudi_runtime.idempotency import fingerprint_of, previous_result, record_result, validate_request_id
from doudi_runtime.service import ServiceContext


def _validate_all(request_id: str, submission: Submission, now: datetime) -> None:
    """Report a bad request_id together with every fault of the submission, in one answer."""
    violations: list[FieldViolation] = []
    for check in (
        lambda: validate_request_id(request_id),
        lambda: validate_submission(submission, now.astimezone(CHINA_STANDARD_TIME).date()),
    ):
        try:
            check()
        except InvalidArgument as exc:
            violations.extend(exc.violations)
    if violations:
        raise InvalidArgument(violations)


@dataclass
class ApplicationUseCases:
    context: ServiceContext
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def submit_application(self, request_id: str, submission: Submission) -> Application:
        """DOMAIN §7.2 row 2: record the submission and announce it; a retry returns the first answer."""
        context = self.context
        assert context.database is not None and context.store is not None and context.outbox is not None
        now = self.clock()
        _validate_all(request_id, submission, now)
        fingerprint = fingerprint_of(submission)
        with context.database.transaction() as session:
            earlier = previous_result(
                session,
                context.store.idempotency,
                method="SubmitApplication",
                request_id=request_id,
                fingerprint=fingerprint,
            )
            if earlier is not None:
                existing = store.get_application(session, earlier)
                if existing is None:
                    raise NotFound(f"application {earlier} recorded for this request_id is gone")
                return existing
            application = submit(submission, application_id=new_id("app"), now=now)
            store.insert_application(session, application)
            context.outbox.add(
                session,
                topic=TOPIC_APPLICATIONS,
                subject_key=application.application_id,
                payload=application_submitted(application),
                causation_id=request_id,
            )
            record_result(
                session,
                context.store.idempotency,
                method="SubmitApplication",
                request_id=request_id,
                fingerprint=fingerprint,
                result_ref=application.application_id,
            )
        return application

    def get_application(self, application_id: str) -> Application:
        assert self.context.database is not None
        with self.context.database.transaction() as session:
            application = store.get_application(session, application_id)
        if application is None:
            raise NotFound(f"no application {application_id!r}")
        return application
