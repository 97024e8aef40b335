"""Who may call which intake RPC, and which region each call touches (see ``doudi_runtime.authz.policy``).

The window is a township's (DOMAIN §1.2): township offices and the county bureau work applications
of their region; village committees find and follow up leads of their villages; an external system
may register a lead when it holds the ``lead.register`` scope. A record of another region answers
NOT_FOUND, the same as an unknown id. A referral is placed by its application's township; one made
without an application is visible to doudi's services only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from doudi_intake.store.tables import applications, leads, referrals
from doudi_runtime.audit.api import audit_binding
from doudi_runtime.authz.lookups import column_lookup, row_snapshot
from doudi_runtime.authz.policy import FromField, FromRecord, Listing, Rule, ServicePolicy, rule
from doudi_runtime.authz.principal import Role
from doudi_runtime.grpc.server import GrpcServiceBinding
from doudi_runtime.service import ServiceContext
from doudi_runtime.store import Database

SERVICE_NAME = "doudi.intake.v1.IntakeService"

TOWNSHIP, COUNTY, VILLAGE = Role.TOWNSHIP_OFFICE, Role.COUNTY_BUREAU, Role.VILLAGE_COMMITTEE
APPLICATION = FromRecord("application", "application_id")
LEAD = FromRecord("lead", "lead_id")
REFERRAL = FromRecord("referral", "referral_id")

RULES: Mapping[str, Rule] = {
    # Applications: the township's window and the county bureau above it.
    "SubmitApplication": rule(TOWNSHIP, COUNTY, region=FromField("township.code"), mutates=True),
    "GetApplication": rule(TOWNSHIP, COUNTY, region=APPLICATION),
    "ListApplications": rule(TOWNSHIP, COUNTY, region=Listing("township.code")),
    "AcceptApplication": rule(TOWNSHIP, COUNTY, region=APPLICATION, mutates=True),
    "RequestCorrection": rule(TOWNSHIP, COUNTY, region=APPLICATION, mutates=True),
    "ResubmitApplication": rule(TOWNSHIP, COUNTY, region=APPLICATION, mutates=True),
    "RejectIntake": rule(TOWNSHIP, COUNTY, region=APPLICATION, mutates=True),
    # The receiving township is named by the sender and need not be in its scope.
    "TransferApplication": rule(TOWNSHIP, COUNTY, region=APPLICATION, mutates=True),
    "WithdrawApplication": rule(TOWNSHIP, COUNTY, region=APPLICATION, mutates=True),
    # Leads: discovery is the village committees' duty (DOMAIN §1.2); other departments report too.
    "RegisterLead": rule(
        VILLAGE,
        TOWNSHIP,
        COUNTY,
        Role.EXTERNAL_SYSTEM,
        region=FromField("residence_region.code"),
        scopes=("lead.register",),
        mutates=True,
    ),
    "ConvertLead": rule(
        TOWNSHIP, COUNTY, region=(LEAD, FromField("application.township.code")), mutates=True
    ),
    "GetLead": rule(VILLAGE, TOWNSHIP, COUNTY, region=LEAD),
    "ListLeads": rule(VILLAGE, TOWNSHIP, COUNTY, region=Listing("region.code")),
    "ContactLead": rule(VILLAGE, TOWNSHIP, COUNTY, region=LEAD, mutates=True),
    "CloseLead": rule(VILLAGE, TOWNSHIP, COUNTY, region=LEAD, mutates=True),
    # Referrals belong to their application's township.
    "ReferToDepartment": rule(
        TOWNSHIP, COUNTY, region=FromRecord("application", "application_id", optional=True), mutates=True
    ),
    "GetReferral": rule(TOWNSHIP, COUNTY, region=REFERRAL),
    "RecordReferralProgress": rule(TOWNSHIP, COUNTY, region=REFERRAL, mutates=True),
}


def _referral_region(database: Database) -> Any:
    def lookup(referral_id: str) -> str | None:
        query = (
            select(applications.c.township)
            .select_from(
                referrals.join(applications, referrals.c.application_id == applications.c.application_id)
            )
            .where(referrals.c.referral_id == referral_id)
        )
        with database.read() as session:
            value = session.execute(query).scalar()
        return None if value is None else str(value)

    return lookup


def policy(context: ServiceContext) -> ServicePolicy:
    database = context.persistence().database
    return ServicePolicy(
        SERVICE_NAME,
        RULES,
        lookups={
            "application": column_lookup(database, applications, "application_id", "township"),
            "lead": column_lookup(database, leads, "lead_id", "residence_region"),
            "referral": _referral_region(database),
        },
        snapshots={
            "application": row_snapshot(database, applications, "application_id", omit=("payee",)),
            "lead": row_snapshot(database, leads, "lead_id"),
            "referral": row_snapshot(database, referrals, "referral_id"),
        },
        audit=context.audit_log(),
    )


def audit(context: ServiceContext) -> GrpcServiceBinding:
    return audit_binding(context.audit_log())
