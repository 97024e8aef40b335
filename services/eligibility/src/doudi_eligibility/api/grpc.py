"""The eligibility gRPC API (doudi.eligibility.v1.EligibilityService): proto ↔ command, field-level
validation and paging; the procedure, the lifecycle and the rules live in app/ and domain/."""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from doudi.common.v1 import programme_pb2, types_pb2
from doudi.eligibility.v1 import eligibility_pb2, eligibility_pb2_grpc
from doudi_common.bank_account import PayeeAccount
from doudi_common.errors import InvalidArgument
from doudi_common.parameters.resolved import display
from doudi_common.region import RegionCode
from doudi_common.validation import Violations
from doudi_eligibility.api.actors import bind_actor
from doudi_eligibility.api.findings import event_facts, person_facts
from doudi_eligibility.api.status import beneficiary_status
from doudi_eligibility.app.common import Actor
from doudi_eligibility.app.confirmation import ConfirmationSteps, SurveyBasis
from doudi_eligibility.app.entitlements import EntitlementUseCases
from doudi_eligibility.app.exits import Exits
from doudi_eligibility.app.near_relatives import NearRelatives
from doudi_eligibility.app.parameters import NewVersion
from doudi_eligibility.app.procedure import ProcedureUseCases
from doudi_eligibility.app.redetermination import Redetermination
from doudi_eligibility.app.sanctions import WorkRefusalSanctions
from doudi_eligibility.app.standards import StandardsUseCases, VersionView
from doudi_eligibility.app.status import BeneficiaryStatus
from doudi_eligibility.app.temporary_assistance import TemporaryAssistanceUseCases
from doudi_eligibility.domain.machines.roles import Role
from doudi_eligibility.domain.machines.temporary_assistance import PostCheck, ReceivingBody, Triage
from doudi_eligibility.domain.near_relative import (
    NearRelation,
    NearRelativeRegistration,
    StaffPosition,
    staff_relation,
)
from doudi_eligibility.domain.rules.dibao_changes import ReferralOutcome
from doudi_eligibility.events import mapping
from doudi_runtime.grpc import context as call_context
from doudi_runtime.paging import next_token, parse_page

