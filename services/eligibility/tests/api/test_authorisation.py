"""Who may call which eligibility RPC in which region: the role × RPC × region table, a person acting in
their own office's role only, and every change in the audit trail with its before and after."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import grpc
import pytest
from sqlalchemy import select

from doudi.common.v1 import types_pb2
from doudi.eligibility.v1 import eligibility_pb2 as pb
from doudi.eligibility.v1 import eligibility_pb2_grpc
from doudi_eligibility.api.policy import RULES
from doudi_eligibility.main import DEFINITION, SHARED_APP, EligibilitySettings, build
from doudi_eligibility.store.tables import audit_log
from doudi_runtime.grpc.errors import field_violations_from
from doudi_runtime.grpc.server import GrpcServer
from doudi_runtime.service import build_context, migrate
from doudi_runtime.testing.authz import (
    TOWNSHIP_A,
    TOWNSHIP_B,
    VILLAGE_A,
    VILLAGE_B,
    auth_tokens,
    metadata,
    mismatches,
    missing_rules,
)

from .conftest import (
    APPLICANT,
    COUNTY_OFFICER,
    H01,
    H03,
    REVIEWING_BODY,
    TOWNSHIP_OFFICER,
    VILLAGE_CADRE,
    Eligibility,
    FakeClock,
    accepted_event,
    verified_event,
)

#: A household of village A (township A) and one of village B (township B), both in the county bureau's.
VILLAGE = {"A": VILLAGE_A, "B": VILLAGE_B}
TOWNSHIP = {"A": TOWNSHIP_A, "B": TOWNSHIP_B}
#: Parameter versions are a county's: A's is the county bureau's own, B's a neighbouring county's.
COUNTY = {"A": "640402000000", "B": "640403000000"}
#: Two households of DOMAIN §13 that are approved (different persons: a person holds one Dibao).
HOUSEHOLD = {"A": H01, "B": H03}
SERVICE = metadata("service")

S, T, C, V = "service", "township_a", "county", "village_a"
#: The hospital's one-stop settlement: an outside system with the beneficiary.check scope only.
H = "hospital"
#: (allowed on A's record, allowed on B's record); every other caller is refused on both.
TABLE: dict[str, tuple[set[str], set[str]]] = {
    # Reads: the village follows its cases; decisions and entitlements stay with the offices.
    "GetCase": ({S, T, C, V}, {S, C}),
    "ListCases": ({S, T, C, V}, {S, C}),
    "GetDecision": ({S, T, C}, {S, C}),
    "GetEntitlement": ({S, T, C}, {S, C}),
    "ListEntitlements": ({S, T, C}, {S, C}),
    "GetParameterVersion": ({S, C}, {S}),
    "ListParameterVersions": ({S, C}, {S}),
    # The six steps: the township's, the village assisting the review and the notice.
    "RecordHomeSurvey": ({S, T}, {S}),
    "RecordDemocraticReview": ({S, T, V}, {S}),
    "Assess": ({S, T}, {S}),
    "PublishNotice": ({S, T, C, V}, {S, C}),
    "RaiseObjection": ({S, T, C, V}, {S, C}),
    "ConcludeObjection": ({S, T}, {S}),
    "CloseNotice": ({S, T}, {S}),
    "Decide": ({S, T, C}, {S, C}),
    # The deciding authority returns a file (a township where confirmation is delegated, the machine
    # decides which); the county alone surveys as supervisor and extends the time limit (rows 20, 21, 24).
    "ReturnForInvestigation": ({S, T, C}, {S, C}),
    "RecordCountySurvey": ({S, C}, {S, C}),
    # Near-relative registration (§12.2): the township or the county registers; the archive is the county's.
    "RegisterNearRelative": ({S, T, C}, {S, C}),
    "ListNearRelativeRegistrations": ({S, C}, {S, C}),
    "ExtendDeadline": ({S, C}, {S, C}),
    # The federation's review of a disability subsidy: relayed by a service, or entered by the county (§7.5).
    "RecordFederationReview": ({S, C}, {S, C}),
    # The account paid into (§11.1): the township, for its own entitlements.
    "ChangePayeeAccount": ({S, T}, {S}),
    # The lifecycle: township and county.
    "StartReview": ({S, T, C}, {S, C}),
    "CompleteReview": ({S, T, C}, {S, C}),
    "Suspend": ({S, T, C}, {S, C}),
    "Resume": ({S, T, C}, {S, C}),
    "Terminate": ({S, T, C}, {S, C}),
    # The county stops a work-refusing member's share (§5.1.6).
    "ApplyWorkRefusalSanction": ({S, C}, {S, C}),
    # Applicants and reviewing bodies reach eligibility through doudi's services only.
    "FileAppeal": ({S}, {S}),
    "DecideAppeal": ({S}, {S}),
    # A county publishes for its own region.
    "PublishParameterVersion": ({S, C}, {S}),
    # Temporary assistance (§7.4): the township triages and follows up; township or county post-check;
    # the offices read.
    "TriageTemporaryAssistance": ({S, T}, {S}),
    "CloseTemporaryAssistance": ({S, T}, {S}),
    "RecordTemporaryAssistancePostCheck": ({S, T, C}, {S, C}),
    "GetTemporaryAssistance": ({S, T, C}, {S, C}),
    # An outside system with the beneficiary.check scope asks this and nothing else (and no office does).
    "GetBeneficiaryStatus": ({S, H}, {S, H}),
    # A household's voluntary exit, recorded by its township or the county (§7.3); last, since it ends the
    # entitlement the rows above act on.
    "ExitVoluntarily": ({S, T, C}, {S, C}),
}


@dataclass
class Seeded:
    """One record of every kind for the household of each village."""

    e: Eligibility
    cases: dict[str, str]
    notices: dict[str, str]
    decisions: dict[str, str]
    entitlements: dict[str, str]
    appeals: dict[str, str]
    versions: dict[str, str]


def open_case_in(e: Eligibility, target: str) -> str:
    example = replace(HOUSEHOLD[target], application_id=f"app_auth_{target.lower()}")
    accepted = accepted_event(example)
    accepted.application.township.code = TOWNSHIP[target]
    accepted.application.household.residence_region.code = VILLAGE[target]
    e.deliver(accepted, example.application_id, "intake")
    e.deliver(verified_event(example), example.application_id, "verification")
    return example.application_id


def approve(e: Eligibility, application_id: str) -> tuple[str, str, str]:
    """A household's six steps as doudi's services relay them: (notice, decision, entitlement)."""
    stub = e.stub
    e.clock.on(2025, 3, 6)
    stub.RecordHomeSurvey(
        pb.RecordHomeSurveyRequest(
            request_id=f"survey-{application_id}",
            application_id=application_id,
            surveyor_ids=["township-07", "village-01"],
            findings="入户核实家庭成员、收入与居住情况",
            actor=TOWNSHIP_OFFICER,
        ),
        metadata=SERVICE,
    )
    stub.RecordDemocraticReview(
        pb.RecordDemocraticReviewRequest(
            request_id=f"review-{application_id}",
            application_id=application_id,
            minutes="村民代表 15 人出席，同意 14 人",
            actor=VILLAGE_CADRE,
        ),
        metadata=SERVICE,
    )
    e.clock.on(2025, 3, 11)
    stub.Assess(
        pb.AssessRequest(
            request_id=f"assess-{application_id}", application_id=application_id, actor=TOWNSHIP_OFFICER
        ),
        metadata=SERVICE,
    )
    notice_id = stub.GetCase(
        pb.GetCaseRequest(application_id=application_id), metadata=SERVICE
    ).case.notice.notice_id
    e.clock.on(2025, 3, 19)
    e.app.procedure.close_due_notices()
    e.clock.on(2025, 3, 31)
    decision = stub.Decide(
        pb.DecideRequest(
            request_id=f"decide-{application_id}",
            application_id=application_id,
            outcome=pb.DECISION_OUTCOME_APPROVED,
            reason="经审核确认",
            actor=COUNTY_OFFICER,
        ),
        metadata=SERVICE,
    ).decision
    case = stub.GetCase(pb.GetCaseRequest(application_id=application_id), metadata=SERVICE).case
    return notice_id, decision.decision_id, case.entitlement_id


def appeal(decision_id: str, request_id: str) -> pb.FileAppealRequest:
    return pb.FileAppealRequest(
        request_id=request_id,
        decision_id=decision_id,
        kind="RECONSIDERATION",
        grounds="收入计算有误",
        actor=APPLICANT,
    )


def version(
    region: str, set_id: str, request_id: str, values: dict[str, str] | None = None
) -> pb.PublishParameterVersionRequest:
    return pb.PublishParameterVersionRequest(
        request_id=request_id,
        version=pb.ParameterVersion(
            set_id=set_id,
            region=types_pb2.RegionCode(code=region),
            effective_from=types_pb2.Date(year=2026, month=1, day=1),
            source="县民政局文件",
            values=values or {"notice.days": "10"},
        ),
        actor=COUNTY_OFFICER,
    )


@pytest.fixture
def seeded(database_url: str, tmp_path: Path) -> Iterator[Seeded]:
    settings = EligibilitySettings(
        grpc_port=0,
        metrics_port=0,
        data_dir=tmp_path,
        database_url=database_url,
        auth_tokens=auth_tokens(),
        client_token="service",
        shutdown_grace_seconds=0,
    )
    migrate(DEFINITION, settings)
    context = build_context(DEFINITION, settings)
    clock = FakeClock()
    app = context.shared(SHARED_APP, lambda: build(context, clock=clock))
    server = GrpcServer(settings, list(DEFINITION.grpc_bindings(context)))
    channel = grpc.insecure_channel(f"127.0.0.1:{server.start()}")
    e = Eligibility(eligibility_pb2_grpc.EligibilityServiceStub(channel), context, app, clock)
    cases = {target: open_case_in(e, target) for target in "AB"}
    approved = {target: approve(e, cases[target]) for target in "AB"}
    e.clock.on(2025, 4, 1)
    assert e.app.entitlements.activate_due() == 2
    appeals = {
        target: e.stub.FileAppeal(appeal(approved[target][1], f"appeal-{target}"), metadata=SERVICE).appeal_id
        for target in "AB"
    }
    # The neighbouring county publishes its own set, modelled on the county bureau's.
    model = e.stub.GetParameterVersion(
        pb.GetParameterVersionRequest(set_id="EX-GY-2024-01"), metadata=SERVICE
    )
    neighbour = version(COUNTY["B"], "NB-2026-01", "seed-version-B", dict(model.version.values))
    e.stub.PublishParameterVersion(neighbour, metadata=SERVICE)
    for target in "AB":
        e.stub.TriageTemporaryAssistance(
            pb.TriageTemporaryAssistanceRequest(
                request_id=f"seed-ta-{target}",
                reference=ta_reference(target),
                region=types_pb2.RegionCode(code=TOWNSHIP[target]),
                triage=pb.TA_TRIAGE_URGENT,
                reason="房屋失火",
                actor=TOWNSHIP_OFFICER,
            ),
            metadata=SERVICE,
        )
    try:
        yield Seeded(
            e,
            cases,
            {target: approved[target][0] for target in "AB"},
            {target: approved[target][1] for target in "AB"},
            {target: approved[target][2] for target in "AB"},
            appeals,
            {"A": "EX-GY-2024-01", "B": "NB-2026-01"},
        )
    finally:
        channel.close()
        server.stop(0)
        context.database.dispose()  # type: ignore[union-attr]


def ta_reference(target: str) -> str:
    """The temporary-assistance case seeded in each township."""
    return f"inc_auth_{target.lower()}"


def actor_for(request_id: str, relayed: pb.Actor) -> pb.Actor:
    """A service relays the step's actor; a person's client names none and acts in its own role."""
    return relayed if request_id.startswith(f"{S}-") else pb.Actor()


def build_request(seeded: Seeded, rpc: str, target: str, request_id: str) -> object:
    case, entitlement = seeded.cases[target], seeded.entitlements[target]
    township = actor_for(request_id, TOWNSHIP_OFFICER)
    county = actor_for(request_id, COUNTY_OFFICER)
    requests = {
        "GetCase": lambda: pb.GetCaseRequest(application_id=case),
        "ListCases": lambda: pb.ListCasesRequest(region=types_pb2.RegionCode(code=VILLAGE[target])),
        "GetDecision": lambda: pb.GetDecisionRequest(decision_id=seeded.decisions[target]),
        "GetEntitlement": lambda: pb.GetEntitlementRequest(entitlement_id=entitlement),
        "ListEntitlements": lambda: pb.ListEntitlementsRequest(
            region=types_pb2.RegionCode(code=TOWNSHIP[target])
        ),
        "GetParameterVersion": lambda: pb.GetParameterVersionRequest(set_id=seeded.versions[target]),
        "ListParameterVersions": lambda: pb.ListParameterVersionsRequest(
            region=types_pb2.RegionCode(code=COUNTY[target])
        ),
        "RecordHomeSurvey": lambda: pb.RecordHomeSurveyRequest(
            request_id=request_id,
            application_id=case,
            surveyor_ids=["township-07", "village-01"],
            findings="复查",
            actor=township,
        ),
        "RecordDemocraticReview": lambda: pb.RecordDemocraticReviewRequest(
            request_id=request_id,
            application_id=case,
            minutes="复议",
            actor=actor_for(request_id, VILLAGE_CADRE),
        ),
        "Assess": lambda: pb.AssessRequest(request_id=request_id, application_id=case, actor=township),
        "PublishNotice": lambda: pb.PublishNoticeRequest(
            request_id=request_id, application_id=case, actor=township
        ),
        "RaiseObjection": lambda: pb.RaiseObjectionRequest(
            request_id=request_id,
            notice_id=seeded.notices[target],
            content="其家中有一辆面包车",
            actor=township,
        ),
        "ConcludeObjection": lambda: pb.ConcludeObjectionRequest(
            request_id=request_id, application_id=case, findings="经查不实", actor=township
        ),
        "CloseNotice": lambda: pb.CloseNoticeRequest(
            request_id=request_id, application_id=case, actor=township
        ),
        "Decide": lambda: pb.DecideRequest(
            request_id=request_id,
            application_id=case,
            outcome=pb.DECISION_OUTCOME_APPROVED,
            reason="经审核确认",
            actor=county,
        ),
        "ReturnForInvestigation": lambda: pb.ReturnForInvestigationRequest(
            request_id=request_id, application_id=case, reason="需补充调查", actor=county
        ),
        "RecordCountySurvey": lambda: pb.RecordCountySurveyRequest(
            request_id=request_id,
            application_id=case,
            surveyor_ids=["county-03", "county-04"],
            findings="抽查入户",
            basis=pb.COUNTY_SURVEY_BASIS_SAMPLED,
            actor=county,
        ),
        "RegisterNearRelative": lambda: pb.RegisterNearRelativeRequest(
            request_id=request_id,
            application_id=case,
            staff_user_id="village-05",
            staff_position=pb.NEAR_RELATIVE_STAFF_POSITION_VILLAGE_COMMITTEE_MEMBER,
            organisation="村民委员会",
            relation=pb.NEAR_RELATION_SIBLING,
            actor=township,
        ),
        "ListNearRelativeRegistrations": lambda: pb.ListNearRelativeRegistrationsRequest(
            region=types_pb2.RegionCode(code=TOWNSHIP[target])
        ),
        "ExtendDeadline": lambda: pb.ExtendDeadlineRequest(
            request_id=request_id, application_id=case, reason="案情复杂", actor=county
        ),
        "RecordFederationReview": lambda: pb.RecordFederationReviewRequest(
            request_id=request_id,
            application_id=case,
            outcome=pb.FEDERATION_REVIEW_OUTCOME_CONFIRMED,
            opinion="残疾等级属实",
            actor=county,
        ),
        "ApplyWorkRefusalSanction": lambda: pb.ApplyWorkRefusalSanctionRequest(
            request_id=request_id,
            entitlement_id=entitlement,
            member_index=0,
            referrals=[pb.REFERRAL_OUTCOME_REFUSED_WITHOUT_GOOD_REASON] * 3,
            reason="连续三次拒绝推荐就业",
            actor=county,
        ),
        "StartReview": lambda: pb.StartReviewRequest(
            request_id=request_id, entitlement_id=entitlement, reason="定期复核", actor=township
        ),
        "CompleteReview": lambda: pb.CompleteReviewRequest(
            request_id=request_id,
            entitlement_id=entitlement,
            result=pb.REVIEW_RESULT_CONTINUE,
            monthly_amount=types_pb2.Money(amount_fen=6_000),
            reason="收入无变化",
            actor=county,
        ),
        "ChangePayeeAccount": lambda: pb.ChangePayeeAccountRequest(
            request_id=request_id,
            entitlement_id=entitlement,
            payee=pb.Payee(
                account_name=HOUSEHOLD[target].members[0][1],
                account_number="6222021001123456789",
                bank_name="农村信用社",
            ),
            reason="一卡通换卡",
            actor=township,
        ),
        "Suspend": lambda: pb.SuspendRequest(
            request_id=request_id, entitlement_id=entitlement, reason="无法联系", actor=township
        ),
        "Resume": lambda: pb.ResumeRequest(
            request_id=request_id, entitlement_id=entitlement, reason="已联系上", actor=township
        ),
        "Terminate": lambda: pb.TerminateRequest(
            request_id=request_id, entitlement_id=entitlement, reason="MOVED_OUT", actor=county
        ),
        "FileAppeal": lambda: appeal(seeded.decisions[target], request_id),
        "DecideAppeal": lambda: pb.DecideAppealRequest(
            request_id=request_id,
            appeal_id=seeded.appeals[target],
            outcome=pb.APPEAL_OUTCOME_UPHELD,
            reason="维持原决定",
            actor=REVIEWING_BODY,
        ),
        "PublishParameterVersion": lambda: version(COUNTY[target], f"P-{request_id}"[:64], request_id),
        "ExitVoluntarily": lambda: pb.ExitVoluntarilyRequest(
            request_id=request_id, entitlement_id=entitlement, reason="本户自愿申请退出低保", actor=township
        ),
        "TriageTemporaryAssistance": lambda: pb.TriageTemporaryAssistanceRequest(
            request_id=request_id,
            reference=f"inc-{request_id}"[:64],
            region=types_pb2.RegionCode(code=TOWNSHIP[target]),
            triage=pb.TA_TRIAGE_REFERRED_OUT,
            receiving_body=pb.TA_RECEIVING_BODY_RELIEF_STATION,
            reason="流浪乞讨人员",
            actor=township,
        ),
        "CloseTemporaryAssistance": lambda: pb.CloseTemporaryAssistanceRequest(
            request_id=request_id, reference=ta_reference(target), findings="回访", actor=township
        ),
        "RecordTemporaryAssistancePostCheck": lambda: pb.RecordTemporaryAssistancePostCheckRequest(
            request_id=request_id,
            reference=ta_reference(target),
            outcome=pb.TA_POST_CHECK_OUTCOME_GOOD_FAITH,
            findings="事后核查",
            actor=county,
        ),
        "GetTemporaryAssistance": lambda: pb.GetTemporaryAssistanceRequest(reference=ta_reference(target)),
        "GetBeneficiaryStatus": lambda: pb.GetBeneficiaryStatusRequest(
            id_number=types_pb2.IdNumber(value=HOUSEHOLD[target].members[0][0])
        ),
    }
    return requests[rpc]()


def test_every_rpc_has_a_rule_and_a_row_in_the_table() -> None:
    service = pb.DESCRIPTOR.services_by_name["EligibilityService"]
    assert missing_rules(service, RULES) == []
    assert sorted(TABLE) == sorted(method.name for method in service.methods)


def test_each_role_may_call_each_rpc_in_its_region_only(seeded: Seeded) -> None:
    found = mismatches(seeded.e.stub, TABLE, lambda rpc, target, rid: build_request(seeded, rpc, target, rid))
    assert found == [], "\n".join(found)


def test_another_townships_case_reads_like_an_unknown_one(seeded: Seeded) -> None:
    answers = []
    for application_id in (seeded.cases["B"], "app_no_such_case"):
        with pytest.raises(grpc.RpcError) as raised:
            seeded.e.stub.GetCase(pb.GetCaseRequest(application_id=application_id), metadata=metadata(T))
        answers.append((raised.value.code(), raised.value.details()))
    assert answers[0] == answers[1] == (grpc.StatusCode.NOT_FOUND, "case not found")


def test_a_township_lists_only_its_own_cases_and_entitlements(seeded: Seeded) -> None:
    stub = seeded.e.stub
    cases = stub.ListCases(pb.ListCasesRequest(), metadata=metadata(T)).cases
    entitlements = stub.ListEntitlements(pb.ListEntitlementsRequest(), metadata=metadata(T)).entitlements
    assert [c.application_id for c in cases] == [seeded.cases["A"]]
    assert [x.entitlement_id for x in entitlements] == [seeded.entitlements["A"]]
    everything = stub.ListCases(pb.ListCasesRequest(), metadata=metadata(C)).cases
    assert sorted(c.application_id for c in everything) == sorted(seeded.cases.values())
    with pytest.raises(grpc.RpcError) as raised:
        stub.ListCases(
            pb.ListCasesRequest(region=types_pb2.RegionCode(code=TOWNSHIP_B)), metadata=metadata(T)
        )
    assert raised.value.code() is grpc.StatusCode.PERMISSION_DENIED


def suspend(seeded: Seeded, caller: str, actor: pb.Actor, request_id: str = "suspend-1") -> pb.Entitlement:
    return seeded.e.stub.Suspend(
        pb.SuspendRequest(
            request_id=request_id, entitlement_id=seeded.entitlements["A"], reason="无法联系", actor=actor
        ),
        metadata=metadata(caller),
    ).entitlement


@pytest.mark.parametrize(
    ("caller", "claimed"),
    [
        (T, pb.Actor(role=pb.ACTOR_ROLE_COUNTY, user_id="county-03")),
        (C, pb.Actor(role=pb.ACTOR_ROLE_TOWNSHIP, user_id="township-07")),
        (T, pb.Actor(role=pb.ACTOR_ROLE_REVIEWING_BODY, user_id="court")),
    ],
)
def test_a_person_may_not_claim_another_role_than_their_own(
    seeded: Seeded, caller: str, claimed: pb.Actor
) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        suspend(seeded, caller, claimed)
    assert raised.value.code() is grpc.StatusCode.PERMISSION_DENIED
    assert "acts as" in (raised.value.details() or "")
    assert (
        seeded.e.stub.GetEntitlement(
            pb.GetEntitlementRequest(entitlement_id=seeded.entitlements["A"]), metadata=SERVICE
        ).entitlement.state
        == pb.ENTITLEMENT_STATE_ACTIVE
    )


def test_a_list_filter_that_is_no_region_code_is_refused_on_its_field(seeded: Seeded) -> None:
    for rpc, request in (
        ("ListCases", pb.ListCasesRequest(region=types_pb2.RegionCode(code="6404"))),
        ("ListEntitlements", pb.ListEntitlementsRequest(region=types_pb2.RegionCode(code="6404"))),
    ):
        with pytest.raises(grpc.RpcError) as raised:
            getattr(seeded.e.stub, rpc)(request, metadata=SERVICE)
        assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert [name for name, _ in field_violations_from(raised.value)] == ["region"]


def test_a_persons_step_is_taken_in_their_role_under_their_own_name_and_audited(seeded: Seeded) -> None:
    claimed = pb.Actor(role=pb.ACTOR_ROLE_TOWNSHIP, user_id="someone-else")
    suspended = suspend(seeded, T, claimed)
    assert suspended.state == pb.ENTITLEMENT_STATE_SUSPENDED

    audit = seeded.e.context.audit_log()
    [record] = [r for r in audit.page(0, 1000) if r.method.endswith("/Suspend")]
    assert (record.actor, record.actor_role, record.actor_org) == (
        "clerk.a",
        "township_office",
        "A乡社会救助服务窗口",
    )
    assert (record.subject_kind, record.subject_id, record.reason) == (
        "entitlement",
        seeded.entitlements["A"],
        "无法联系",
    )
    before, after = json.loads(record.before_json), json.loads(record.after_json)
    assert (before["state"], after["state"]) == ("ACTIVE", "SUSPENDED")
    assert "body" not in after
    assert audit.verify().intact

    # The service's own trail names the township and the clerk, never the name the request gave.
    with seeded.e.context.database.read() as session:  # type: ignore[union-attr]
        row = session.execute(
            select(audit_log).where(
                audit_log.c.subject_id == seeded.entitlements["A"], audit_log.c.action == "suspended"
            )
        ).one()
    assert (row.actor_role, row.actor_id) == ("TOWNSHIP", "clerk.a")


def test_a_county_publishes_its_own_standard_under_its_own_name(seeded: Seeded) -> None:
    request = version(COUNTY["A"], "EX-GY-2026-09", "publish-own")
    request.actor.Clear()
    published = seeded.e.stub.PublishParameterVersion(request, metadata=metadata(C)).version
    assert (published.region.code, published.published_by) == (COUNTY["A"], "officer.c")
    assert published.effective_from == types_pb2.Date(year=2026, month=1, day=1)
