"""Use-cases of the deciding authority's supervision of a case before it decides (DOMAIN §6, §7.2 rows 20,
21 and 24; §7.5): it returns a file for more investigation, surveys the household itself, extends the time
limit of a complex case, and records the disabled persons' federation's review of a disability subsidy. Each
step is a transition of the procedure's machine, taken in one transaction
with its audit record and idempotent on the request_id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

from sqlalchemy.orm import Session

from doudi_common.errors import FieldViolation, InvalidArgument
from doudi_eligibility.app.common import Actor, require_text
from doudi_eligibility.app.procedure import ProcedureUseCases
from doudi_eligibility.store.records import CaseRecord


class SurveyBasis(StrEnum):
    """Why the county surveys (row 21)."""

    MANDATORY = "MANDATORY"
    SAMPLED = "SAMPLED"
    DISCRETIONARY = "DISCRETIONARY"


@dataclass
class ConfirmationSteps:
    procedure: ProcedureUseCases

    def return_for_investigation(
        self, request_id: str, application_id: str, reason: str, actor: Actor
    ) -> CaseRecord:
        """Row 20: the file goes back to the township's initial opinion; the clock keeps running."""
        text = require_text(reason, "reason")

        def step(session: Session, record: CaseRecord) -> tuple[CaseRecord, str, dict[str, object]]:
            record.case.require_not_recused("return the file", actor.user_id)
            params = self.procedure.params_for(session, record)
            case = record.case.return_for_investigation(actor.role, params)
            return replace(record, case=case), "returned for investigation", {"reason": text}

        return self._step("ReturnForInvestigation", request_id, application_id, (text,), actor, step)

    def extend_deadline(self, request_id: str, application_id: str, reason: str, actor: Actor) -> CaseRecord:
        """Row 24, §6: the county extends a complex case to the longer limit once, with its reason; the
        deadline shown and the overdue flag follow the extended limit."""
        text = require_text(reason, "reason")

        def step(session: Session, record: CaseRecord) -> tuple[CaseRecord, str, dict[str, object]]:
            # The limits in force when the clock started, as for the standard deadline.
            params = self.procedure.params_for(session, record, record.case.accepted_on)
            case = record.case.extend(text, actor.role)
            due = case.deadline(params, self.procedure.calendar)
            detail: dict[str, object] = {
                "reason": text,
                "deadline_before": record.deadline.isoformat(),
                "deadline": due.isoformat(),
                # A breach already alerted stays in the record: the extension does not erase it.
                "after_deadline": self.procedure.today() > record.deadline,
            }
            return replace(record, case=case, deadline=due), "deadline extended", detail

        return self._step("ExtendDeadline", request_id, application_id, (text,), actor, step)

    def record_county_survey(
        self,
        request_id: str,
        application_id: str,
        surveyors: tuple[str, ...],
        findings: str,
        basis: SurveyBasis,
        actor: Actor,
    ) -> CaseRecord:
        """Row 21: the county's own home survey of a case under confirmation review; the case stays there,
        and a decision that needed the survey may now be taken."""
        violations: list[FieldViolation] = []
        staff = tuple(dict.fromkeys(s.strip() for s in surveyors if s.strip()))
        if len(staff) < 2:
            violations.append(FieldViolation("surveyor_ids", "a home survey needs at least two staff"))
        if not findings.strip() or len(findings.strip()) > 4000:
            violations.append(FieldViolation("findings", "is required, at most 4000 characters"))
        if violations:
            raise InvalidArgument(violations)
        text = findings.strip()

        def step(session: Session, record: CaseRecord) -> tuple[CaseRecord, str, dict[str, object]]:
            record.case.require_not_recused("record a county home survey", actor.user_id, *staff)
            case = record.case.record_county_survey(actor.role)
            detail: dict[str, object] = {
                "surveyors": list(staff),
                "findings": text,
                "basis": basis.value,
                "was_required": record.case.county_survey_required,
                "was_mandatory": record.case.county_survey_mandatory,
            }
            return replace(record, case=case), "county home survey recorded", detail

        return self._step(
            "RecordCountySurvey", request_id, application_id, (staff, text, basis.value), actor, step
        )

    def record_federation_review(
        self, request_id: str, application_id: str, confirmed: bool, opinion: str, actor: Actor
    ) -> CaseRecord:
        """§7.5: the disabled persons' federation reviews a disability-subsidy file before the county
        decides; the case stays under confirmation review."""
        text = require_text(opinion, "opinion")

        def step(session: Session, record: CaseRecord) -> tuple[CaseRecord, str, dict[str, object]]:
            case = record.case.record_federation_review(confirmed, actor.role)
            detail: dict[str, object] = {"confirmed": confirmed, "opinion": text}
            return replace(record, case=case), "federation review recorded", detail

        return self._step(
            "RecordFederationReview", request_id, application_id, (confirmed, text), actor, step
        )

    def _step(
        self,
        method: str,
        request_id: str,
        application_id: str,
        parts: tuple[object, ...],
        actor: Actor,
        step: Callable[[Session, CaseRecord], tuple[CaseRecord, str, dict[str, object]]],
    ) -> CaseRecord:
        procedure = self.procedure
        with procedure.database.transaction() as session:

            def perform() -> tuple[str, CaseRecord]:
                record = procedure.case_record(session, application_id)
                moved, action, detail = step(session, record)
                procedure.save_case(session, moved, action, actor, detail)
                return application_id, moved

            return procedure.commands.once(
                session,
                method,
                request_id,
                (application_id, *parts),
                perform,
                lambda ref: procedure.case_record(session, ref),
            )
