"""Eligibility's domain objects as doudi.eligibility.v1 messages (decisions, cases, notices, entitlements,
temporary assistance)."""

from __future__ import annotations

import functools
import json
from datetime import date, datetime

from doudi.common.v1 import programme_pb2, types_pb2
from doudi.eligibility.v1 import eligibility_pb2
from doudi_common.errors import InvalidArgument
from doudi_common.fieldcrypt import LookupHasher
from doudi_common.idcard import parse_id_number
from doudi_common.parameters import ParameterUse
from doudi_common.period import Period
from doudi_eligibility.domain.explain import Category, Check, Decision, Outcome
from doudi_eligibility.domain.machines.procedure import FINAL
from doudi_eligibility.store.records import CaseRecord, EntitlementRecord
from doudi_eligibility.store.ta_lifecycles import TaRecord
from doudi_runtime.grpc.convert import programme_pb, timestamp
from doudi_runtime.store.sealed import field_crypto

_OUTCOMES = {
    Outcome.PASS: eligibility_pb2.CONDITION_OUTCOME_PASS,
    Outcome.FAIL: eligibility_pb2.CONDITION_OUTCOME_FAIL,
    Outcome.EXEMPT: eligibility_pb2.CONDITION_OUTCOME_EXEMPT,
}


_FEDERATION_REVIEWS = {
    None: eligibility_pb2.FEDERATION_REVIEW_OUTCOME_UNSPECIFIED,
    True: eligibility_pb2.FEDERATION_REVIEW_OUTCOME_CONFIRMED,
    False: eligibility_pb2.FEDERATION_REVIEW_OUTCOME_NOT_CONFIRMED,
}


def date_pb(day: date | None) -> types_pb2.Date | None:
    return None if day is None else types_pb2.Date(year=day.year, month=day.month, day=day.day)


def period_pb(month: Period | None) -> types_pb2.Period | None:
    return None if month is None else types_pb2.Period(month=str(month))


@functools.cache
def entitlement_state_pb(state: str) -> int:
    return eligibility_pb2.EntitlementState.Value(f"ENTITLEMENT_STATE_{state}")


@functools.cache
def category_pb(category: Category | None) -> int:
    if category is None:
        return programme_pb2.HOUSEHOLD_CATEGORY_UNSPECIFIED
    return programme_pb2.HouseholdCategory.Value(f"HOUSEHOLD_CATEGORY_{category.value}")


def decision_pb(
    decision: Decision,
    *,
    decision_id: str,
    application_id: str,
    approved: bool,
    decided_at: datetime,
    start_month: Period | None,
    notice_text: str = "",
    reason: str = "",
    refusal_letter_due: date | None = None,
) -> eligibility_pb2.Decision:
    """A decision with every condition, the computation and the parameter values it read."""
    conditions = [condition_pb(c) for c in decision.checks]
    return eligibility_pb2.Decision(
        decision_id=decision_id,
        application_id=application_id,
        programme=programme_pb(decision.programme.value),
        outcome=eligibility_pb2.DECISION_OUTCOME_APPROVED
        if approved
        else eligibility_pb2.DECISION_OUTCOME_REJECTED,
        category=category_pb(decision.category),
        monthly_amount=types_pb2.Money(amount_fen=decision.monthly_amount_fen if approved else 0),
        start_month=period_pb(start_month),
        conditions=conditions,
        computation=list(decision.computation),
        notice_text=notice_text,
        parameter_version=decision.parameter_version,
        decided_at=timestamp(decided_at),
        statuses=list(decision.statuses),
        review_months=decision.review_months or 0,
        reason=reason,
        refusal_letter_due=date_pb(refusal_letter_due),
    )


def condition_pb(c: Check) -> eligibility_pb2.Condition:
    """One checked condition with its inputs and the parameter values it read."""
    cited, values = _parameters_pb(c.parameters)
    return eligibility_pb2.Condition(
        code=c.code,
        description=c.description,
        outcome=_OUTCOMES[c.outcome],
        inputs=[*(f"{name}={value}" for name, value in c.inputs), *cited],
        reason=c.reason,
        parameters=values,
    )


