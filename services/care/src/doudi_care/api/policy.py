"""Who may call which care RPC, and which region each call touches.

Ledgers and visits are the villages' and townships' work (DOMAIN §1.2: village committees keep ledgers
and make visits, township offices run them, the county bureau supervises), so village committees, township
offices and the county bureau register, read, re-tier and visit the people of their region; taking a
person off a ledger is the township's or the county's decision. Care work orders (§9.3) are the
township's to create, audit and follow up; a care-service provider confirms, completes or reports
missed only the work orders assigned to it (its ``subject`` is its provider id) and lists only its own;
its monthly fee is settled by the county bureau, for a provider whose every work order lies in the
county. A mandatory report about a child (§9.1) may also come from another department holding the
``protection.report`` scope. Volunteers have no business in care. A record of another region, or another
provider's work order, answers NOT_FOUND, the same as an unknown id. See ``doudi_runtime.authz.policy``
for how the rules are applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table

from doudi_care.domain.workorders import served_region
from doudi_care.store import workorders as order_store
from doudi_care.store.tables import ledger_entries, protection_cases, work_orders
from doudi_common.masking import scrub
from doudi_runtime.audit.api import audit_binding
from doudi_runtime.authz.lookups import column_lookup, row_snapshot
from doudi_runtime.authz.policy import (
    FromField,
    FromRecord,
    Listing,
    OwnedBy,
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
from doudi_runtime.store.sealed import lookup_columns

SERVICE_NAME = "doudi.care.v1.CareService"

VILLAGE, TOWNSHIP, COUNTY, PROVIDER = (
    Role.VILLAGE_COMMITTEE,
    Role.TOWNSHIP_OFFICE,
    Role.COUNTY_BUREAU,
    Role.PROVIDER,
)
LOCAL = (VILLAGE, TOWNSHIP, COUNTY)
ENTRY = FromRecord("entry", "entry_id")
WORK_ORDER = FromRecord("work_order", "work_order_id")
CASE = FromRecord("case", "case_id")
#: A provider acts only on the work orders assigned to it.
OWN_ORDER = OwnedBy("work_order", "work_order_id")

RULES: Mapping[str, Rule] = {
    # Ledgers: kept by the village, run by the township, supervised by the county (DOMAIN §1.2, §9.1).
    "RegisterPerson": rule(*LOCAL, region=FromField("registration.region.code"), mutates=True),
    "ImportLedger": rule(TOWNSHIP, COUNTY, region=FromField("region.code"), mutates=True),
    "GetLedgerEntry": rule(*LOCAL, region=ENTRY),
    "ListLedgerEntries": rule(*LOCAL, region=Listing("region.code")),
    "ChangeRiskLevel": rule(*LOCAL, region=ENTRY, mutates=True),
    "CloseLedgerEntry": rule(TOWNSHIP, COUNTY, region=ENTRY, mutates=True),
    # Visits (DOMAIN §9.2).
    "ListDueVisits": rule(*LOCAL, region=Listing("region.code")),
    "RecordVisit": rule(*LOCAL, region=ENTRY, mutates=True),
    # Care work orders (DOMAIN §9.3): the provider works its own; the township audits them.
    "CreateWorkOrder": rule(TOWNSHIP, COUNTY, region=ENTRY, mutates=True),
    "CompleteWorkOrder": rule(PROVIDER, TOWNSHIP, COUNTY, region=WORK_ORDER, owner=OWN_ORDER, mutates=True),
    "MissWorkOrder": rule(PROVIDER, TOWNSHIP, COUNTY, region=WORK_ORDER, owner=OWN_ORDER, mutates=True),
    "AuditWorkOrder": rule(TOWNSHIP, COUNTY, region=WORK_ORDER, mutates=True),
    "ListWorkOrders": rule(
        PROVIDER, TOWNSHIP, COUNTY, region=Listing("region.code"), subject_field="provider_id"
    ),
    "SettleProvider": rule(COUNTY, region=FromRecord("provider", "provider_id"), mutates=True),
    # Children's protection (DOMAIN §9.1, "四位一体"): a report names the child's entry or where they are.
    "ReportChildProtection": rule(
        *LOCAL,
        Role.EXTERNAL_SYSTEM,
        region=(FromRecord("entry", "entry_id", optional=True), FromField("region.code", optional=True)),
        scopes=("protection.report",),
        mutates=True,
    ),
    "RecordProtectionStep": rule(*LOCAL, region=CASE, mutates=True),
    "GetProtectionCase": rule(*LOCAL, region=CASE),
}


def _provider_region(database: Database) -> RegionLookup:
    """``provider id → the smallest region holding every person its work orders serve``."""

    def lookup(provider_id: str) -> str | None:
        with database.read() as session:
            region = served_region(order_store.provider_regions(session, provider_id))
        return None if region is None else region.code

    return lookup


def _scrubbed(snapshot: SnapshotLookup, table: Table) -> SnapshotLookup:
    """A record as the audit trail keeps it: who changed what, with identity and phone numbers masked (and
    without the store's lookup hashes)."""
    hidden = frozenset(lookup_columns(table))

    def scrubbed(record_id: str) -> Mapping[str, Any] | None:
        row = snapshot(record_id)
        if row is None:
            return None
        return {
            key: scrub(value) if isinstance(value, str) else value
            for key, value in row.items()
            if key not in hidden
        }

    return scrubbed


def policy(context: ServiceContext) -> ServicePolicy:
    database = context.persistence().database
    return ServicePolicy(
        SERVICE_NAME,
        RULES,
        lookups={
            "entry": column_lookup(database, ledger_entries, "entry_id", "region"),
            "work_order": column_lookup(database, work_orders, "work_order_id", "region"),
            "case": column_lookup(database, protection_cases, "case_id", "region"),
            "provider": _provider_region(database),
        },
        owners={"work_order": column_lookup(database, work_orders, "work_order_id", "provider_id")},
        snapshots={
            "entry": _scrubbed(row_snapshot(database, ledger_entries, "entry_id"), ledger_entries),
            "work_order": row_snapshot(database, work_orders, "work_order_id"),
            "case": _scrubbed(row_snapshot(database, protection_cases, "case_id"), protection_cases),
        },
        audit=context.audit_log(),
    )


def audit(context: ServiceContext) -> GrpcServiceBinding:
    return audit_binding(context.audit_log())
