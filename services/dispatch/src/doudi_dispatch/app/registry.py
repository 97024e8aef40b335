"""Use-cases on the vulnerable-person registry and declared disasters (DOMAIN §8.2 M3, §9.1)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from doudi_common.errors import NotFound
from doudi_common.ids import new_id
from doudi_dispatch.app import metrics
from doudi_dispatch.app.incidents import IncidentUseCases
from doudi_dispatch.domain import incident as incidents_domain
from doudi_dispatch.domain import registry as domain
from doudi_dispatch.domain.fields import MAX_TEXT_LENGTH, raise_if_any, text_violation
from doudi_dispatch.domain.registry import Disaster, DisasterDeclaration, VulnerablePerson
from doudi_dispatch.events import publish
from doudi_dispatch.store import incidents as incident_store
from doudi_dispatch.store import registry as store
from doudi_runtime.commands import AfterCommit, Commands, request_id_check, validate_together
from doudi_runtime.idempotency import fingerprint_of


@dataclass
class RegistryUseCases(Commands):
    """The registry is fed by RPC (care's ledgers; later care's events) and read when disaster strikes."""

    incidents: IncidentUseCases | None = None

    def _person(self, session: Session, id_number: str, *, removed: bool = False) -> VulnerablePerson:
        person = store.get_person(session, id_number, removed=removed)
        if person is None:
            raise NotFound("no such person in the registry")
        return person

    def _answered(self, session: Session, reference: str) -> VulnerablePerson:
        """The person an earlier request answered: its reference is the row id (an identity number for
        answers recorded before the registry was sealed)."""
        person = store.person_of_row(session, reference)
        return person if person is not None else self._person(session, reference, removed=True)

    def register_person(self, request_id: str, person: VulnerablePerson) -> VulnerablePerson:
        """Enter or update one person, keyed by identity number."""
        validate_together(request_id_check(request_id), lambda: domain.register(person, now=self.clock()))

        def perform(session: Session, now: datetime, _after: AfterCommit) -> tuple[str, VulnerablePerson]:
            registered = domain.register(person, now=now)
            return store.upsert_person(session, registered), registered

        return self.once(
            "RegisterVulnerablePerson", request_id, fingerprint_of(person), perform, self._answered
        )

    def unregister_person(self, request_id: str, id_number: str, reason: str) -> VulnerablePerson:
        now = self.clock()
        validate_together(
            request_id_check(request_id),
            lambda: domain.validate_id_number(id_number, "person", now=now),
            lambda: raise_if_any([text_violation(reason, "reason", MAX_TEXT_LENGTH)]),
        )
        number = id_number.strip().upper()

        def perform(session: Session, now: datetime, _after: AfterCommit) -> tuple[str, VulnerablePerson]:
            person = self._person(session, number)
            person_id = store.remove_person(session, number, reason.strip(), now)
            assert person_id is not None
            return person_id, person

        return self.once(
            "UnregisterVulnerablePerson", request_id, fingerprint_of(number, reason), perform, self._answered
        )

    def declare_disaster(self, request_id: str, declaration: DisasterDeclaration) -> Disaster:
        """Every registered person in the area gets a check-on task, offered by the dispatch loop.

        A person whose earlier check-on task is still open gets no second one. The tasks are created
        OPEN and due at once, so the declaration commits quickly however many people live in the area
        and the loop offers them in batches, each to the nearest available volunteers.
        """
        validate_together(request_id_check(request_id), lambda: domain.validate_declaration(declaration))
        assert self.incidents is not None
        incidents = self.incidents

        def perform(session: Session, now: datetime, after: AfterCommit) -> tuple[str, Disaster]:
            region = domain.validate_declaration(declaration)
            disaster = Disaster(new_id("dis"), region.code, declaration.description.strip(), now, 0)
            persons = store.persons_in(session, region)
            already = incident_store.persons_with_open_check_on(session, (p.id_number for p in persons))
            created = 0
            for person in persons:
                if person.id_number in already:
                    continue
                task = incidents_domain.report(
                    domain.check_on_report(person, disaster), incident_id=new_id("inc"), now=now
                )
                incident_store.insert_incident(session, task)
                incidents.announce(session, task, publish.incident_reported(task), request_id)
                created += 1
            disaster = replace(disaster, check_on_tasks=created)
            if created:
                kind = incidents_domain.IncidentKind.CHECK_ON
                after.add(lambda: metrics.INCIDENTS.labels(kind.value).inc(created))
            store.insert_disaster(session, disaster)
            self.persistence.outbox.add(
                session,
                topic=publish.TOPIC_DISASTERS,
                subject_key=disaster.disaster_id,
                payload=publish.disaster_declared(disaster),
                causation_id=request_id,
            )
            return disaster.disaster_id, disaster

        def replay(session: Session, disaster_id: str) -> Disaster:
            disaster = store.get_disaster(session, disaster_id)
            assert disaster is not None
            return disaster

        return self.once("DeclareDisaster", request_id, fingerprint_of(declaration), perform, replay)
