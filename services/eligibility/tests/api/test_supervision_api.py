"""The deciding authority's supervision of a case through the API (DOMAIN §6, §7.2 rows 20, 21 and 24): it
returns a file for more investigation with the clock still running, surveys the household itself where the
survey is mandatory or the case fell in its sample, and extends a complex case's time limit once, with a
reason, so the deadline and the overdue flag follow the longer limit."""

from __future__ import annotations

from datetime import date, timedelta

import grpc
import pytest
from sqlalchemy import select

from doudi.eligibility.v1 import eligibility_pb2 as pb
from doudi_eligibility.store.tables import audit_log
from doudi_runtime.grpc.errors import field_violations_from

from .conftest import AUTH, COUNTY_OFFICER, H01, TOWNSHIP_OFFICER, Eligibility, open_case
from .test_parameters_api import COUNTY, publish
from .test_procedure_api import assess, case_of, decide, survey_and_review


def to_confirmation(e: Eligibility) -> None:
    """H01 up to the county's desk: notice 12–18 March, closed on 19 March."""
    open_case(e, H01)
    e.clock.on(2025, 3, 6)
    survey_and_review(e, H01)
    e.clock.on(2025, 3, 11)
    assess(e, H01.application_id)
    e.clock.on(2025, 3, 19)
    assert e.app.procedure.close_due_notices() == 1


def return_file(
    e: Eligibility, actor: pb.Actor = COUNTY_OFFICER, request_id: str = "return-1", reason: str = "需补充调查"
) -> pb.Case:
    return e.stub.ReturnForInvestigation(
        pb.ReturnForInvestigationRequest(
            request_id=request_id, application_id=H01.application_id, reason=reason, actor=actor
        ),
        metadata=AUTH,
        timeout=10,
    ).case


def extend(
    e: Eligibility, actor: pb.Actor = COUNTY_OFFICER, request_id: str = "extend-1", reason: str = "案情复杂"
) -> pb.Case:
    return e.stub.ExtendDeadline(
        pb.ExtendDeadlineRequest(
            request_id=request_id, application_id=H01.application_id, reason=reason, actor=actor
        ),
        metadata=AUTH,
        timeout=10,
    ).case


def county_survey(e: Eligibility, request_id: str = "county-survey-1", **fields: object) -> pb.Case:
    request = pb.RecordCountySurveyRequest(
        request_id=request_id,
        application_id=H01.application_id,
        surveyor_ids=["county-03", "county-04"],
        findings="县级入户抽查，情况属实",
        basis=pb.COUNTY_SURVEY_BASIS_SAMPLED,
        actor=COUNTY_OFFICER,
    )
    for name, value in fields.items():
        if isinstance(value, pb.Actor):
            request.actor.CopyFrom(value)
        elif isinstance(value, list):
            request.ClearField(name)  # type: ignore[arg-type]
            getattr(request, name).extend(value)
        else:
            setattr(request, name, value)
    return e.stub.RecordCountySurvey(request, metadata=AUTH, timeout=10).case


def trail(e: Eligibility, subject: str) -> list[tuple[str, str, str]]:
    with e.context.database.read() as session:  # type: ignore[union-attr]
        rows = session.execute(
            select(audit_log).where(audit_log.c.subject_id == subject).order_by(audit_log.c.id)
        ).all()
    return [(row.action, row.actor_role, row.detail) for row in rows]


# -- row 20: returned for more investigation --------------------------------------------------------------


