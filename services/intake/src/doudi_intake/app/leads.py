"""Use-cases on leads and referrals: each opens one transaction, changes state, and writes its events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from google.protobuf.message import Message
from sqlalchemy.orm import Session

from doudi_common.errors import InvalidArgument, NotFound
from doudi_common.ids import new_id
from doudi_common.region import RegionCode
from doudi_common.validation import validate_together
from doudi_intake.app.applications import ApplicationUseCases
from doudi_intake.domain import leads, referrals
from doudi_intake.domain.application import Application, Submission, local_date, validate_submission
from doudi_intake.events import publish
from doudi_intake.store import leads as store
from doudi_runtime.idempotency import fingerprint_of, run_once, validate_request_id
from doudi_runtime.paging import Page
from doudi_runtime.service import Persistence


@dataclass
class LeadUseCases:
    """Leads share the window's store, clock and time limits with applications."""

    applications: ApplicationUseCases

    @property
    def persistence(self) -> Persistence:
        return self.applications.persistence

    def _announce_lead(self, session: Session, lead: leads.Lead, payload: Message, cause: str) -> None:
        self.persistence.outbox.add(
            session, topic=publish.TOPIC_LEADS, subject_key=lead.lead_id, payload=payload, causation_id=cause
        )

    def _load(self, session: Session, lead_id: str) -> leads.Lead:
        if not lead_id:
            raise InvalidArgument.single("lead_id", "is required")
        lead = store.get_lead(session, lead_id)
        if lead is None:
            raise NotFound(f"no lead {lead_id!r}")
        return lead

    def _once(
        self,
        session: Session,
        method: str,
        request_id: str,
        fingerprint: str,
        perform: Callable[[], tuple[str, leads.Lead]],
    ) -> leads.Lead:
        return run_once(
            session,
            self.persistence.store.idempotency,
            method=method,
            request_id=request_id,
            fingerprint=fingerprint,
            perform=perform,
            replay=lambda reference: self._load(session, reference),
        )

    def register(self, request_id: str, report: leads.LeadReport) -> leads.Lead:
        now = self.applications.clock()
        validate_together(
            lambda: validate_request_id(request_id), lambda: leads.validate_report(report, local_date(now))
        )
        with self.persistence.database.transaction() as session:

            def perform() -> tuple[str, leads.Lead]:
                lead = self.register_in(session, report, cause=request_id, now=now)
                return lead.lead_id, lead

            return self._once(session, "RegisterLead", request_id, fingerprint_of(report), perform)

    def register_in(
        self, session: Session, report: leads.LeadReport, *, cause: str, now: datetime | None = None
    ) -> leads.Lead:
        """Register a lead inside the caller's transaction (an API call, or an event through the inbox)."""
        at = now or self.applications.clock()
        lead = leads.register(report, lead_id=new_id("lead"), now=at, limits=self.applications.limits)
        store.insert_lead(session, lead)
        self._announce_lead(session, lead, publish.lead_registered(lead), cause)
        return lead

    def _change(
        self,
        method: str,
        request_id: str,
        lead_id: str,
        fingerprint: str,
        change: Callable[[leads.Lead, datetime], leads.Lead],
    ) -> leads.Lead:
        validate_request_id(request_id)
        now = self.applications.clock()
        with self.persistence.database.transaction() as session:

            def perform() -> tuple[str, leads.Lead]:
                changed = change(self._load(session, lead_id), now)
                store.save_lead(session, changed)
                self._announce_lead(session, changed, publish.lead_updated(changed), request_id)
                return changed.lead_id, changed

            return self._once(session, method, request_id, fingerprint_of(lead_id, fingerprint), perform)

    def contact(self, request_id: str, lead_id: str, note: str) -> leads.Lead:
        return self._change(
            "ContactLead", request_id, lead_id, note, lambda lead, now: leads.contact(lead, note, now=now)
        )

    def close(
        self, request_id: str, lead_id: str, outcome: leads.LeadState | None, reason: str
    ) -> leads.Lead:
        if outcome is None:
            raise InvalidArgument.single("outcome", "must be DECLINED or NOT_NEEDED")
        return self._change(
            "CloseLead",
            request_id,
            lead_id,
            fingerprint_of(outcome, reason),
            lambda lead, now: leads.close(lead, outcome, reason, now=now),
        )

    def convert(
        self, request_id: str, lead_id: str, submission: Submission, mandate_reference: str
    ) -> tuple[leads.Lead, Application]:
        """The household signed: submit on its behalf and mark the lead converted, in one transaction."""
        now = self.applications.clock()
        validate_together(
            lambda: validate_request_id(request_id),
            lambda: validate_submission(submission, local_date(now)),
            lambda: leads.require_mandate(mandate_reference),
        )
        with self.persistence.database.transaction() as session:
            lead = self._load(session, lead_id)
            if lead.state is leads.LeadState.CONVERTED:
                application = self.applications.get_in(session, lead.application_id)
                return lead, application
            application = self.applications.submit_in(
                session, f"{request_id}:application", submission, now, lead.lead_id, mandate_reference
            )

            def perform() -> tuple[str, leads.Lead]:
                converted = leads.convert(lead, application, now=now)
                store.save_lead(session, converted)
                self._announce_lead(session, converted, publish.lead_converted(converted), request_id)
                return converted.lead_id, converted

            converted = self._once(
                session, "ConvertLead", request_id, fingerprint_of(lead_id, mandate_reference), perform
            )
            return converted, application

    def get(self, lead_id: str) -> leads.Lead:
        with self.persistence.database.read() as session:
            return self._load(session, lead_id)

    def list(self, region: str, state: leads.LeadState | None, page: Page) -> list[leads.Lead]:
        parsed = RegionCode.parse(region, field="region")
        with self.persistence.database.read() as session:
            return store.list_leads(session, parsed.prefix, state, page)


