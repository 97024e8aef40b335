"""Re-determination after a new standard runs in batches, each its own transaction (DOMAIN §3, §5.1.6): its
progress shows on the version, an interrupted run resumes where it stopped (a retried publish, or the sweep
once the runner's lease ran out), and no entitlement gets two decisions or events for one standard change."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, date, datetime

import grpc
import pytest
from sqlalchemy import func, select

from doudi.eligibility.v1 import eligibility_pb2 as pb
from doudi.eligibility.v1 import events_pb2
from doudi_common.period import Period
from doudi_eligibility.domain.case_file import (
    Applicant,
    ApplicationFacts,
    MemberFindings,
    ReportFacts,
    SurveyFacts,
)
from doudi_eligibility.domain.explain import Category, Programme
from doudi_eligibility.domain.machines.entitlement import Entitlement, State
from doudi_eligibility.domain.machines.procedure import Case, Step
from doudi_eligibility.domain.rules.facts import HouseholdType
from doudi_eligibility.store import records
from doudi_eligibility.store.tables import audit_log, entitlements

from .conftest import AUTH, TOWNSHIP, VILLAGE, Eligibility
from .test_parameters_api import CITY, publish

H01_MEMBERS = (
    Applicant(0, "640402198403091139", "李明", True, True),
    Applicant(1, "640402198607021247", "王芳", True, True),
    Applicant(2, "640402201105201373", "李小军", True, True),
)
APPROVED_AT = datetime(2025, 4, 15, 1, 0, tzinfo=UTC)
#: The households of a town: H01's family with yearly wages of 21,600 yuan, y = 540 under the EX-GY set.
HOUSEHOLDS = 7
BATCH = 3


def seed(e: Eligibility, count: int = HOUSEHOLDS, unreadable: frozenset[int] = frozenset()) -> list[str]:
    """``count`` approved, active H01-like entitlements of 60 yuan a month (as the procedure leaves them);
    the case files of the ``unreadable`` ones count nobody."""
    report = ReportFacts(
        "rep_1",
        "NX-2024-01+GY-2024-01+EX-GY-2024-01",
        2_160_000,
        (MemberFindings(0, 2_160_000, 2_160_000, 0),),
        (("dibao.assets.financial_pc", "PASS", ""), ("dibao.assets.housing", "PASS", "")),
    )
    survey = SurveyFacts("svy_1", ("a", "b"), "入户核实", False)
    ids = []
    with e.context.database.transaction() as session:  # type: ignore[union-attr]
        for index in range(count):
            application_id = f"app_town_{index:03d}"
            members = (
                tuple(replace(m, counted=False) for m in H01_MEMBERS) if index in unreadable else H01_MEMBERS
            )
            application = ApplicationFacts(
                application_id, "DIBAO", TOWNSHIP, VILLAGE, HouseholdType.URBAN, members, APPROVED_AT
            )
            case = replace(Case.accepted(application_id, date(2025, 3, 3)), step=Step.APPROVED)
            records.insert_case(
                session, records.CaseRecord(case, application, report, survey, date(2025, 4, 15)), APPROVED_AT
            )
            entitlement = Entitlement(
                f"ent_town_{index:03d}", Programme.DIBAO, State.ACTIVE, 6_000, Period(2025, 5)
            )
            held = records.EntitlementRecord(
                entitlement,
                application_id,
                application_id,
                TOWNSHIP,
                "李明",
                Category.C,
                report.policy_version,
                f"dec_town_{index:03d}",
            )
            records.insert_entitlement(session, held, APPROVED_AT)
            ids.append(held.entitlement_id)
    e.app.standards.redeterminations.batch_size = BATCH
    e.clock.on(2025, 6, 10)
    return ids


def version(e: Eligibility, set_id: str) -> pb.GetParameterVersionResponse:
    return e.stub.GetParameterVersion(pb.GetParameterVersionRequest(set_id=set_id), metadata=AUTH, timeout=10)


def changed_events(e: Eligibility) -> list[events_pb2.EntitlementChanged]:
    return [
        events_pb2.EntitlementChanged.FromString(envelope.payload.value)  # type: ignore[attr-defined]
        for envelope in e.envelopes("EntitlementChanged")
    ]


def audited(e: Eligibility, action: str) -> list[str]:
    with e.context.database.read() as session:  # type: ignore[union-attr]
        rows = session.execute(
            select(audit_log.c.subject_id).where(audit_log.c.action == action).order_by(audit_log.c.id)
        )
        return [row.subject_id for row in rows]


def amounts(e: Eligibility, ids: list[str]) -> dict[str, int]:
    return {i: e.app.entitlements.get(i).entitlement.monthly_amount_fen for i in ids}


def interrupt_after(monkeypatch: pytest.MonkeyPatch, e: Eligibility, batches: int) -> None:
    """The process stops once ``batches`` batches have committed."""
    runner = e.app.standards.redeterminations
    original = runner._batch
    done: list[str] = []

    def stopping(set_id: str):  # type: ignore[no-untyped-def]
        if len(done) == batches:
            raise RuntimeError("the process stopped")
        done.append(set_id)
        return original(set_id)

    monkeypatch.setattr(runner, "_batch", stopping)


def test_a_new_standard_re_determines_every_entitlement_a_batch_at_a_time_and_shows_its_progress(  # type: ignore[no-untyped-def]
    eligibility,
) -> None:
    ids = seed(eligibility)
    response = publish(eligibility, "GY-2025-07", CITY, date(2025, 7, 1), {"dibao.std.urban.monthly": "600"})
    run = response.redetermination
    assert response.redetermined == HOUSEHOLDS
    assert (run.set_id, run.done, run.examined, run.changed, run.referred_to_review) == (
        "GY-2025-07",
        True,
        HOUSEHOLDS,
        HOUSEHOLDS,
        0,
    )
    assert run.HasField("finished_at")
    assert amounts(eligibility, ids) == dict.fromkeys(ids, (60_000 - 54_000) * 3)
    assert sorted(event.after.entitlement_id for event in changed_events(eligibility)) == ids
    assert {event.effective_month.month for event in changed_events(eligibility)} == {"2025-07"}
    assert sorted(audited(eligibility, "re-determined")) == ids
    assert version(eligibility, "GY-2025-07").redetermination == run
    assert not version(eligibility, "EX-GY-2024-01").HasField("redetermination")  # a shipped set


def test_a_standard_below_a_households_income_sends_its_active_entitlement_to_review(eligibility) -> None:  # type: ignore[no-untyped-def]
    ids = seed(eligibility)
    response = publish(eligibility, "GY-2025-07", CITY, date(2025, 7, 1), {"dibao.std.urban.monthly": "500"})
    assert (response.redetermination.changed, response.redetermination.referred_to_review) == (0, HOUSEHOLDS)
    states = {eligibility.app.entitlements.get(i).entitlement.state for i in ids}
    assert states == {State.UNDER_REVIEW}
    assert amounts(eligibility, ids) == dict.fromkeys(ids, 6_000)  # payments continue during the review
    assert changed_events(eligibility) == []


def test_a_case_file_the_rules_cannot_read_sends_its_entitlement_to_review_and_the_run_goes_on(  # type: ignore[no-untyped-def]
    eligibility,
) -> None:
    ids = seed(eligibility, unreadable=frozenset({4}))
    response = publish(eligibility, "GY-2025-07", CITY, date(2025, 7, 1), {"dibao.std.urban.monthly": "600"})
    run = response.redetermination
    assert (run.done, run.examined, run.changed, run.referred_to_review) == (
        True,
        HOUSEHOLDS,
        HOUSEHOLDS - 1,
        1,
    )
    assert eligibility.app.entitlements.get(ids[4]).entitlement.state is State.UNDER_REVIEW
    assert audited(eligibility, "review after new standard") == [ids[4]]
    assert sorted(event.after.entitlement_id for event in changed_events(eligibility)) == ids[:4] + ids[5:]


def test_an_interrupted_run_shows_where_it_stopped_and_a_retried_publish_finishes_it_once(  # type: ignore[no-untyped-def]
    eligibility, monkeypatch
) -> None:
    ids = seed(eligibility)
    interrupt_after(monkeypatch, eligibility, 1)
    with pytest.raises(grpc.RpcError):
        publish(eligibility, "GY-2025-07", CITY, date(2025, 7, 1), {"dibao.std.urban.monthly": "600"})
    stopped = version(eligibility, "GY-2025-07").redetermination
    assert (stopped.done, stopped.examined, stopped.changed) == (False, BATCH, BATCH)
    assert not stopped.HasField("finished_at")
    assert len(changed_events(eligibility)) == BATCH
    monkeypatch.undo()

    retried = publish(eligibility, "GY-2025-07", CITY, date(2025, 7, 1), {"dibao.std.urban.monthly": "600"})
    assert (retried.redetermination.done, retried.redetermination.changed) == (True, HOUSEHOLDS)
    assert sorted(event.after.entitlement_id for event in changed_events(eligibility)) == ids
    assert sorted(audited(eligibility, "re-determined")) == ids
    assert amounts(eligibility, ids) == dict.fromkeys(ids, 18_000)
    again = publish(eligibility, "GY-2025-07", CITY, date(2025, 7, 1), {"dibao.std.urban.monthly": "600"})
    assert again.redetermination == retried.redetermination
    assert len(changed_events(eligibility)) == HOUSEHOLDS


def test_the_sweep_takes_over_a_run_whose_runner_stopped_once_its_lease_ran_out(  # type: ignore[no-untyped-def]
    eligibility, monkeypatch
) -> None:
    ids = seed(eligibility)
    interrupt_after(monkeypatch, eligibility, 2)
    with pytest.raises(grpc.RpcError):
        publish(eligibility, "GY-2025-07", CITY, date(2025, 7, 1), {"dibao.std.urban.monthly": "600"})
    monkeypatch.undo()
    standards = eligibility.app.standards
    assert standards.resume_redeterminations() == 0  # the runner may still be working
    eligibility.clock.advance(seconds=standards.redeterminations.lease.total_seconds() + 1)
    assert standards.resume_redeterminations() == 1
    run = version(eligibility, "GY-2025-07").redetermination
    assert (run.done, run.examined, run.changed) == (True, HOUSEHOLDS, HOUSEHOLDS)
    assert sorted(event.after.entitlement_id for event in changed_events(eligibility)) == ids
    assert standards.resume_redeterminations() == 0


def test_two_runners_of_one_run_share_it_without_re_determining_an_entitlement_twice(  # type: ignore[no-untyped-def]
    eligibility, monkeypatch
) -> None:
    ids = seed(eligibility, 12)
    eligibility.app.standards.redeterminations.batch_size = 1
    interrupt_after(monkeypatch, eligibility, 0)
    with pytest.raises(grpc.RpcError):
        publish(eligibility, "GY-2025-07", CITY, date(2025, 7, 1), {"dibao.std.urban.monthly": "600"})
    monkeypatch.undo()
    runner = eligibility.app.standards.redeterminations
    threads = [threading.Thread(target=runner.run, args=("GY-2025-07",)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    run = version(eligibility, "GY-2025-07").redetermination
    assert (run.done, run.examined, run.changed) == (True, 12, 12)
    assert sorted(event.after.entitlement_id for event in changed_events(eligibility)) == ids
    assert sorted(audited(eligibility, "re-determined")) == ids
    with eligibility.context.database.read() as session:  # type: ignore[union-attr]
        decisions = session.execute(
            select(func.count(func.distinct(entitlements.c.last_decision_id)))
        ).scalar_one()
    assert decisions == 12
