"""Use-cases on incidents: report and match, accept, arrive, hand over, close, and the dispatch loop."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from google.protobuf.message import Message
from sqlalchemy.orm import Session

from doudi_common.calendar import china_date
from doudi_common.errors import InvalidArgument, NotFound
from doudi_common.ids import new_id
from doudi_common.region import RegionCode
from doudi_dispatch.app import metrics
from doudi_dispatch.domain import escalation
from doudi_dispatch.domain import incident as domain
from doudi_dispatch.domain.escalation import AlertTownship, Decision, DispatchPolicy, OfferWave
from doudi_dispatch.domain.geo import GeoPoint
from doudi_dispatch.domain.incident import HandOverReport, Incident, IncidentReport, IncidentState
from doudi_dispatch.domain.matching import SearchArea, nearest_candidates
from doudi_dispatch.events import publish
from doudi_dispatch.store import incidents as store
from doudi_dispatch.store import teams as team_store
from doudi_runtime.commands import AfterCommit, Commands, request_id_check, require_id, validate_together
from doudi_runtime.idempotency import fingerprint_of, run_once
from doudi_runtime.paging import Page
from doudi_runtime.store.hooks import after_commit

log = logging.getLogger(__name__)


@dataclass
class IncidentUseCases(Commands):
    policy: DispatchPolicy = field(default_factory=DispatchPolicy)
    batch_size: int = 100
    area: SearchArea = field(default_factory=SearchArea)

    # -- plumbing -------------------------------------------------------------------------------

    def announce(self, session: Session, incident: Incident, payload: Message, cause: str) -> None:
        self.persistence.outbox.add(
            session,
            topic=publish.TOPIC_INCIDENTS,
            subject_key=incident.incident_id,
            payload=payload,
            causation_id=cause,
        )

    def _load(self, session: Session, incident_id: str, *, for_update: bool = False) -> Incident:
        incident = store.get_incident(session, incident_id, for_update=for_update)
        if incident is None:
            raise NotFound(f"no incident {incident_id!r}")
        return incident

    def _replay(self, session: Session, incident_id: str) -> Incident:
        return self._load(session, incident_id)

    def match(self, session: Session, incident: Incident, now: datetime) -> tuple[Incident, Decision]:
        """Offer the incident to the next volunteers, or alert the township, when it is due."""
        origin = incident.location or team_store.team_base(session, incident.region)
        candidates = nearest_candidates(
            lambda box, skill: team_store.township_pool(session, incident.township, box, skill),
            wanted=self.policy.wave_size,
            skill=incident.required_skill,
            origin=origin,
            village=incident.region,
            excluded=store.busy_volunteers(session, incident.township) | incident.offered_ids,
            area=self.area,
        )
        return escalation.advance(incident, now, self.policy, candidates)

    def _announce_escalation(
        self,
        session: Session,
        incident: Incident,
        decision: Decision,
        now: datetime,
        cause: str,
        after: AfterCommit,
    ) -> None:
        to_township = isinstance(decision, AlertTownship)
        if not (to_township or (isinstance(decision, OfferWave) and decision.escalation)):
            return
        self.announce(
            session, incident, publish.incident_escalated(incident, to_township=to_township, at=now), cause
        )
        target = "township" if to_township else "next_volunteers"
        after.add(lambda: metrics.ESCALATIONS.labels(target).inc())

    def _change(
        self,
        method: str,
        request_id: str,
        incident_id: str,
        fingerprint: str,
        change: Callable[[Session, Incident, datetime, AfterCommit], Incident],
    ) -> Incident:
        def perform(session: Session, now: datetime, after: AfterCommit) -> tuple[str, Incident]:
            changed = change(session, self._load(session, incident_id, for_update=True), now, after)
            store.save_incident(session, changed)
            return changed.incident_id, changed

        return self.once(method, request_id, fingerprint_of(incident_id, fingerprint), perform, self._replay)

    # -- commands -------------------------------------------------------------------------------

    def report(self, request_id: str, incident_report: IncidentReport) -> Incident:
        """DOMAIN §10.3 "Report" and "Dispatch": record the incident and offer it at once."""
        validate_together(
            request_id_check(request_id),
            lambda: domain.validate_report(incident_report, china_date(self.clock())),
        )

        return self.once(
            "ReportIncident",
            request_id,
            fingerprint_of(incident_report),
            self._reporting(incident_report, request_id),
            self._replay,
        )

    def report_in(self, session: Session, key: str, incident_report: IncidentReport) -> Incident:
        """Report inside the caller's transaction (the inbox's, for another service's event), once per
        ``key``: the same key again finds the incident it opened."""
        domain.validate_report(incident_report, china_date(self.clock()))
        after = AfterCommit()
        now = self.clock()
        incident = run_once(
            session,
            self.persistence.store.idempotency,
            method="ReportIncident",
            request_id=key,
            fingerprint=fingerprint_of(incident_report),
            perform=lambda: self._reporting(incident_report, key)(session, now, after),
            replay=lambda reference: self._replay(session, reference),
        )
        after_commit(session, after.run)
        return incident

    def _reporting(
        self, incident_report: IncidentReport, cause: str
    ) -> Callable[[Session, datetime, AfterCommit], tuple[str, Incident]]:
        def perform(session: Session, now: datetime, after: AfterCommit) -> tuple[str, Incident]:
            reported = domain.report(incident_report, incident_id=new_id("inc"), now=now)
            incident, decision = self.match(session, reported, now)
            store.insert_incident(session, incident)
            after.add(lambda: metrics.INCIDENTS.labels(incident.kind.value).inc())
            self.announce(session, incident, publish.incident_reported(incident), cause)
            self._announce_escalation(session, incident, decision, now, cause, after)
            return incident.incident_id, incident

        return perform

    def accept(self, request_id: str, incident_id: str, volunteer_id: str) -> tuple[Incident, bool]:
        """The first volunteer to accept leads (DOMAIN §10.3); (incident, whether this volunteer leads)."""
        validate_together(
            request_id_check(request_id),
            require_id(incident_id, "incident_id"),
            require_id(volunteer_id, "volunteer_id"),
        )

        def perform(session: Session, now: datetime, after: AfterCommit) -> tuple[str, tuple[Incident, bool]]:
            incident = self._load(session, incident_id, for_update=True)
            if team_store.get_volunteer(session, volunteer_id) is None:
                raise NotFound(f"no volunteer {volunteer_id!r}")
            accepted, leading = domain.accept(incident, volunteer_id, now=now)
            if accepted is not incident:
                store.save_incident(session, accepted)
            if incident.state is not IncidentState.ACCEPTED and accepted.state is IncidentState.ACCEPTED:
                self.announce(session, accepted, publish.team_dispatched(accepted), request_id)
                waited = (now - accepted.reported_at).total_seconds()
                after.add(lambda: metrics.TIME_TO_ACCEPT.labels(accepted.kind.value).observe(waited))
            return accepted.incident_id, (accepted, leading)

        def replay(session: Session, reference: str) -> tuple[Incident, bool]:
            incident = self._load(session, reference)
            return incident, incident.lead_volunteer_id == volunteer_id

        return self.once(
            "AcceptOffer", request_id, fingerprint_of(incident_id, volunteer_id), perform, replay
        )

    def arrive(
        self, request_id: str, incident_id: str, volunteer_id: str, location: GeoPoint | None
    ) -> Incident:
        validate_together(
            request_id_check(request_id),
            require_id(incident_id, "incident_id"),
            require_id(volunteer_id, "volunteer_id"),
        )

        def change(session: Session, incident: Incident, now: datetime, after: AfterCommit) -> Incident:
            arrived = domain.arrive(incident, volunteer_id, now=now, location=location)
            if incident.state is IncidentState.ACCEPTED and arrived.state is IncidentState.ON_SCENE:
                self.announce(session, arrived, publish.team_arrived(arrived), request_id)
                took = (now - arrived.reported_at).total_seconds()
                after.add(lambda: metrics.TIME_TO_ARRIVE.labels(arrived.kind.value).observe(took))
            return arrived

        return self._change(
            "ArriveOnScene", request_id, incident_id, fingerprint_of(volunteer_id, location), change
        )

    def hand_over(self, request_id: str, incident_id: str, command: HandOverReport) -> Incident:
        """DOMAIN §10.3 "Report and hand over": the township gets the case; intake and monitoring hear it."""
        validate_together(
            request_id_check(request_id),
            require_id(incident_id, "incident_id"),
            lambda: domain.validate_hand_over(command, china_date(self.clock())),
        )

        def change(session: Session, incident: Incident, now: datetime, _after: AfterCommit) -> Incident:
            handed = domain.hand_over(incident, command, now=now)
            self.announce(session, handed, publish.incident_handed_over(handed), request_id)
            return handed

        return self._change("HandOver", request_id, incident_id, fingerprint_of(command), change)

    def close(self, request_id: str, incident_id: str, reason: str) -> Incident:
        validate_together(request_id_check(request_id), require_id(incident_id, "incident_id"))

        def change(session: Session, incident: Incident, now: datetime, _after: AfterCommit) -> Incident:
            closed = domain.close(incident, reason, now=now)
            self.announce(session, closed, publish.incident_closed(closed), request_id)
            return closed

        return self._change("CloseIncident", request_id, incident_id, reason, change)

    # -- the dispatch loop ----------------------------------------------------------------------

    def run_due(self, batch_size: int | None = None) -> int:
        """Offer or escalate every incident that is due; returns how many changed.

        Each incident is handled in its own transaction under its row lock, so a volunteer accepting
        at the same moment either wins (and the incident is no longer due) or sees the new wave.
        """
        database = self.persistence.database
        now = self.clock()
        with database.read() as session:
            due = store.due_incident_ids(session, now, batch_size or self.batch_size)
        changed = 0
        for incident_id in due:
            after = AfterCommit()
            with database.transaction() as session:
                incident = store.get_incident(session, incident_id, for_update=True)
                if incident is None:
                    continue
                advanced, decision = self.match(session, incident, now)
                if advanced is incident:
                    continue
                self._announce_escalation(session, advanced, decision, now, "dispatch-loop", after)
                store.save_incident(session, advanced)
                changed += 1
            after.run()
        self.refresh_open_gauge()
        if changed:
            log.info("incidents offered or escalated", extra={"count": changed})
        return changed

    def refresh_open_gauge(self) -> None:
        with self.persistence.database.read() as session:
            counts = store.open_counts(session)
        for state, count in counts.items():
            metrics.OPEN_INCIDENTS.labels(state.value).set(count)

    # -- queries --------------------------------------------------------------------------------

    def get(self, incident_id: str) -> Incident:
        validate_together(require_id(incident_id, "incident_id"))
        with self.persistence.database.read() as session:
            return self._load(session, incident_id)

    def list(self, region: str, state: IncidentState | None, disaster_id: str, page: Page) -> list[Incident]:
        code = RegionCode.parse(region, field="region")
        if len(disaster_id) > 40:
            raise InvalidArgument.single("disaster_id", "is not an id this service issued")
        with self.persistence.database.read() as session:
            return store.list_incidents(session, code, state, disaster_id, page)