@functools.lru_cache(maxsize=1024)
def _parameters_pb(
    uses: tuple[ParameterUse, ...],
) -> tuple[tuple[str, ...], tuple[eligibility_pb2.ParameterValue, ...]]:
    """The parameter values a condition read, as input lines and messages: the same few per parameter
    version, so they are made once (the messages are only ever copied into a condition)."""
    return (
        tuple(f"{p.key}={p.value} ({p.set_id})" for p in uses),
        tuple(eligibility_pb2.ParameterValue(key=p.key, value=p.value, set_id=p.set_id) for p in uses),
    )


def notice_pb(row: object) -> eligibility_pb2.PublicNotice:
    body = json.loads(row.body)  # type: ignore[attr-defined]
    return eligibility_pb2.PublicNotice(
        notice_id=row.notice_id,  # type: ignore[attr-defined]
        application_id=row.application_id,  # type: ignore[attr-defined]
        starts_on=date_pb(row.starts_on),  # type: ignore[attr-defined]
        ends_on=date_pb(row.ends_on),  # type: ignore[attr-defined]
        entries=[
            eligibility_pb2.PublicNoticeEntry(
                name=e["name"],
                masked_id_number=e["masked_id_number"],
                household_size=e["household_size"],
                proposed_amount=types_pb2.Money(amount_fen=e["proposed_amount_fen"]),
                region=types_pb2.RegionCode(code=e["region"]),
            )
            for e in body["entries"]
        ],
    )


def case_pb(record: CaseRecord, today: date, notice: object | None = None) -> eligibility_pb2.Case:
    case = record.case
    return eligibility_pb2.Case(
        application_id=record.application_id,
        programme=programme_pb(record.application.programme),
        step=eligibility_pb2.CaseStep.Value(f"CASE_STEP_{case.step.value}"),
        region=types_pb2.RegionCode(code=record.application.region),
        accepted_on=date_pb(case.accepted_on),
        deadline=date_pb(record.deadline),
        overdue=case.step not in FINAL and today > record.deadline,
        report_done=case.report_done,
        survey_done=case.survey_done,
        notice=notice_pb(notice) if notice is not None else None,
        objections=case.objections,
        decision_id=record.decision_id or record.opinion_id,
        entitlement_id=record.entitlement_id,
        report_id=record.report.report_id if record.report else "",
        extension_reason=case.extension_reason or "",
        county_survey_required=case.county_survey_required,
        county_survey_done=case.county_survey_done,
        returns=case.returns,
        federation_review_required=case.federation_review_required,
        federation_review=_FEDERATION_REVIEWS[case.federation_confirmed],
        near_relative_registered=case.near_relative_registered,
        county_survey_mandatory=case.county_survey_mandatory,
    )


def components_pb(record: EntitlementRecord) -> list[eligibility_pb2.EntitlementComponent]:
    """The amount by component; one BASE line unless the recorded split still adds up to the amount (a
    later change of the amount without a new split pays it all as BASE rather than a stale split)."""
    amount = record.entitlement.monthly_amount_fen
    split = record.components
    if not split or sum(fen for _, fen in split) != amount:
        split = (("BASE", amount),)
    return [
        eligibility_pb2.EntitlementComponent(
            component=programme_pb2.BenefitComponent.Value(f"BENEFIT_COMPONENT_{name}"),
            monthly_amount=types_pb2.Money(amount_fen=fen),
        )
        for name, fen in split
    ]


def payee_pb(record: EntitlementRecord) -> eligibility_pb2.Payee:
    """Who is paid and into which account (DOMAIN §11.1); ``missing`` when no account is on record."""
    return eligibility_pb2.Payee(
        account_name=record.payee_name,
        account_number=record.payee_account,
        guardian_name=record.payee_guardian,
        bank_name=record.payee_bank,
        missing=not record.payee_account,
    )


def entitlement_pb(record: EntitlementRecord, *, person_keys: bool = True) -> eligibility_pb2.Entitlement:
    """The entitlement as announced and answered; ``person_keys=False`` leaves the persons' keys out (for a
    caller that has them already, see :func:`entitlement_change_pbs`)."""
    e = record.entitlement
    amount = types_pb2.Money(amount_fen=e.monthly_amount_fen)
    last = e.terminated_from.previous() if e.terminated_from else None
    hasher = field_crypto().hasher
    return eligibility_pb2.Entitlement(
        entitlement_id=e.entitlement_id,
        subject_id=record.subject_id,
        programme=programme_pb(e.programme.value),
        state=entitlement_state_pb(e.state.value),
        monthly_amount=amount,
        start_month=period_pb(e.start_month),
        region=types_pb2.RegionCode(code=record.region),
        components=components_pb(record),
        payee=payee_pb(record),
        last_month=period_pb(last),
        application_id=record.application_id,
        decision_id=record.last_decision_id,
        category=category_pb(record.category),
        parameter_version=record.parameter_version,
        gradual_exit_last_month=period_pb(e.gradual_exit_last_month),
        termination_reason=e.termination_reason.value if e.termination_reason else "",
        covered_persons=len(record.persons),
        covered_person_keys=covered_person_keys(record.persons, hasher) if person_keys else (),
        household_person_keys=covered_person_keys(record.household, hasher) if person_keys else (),
        digests_per_person=len(hasher.keys),
        near_relative_registered=record.near_relative,
        birth_month=period_pb(birth_month(record)),
    )