@dataclass
class ReferralUseCases:
    applications: ApplicationUseCases

    @property
    def persistence(self) -> Persistence:
        return self.applications.persistence

    def _load(self, session: Session, referral_id: str) -> referrals.Referral:
        if not referral_id:
            raise InvalidArgument.single("referral_id", "is required")
        referral = store.get_referral(session, referral_id)
        if referral is None:
            raise NotFound(f"no referral {referral_id!r}")
        return referral

    def _record(
        self,
        session: Session,
        method: str,
        request_id: str,
        fingerprint: str,
        change: Callable[[], tuple[referrals.Referral, Message, bool]],
    ) -> referrals.Referral:
        def perform() -> tuple[str, referrals.Referral]:
            referral, payload, is_new = change()
            (store.insert_referral if is_new else store.save_referral)(session, referral)
            self.persistence.outbox.add(
                session,
                topic=publish.TOPIC_REFERRALS,
                subject_key=referral.referral_id,
                payload=payload,
                causation_id=request_id,
            )
            return referral.referral_id, referral

        return run_once(
            session,
            self.persistence.store.idempotency,
            method=method,
            request_id=request_id,
            fingerprint=fingerprint,
            perform=perform,
            replay=lambda reference: self._load(session, reference),
        )

    def refer(self, request_id: str, request: referrals.ReferralRequest) -> referrals.Referral:
        now = self.applications.clock()
        validate_request_id(request_id)

        def change() -> tuple[referrals.Referral, Message, bool]:
            referral = referrals.create(
                request, referral_id=new_id("ref"), now=now, limits=self.applications.limits
            )
            return referral, publish.referral_created(referral), True

        with self.persistence.database.transaction() as session:
            return self._record(session, "ReferToDepartment", request_id, fingerprint_of(request), change)

    def progress(
        self, request_id: str, referral_id: str, to: referrals.ReferralState | None, result: str
    ) -> referrals.Referral:
        now = self.applications.clock()
        validate_request_id(request_id)
        with self.persistence.database.transaction() as session:

            def change() -> tuple[referrals.Referral, Message, bool]:
                referral = referrals.progress(self._load(session, referral_id), to, result, now=now)
                return referral, publish.referral_progressed(referral), False

            return self._record(
                session,
                "RecordReferralProgress",
                request_id,
                fingerprint_of(referral_id, to, result),
                change,
            )

    def get(self, referral_id: str) -> referrals.Referral:
        with self.persistence.database.read() as session:
            return self._load(session, referral_id)