def test_a_returned_file_goes_back_to_the_initial_opinion_with_the_clock_running_and_is_posted_again(
    eligibility: Eligibility,
) -> None:
    to_confirmation(eligibility)
    before = case_of(eligibility, H01.application_id)
    eligibility.clock.on(2025, 3, 24)

    returned = return_file(eligibility, reason="收入来源需进一步核实")

    assert returned.step == pb.CASE_STEP_INITIAL_OPINION
    assert returned.returns == 1
    assert returned.deadline == before.deadline  # the clock keeps running
    action, role, detail = trail(eligibility, H01.application_id)[-1]
    assert (action, role) == ("returned for investigation", "COUNTY")
    assert "收入来源需进一步核实" in detail

    # The township investigates again: a new survey, then a new opinion posted for a new 7 days.
    eligibility.stub.RecordHomeSurvey(
        pb.RecordHomeSurveyRequest(
            request_id="survey-again",
            application_id=H01.application_id,
            surveyor_ids=["township-07", "township-08"],
            findings="再次入户，核实务工收入",
            actor=TOWNSHIP_OFFICER,
        ),
        metadata=AUTH,
        timeout=10,
    )
    assert case_of(eligibility, H01.application_id).step == pb.CASE_STEP_INITIAL_OPINION
    assess(eligibility, H01.application_id, "assess-again")
    again = case_of(eligibility, H01.application_id)
    assert again.step == pb.CASE_STEP_PUBLIC_NOTICE
    assert (again.notice.starts_on.day, again.notice.ends_on.day) == (25, 31)
    assert again.notice.notice_id != before.notice.notice_id


def test_only_the_deciding_authority_returns_a_file_and_only_from_confirmation(
    eligibility: Eligibility,
) -> None:
    open_case(eligibility, H01)
    with pytest.raises(grpc.RpcError) as too_early:
        return_file(eligibility, request_id="return-early")
    assert too_early.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert "INVESTIGATING" in (too_early.value.details() or "")

    to_confirmation_from_open(eligibility)
    with pytest.raises(grpc.RpcError) as township:
        return_file(eligibility, TOWNSHIP_OFFICER, "return-township")
    assert township.value.code() is grpc.StatusCode.PERMISSION_DENIED
    assert case_of(eligibility, H01.application_id).step == pb.CASE_STEP_CONFIRMATION_REVIEW


def to_confirmation_from_open(e: Eligibility) -> None:
    e.clock.on(2025, 3, 6)
    survey_and_review(e, H01)
    e.clock.on(2025, 3, 11)
    assess(e, H01.application_id)
    e.clock.on(2025, 3, 19)
    e.app.procedure.close_due_notices()


def test_a_return_needs_a_reason(eligibility: Eligibility) -> None:
    to_confirmation(eligibility)
    with pytest.raises(grpc.RpcError) as caught:
        return_file(eligibility, reason=" ")
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert [name for name, _ in field_violations_from(caught.value)] == ["reason"]


# -- §6, row 24: the extended time limit --------------------------------------------------------------------


def test_an_extension_moves_the_deadline_to_45_working_days_and_the_overdue_flag_follows_it(
    eligibility: Eligibility,
) -> None:
    open_case(eligibility, H01)
    standard = case_of(eligibility, H01.application_id).deadline
    assert (standard.month, standard.day) == (4, 15)
    eligibility.clock.on(2025, 4, 10)

    extended = extend(eligibility, reason="家庭成员跨省务工，需信函索证")

    calendar = eligibility.app.procedure.calendar
    due = date(extended.deadline.year, extended.deadline.month, extended.deadline.day)
    assert due == calendar.add_working_days(date(2025, 3, 3), 45)
    assert calendar.working_days_between(date(2025, 3, 3), due) == 45
    assert extended.extension_reason == "家庭成员跨省务工，需信函索证"

    eligibility.clock.on(2025, 4, 16)  # past 30 working days, within 45
    assert not case_of(eligibility, H01.application_id).overdue
    listed = eligibility.stub.ListCases(pb.ListCasesRequest(overdue_only=True), metadata=AUTH, timeout=10)
    assert list(listed.cases) == []
    after = due + timedelta(days=1)
    eligibility.clock.on(after.year, after.month, after.day)
    assert case_of(eligibility, H01.application_id).overdue

    action, role, detail = trail(eligibility, H01.application_id)[-1]
    assert (action, role) == ("deadline extended", "COUNTY")
    assert '"deadline_before": "2025-04-15"' in detail and f'"deadline": "{due.isoformat()}"' in detail


