"""Who may call which eligibility RPC, and which region each call touches.

The procedure is the township's (DOMAIN §7.2): it surveys, assesses, posts and closes the notice and
concludes objections; the village committee assists the democratic review and posts notices; the county
bureau confirms (or the township where confirmation is delegated, the machines decide which), supervises
and may object or post too. Entitlements are run by the township and the county (§7.3). Appeals are
filed by applicants and decided by reviewing bodies, neither of them a caller of their own: doudi's
services relay them. Parameter versions are the county's (or a city or province bureau's) for its own
region (§3). A case, notice, decision, entitlement, appeal or parameter version of another region answers
NOT_FOUND, the same as an unknown id. See ``doudi_runtime.authz.policy`` for how the rules are applied and
``doudi_eligibility.api.actors`` for how a person's request is bound to their own role.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Table, select

from doudi_common.parameters import shipped_registry
from doudi_eligibility.store.tables import (
    appeals,
    cases,
    decisions,
    entitlements,
    notices,
    parameter_versions,
    ta_lifecycles,
)
from doudi_runtime.audit.api import audit_binding
from doudi_runtime.authz.lookups import column_lookup, row_snapshot
from doudi_runtime.authz.policy import (
    FromField,
    FromRecord,
    Listing,
    RegionLookup,
    Rule,
    ServicePolicy,
    SnapshotLookup,
    rule,
)
from doudi_runtime.authz.principal import Role
from doudi_runtime.grpc.server import GrpcServiceBinding
from doudi_runtime.service import ServiceContext
from doudi_runtime.store import Database

SERVICE_NAME = "doudi.eligibility.v1.EligibilityService"
#: The scope an outside system needs for GetBeneficiaryStatus (and which opens nothing else).
BENEFICIARY_STATUS_SCOPE = "beneficiary.check"

VILLAGE, TOWNSHIP, COUNTY = Role.VILLAGE_COMMITTEE, Role.TOWNSHIP_OFFICE, Role.COUNTY_BUREAU
CASE = FromRecord("case", "application_id")
NOTICE = FromRecord("notice", "notice_id")
DECISION = FromRecord("decision", "decision_id")
ENTITLEMENT = FromRecord("entitlement", "entitlement_id")
APPEAL = FromRecord("appeal", "appeal_id")
TA = FromRecord("temporary_assistance", "reference")

RULES: Mapping[str, Rule] = {
    # The six steps (§7.2): the township investigates and gives its opinion, the village assists.
    "RecordHomeSurvey": rule(TOWNSHIP, region=CASE, mutates=True),
    "RecordDemocraticReview": rule(VILLAGE, TOWNSHIP, region=CASE, mutates=True),
    "Assess": rule(TOWNSHIP, region=CASE, mutates=True),
    "PublishNotice": rule(VILLAGE, TOWNSHIP, COUNTY, region=CASE, mutates=True),
    # Anyone may object (row 17): people through doudi's services, offices in their own region.
    "RaiseObjection": rule(VILLAGE, TOWNSHIP, COUNTY, region=NOTICE, mutates=True),
    "ConcludeObjection": rule(TOWNSHIP, region=CASE, mutates=True),
    "CloseNotice": rule(TOWNSHIP, region=CASE, mutates=True),
    # The county confirms, or the township where delegated or within its TA limit (rows 22-23, §7.4).
    "Decide": rule(TOWNSHIP, COUNTY, region=CASE, mutates=True),
    # The deciding authority returns a file (row 20); the county alone surveys as supervisor (row 21) and
    # approves an extension of the time limit (§6, row 24).
    "ReturnForInvestigation": rule(TOWNSHIP, COUNTY, region=CASE, mutates=True),
    "RecordCountySurvey": rule(COUNTY, region=CASE, mutates=True),
    # Near-relative registration (§12.2): the township (at acceptance, row 8) or the county registers; the
    # separate archive is the county's.
    "RegisterNearRelative": rule(TOWNSHIP, COUNTY, region=CASE, mutates=True),
    "ListNearRelativeRegistrations": rule(COUNTY, region=Listing("region.code")),
    "ExtendDeadline": rule(COUNTY, region=CASE, mutates=True),
    # The federation's review of the disability subsidies (§7.5) reaches eligibility through doudi's
    # services, or the county enters the federation's written review.
    "RecordFederationReview": rule(COUNTY, region=CASE, mutates=True),
    # A village follows its cases' steps; decisions (incomes, reasons) stay with the offices.
    "GetCase": rule(VILLAGE, TOWNSHIP, COUNTY, region=CASE),
    "ListCases": rule(VILLAGE, TOWNSHIP, COUNTY, region=Listing("region.code")),
    "GetDecision": rule(TOWNSHIP, COUNTY, region=DECISION),
    # The lifecycle (§7.3): the township reviews and suspends, the decision authority concludes.
    "GetEntitlement": rule(TOWNSHIP, COUNTY, region=ENTITLEMENT),
    "ListEntitlements": rule(TOWNSHIP, COUNTY, region=Listing("region.code")),
    "StartReview": rule(TOWNSHIP, COUNTY, region=ENTITLEMENT, mutates=True),
    "CompleteReview": rule(TOWNSHIP, COUNTY, region=ENTITLEMENT, mutates=True),
    "Suspend": rule(TOWNSHIP, COUNTY, region=ENTITLEMENT, mutates=True),
    # The township records the account a beneficiary is paid into (§11.1), for its own entitlements.
    "ChangePayeeAccount": rule(TOWNSHIP, region=ENTITLEMENT, mutates=True),
    "Resume": rule(TOWNSHIP, COUNTY, region=ENTITLEMENT, mutates=True),
    "Terminate": rule(TOWNSHIP, COUNTY, region=ENTITLEMENT, mutates=True),
    # A household's voluntary exit is recorded by its township or the county (§7.3, SEED-4).
    "ExitVoluntarily": rule(TOWNSHIP, COUNTY, region=ENTITLEMENT, mutates=True),
    # The county reduces or stops a work-refusing member's share (§5.1.6).
    "ApplyWorkRefusalSanction": rule(COUNTY, region=ENTITLEMENT, mutates=True),
    # The applicant's appeal and the reviewing body's decision reach eligibility through doudi's services.
    "FileAppeal": rule(region=DECISION, mutates=True),
    "DecideAppeal": rule(region=APPEAL, mutates=True),
    # Standards are published for the publisher's own region (§3).
    "PublishParameterVersion": rule(COUNTY, region=FromField("version.region.code"), mutates=True),
    "GetParameterVersion": rule(COUNTY, region=FromRecord("parameter_version", "set_id")),
    "ListParameterVersions": rule(COUNTY, region=Listing("region.code")),
    # An outside system (a hospital's one-stop settlement) may ask whether a person is a current
    # beneficiary, with this scope and nothing else; the answer carries no amount nor personal data.
    # Temporary assistance (§7.4): the township triages an incident in its region and follows up a paid
    # case; the post-check after advance aid is the township's or the county's (misrepresentation: the
    # county's, the machine decides); the offices read a case.
    "TriageTemporaryAssistance": rule(TOWNSHIP, region=FromField("region.code"), mutates=True),
    "CloseTemporaryAssistance": rule(TOWNSHIP, region=TA, mutates=True),
    "RecordTemporaryAssistancePostCheck": rule(TOWNSHIP, COUNTY, region=TA, mutates=True),
    "GetTemporaryAssistance": rule(TOWNSHIP, COUNTY, region=TA),
    "GetBeneficiaryStatus": rule(Role.EXTERNAL_SYSTEM, scopes=[BENEFICIARY_STATUS_SCOPE]),
}


def _joined_region(database: Database, table: Table, key: str, *via: tuple[Table, str]) -> RegionLookup:
    """``record id → cases.region`` of the record's case, following ``via`` (table, key) joins."""
    source, joined = table, table
    for target, column in via:
        joined = joined.join(target, source.c[column] == target.c[column])
        source = target
    query = select(cases.c.region).select_from(
        joined.join(cases, source.c.application_id == cases.c.application_id)
    )

    def lookup(record_id: str) -> str | None:
        with database.read() as session:
            value = session.execute(query.where(table.c[key] == record_id)).scalar()
        return None if value is None else str(value)

    return lookup


