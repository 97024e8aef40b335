"""Who may call which disbursement RPC, and which region each call touches.

Payment lists are a county matter (DOMAIN §1.2, §11): the county bureau generates, approves, holds
and cancels its runs; a township office may list the payments of a beneficiary of its township. A
run or beneficiary of another region answers NOT_FOUND, the same as an unknown id. See
``doudi_runtime.authz.policy`` for how the rules are applied.
"""

from __future__ import annotations

from collections.abc import Mapping

from doudi_disbursement.store.tables import reserve_entries, roster, runs
from doudi_runtime.audit.api import audit_binding
from doudi_runtime.authz.lookups import column_lookup, row_snapshot
from doudi_runtime.authz.policy import FromField, FromRecord, Rule, ServicePolicy, rule
from doudi_runtime.authz.principal import Role
from doudi_runtime.grpc.server import GrpcServiceBinding
from doudi_runtime.service import ServiceContext

SERVICE_NAME = "doudi.disbursement.v1.DisbursementService"

COUNTY = Role.COUNTY_BUREAU
RUN = FromRecord("run", "run_id")

RULES: Mapping[str, Rule] = {
    "GenerateMonthlyRun": rule(COUNTY, region=FromField("region.code"), mutates=True),
    "GetRun": rule(COUNTY, region=RUN),
    "ApproveRun": rule(COUNTY, region=RUN, mutates=True),
    "HoldRun": rule(COUNTY, region=RUN, mutates=True),
    "ResumeRun": rule(COUNTY, region=RUN, mutates=True),
    "CancelRun": rule(COUNTY, region=RUN, mutates=True),
    # By run (a county's) or by beneficiary (their township's); whichever is given is checked.
    "ListPayments": rule(
        COUNTY,
        Role.TOWNSHIP_OFFICE,
        region=(
            FromRecord("run", "run_id", optional=True),
            FromRecord("beneficiary", "beneficiary_id", optional=True),
        ),
    ),
}


RESERVE_SERVICE_NAME = "doudi.disbursement.v1.ReserveFundService"
TOWNSHIP = Role.TOWNSHIP_OFFICE
ADVANCE = FromRecord("advance", "advance_id")

#: The county opens and tops up its townships' funds; a township pays and regularises its own
#: advances (DOMAIN §11.3), and both read the fund and its ledger.
RESERVE_RULES: Mapping[str, Rule] = {
    "OpenReserveFund": rule(COUNTY, region=FromField("township.code"), mutates=True),
    "TopUpReserveFund": rule(COUNTY, region=FromField("township.code"), mutates=True),
    "PayAdvance": rule(TOWNSHIP, COUNTY, region=FromField("advance.township.code"), mutates=True),
    "RegulariseAdvance": rule(TOWNSHIP, COUNTY, region=ADVANCE, mutates=True),
    "GetAdvance": rule(TOWNSHIP, COUNTY, region=ADVANCE),
    "GetReserveFund": rule(TOWNSHIP, COUNTY, region=FromField("township.code")),
}


def reserve_policy(context: ServiceContext) -> ServicePolicy:
    database = context.persistence().database
    return ServicePolicy(
        RESERVE_SERVICE_NAME,
        RESERVE_RULES,
        lookups={"advance": column_lookup(database, reserve_entries, "advance_id", "township")},
        audit=context.audit_log(),
    )


def policy(context: ServiceContext) -> ServicePolicy:
    database = context.persistence().database
    return ServicePolicy(
        SERVICE_NAME,
        RULES,
        lookups={
            "run": column_lookup(database, runs, "run_id", "region"),
            "beneficiary": column_lookup(database, roster, "beneficiary_id", "township"),
        },
        snapshots={"run": row_snapshot(database, runs, "run_id")},
        audit=context.audit_log(),
    )


def audit(context: ServiceContext) -> GrpcServiceBinding:
    return audit_binding(context.audit_log())