def test_the_county_alone_extends_and_only_once(eligibility: Eligibility) -> None:
    open_case(eligibility, H01)
    with pytest.raises(grpc.RpcError) as township:
        extend(eligibility, TOWNSHIP_OFFICER, "extend-township")
    assert township.value.code() is grpc.StatusCode.PERMISSION_DENIED

    first = extend(eligibility)
    assert extend(eligibility) == first  # a retry answers the same
    with pytest.raises(grpc.RpcError) as twice:
        extend(eligibility, request_id="extend-2", reason="再延长")
    assert twice.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert [a for a, _, _ in trail(eligibility, H01.application_id)].count("deadline extended") == 1


def test_a_decided_case_is_not_extended(eligibility: Eligibility) -> None:
    to_confirmation(eligibility)
    eligibility.clock.on(2025, 3, 31)
    decide(eligibility, H01.application_id)
    with pytest.raises(grpc.RpcError) as caught:
        extend(eligibility)
    assert caught.value.code() is grpc.StatusCode.FAILED_PRECONDITION


# -- row 21: the county's home survey ------------------------------------------------------------------------


def test_a_case_in_the_countys_sample_waits_for_the_county_survey_before_the_decision(
    eligibility: Eligibility,
) -> None:
    publish(eligibility, "EX-GY-2025-S", COUNTY, date(2025, 1, 1), {"dibao.county_survey.sample_ratio": "1"})
    to_confirmation(eligibility)
    case = case_of(eligibility, H01.application_id)
    assert case.county_survey_required and not case.county_survey_done
    eligibility.clock.on(2025, 3, 31)
    with pytest.raises(grpc.RpcError) as early:
        decide(eligibility, H01.application_id, request_id="decide-early")
    assert early.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert "county survey" in (early.value.details() or "")

    surveyed = county_survey(eligibility)

    assert surveyed.step == pb.CASE_STEP_CONFIRMATION_REVIEW
    assert surveyed.county_survey_done
    action, role, detail = trail(eligibility, H01.application_id)[-1]
    assert (action, role) == ("county home survey recorded", "COUNTY")
    assert '"basis": "SAMPLED"' in detail and '"was_required": true' in detail
    assert decide(eligibility, H01.application_id).outcome == pb.DECISION_OUTCOME_APPROVED


def test_without_a_sampling_rate_no_case_waits_for_a_county_survey(eligibility: Eligibility) -> None:
    to_confirmation(eligibility)
    case = case_of(eligibility, H01.application_id)
    assert not case.county_survey_required
    # The county may still survey a case it chooses; the decision does not wait for it.
    assert county_survey(eligibility, basis=pb.COUNTY_SURVEY_BASIS_DISCRETIONARY).county_survey_done


def test_a_county_survey_needs_two_staff_findings_and_a_basis_and_only_the_county_makes_it(
    eligibility: Eligibility,
) -> None:
    to_confirmation(eligibility)
    with pytest.raises(grpc.RpcError) as lone:
        county_survey(eligibility, "cs-1", surveyor_ids=["county-03"], findings=" ")
    assert lone.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert {name for name, _ in field_violations_from(lone.value)} == {"surveyor_ids", "findings"}
    with pytest.raises(grpc.RpcError) as no_basis:
        county_survey(eligibility, "cs-2", basis=pb.COUNTY_SURVEY_BASIS_UNSPECIFIED)
    assert [name for name, _ in field_violations_from(no_basis.value)] == ["basis"]
    with pytest.raises(grpc.RpcError) as township:
        county_survey(eligibility, "cs-3", actor=TOWNSHIP_OFFICER)
    assert township.value.code() is grpc.StatusCode.PERMISSION_DENIED


def test_a_county_survey_belongs_to_confirmation_review(eligibility: Eligibility) -> None:
    open_case(eligibility, H01)
    with pytest.raises(grpc.RpcError) as caught:
        county_survey(eligibility)
    assert caught.value.code() is grpc.StatusCode.FAILED_PRECONDITION
