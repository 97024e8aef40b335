"""What the store has read is not read or written anew: the initial opinion reads its case and the published
parameter versions' fingerprint in one query, and a case file or an entitlement read and saved again keeps the
JSON of what did not change as read, stored exactly as it would be if serialised anew."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from sqlalchemy import event

from doudi_common.period import Period
from doudi_eligibility.app.common import Actor
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
from doudi_eligibility.domain.machines.roles import Role
from doudi_eligibility.domain.rules.facts import HouseholdType
from doudi_eligibility.store import records

from .conftest import TOWNSHIP, VILLAGE, Eligibility

ACCEPTED_AT = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)
MEMBERS = (
    Applicant(0, "640402198403091139", "李明", True, True),
    Applicant(1, "640402198607021247", "王芳", True, True),
    Applicant(2, "640402201105201373", "李小军", True, True),
)


def seed_case(e: Eligibility, application_id: str = "app_store_1") -> records.CaseRecord:
    """H01's household waiting for the township's opinion (survey and report in)."""
    report = ReportFacts(
        "rep_1",
        "EX",
        2_160_000,
        (MemberFindings(0, 2_160_000, 2_160_000, 0),),
        (("dibao.assets.financial_pc", "PASS", ""), ("dibao.assets.housing", "PASS", "")),
    )
    application = ApplicationFacts(
        application_id, "DIBAO", TOWNSHIP, VILLAGE, HouseholdType.URBAN, MEMBERS, ACCEPTED_AT
    )
    case = Case(application_id, Step.INITIAL_OPINION, date(2025, 3, 3), True, True)
    record = records.CaseRecord(
        case, application, report, SurveyFacts("svy_1", ("a", "b"), "入户核实", False), date(2025, 4, 15)
    )
    with e.context.database.transaction() as session:  # type: ignore[union-attr]
        records.insert_case(session, record, ACCEPTED_AT)
    return record


def publish_version(e: Eligibility, set_id: str, at: datetime) -> None:
    with e.context.database.transaction() as session:  # type: ignore[union-attr]
        records.insert_parameter_version(
            session,
            set_id=set_id,
            region="640400000000",
            effective_from=date(2030, 1, 1),
            text="",
            by="t",
            at=at,
        )


def test_the_initial_opinion_reads_the_case_with_the_published_fingerprint_in_one_query(eligibility) -> None:  # type: ignore[no-untyped-def]
    seed_case(eligibility, "app_store_0")
    seed_case(eligibility)
    eligibility.clock.on(2025, 3, 11)
    township = Actor(Role.TOWNSHIP, "t-07")
    # The first reads the published versions (none yet); the next ones only see that nothing changed.
    eligibility.app.procedure.assess("assess-0", "app_store_0", "", township)
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = eligibility.context.database.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        opinion = eligibility.app.procedure.assess(
            "assess-1", "app_store_1", "", Actor(Role.TOWNSHIP, "t-07")
        )
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert opinion.decision_id
    about_versions = [s for s in statements if "parameter_versions" in s]
    assert len(about_versions) == 1
    assert "FROM cases" in about_versions[0]


def test_the_fingerprint_read_with_a_case_is_the_one_read_alone(eligibility) -> None:  # type: ignore[no-untyped-def]
    seed_case(eligibility)
    database = eligibility.context.database
    for step in range(3):
        with database.transaction() as session:
            record, fingerprint = records.get_case_and_fingerprint(session, "app_store_1")
            assert fingerprint == records.published_fingerprint(session)
            assert record == records.get_case(session, "app_store_1")
            assert records.get_case_and_fingerprint(session, "app_none") == (None, fingerprint)
        assert fingerprint[0] == step
        publish_version(eligibility, f"TEST-{step}", datetime(2025, 5, 1 + step, 2, 0, tzinfo=UTC))


def test_a_case_file_read_and_saved_again_is_stored_as_if_serialised_anew(eligibility) -> None:  # type: ignore[no-untyped-def]
    seed_case(eligibility)
    now = datetime(2025, 3, 11, 1, 0, tzinfo=UTC)
    with eligibility.context.database.transaction() as session:
        read = records.get_case(session, "app_store_1", for_update=True)
    assert read is not None and read.stored is not None
    moved = replace(read, case=replace(read.case, step=Step.PUBLIC_NOTICE), opinion_id="dec_1")
    assert records._case_values(moved, now) == records._case_values(replace(moved, stored=None), now)
    # The parts that did not change are written from their JSON as read, not serialised again.
    assert records._file_part(moved, "application") is read.stored.body["application"]
    assert records._file_part(moved, "survey") is read.stored.body["survey"]
    # A part that changed is serialised anew.
    corrected = replace(moved, survey=replace(moved.survey, income_stable=True))  # type: ignore[type-var]
    assert records._case_values(corrected, now) == records._case_values(replace(corrected, stored=None), now)
    assert records._file_part(corrected, "survey")["income_stable"] is True


def test_an_entitlement_changed_from_its_stored_state_is_stored_as_if_serialised_anew(eligibility) -> None:  # type: ignore[no-untyped-def]
    record = seed_case(eligibility)
    held = records.EntitlementRecord(
        Entitlement("ent_store_1", Programme.DIBAO, State.ACTIVE, 6_000, Period(2025, 5)),
        record.application_id,
        record.application_id,
        TOWNSHIP,
        "李明",
        Category.C,
        "EX",
        "dec_0",
        persons=tuple(m.id_number for m in MEMBERS),
    )
    now = datetime(2025, 6, 10, 2, 0, tzinfo=UTC)
    with eligibility.context.database.transaction() as session:
        records.insert_entitlement(session, held, now)
        read = records.get_entitlement(session, "ent_store_1", for_update=True)
    assert read is not None and read.stored is not None
    once = read.moved(read.entitlement.redetermine(7_000, Period(2025, 7), Role.SYSTEM), "dec_1")
    twice = once.moved(once.entitlement.start_review(Role.SYSTEM), "dec_1")
    for changed in (once, twice, read):
        assert records._entitlement_values(changed, now) == records._entitlement_values(
            replace(changed, stored=None), now
        )
    with eligibility.context.database.transaction() as session:
        records.save_entitlements(session, [once], now)
        again = records.get_entitlement(session, "ent_store_1")
    assert again is not None
    assert again.entitlement == once.entitlement
    assert again.entitlement.previous == read.entitlement