_ROLES = {
    eligibility_pb2.ACTOR_ROLE_VILLAGE: Role.VILLAGE,
    eligibility_pb2.ACTOR_ROLE_TOWNSHIP: Role.TOWNSHIP,
    eligibility_pb2.ACTOR_ROLE_COUNTY: Role.COUNTY,
    eligibility_pb2.ACTOR_ROLE_APPLICANT: Role.APPLICANT,
    eligibility_pb2.ACTOR_ROLE_PUBLIC: Role.PUBLIC,
    eligibility_pb2.ACTOR_ROLE_REVIEWING_BODY: Role.REVIEWING_BODY,
    eligibility_pb2.ACTOR_ROLE_FEDERATION: Role.FEDERATION,
}
_SURVEY_BASES = {
    eligibility_pb2.COUNTY_SURVEY_BASIS_MANDATORY: SurveyBasis.MANDATORY,
    eligibility_pb2.COUNTY_SURVEY_BASIS_SAMPLED: SurveyBasis.SAMPLED,
    eligibility_pb2.COUNTY_SURVEY_BASIS_DISCRETIONARY: SurveyBasis.DISCRETIONARY,
}
#: §12.2: the near relatives and the staff positions, proto ↔ domain (UNSPECIFIED maps to nothing).
_RELATIONS = {
    eligibility_pb2.NearRelation.Value(f"NEAR_RELATION_{relation.value}"): relation
    for relation in NearRelation
}
_RELATIONS_PB = {relation: number for number, relation in _RELATIONS.items()}
_STAFF_POSITIONS = {
    eligibility_pb2.NearRelativeStaffPosition.Value(f"NEAR_RELATIVE_STAFF_POSITION_{p.value}"): p
    for p in StaffPosition
}
_STAFF_POSITIONS_PB = {position: number for number, position in _STAFF_POSITIONS.items()}
_REFERRALS = {
    eligibility_pb2.REFERRAL_OUTCOME_ACCEPTED: ReferralOutcome.ACCEPTED,
    eligibility_pb2.REFERRAL_OUTCOME_REFUSED_WITHOUT_GOOD_REASON: ReferralOutcome.REFUSED_WITHOUT_GOOD_REASON,
    eligibility_pb2.REFERRAL_OUTCOME_REFUSED_WITH_GOOD_REASON: ReferralOutcome.REFUSED_WITH_GOOD_REASON,
    eligibility_pb2.REFERRAL_OUTCOME_UNSUITABLE: ReferralOutcome.UNSUITABLE,
}
_TRIAGES = {
    eligibility_pb2.TA_TRIAGE_URGENT: Triage.URGENT,
    eligibility_pb2.TA_TRIAGE_EXPENDITURE: Triage.EXPENDITURE,
    eligibility_pb2.TA_TRIAGE_REFERRED_OUT: Triage.REFERRED_OUT,
}
_RECEIVING_BODIES = {
    eligibility_pb2.TA_RECEIVING_BODY_EMERGENCY_MANAGEMENT: ReceivingBody.EMERGENCY_MANAGEMENT,
    eligibility_pb2.TA_RECEIVING_BODY_RELIEF_STATION: ReceivingBody.RELIEF_STATION,
}
_POST_CHECKS = {
    eligibility_pb2.TA_POST_CHECK_OUTCOME_MISREPRESENTED: PostCheck.MISREPRESENTED,
    eligibility_pb2.TA_POST_CHECK_OUTCOME_GOOD_FAITH: PostCheck.GOOD_FAITH,
}
_CATEGORIES = {
    programme_pb2.HOUSEHOLD_CATEGORY_A: "A",
    programme_pb2.HOUSEHOLD_CATEGORY_B: "B",
    programme_pb2.HOUSEHOLD_CATEGORY_C: "C",
}


def _actor(request: object, v: Violations) -> Actor:
    message = bind_actor(request.actor, call_context.current_caller())  # type: ignore[attr-defined]
    role = _ROLES.get(message.role)
    v.check(role is not None, "actor.role", "is required: the role the step is taken in")
    if role is not Role.PUBLIC:
        v.check(bool(message.user_id.strip()), "actor.user_id", "is required")
    return Actor(role or Role.PUBLIC, message.user_id.strip() or "anonymous")


def _common(request: object, *required: str) -> tuple[Actor, Violations]:
    v = Violations()
    v.check(
        bool(request.request_id), "request_id", "is required: a client-chosen key that makes retries safe"
    )  # type: ignore[attr-defined]
    for name in required:
        v.check(bool(getattr(request, name)), name, "is required")
    return _actor(request, v), v


def _region_prefix(code: str) -> str:
    """A list's region filter as a code prefix ("" for none)."""
    return RegionCode.parse(code, field="region").prefix if code else ""


def version_pb(view: VersionView) -> eligibility_pb2.ParameterVersion:
    p = view.sourced.parameters
    return eligibility_pb2.ParameterVersion(
        set_id=p.set_id,
        region=types_pb2.RegionCode(code=p.region.code),
        effective_from=mapping.date_pb(p.effective_from),
        source=p.source,
        values={k: display(v) for k, v in p.values.items()},
        sources=dict(view.sourced.sources),
        shipped=view.shipped,
        published_at=mapping.timestamp(view.published_at) if view.published_at else None,
        published_by=view.published_by,
    )


def redetermination_pb(progress: Redetermination) -> eligibility_pb2.Redetermination:
    return eligibility_pb2.Redetermination(
        set_id=progress.set_id,
        done=progress.done,
        examined=progress.examined,
        changed=progress.changed,
        referred_to_review=progress.referred_to_review,
        started_at=mapping.timestamp(progress.started_at) if progress.started_at else None,
        finished_at=mapping.timestamp(progress.finished_at) if progress.finished_at else None,
    )