def birth_month(record: EntitlementRecord) -> Period | None:
    """The month the one person of a person's entitlement was born (DOMAIN §11.5: disbursement publishes
    nobody for a month they are a minor in); None for a Dibao household's."""
    if record.entitlement.programme.value == "DIBAO" or len(record.persons) != 1:
        return None
    try:
        born = parse_id_number(record.persons[0]).birth_date
    except InvalidArgument:
        return None  # never published rather than guessed
    return Period.of(born)


def entitlement_change_pbs(
    before: EntitlementRecord, after: EntitlementRecord
) -> tuple[eligibility_pb2.Entitlement, eligibility_pb2.Entitlement]:
    """Both sides of a change; a change that leaves the persons as they were hashes their keys once."""
    first = entitlement_pb(before)
    if (before.persons, before.household) != (after.persons, after.household):
        return first, entitlement_pb(after)
    second = entitlement_pb(after, person_keys=False)
    second.covered_person_keys.extend(first.covered_person_keys)
    second.household_person_keys.extend(first.household_person_keys)
    return first, second


#: The context of the covered persons' keys announced with an entitlement: a digest in it never equals a
#: lookup digest eligibility stores, so the announced key finds nothing in eligibility's own tables.
COVERED_PERSON_CONTEXT = "doudi.eligibility.entitlement.covered_person"


def covered_person_keys(persons: tuple[str, ...], hasher: LookupHasher) -> list[str]:
    """Each person's keyed digests (DOMAIN §5.7, §5.8), one under every key of the lookup hasher's ring,
    the primary key's first; each person's are consecutive, the persons in the order of their primary digest.
    The same person shares a key with every entitlement, announced before the ring's keys rotated or after,
    so disbursement pays the price subsidy once per person and month, and the electricity subsidy once per
    household and year (the keys of the household's declared members), without learning who the person is."""
    each = sorted({tuple(hasher.digests(person, context=COVERED_PERSON_CONTEXT)) for person in persons})
    return [digest for digests in each for digest in digests]


def _ta_money(fen: int) -> types_pb2.Money:
    return types_pb2.Money(amount_fen=fen)


def ta_pb(record: TaRecord) -> eligibility_pb2.TemporaryAssistance:
    life = record.lifecycle
    return eligibility_pb2.TemporaryAssistance(
        reference=life.reference,
        region=types_pb2.RegionCode(code=record.region),
        state=eligibility_pb2.TaState.Value(life.state.value.replace("TA_", "TA_STATE_", 1)),
        receiving_body=eligibility_pb2.TaReceivingBody.Value(f"TA_RECEIVING_BODY_{life.receiving_body.value}")
        if life.receiving_body
        else 0,
        advance_paid=_ta_money(life.advance_paid_fen),
        granted=_ta_money(life.granted_fen),
        remaining=_ta_money(life.remaining_fen),
        meeting_requested=_ta_money(life.meeting_requested_fen),
        minutes_reference=life.minutes_reference,
        payment_month=period_pb(life.payment_month),
        paid_on=date_pb(life.paid_on),
        closed_on=date_pb(life.closed_on),
        hardship_persists=life.hardship_persists,
        monitored=life.monitored,
        refer_to_dibao=life.refer_to_dibao,
        locked_until=period_pb(life.locked_until),
        post_check=eligibility_pb2.TaPostCheckOutcome.Value(f"TA_POST_CHECK_OUTCOME_{life.post_check.value}")
        if life.post_check
        else 0,
        recovery=_ta_money(life.recovery_fen),
        payment_problem=record.payment_problem,
        entitlement_id=record.entitlement_id or "",
    )
