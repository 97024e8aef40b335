"""Who may call which disbursement RPC, and which region each call touches.

Payment lists are a county matter (DOMAIN §1.2, §11): the county bureau generates, approves, holds
and cancels its runs; a township office may list the payments of a beneficiary of its township. A
run or beneficiary of another region answers NOT_FOUND, the same as an unknown id. See
``doudi_runtime.authz.policy`` for how the rules are applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from doudi_common.masking import mask_bank_account
from doudi_disbursement.store.tables import (
    overpayments,
    payments,
    provider_accounts,
    reserve_entries,
    roster,
    runs,
)
from doudi_runtime.audit.api import audit_binding
from doudi_runtime.authz.lookups import column_lookup, row_snapshot
from doudi_runtime.authz.policy import (
    FromField,
    FromRecord,
    Listing,
    Rule,
    ServicePolicy,
    SnapshotLookup,
    rule,
)
from doudi_runtime.authz.principal import Role
from doudi_runtime.grpc.server import GrpcServiceBinding
from doudi_runtime.service import ServiceContext

SERVICE_NAME = "doudi.disbursement.v1.DisbursementService"

COUNTY = Role.COUNTY_BUREAU
RUN = FromRecord("run", "run_id")
PAYMENT = FromRecord("payment", "payment_id")

RULES: Mapping[str, Rule] = {
    "GenerateMonthlyRun": rule(COUNTY, region=FromField("region.code"), mutates=True),
    "GetRun": rule(COUNTY, region=RUN),
    "ListRuns": rule(COUNTY, region=Listing("region.code")),
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
    # Returned and failed payments are the township's to chase (DOMAIN §11.2 step 5): it sees them,
    # holds them and corrects the account; sending money again is the county's, like a run's release.
    "ListPaymentsToResolve": rule(COUNTY, Role.TOWNSHIP_OFFICE, region=Listing("region.code")),
    # Where the money stands and the publication list are read by the county and its townships (DOMAIN
    # §11.1, §11.5), each for its own region.
    "GetFundSummary": rule(COUNTY, Role.TOWNSHIP_OFFICE, region=Listing("region.code")),
    "ListPublication": rule(COUNTY, Role.TOWNSHIP_OFFICE, region=Listing("region.code")),
    "CorrectPaymentAccount": rule(COUNTY, Role.TOWNSHIP_OFFICE, region=PAYMENT, mutates=True),
    "HoldPayment": rule(COUNTY, Role.TOWNSHIP_OFFICE, region=PAYMENT, mutates=True),
    "ReissuePayment": rule(COUNTY, region=PAYMENT, mutates=True),
    # Recovery is decided by the county with a written notice (DOMAIN §11.4); the township may read it.
    "RecordOverpayment": rule(COUNTY, region=FromRecord("beneficiary", "beneficiary_id"), mutates=True),
    "RecordRepayment": rule(COUNTY, region=FromRecord("overpayment", "overpayment_id"), mutates=True),
    "GetOverpayment": rule(COUNTY, Role.TOWNSHIP_OFFICE, region=FromRecord("overpayment", "overpayment_id")),
    # Derived payments are declared by the county for its own beneficiaries (DOMAIN §5.7, §11.2).
    "DeclareDerivedPayment": rule(COUNTY, region=FromField("region.code"), mutates=True),
    "ListDerivedPayments": rule(COUNTY, region=FromField("region.code")),
    # A temporary-assistance post-check's recovery is owed by a person no roster names (the one its
    # advance paid): their overpayments answer for their township.
    "ListOverpayments": rule(
        COUNTY, Role.TOWNSHIP_OFFICE, region=FromRecord("overpaid_beneficiary", "beneficiary_id")
    ),
    # Care providers are contracted and paid by the county (DOMAIN §9.3); the audit trail keeps the
    # account masked (the response names the account and the one it replaced, both masked).
    "RegisterProviderAccount": rule(COUNTY, region=FromField("region.code"), mutates=True),
    "GetProviderAccount": rule(COUNTY, region=FromRecord("provider_account", "provider_id")),
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


def _masked_account(snapshot: SnapshotLookup) -> SnapshotLookup:
    """A payment as the audit trail keeps it: who changed an account is recorded, never the account."""

    def masked(record_id: str) -> Mapping[str, Any] | None:
        row = snapshot(record_id)
        if row is None:
            return None
        return {**row, "payee_account": mask_bank_account(str(row.get("payee_account", "")))}

    return masked


def policy(context: ServiceContext) -> ServicePolicy:
    database = context.persistence().database
    beneficiary = column_lookup(database, roster, "beneficiary_id", "township")
    overpaid = column_lookup(database, overpayments, "beneficiary_id", "township")
    return ServicePolicy(
        SERVICE_NAME,
        RULES,
        lookups={
            "run": column_lookup(database, runs, "run_id", "region"),
            "beneficiary": beneficiary,
            "overpaid_beneficiary": lambda b: beneficiary(b) or overpaid(b),
            "payment": column_lookup(database, payments, "payment_id", "township"),
            "overpayment": column_lookup(database, overpayments, "overpayment_id", "township"),
            "provider_account": column_lookup(database, provider_accounts, "provider_id", "county"),
        },
        snapshots={
            "run": row_snapshot(database, runs, "run_id"),
            "payment": _masked_account(row_snapshot(database, payments, "payment_id")),
        },
        audit=context.audit_log(),
    )


def audit(context: ServiceContext) -> GrpcServiceBinding:
    return audit_binding(context.audit_log())
