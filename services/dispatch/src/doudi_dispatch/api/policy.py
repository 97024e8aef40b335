"""Who may call which dispatch RPC, and which region each call touches.

Rapid-response teams are villages' (DOMAIN §10): village committees, township offices and the county
bureau keep teams, the vulnerable-person registry and incidents of their region; only the county
declares a disaster. A volunteer acts only as themself (``volunteer_id`` is their own) on incidents
of their scope, and the incident's own rules accept only the volunteers it was offered to. Other
departments report incidents with the ``incident.report`` scope. A record of another region answers
NOT_FOUND, the same as an unknown id. See ``doudi_runtime.authz.policy`` for how rules are applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table

from doudi_dispatch.store import registry as registry_store
from doudi_dispatch.store.tables import disasters, incidents, teams, volunteers, vulnerable_persons
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
from doudi_runtime.store.sealed import lookup_columns

SERVICE_NAME = "doudi.dispatch.v1.DispatchService"

VILLAGE, TOWNSHIP, COUNTY, VOLUNTEER = (
    Role.VILLAGE_COMMITTEE,
    Role.TOWNSHIP_OFFICE,
    Role.COUNTY_BUREAU,
    Role.VOLUNTEER,
)
LOCAL = (VILLAGE, TOWNSHIP, COUNTY)
TEAM = FromRecord("team", "team_id")
INCIDENT = FromRecord("incident", "incident_id")

RULES: Mapping[str, Rule] = {
    "RegisterTeam": rule(*LOCAL, region=FromField("village.code"), mutates=True),
    "GetTeam": rule(*LOCAL, region=TEAM),
    "AddTeamMember": rule(*LOCAL, region=TEAM, mutates=True),
    "RemoveTeamMember": rule(*LOCAL, region=TEAM, mutates=True),
    "UpdateVolunteerStatus": rule(
        *LOCAL,
        VOLUNTEER,
        region=FromRecord("volunteer", "volunteer_id"),
        subject_field="volunteer_id",
        mutates=True,
    ),
    "ListDutyPhones": rule(*LOCAL, region=Listing("region.code")),
    "ReportIncident": rule(
        *LOCAL,
        Role.EXTERNAL_SYSTEM,
        region=FromField("region.code"),
        scopes=("incident.report",),
        mutates=True,
    ),
    "GetIncident": rule(*LOCAL, region=INCIDENT),
    "ListIncidents": rule(*LOCAL, region=Listing("region.code")),
    "AcceptOffer": rule(
        TOWNSHIP, COUNTY, VOLUNTEER, region=INCIDENT, subject_field="volunteer_id", mutates=True
    ),
    "ArriveOnScene": rule(
        TOWNSHIP, COUNTY, VOLUNTEER, region=INCIDENT, subject_field="volunteer_id", mutates=True
    ),
    "HandOver": rule(
        TOWNSHIP, COUNTY, VOLUNTEER, region=INCIDENT, subject_field="volunteer_id", mutates=True
    ),
    "CloseIncident": rule(TOWNSHIP, COUNTY, region=INCIDENT, mutates=True),
    "RegisterVulnerablePerson": rule(*LOCAL, region=FromField("region.code"), mutates=True),
    "UnregisterVulnerablePerson": rule(*LOCAL, region=FromRecord("person", "person.value"), mutates=True),
    "DeclareDisaster": rule(COUNTY, region=FromField("region.code"), mutates=True),
}


def _without(snapshot: SnapshotLookup, table: Table, *hidden: str) -> SnapshotLookup:
    """A record as the audit trail keeps it: without the store's lookup hashes (and ``hidden``)."""
    left_out = frozenset((*lookup_columns(table), *hidden))

    def without(record_id: str) -> Mapping[str, Any] | None:
        row = snapshot(record_id)
        return None if row is None else {key: value for key, value in row.items() if key not in left_out}

    return without


def _person_region(database: Database) -> RegionLookup:
    """A registered person's region, by identity number (through its lookup hash)."""

    def lookup(id_number: str) -> str | None:
        with database.read() as session:
            return registry_store.region_of(session, id_number)

    return lookup


def _person_snapshot(database: Database) -> SnapshotLookup:
    """A registered person's row, by identity number, as the audit trail kept it before it was sealed."""
    by_row = _without(
        row_snapshot(database, vulnerable_persons, "person_id"), vulnerable_persons, "person_id"
    )

    def snapshot(id_number: str) -> Mapping[str, Any] | None:
        with database.read() as session:
            person_id = registry_store.row_id(session, id_number)
        return None if person_id is None else by_row(person_id)

    return snapshot


def policy(context: ServiceContext) -> ServicePolicy:
    database = context.persistence().database
    return ServicePolicy(
        SERVICE_NAME,
        RULES,
        lookups={
            "team": column_lookup(database, teams, "team_id", "village"),
            "volunteer": column_lookup(database, volunteers, "volunteer_id", "village"),
            "incident": column_lookup(database, incidents, "incident_id", "region"),
            "person": _person_region(database),
            "disaster": column_lookup(database, disasters, "disaster_id", "region"),
        },
        snapshots={
            "team": row_snapshot(database, teams, "team_id"),
            "volunteer": row_snapshot(database, volunteers, "volunteer_id"),
            "incident": _without(row_snapshot(database, incidents, "incident_id"), incidents),
            "person": _person_snapshot(database),
        },
        audit=context.audit_log(),
    )


def audit(context: ServiceContext) -> GrpcServiceBinding:
    return audit_binding(context.audit_log())
