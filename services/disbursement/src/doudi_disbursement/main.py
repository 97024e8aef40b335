"""Composition root of the disbursement service: its settings and its wiring."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from pydantic import Field

from doudi.disbursement.v1 import disbursement_pb2_grpc, reserve_pb2_grpc
from doudi_disbursement.api import policy
from doudi_disbursement.api.grpc import DisbursementApi
from doudi_disbursement.api.reserve import ReserveFundApi
from doudi_disbursement.app.bank_gateway import BankGateway
from doudi_disbursement.app.declarations import Declarations
from doudi_disbursement.app.funds import FundReports
from doudi_disbursement.app.overpayments import Overpayments
from doudi_disbursement.app.payroll import PayrollUseCases
from doudi_disbursement.app.providers import ProviderAccounts
from doudi_disbursement.app.reserve import ReserveUseCases
from doudi_disbursement.app.returned import ReturnedPayments
from doudi_disbursement.events.entitlements import entitlement_subscription
from doudi_disbursement.events.providers import settlement_subscription
from doudi_disbursement.events.temporary_assistance import post_check_subscription
from doudi_disbursement.store.tables import STORE
from doudi_runtime.events.consumer import Subscription
from doudi_runtime.grpc.server import GrpcServiceBinding
from doudi_runtime.service import ServiceContext, ServiceDefinition, Worker, entrypoint, periodic
from doudi_runtime.settings import ServiceSettings


class DisbursementSettings(ServiceSettings):
    service_name: str = "disbursement"
    grpc_port: int = 15054
    metrics_port: int = 9104
    #: The bank's payment endpoint (the simulator locally).
    bank_target: str = "127.0.0.1:15072"
    bank_deadline_seconds: float = Field(default=10.0, gt=0)
    #: Payments per bank batch, and roster entries read per page while generating a shard.
    bank_batch_size: int = Field(default=1000, ge=1, le=50_000)
    roster_page_size: int = Field(default=1000, ge=1, le=50_000)
    #: A worker holds a shard this long; after it, another replica may take the shard over.
    shard_lease_seconds: float = Field(default=300.0, gt=0)
    #: A worker holds a bank batch this long while it sends it or asks the bank about it; after it, another
    #: replica may take the batch over. Keep it above BANK_DEADLINE_SECONDS.
    bank_lease_seconds: float = Field(default=120.0, gt=0)
    #: Batches a worker sends, or asks the bank about, at the same time (each on its own connection to the
    #: store: keep it within the store's pool, DATABASE_POOL_SIZE on PostgreSQL).
    bank_batches_in_flight: int = Field(default=4, ge=1, le=5)
    #: Shards a worker generates at the same time, each on its own thread and two connections to the store
    #: (its roster pages, and the page it writes): while one waits for the store, another makes its rows.
    shards_in_flight: int = Field(default=2, ge=1, le=4)
    #: How often the payroll workers look for shards to generate, batches to send and results.
    payroll_poll_seconds: float = Field(default=1.0, gt=0)
    #: The day of the month by which a period's money must be paid (DOMAIN §11.1), and how often
    #: unreleased runs are checked against it.
    pay_day_of_month: int = Field(default=10, ge=1, le=31)
    lateness_check_seconds: float = Field(default=60.0, gt=0)


def payroll(context: ServiceContext[DisbursementSettings]) -> PayrollUseCases:
    """One set of payroll use-cases per process, shared by the API and the workers."""

    def build() -> PayrollUseCases:
        settings = context.settings
        return PayrollUseCases(
            context=context,
            bank=BankGateway(
                context.channels, settings.bank_target, deadline_seconds=settings.bank_deadline_seconds
            ),
            shard_lease=timedelta(seconds=settings.shard_lease_seconds),
            bank_lease=timedelta(seconds=settings.bank_lease_seconds),
            roster_page_size=settings.roster_page_size,
            batch_size=settings.bank_batch_size,
            bank_batches_in_flight=settings.bank_batches_in_flight,
            shards_in_flight=settings.shards_in_flight,
            pay_day_of_month=settings.pay_day_of_month,
        )

    return context.shared("payroll", build)


def reserve_funds(context: ServiceContext[DisbursementSettings]) -> ReserveUseCases:
    """The township reserve funds share the payroll's bank connection."""
    bank = payroll(context).bank
    return context.shared("reserve", lambda: ReserveUseCases(context, bank))


def _bindings(context: ServiceContext[DisbursementSettings]) -> Sequence[GrpcServiceBinding]:
    return [
        GrpcServiceBinding(
            "doudi.disbursement.v1.DisbursementService",
            DisbursementApi(
                payroll(context),
                ReturnedPayments(context, payroll(context).clock),
                Overpayments(context, payroll(context).clock),
                Declarations(context, payroll(context).clock),
                ProviderAccounts(context, payroll(context).clock),
                FundReports(context, payroll(context).parameters),
            ),
            disbursement_pb2_grpc.add_DisbursementServiceServicer_to_server,
            policy=policy.policy(context),
        ),
        GrpcServiceBinding(
            policy.RESERVE_SERVICE_NAME,
            ReserveFundApi(reserve_funds(context)),
            reserve_pb2_grpc.add_ReserveFundServiceServicer_to_server,
            policy=policy.reserve_policy(context),
        ),
        policy.audit(context),
    ]


def _subscriptions(context: ServiceContext[DisbursementSettings]) -> Sequence[Subscription]:
    clock = payroll(context).clock
    overpayments = Overpayments(context, clock)
    return [
        entitlement_subscription(clock, overpayments),
        settlement_subscription(clock),
        post_check_subscription(overpayments),
    ]


def _workers(context: ServiceContext[DisbursementSettings]) -> Sequence[Worker]:
    use_cases = payroll(context)
    interval = context.settings.payroll_poll_seconds
    return [
        periodic("payroll-shards", interval, use_cases.generate_shards),
        periodic("payroll-bank", interval, use_cases.send_to_bank),
        periodic("payroll-reconcile", interval, use_cases.reconcile),
        periodic("payroll-lateness", context.settings.lateness_check_seconds, use_cases.measure_lateness),
        periodic("reserve-advances", interval, reserve_funds(context).send_advances),
    ]


DEFINITION = ServiceDefinition(
    name="disbursement",
    settings_type=DisbursementSettings,
    store=STORE,
    grpc_bindings=_bindings,
    subscriptions=_subscriptions,
    background_workers=_workers,
)


def main() -> None:
    entrypoint(DEFINITION)