def near_relative_pb(registration: NearRelativeRegistration) -> eligibility_pb2.NearRelativeRegistration:
    staff = registration.staff
    return eligibility_pb2.NearRelativeRegistration(
        registration_id=registration.registration_id,
        application_id=registration.application_id,
        region=types_pb2.RegionCode(code=registration.region),
        staff_user_id=staff.staff_user_id,
        staff_position=_STAFF_POSITIONS_PB[staff.position],
        organisation=staff.organisation,
        relation=_RELATIONS_PB[staff.relation],
        note=staff.note,
        registered_by=registration.registered_by,
        registered_at=mapping.timestamp(registration.registered_at),
    )


@dataclass
class EligibilityApp:
    procedure: ProcedureUseCases
    entitlements: EntitlementUseCases
    standards: StandardsUseCases


class EligibilityApi(eligibility_pb2_grpc.EligibilityServiceServicer):
    def __init__(self, app: EligibilityApp) -> None:
        self._procedure = app.procedure
        self._entitlements = app.entitlements
        self._standards = app.standards
        self._confirmation = ConfirmationSteps(app.procedure)
        self._near_relatives = NearRelatives(app.procedure)
        self._sanctions = WorkRefusalSanctions(app.entitlements)
        self._exits = Exits(app.entitlements)
        self._ta = TemporaryAssistanceUseCases(app.procedure.commands, app.procedure.book)

    def _case(self, record) -> eligibility_pb2.Case:  # type: ignore[no-untyped-def]
        _, notice = self._procedure.get_case(record.application_id)
        return mapping.case_pb(record, self._procedure.today(), notice)

    # -- the procedure -------------------------------------------------------------------------

    def RecordHomeSurvey(
        self, request: eligibility_pb2.RecordHomeSurveyRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.RecordHomeSurveyResponse:
        actor, v = _common(request, "application_id")
        person = person_facts(request, v)
        event = event_facts(request, v)
        v.raise_if_any()
        record = self._procedure.record_home_survey(
            request.request_id,
            request.application_id,
            actor,
            tuple(request.surveyor_ids),
            request.findings,
            request.income_stable,
            _CATEGORIES.get(request.category_override, ""),
            request.override_reason,
            person,
            event,
        )
        return eligibility_pb2.RecordHomeSurveyResponse(case=self._case(record))

    def RecordDemocraticReview(
        self, request: eligibility_pb2.RecordDemocraticReviewRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.RecordDemocraticReviewResponse:
        actor, v = _common(request, "application_id", "minutes")
        v.raise_if_any()
        record = self._procedure.record_democratic_review(
            request.request_id, request.application_id, actor, request.minutes
        )
        return eligibility_pb2.RecordDemocraticReviewResponse(case=self._case(record))

    def Assess(
        self, request: eligibility_pb2.AssessRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.AssessResponse:
        actor, v = _common(request, "application_id")
        v.raise_if_any()
        proposed = self._procedure.assess(
            request.request_id, request.application_id, request.report_id, actor
        )
        return eligibility_pb2.AssessResponse(proposed=proposed)

    def PublishNotice(
        self, request: eligibility_pb2.PublishNoticeRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.PublishNoticeResponse:
        actor, v = _common(request, "application_id")
        v.raise_if_any()
        notice = self._procedure.publish_notice(request.request_id, request.application_id, actor)
        return eligibility_pb2.PublishNoticeResponse(
            notice_id=notice.notice_id, ends_on=notice.ends_on, notice=notice
        )

    def RaiseObjection(
        self, request: eligibility_pb2.RaiseObjectionRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.RaiseObjectionResponse:
        actor, v = _common(request, "notice_id", "content")
        v.raise_if_any()
        objection_id, record = self._procedure.raise_objection(
            request.request_id, request.notice_id, actor, request.content, request.real_name
        )
        return eligibility_pb2.RaiseObjectionResponse(objection_id=objection_id, case=self._case(record))

    def ConcludeObjection(
        self, request: eligibility_pb2.ConcludeObjectionRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.ConcludeObjectionResponse:
        actor, v = _common(request, "application_id", "findings")
        v.raise_if_any()
        record = self._procedure.conclude_objection(
            request.request_id, request.application_id, actor, request.findings
        )
        return eligibility_pb2.ConcludeObjectionResponse(case=self._case(record))

    def CloseNotice(
        self, request: eligibility_pb2.CloseNoticeRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.CloseNoticeResponse:
        actor, v = _common(request, "application_id")
        v.raise_if_any()
        record = self._procedure.close_notice(request.request_id, request.application_id, actor)
        return eligibility_pb2.CloseNoticeResponse(case=self._case(record))

    def Decide(
        self, request: eligibility_pb2.DecideRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.DecideResponse:
        actor, v = _common(request, "application_id", "reason")
        v.check(
            request.outcome
            in (eligibility_pb2.DECISION_OUTCOME_APPROVED, eligibility_pb2.DECISION_OUTCOME_REJECTED),
            "outcome",
            "must be APPROVED or REJECTED",
        )
        v.check(request.meeting_addition.amount_fen >= 0, "meeting_addition", "must not be negative")
        v.check(len(request.meeting_minutes) <= 4000, "meeting_minutes", "must be at most 4000 characters")
        requested = request.meeting_requested.amount_fen if request.HasField("meeting_requested") else None
        v.check(requested is None or requested >= 0, "meeting_requested", "must not be negative")
        v.raise_if_any()
        approve = request.outcome == eligibility_pb2.DECISION_OUTCOME_APPROVED
        decision, _ = self._procedure.decide(
            request.request_id,
            request.application_id,
            approve,
            request.reason,
            actor,
            request.meeting_addition.amount_fen,
            request.meeting_minutes,
            requested,
        )
        return eligibility_pb2.DecideResponse(decision=decision)

    def GetDecision(
        self, request: eligibility_pb2.GetDecisionRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.GetDecisionResponse:
        return eligibility_pb2.GetDecisionResponse(decision=self._procedure.get_decision(request.decision_id))

    def GetCase(
        self, request: eligibility_pb2.GetCaseRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.GetCaseResponse:
        record, notice = self._procedure.get_case(request.application_id)
        return eligibility_pb2.GetCaseResponse(case=mapping.case_pb(record, self._procedure.today(), notice))

    def ListCases(
        self, request: eligibility_pb2.ListCasesRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.ListCasesResponse:
        page = parse_page(request.page.page_size, request.page.page_token)
        step = (
            eligibility_pb2.CaseStep.Name(request.step).removeprefix("CASE_STEP_")
            if request.step != eligibility_pb2.CASE_STEP_UNSPECIFIED
            else None
        )
        records = self._procedure.list_cases(
            step, request.overdue_only, page.after, page.size + 1, _region_prefix(request.region.code)
        )
        today = self._procedure.today()
        return eligibility_pb2.ListCasesResponse(
            cases=[mapping.case_pb(r, today) for r in records[: page.size]],
            page=types_pb2.PageResponse(
                next_page_token=next_token([r.application_id for r in records], page)
            ),
        )

    # -- the deciding authority's supervision (rows 20, 21, 24) ---------------------------------

    def ReturnForInvestigation(
        self, request: eligibility_pb2.ReturnForInvestigationRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.ReturnForInvestigationResponse:
        actor, v = _common(request, "application_id", "reason")
        v.raise_if_any()
        record = self._confirmation.return_for_investigation(
            request.request_id, request.application_id, request.reason, actor
        )
        return eligibility_pb2.ReturnForInvestigationResponse(case=self._case(record))

    def ExtendDeadline(
        self, request: eligibility_pb2.ExtendDeadlineRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.ExtendDeadlineResponse:
        actor, v = _common(request, "application_id", "reason")
        v.raise_if_any()
        record = self._confirmation.extend_deadline(
            request.request_id, request.application_id, request.reason, actor
        )
        return eligibility_pb2.ExtendDeadlineResponse(case=self._case(record))

    def RecordCountySurvey(
        self, request: eligibility_pb2.RecordCountySurveyRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.RecordCountySurveyResponse:
        actor, v = _common(request, "application_id", "findings")
        basis = _SURVEY_BASES.get(request.basis)
        v.check(basis is not None, "basis", "is required: MANDATORY, SAMPLED or DISCRETIONARY")
        v.raise_if_any()
        assert basis is not None
        record = self._confirmation.record_county_survey(
            request.request_id,
            request.application_id,
            tuple(request.surveyor_ids),
            request.findings,
            basis,
            actor,
        )
        return eligibility_pb2.RecordCountySurveyResponse(case=self._case(record))

    # -- near-relative registration (§12.2) ---------------------------------------------------------

    def RegisterNearRelative(
        self, request: eligibility_pb2.RegisterNearRelativeRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.RegisterNearRelativeResponse:
        actor, v = _common(request, "application_id")
        try:
            staff = staff_relation(
                request.staff_user_id,
                _STAFF_POSITIONS.get(request.staff_position),
                request.organisation,
                _RELATIONS.get(request.relation),
                request.note,
            )
        except InvalidArgument as invalid:
            v.absorb(invalid)
            staff = None
        v.raise_if_any()
        assert staff is not None
        registered = self._near_relatives.register(request.request_id, request.application_id, staff, actor)
        return eligibility_pb2.RegisterNearRelativeResponse(
            registration=near_relative_pb(registered.registration), case=self._case(registered.case)
        )

    def ListNearRelativeRegistrations(
        self, request: eligibility_pb2.ListNearRelativeRegistrationsRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.ListNearRelativeRegistrationsResponse:
        page = parse_page(request.page.page_size, request.page.page_token)
        found = self._near_relatives.list(
            _region_prefix(request.region.code), request.application_id, page.after, page.size + 1
        )
        return eligibility_pb2.ListNearRelativeRegistrationsResponse(
            registrations=[near_relative_pb(r) for r in found[: page.size]],
            page=types_pb2.PageResponse(next_page_token=next_token([r.registration_id for r in found], page)),
        )

    def RecordFederationReview(
        self, request: eligibility_pb2.RecordFederationReviewRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.RecordFederationReviewResponse:
        actor, v = _common(request, "application_id", "opinion")
        v.check(
            request.outcome
            in (
                eligibility_pb2.FEDERATION_REVIEW_OUTCOME_CONFIRMED,
                eligibility_pb2.FEDERATION_REVIEW_OUTCOME_NOT_CONFIRMED,
            ),
            "outcome",
            "must be CONFIRMED or NOT_CONFIRMED",
        )
        v.raise_if_any()
        record = self._confirmation.record_federation_review(
            request.request_id,
            request.application_id,
            request.outcome == eligibility_pb2.FEDERATION_REVIEW_OUTCOME_CONFIRMED,
            request.opinion,
            actor,
        )
        return eligibility_pb2.RecordFederationReviewResponse(case=self._case(record))

    # -- entitlements --------------------------------------------------------------------------

    def GetEntitlement(
        self, request: eligibility_pb2.GetEntitlementRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.GetEntitlementResponse:
        record = self._entitlements.get(request.entitlement_id)
        return eligibility_pb2.GetEntitlementResponse(entitlement=mapping.entitlement_pb(record))

    def ListEntitlements(
        self, request: eligibility_pb2.ListEntitlementsRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.ListEntitlementsResponse:
        page = parse_page(request.page.page_size, request.page.page_token)
        state = (
            eligibility_pb2.EntitlementState.Name(request.state).removeprefix("ENTITLEMENT_STATE_")
            if request.state != eligibility_pb2.ENTITLEMENT_STATE_UNSPECIFIED
            else None
        )
        records = self._entitlements.list(
            state, page.after, page.size + 1, _region_prefix(request.region.code)
        )
        return eligibility_pb2.ListEntitlementsResponse(
            entitlements=[mapping.entitlement_pb(r) for r in records[: page.size]],
            page=types_pb2.PageResponse(
                next_page_token=next_token([r.entitlement_id for r in records], page)
            ),
        )

    def StartReview(
        self, request: eligibility_pb2.StartReviewRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.StartReviewResponse:
        actor, v = _common(request, "entitlement_id", "reason")
        v.raise_if_any()
        record = self._entitlements.start_review(
            request.request_id, request.entitlement_id, request.reason, actor
        )
        return eligibility_pb2.StartReviewResponse(entitlement=mapping.entitlement_pb(record))

    def CompleteReview(
        self, request: eligibility_pb2.CompleteReviewRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.CompleteReviewResponse:
        actor, v = _common(request, "entitlement_id", "reason")
        v.check(request.result != eligibility_pb2.REVIEW_RESULT_UNSPECIFIED, "result", "is required")
        v.raise_if_any()
        record = self._entitlements.complete_review(
            request.request_id,
            request.entitlement_id,
            eligibility_pb2.ReviewResult.Name(request.result).removeprefix("REVIEW_RESULT_"),
            request.monthly_amount.amount_fen,
            request.termination_reason,
            request.reason,
            actor,
        )
        return eligibility_pb2.CompleteReviewResponse(entitlement=mapping.entitlement_pb(record))

    def Suspend(
        self, request: eligibility_pb2.SuspendRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.SuspendResponse:
        actor, v = _common(request, "entitlement_id", "reason")
        v.raise_if_any()
        record = self._entitlements.suspend(request.request_id, request.entitlement_id, request.reason, actor)
        return eligibility_pb2.SuspendResponse(entitlement=mapping.entitlement_pb(record))

    def ChangePayeeAccount(
        self, request: eligibility_pb2.ChangePayeeAccountRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.ChangePayeeAccountResponse:
        actor, v = _common(request, "entitlement_id", "reason")
        v.check(request.HasField("payee"), "payee", "is required: holder, account number and bank")
        v.raise_if_any()
        payee = request.payee
        account = PayeeAccount(payee.account_name, payee.account_number, payee.bank_name, payee.guardian_name)
        record = self._entitlements.change_payee(
            request.request_id,
            request.entitlement_id,
            account,
            request.reason,
            actor,
            institution_account=request.institution_account,
        )
        return eligibility_pb2.ChangePayeeAccountResponse(entitlement=mapping.entitlement_pb(record))

    def Resume(
        self, request: eligibility_pb2.ResumeRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.ResumeResponse:
        actor, v = _common(request, "entitlement_id", "reason")
        v.raise_if_any()
        record, arrears = self._entitlements.resume(
            request.request_id, request.entitlement_id, request.reason, actor
        )
        return eligibility_pb2.ResumeResponse(
            entitlement=mapping.entitlement_pb(record), arrears=types_pb2.Money(amount_fen=arrears)
        )

    def Terminate(
        self, request: eligibility_pb2.TerminateRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.TerminateResponse:
        actor, v = _common(request, "entitlement_id", "reason")
        v.raise_if_any()
        record = self._entitlements.terminate(
            request.request_id, request.entitlement_id, request.reason, actor
        )
        return eligibility_pb2.TerminateResponse(entitlement=mapping.entitlement_pb(record))

    def FileAppeal(
        self, request: eligibility_pb2.FileAppealRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.FileAppealResponse:
        actor, v = _common(request, "decision_id", "kind", "grounds")
        v.raise_if_any()
        appeal_id = self._entitlements.file_appeal(
            request.request_id, request.decision_id, request.kind.strip().upper(), request.grounds, actor
        )
        return eligibility_pb2.FileAppealResponse(appeal_id=appeal_id)

    def DecideAppeal(
        self, request: eligibility_pb2.DecideAppealRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.DecideAppealResponse:
        actor, v = _common(request, "appeal_id", "reason")
        v.check(request.outcome != eligibility_pb2.APPEAL_OUTCOME_UNSPECIFIED, "outcome", "is required")
        v.raise_if_any()
        appeal_id, record, arrears = self._entitlements.decide_appeal(
            request.request_id,
            request.appeal_id,
            request.outcome == eligibility_pb2.APPEAL_OUTCOME_REVOKED,
            request.reason,
            actor,
        )
        return eligibility_pb2.DecideAppealResponse(
            appeal_id=appeal_id,
            entitlement=mapping.entitlement_pb(record) if record else None,
            arrears=types_pb2.Money(amount_fen=arrears),
        )

    def ApplyWorkRefusalSanction(
        self, request: eligibility_pb2.ApplyWorkRefusalSanctionRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.ApplyWorkRefusalSanctionResponse:
        actor, v = _common(request, "entitlement_id", "reason")
        v.check(request.member_index >= 0, "member_index", "must not be negative")
        v.check(bool(request.referrals), "referrals", "are required: the member's referral history")
        v.check(
            all(r in _REFERRALS for r in request.referrals),
            "referrals",
            "every referral needs its outcome",
        )
        v.raise_if_any()
        applied = self._sanctions.apply(
            request.request_id,
            request.entitlement_id,
            request.member_index,
            tuple(_REFERRALS[r] for r in request.referrals),
            request.reason,
            actor,
        )
        return eligibility_pb2.ApplyWorkRefusalSanctionResponse(
            entitlement=mapping.entitlement_pb(applied.record),
            member_share=types_pb2.Money(amount_fen=applied.member_share_fen),
            condition=mapping.condition_pb(applied.check),
        )

    def ExitVoluntarily(
        self, request: eligibility_pb2.ExitVoluntarilyRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.ExitVoluntarilyResponse:
        actor, v = _common(request, "entitlement_id", "reason")
        months = request.bonus_months if request.HasField("bonus_months") else None
        v.check(months is None or months >= 0, "bonus_months", "must not be negative")
        v.raise_if_any()
        recorded = self._exits.exit_voluntarily(
            request.request_id, request.entitlement_id, months, request.reason, actor
        )
        return eligibility_pb2.ExitVoluntarilyResponse(
            entitlement=mapping.entitlement_pb(recorded.record),
            bonus=types_pb2.Money(amount_fen=recorded.bonus_fen),
            bonus_months=recorded.bonus_months,
        )

    # -- parameters ----------------------------------------------------------------------------

    def PublishParameterVersion(
        self, request: eligibility_pb2.PublishParameterVersionRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.PublishParameterVersionResponse:
        actor, v = _common(request)
        version = request.version
        v.check(bool(version.set_id.strip()), "version.set_id", "is required")
        v.check(len(version.set_id) <= 64, "version.set_id", "must be at most 64 characters")
        region = v.require_region(version.region.code, "version.region.code")
        effective = v.require_date(
            version.effective_from.year,
            version.effective_from.month,
            version.effective_from.day,
            "version.effective_from",
        )
        v.check(bool(version.values), "version.values", "must give at least one value")
        v.raise_if_any()
        assert effective is not None and region is not None
        view, result = self._standards.publish(
            request.request_id,
            NewVersion(
                version.set_id.strip(),
                region.code,
                effective,
                version.source.strip(),
                dict(version.values),
                dict(version.sources),
            ),
            actor,
        )
        return eligibility_pb2.PublishParameterVersionResponse(
            version=version_pb(view), redetermined=result.changed, redetermination=redetermination_pb(result)
        )

    def GetParameterVersion(
        self, request: eligibility_pb2.GetParameterVersionRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.GetParameterVersionResponse:
        v = Violations()
        v.check(bool(request.set_id), "set_id", "is required")
        v.raise_if_any()
        progress = self._standards.redetermination(request.set_id)
        return eligibility_pb2.GetParameterVersionResponse(
            version=version_pb(self._standards.get(request.set_id)),
            redetermination=redetermination_pb(progress) if progress else None,
        )

    def ListParameterVersions(
        self, request: eligibility_pb2.ListParameterVersionsRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.ListParameterVersionsResponse:
        page = parse_page(request.page.page_size, request.page.page_token)
        views = self._standards.list(request.region.code, page.after, page.size + 1)
        return eligibility_pb2.ListParameterVersionsResponse(
            versions=[version_pb(view) for view in views[: page.size]],
            page=types_pb2.PageResponse(next_page_token=next_token([v.sourced.set_id for v in views], page)),
        )

    # -- outside systems -------------------------------------------------------------------------

    def GetBeneficiaryStatus(
        self, request: eligibility_pb2.GetBeneficiaryStatusRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.GetBeneficiaryStatusResponse:
        return beneficiary_status(BeneficiaryStatus(self._entitlements.database), request)

    # -- temporary assistance from report to follow-up (§7.4) ----------------------------------------------

    def TriageTemporaryAssistance(
        self, request: eligibility_pb2.TriageTemporaryAssistanceRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.TriageTemporaryAssistanceResponse:
        actor, v = _common(request, "reference", "reason")
        v.check(len(request.reference) <= 64, "reference", "must be at most 64 characters")
        triage = _TRIAGES.get(request.triage)
        v.check(triage is not None, "triage", "is required: URGENT, EXPENDITURE or REFERRED_OUT")
        body = _RECEIVING_BODIES.get(request.receiving_body)
        v.check(
            request.receiving_body == eligibility_pb2.TA_RECEIVING_BODY_UNSPECIFIED or body is not None,
            "receiving_body",
            "is not a known receiving body",
        )
        v.raise_if_any()
        region = RegionCode.parse(request.region.code, field="region.code")
        assert triage is not None
        record = self._ta.triage(
            request.request_id, request.reference, region.code, actor, triage, body, request.reason
        )
        return eligibility_pb2.TriageTemporaryAssistanceResponse(temporary_assistance=mapping.ta_pb(record))

    def CloseTemporaryAssistance(
        self, request: eligibility_pb2.CloseTemporaryAssistanceRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.CloseTemporaryAssistanceResponse:
        actor, v = _common(request, "reference", "findings")
        v.raise_if_any()
        record = self._ta.close(
            request.request_id, request.reference, actor, request.hardship_persists, request.findings
        )
        return eligibility_pb2.CloseTemporaryAssistanceResponse(temporary_assistance=mapping.ta_pb(record))

    def RecordTemporaryAssistancePostCheck(
        self,
        request: eligibility_pb2.RecordTemporaryAssistancePostCheckRequest,
        context: grpc.ServicerContext,
    ) -> eligibility_pb2.RecordTemporaryAssistancePostCheckResponse:
        actor, v = _common(request, "reference", "findings")
        outcome = _POST_CHECKS.get(request.outcome)
        v.check(outcome is not None, "outcome", "is required: MISREPRESENTED or GOOD_FAITH")
        v.raise_if_any()
        assert outcome is not None
        record = self._ta.post_check(request.request_id, request.reference, actor, outcome, request.findings)
        return eligibility_pb2.RecordTemporaryAssistancePostCheckResponse(
            temporary_assistance=mapping.ta_pb(record)
        )

    def GetTemporaryAssistance(
        self, request: eligibility_pb2.GetTemporaryAssistanceRequest, context: grpc.ServicerContext
    ) -> eligibility_pb2.GetTemporaryAssistanceResponse:
        return eligibility_pb2.GetTemporaryAssistanceResponse(
            temporary_assistance=mapping.ta_pb(self._ta.get(request.reference))
        )
