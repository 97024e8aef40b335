"""Use-cases of near-relative registration (DOMAIN §12.2, §7.2 rows 8 and 21): the township or the county
registers that a case's household is a near relative of a staff member; the registration goes to the
separate archive, the case's county survey becomes mandatory and the staff member recuses from the case.
An existing beneficiary is registered on its approved case while the entitlement runs: the entitlement is
marked, and the staff member recuses from its reviews and decisions. One transaction with the audit lines
(the case's, and the entitlement's), idempotent on the request_id.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from doudi_common.errors import AlreadyExists, FailedPrecondition
from doudi_common.ids import new_id
from doudi_eligibility.app.common import Actor
from doudi_eligibility.app.procedure import ProcedureUseCases
from doudi_eligibility.domain.machines.procedure import Step
from doudi_eligibility.domain.near_relative import NearRelativeRegistration, StaffRelation
from doudi_eligibility.store import near_relatives as archive
from doudi_eligibility.store import records as store
from doudi_eligibility.store.records import CaseRecord, EntitlementRecord


@dataclass(frozen=True)
class Registered:
    registration: NearRelativeRegistration
    case: CaseRecord


@dataclass
class NearRelatives:
    procedure: ProcedureUseCases

    def register(
        self, request_id: str, application_id: str, staff: StaffRelation, actor: Actor
    ) -> Registered:
        procedure = self.procedure
        registration_id = new_id("nrr")
        with procedure.database.transaction() as session:

            def perform() -> tuple[str, Registered]:
                record = procedure.case_record(session, application_id)
                case = record.case.register_near_relative(staff.staff_user_id, actor.role)
                found = archive.find_registration(session, application_id, staff.staff_user_id)
                if found is not None:
                    raise AlreadyExists(
                        f"{staff.staff_user_id} is already registered for case {application_id} "
                        f"({found.registration_id})"
                    )
                decided = case.step is Step.APPROVED
                beneficiary = self._beneficiary(session, record, actor) if decided else None
                registration = NearRelativeRegistration(
                    registration_id=registration_id,
                    application_id=application_id,
                    region=record.application.region,
                    staff=staff,
                    registered_by=actor.user_id,
                    registered_role=actor.role.value,
                    registered_at=procedure.clock(),
                )
                archive.insert_registration(session, registration)
                moved = replace(record, case=case)
                # The audit line names the registration, not the note (which stays sealed in the archive).
                detail: dict[str, object] = {
                    "registration_id": registration_id,
                    "staff_user_id": staff.staff_user_id,
                    "staff_position": staff.position.value,
                    "relation": staff.relation.value,
                }
                if beneficiary is None:
                    detail.update(county_survey="MANDATORY", county_survey_done=case.county_survey_done)
                else:
                    # An existing beneficiary: the case is decided; the recusal applies to the entitlement.
                    self._mark(session, beneficiary, actor, detail)
                    detail["entitlement_id"] = beneficiary.entitlement_id
                procedure.save_case(session, moved, "near relative registered", actor, detail)
                return registration_id, Registered(registration, moved)

            def replay(ref: str) -> Registered:
                found = archive.get_registration(session, ref)
                assert found is not None
                return Registered(found, procedure.case_record(session, found.application_id, lock=False))

            return procedure.commands.once(
                session,
                "RegisterNearRelative",
                request_id,
                (
                    application_id,
                    staff.staff_user_id,
                    staff.position.value,
                    staff.organisation,
                    staff.relation.value,
                    staff.note,
                ),
                perform,
                replay,
                reference=registration_id,
            )

    def _beneficiary(self, session: Session, record: CaseRecord, actor: Actor) -> EntitlementRecord:
        """The running entitlement of an approved case (§12.2, an existing beneficiary), locked."""
        found = (
            store.get_entitlement(session, record.entitlement_id, for_update=True)
            if record.entitlement_id
            else None
        )
        if found is None:
            raise FailedPrecondition(
                f"case {record.application_id} is APPROVED without an entitlement: there is nothing to review"
            )
        found.entitlement.register_near_relative(actor.role)
        return found

    def _mark(
        self, session: Session, record: EntitlementRecord, actor: Actor, detail: dict[str, object]
    ) -> None:
        """The entitlement's steps now look up who recuses; its history names the registration."""
        store.save_entitlement(session, replace(record, near_relative=True), self.procedure.clock())
        self.procedure.commands.audit(
            session,
            record.entitlement_id,
            "near relative registered",
            actor,
            {**detail, "state": record.entitlement.state.value},
        )

    def list(
        self, region_prefix: str, application_id: str, after: str | None, limit: int
    ) -> list[NearRelativeRegistration]:
        with self.procedure.database.read() as session:
            return archive.list_registrations(
                session,
                region_prefix=region_prefix,
                application_id=application_id,
                after=after,
                limit=limit,
            )
