"""Benchmark: re-determination after a new standard, on SQLite and on PostgreSQL (when 127.0.0.1:5432
answers), against a raw bulk update of the same entitlement rows measured in the same run.

N approved urban Dibao households (H01's facts, each its own case and entitlement) are loaded directly (not
timed). The timed part is what production does when a city publishes a new urban standard through the API's
use-case: validate the version against the floors, store it, re-assess every active entitlement under it and
write each change, its audit record and its EntitlementChanged event in one transaction. The baseline is an
executemany UPDATE of every entitlement's amount and body in one transaction (the least any re-determination
must write).
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, insert, select, text

from doudi_common.period import Period
from doudi_eligibility.app.common import Actor
from doudi_eligibility.app.parameters import NewVersion
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
from doudi_eligibility.main import DEFINITION, EligibilitySettings, build
from doudi_eligibility.store import records
from doudi_eligibility.store.tables import cases, entitlements
from doudi_runtime.service import build_context, migrate
from doudi_runtime.testing.databases import (
    _postgres_reachable,
    create_postgres_database,
    drop_postgres_database,
)

HOUSEHOLDS = int(os.environ.get("BENCH_REDETERMINATION_HOUSEHOLDS", "5000"))
NOW = datetime(2025, 6, 10, 2, 0, tzinfo=UTC)
MEMBERS = (
    Applicant(0, "640402198403091139", "李明", True, True),
    Applicant(1, "640402198607021247", "王芳", True, True),
    Applicant(2, "640402201105201373", "李小军", True, True),
)
REPORT = ReportFacts(
    "rep_bench",
    "NX-2024-01+GY-2024-01+EX-GY-2024-01",
    2_160_000,
    (MemberFindings(0, 2_160_000, 2_160_000, 0),),
    (("financial_pc", "PASS", ""), ("housing", "PASS", ""), ("vehicle", "EXEMPT", "")),
)
SURVEY = SurveyFacts("svy_bench", ("a", "b"), "入户核实", False)


def _rows(count: int) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    case_rows, entitlement_rows = [], []
    for index in range(count):
        application_id = f"app_{index:08d}"
        application = ApplicationFacts(
            application_id, "DIBAO", "640402100000", "640402100201", HouseholdType.URBAN, MEMBERS, NOW
        )
        case = replace(Case.accepted(application_id, date(2025, 3, 3)), step=Step.APPROVED)
        record = records.CaseRecord(case, application, REPORT, SURVEY, date(2025, 4, 15))
        case_rows.append({"application_id": application_id, **records._case_values(record, NOW)})
        entitlement = Entitlement(
            f"ent_{index:08d}",
            Programme.DIBAO,
            State.ACTIVE,
            6_000,
            Period(2025, 4),
            changed_from=Period(2025, 4),
        )
        held = records.EntitlementRecord(
            entitlement,
            application_id,
            application_id,
            "640402100000",
            "李明",
            Category.C,
            REPORT.policy_version,
            "d",
        )
        entitlement_rows.append(
            {"entitlement_id": held.entitlement_id, **records._entitlement_values(held, NOW)}
        )
    return case_rows, entitlement_rows


def _load(url: str, work: Path, count: int):  # type: ignore[no-untyped-def]
    settings = EligibilitySettings(
        grpc_port=0, metrics_port=0, data_dir=work, database_url=url, auth_mode="off"
    )
    migrate(DEFINITION, settings)
    context = build_context(DEFINITION, settings)
    database = context.persistence().database
    case_rows, entitlement_rows = _rows(count)
    for start in range(0, count, 5_000):
        with database.transaction() as session:
            session.execute(insert(cases), case_rows[start : start + 5_000])
            session.execute(insert(entitlements), entitlement_rows[start : start + 5_000])
    return context, entitlement_rows


def _raw_update_seconds(context, rows: list[dict[str, object]]) -> float:  # type: ignore[no-untyped-def]
    database = context.persistence().database
    started = time.perf_counter()
    with database.transaction() as session:
        session.execute(
            text(
                "UPDATE entitlements SET monthly_amount_fen = :amount, body = :body"
                " WHERE entitlement_id = :id"
            ),
            [{"amount": 18_000, "body": row["body"], "id": row["entitlement_id"]} for row in rows],
        )
    elapsed = time.perf_counter() - started
    with database.transaction() as session:
        session.execute(text("UPDATE entitlements SET monthly_amount_fen = 6000"))
    return elapsed


def _redetermination_seconds(context, count: int) -> float:  # type: ignore[no-untyped-def]
    app = build(context, clock=lambda: NOW)
    version = NewVersion(
        "GY-2025-07", "640400000000", date(2025, 7, 1), "bench", {"dibao.std.urban.monthly": "600"}, {}
    )
    started = time.perf_counter()
    _, result = app.standards.publish("bench-publish", version, Actor(Role.COUNTY, "county-bench"))
    elapsed = time.perf_counter() - started
    if result.changed != count:
        raise RuntimeError(f"re-determined {result.changed} of {count} entitlements")
    with context.persistence().database.read() as session:
        amounts = session.execute(select(func.sum(entitlements.c.monthly_amount_fen))).scalar_one()
    if amounts != 18_000 * count:
        raise RuntimeError(f"the new amounts add up to {amounts} fen, not {18_000 * count}")
    return elapsed


def _measure(name: str, url: str, work: Path, count: int) -> list[str]:
    context, rows = _load(url, work, count)
    try:
        raw = _raw_update_seconds(context, rows)
        run = _redetermination_seconds(context, count)
    finally:
        context.persistence().database.dispose()
    return [
        f"{name}: raw bulk update of {count} entitlement rows (baseline): {raw:7.2f} s"
        f" ({count / raw:8.0f} rows/s)",
        f"{name}: publish a standard + re-determine {count} entitlements (events, audit): {run:7.2f} s"
        f" ({count / run:8.0f} entitlements/s)",
        f"{name}: re-determination / raw update time ratio: {run / raw:.1f}",
    ]


def main(count: int = HOUSEHOLDS) -> list[str]:
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        lines += _measure("sqlite", f"sqlite:///{Path(tmp) / 'eligibility.db'}", Path(tmp), count)
    if _postgres_reachable():
        url = create_postgres_database()
        try:
            with tempfile.TemporaryDirectory() as tmp:
                lines += _measure("postgresql", url, Path(tmp), count)
        finally:
            drop_postgres_database(url)
    else:
        lines.append("postgresql: not reachable at 127.0.0.1:5432, skipped")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines.append(f"peak RSS of the benchmark process: {peak_mib:.0f} MiB")
    return lines


if __name__ == "__main__":
    print("\n".join(main()))