def _parameter_version_region(database: Database) -> RegionLookup:
    """The region of a published version (in the store) or of a set doudi ships."""
    published = column_lookup(database, parameter_versions, "set_id", "region")

    def lookup(set_id: str) -> str | None:
        region = published(set_id)
        if region is not None:
            return region
        shipped = next((s for s in shipped_registry().sets if s.set_id == set_id), None)
        return None if shipped is None else shipped.parameters.region.code

    return lookup


def _state_of(database: Database, table: Table, key: str) -> SnapshotLookup:
    """A record as the audit trail keeps it: its state columns, not the body with the case file's personal
    details (not even read: it is sealed at rest)."""
    return row_snapshot(database, table, key, omit=("body",))


def policy(context: ServiceContext) -> ServicePolicy:
    database = context.persistence().database
    return ServicePolicy(
        SERVICE_NAME,
        RULES,
        lookups={
            "case": column_lookup(database, cases, "application_id", "region"),
            "notice": _joined_region(database, notices, "notice_id"),
            "decision": _joined_region(database, decisions, "decision_id"),
            "appeal": _joined_region(database, appeals, "appeal_id", (decisions, "decision_id")),
            "entitlement": column_lookup(database, entitlements, "entitlement_id", "region"),
            "parameter_version": _parameter_version_region(database),
            "temporary_assistance": column_lookup(database, ta_lifecycles, "reference", "region"),
        },
        snapshots={
            "case": _state_of(database, cases, "application_id"),
            "notice": _state_of(database, notices, "notice_id"),
            "entitlement": _state_of(database, entitlements, "entitlement_id"),
            "appeal": _state_of(database, appeals, "appeal_id"),
            "temporary_assistance": _state_of(database, ta_lifecycles, "reference"),
        },
        audit=context.audit_log(),
    )


def audit(context: ServiceContext) -> GrpcServiceBinding:
    return audit_binding(context.audit_log())
