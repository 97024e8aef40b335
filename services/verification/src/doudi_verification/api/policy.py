"""Who may call which verification and monitoring RPC, and which region each call touches.

Household checks belong to the application's township (DOMAIN §4): township offices and the county
bureau read reports and record home surveys of their region. Monitoring alerts are owned by
townships (DOMAIN §8.3); village committees and other departments (scope ``monitoring.report``)
report monitoring events. A case, report or alert of another region answers NOT_FOUND, the same as
an unknown id. See ``doudi_runtime.authz.policy`` for how the rules are applied.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from doudi_runtime.audit.api import audit_binding
from doudi_runtime.authz.lookups import column_lookup, row_snapshot
from doudi_runtime.authz.policy import FromField, FromRecord, Listing, RegionLookup, Rule, ServicePolicy, rule
from doudi_runtime.authz.principal import Role
from doudi_runtime.grpc.server import GrpcServiceBinding
from doudi_runtime.service import ServiceContext
from doudi_runtime.store import Database
from doudi_verification.store.tables import alerts, cases, reports

VERIFICATION = "doudi.verification.v1.VerificationService"
MONITORING = "doudi.verification.v1.MonitoringService"

TOWNSHIP, COUNTY, VILLAGE = Role.TOWNSHIP_OFFICE, Role.COUNTY_BUREAU, Role.VILLAGE_COMMITTEE
CASE = FromRecord("case", "application_id")
REPORT = FromRecord("report", "report_id")
ALERT = FromRecord("alert", "alert_id")

VERIFICATION_RULES: Mapping[str, Rule] = {
    "RequestVerification": rule(TOWNSHIP, COUNTY, region=CASE, mutates=True),
    # A report is asked for by its id or by its application's; whichever is given is checked.
    "GetReport": rule(
        TOWNSHIP,
        COUNTY,
        region=(
            FromRecord("report", "report_id", optional=True),
            FromRecord("case", "application_id", optional=True),
        ),
    ),
    "RecordHomeSurvey": rule(TOWNSHIP, COUNTY, region=CASE, mutates=True),
    "DisputeReport": rule(TOWNSHIP, COUNTY, region=REPORT, mutates=True),
    "ListReviews": rule(TOWNSHIP, COUNTY, region=Listing("region.code")),
}

MONITORING_RULES: Mapping[str, Rule] = {
    "ReportMonitoringEvent": rule(
        VILLAGE,
        TOWNSHIP,
        COUNTY,
        Role.EXTERNAL_SYSTEM,
        region=FromField("region.code"),
        scopes=("monitoring.report",),
        mutates=True,
    ),
    "GetAlert": rule(TOWNSHIP, COUNTY, region=ALERT),
    "ListAlerts": rule(TOWNSHIP, COUNTY, region=Listing("region.code")),
    "AssignAlert": rule(TOWNSHIP, COUNTY, region=ALERT, mutates=True),
    "RecordAlertVerification": rule(TOWNSHIP, COUNTY, region=ALERT, mutates=True),
    "DisposeAlert": rule(TOWNSHIP, COUNTY, region=ALERT, mutates=True),
    "CloseAlert": rule(TOWNSHIP, COUNTY, region=ALERT, mutates=True),
    "ListMonitoredHouseholds": rule(TOWNSHIP, COUNTY, region=Listing("region.code")),
}


def _report_region(database: Database) -> RegionLookup:
    query = select(cases.c.township).select_from(
        reports.join(cases, reports.c.application_id == cases.c.application_id)
    )

    def lookup(report_id: str) -> str | None:
        with database.read() as session:
            value = session.execute(query.where(reports.c.report_id == report_id)).scalar()
        return None if value is None else str(value)

    return lookup


def _policy(context: ServiceContext, service: str, rules: Mapping[str, Rule]) -> ServicePolicy:
    database = context.persistence().database
    return ServicePolicy(
        service,
        rules,
        lookups={
            "case": column_lookup(database, cases, "application_id", "township"),
            "report": _report_region(database),
            "alert": column_lookup(database, alerts, "alert_id", "region"),
        },
        snapshots={
            "case": row_snapshot(database, cases, "application_id"),
            "report": row_snapshot(database, reports, "report_id"),
            "alert": row_snapshot(database, alerts, "alert_id"),
        },
        audit=context.audit_log(),
    )


def verification_policy(context: ServiceContext) -> ServicePolicy:
    return _policy(context, VERIFICATION, VERIFICATION_RULES)


def monitoring_policy(context: ServiceContext) -> ServicePolicy:
    return _policy(context, MONITORING, MONITORING_RULES)


def audit(context: ServiceContext) -> GrpcServiceBinding:
    return audit_binding(context.audit_log())
