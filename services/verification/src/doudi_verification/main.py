"""Composition root of the verification service: its settings and its wiring."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from pydantic import Field

from doudi.verification.v1 import verification_pb2_grpc
from doudi_runtime.events.consumer import Subscription
from doudi_runtime.grpc.server import GrpcServiceBinding
from doudi_runtime.service import ServiceContext, ServiceDefinition, Worker, entrypoint, periodic
from doudi_runtime.settings import ServiceSettings
from doudi_verification.api import policy
from doudi_verification.api.grpc import VerificationApi
from doudi_verification.api.monitoring import monitoring_binding
from doudi_verification.app.alerts import (
    MonitoringSettings,
    monitoring_subscriptions,
    monitoring_use_cases,
    monitoring_workers,
)
from doudi_verification.app.checks import VerificationUseCases
from doudi_verification.app.monitored import monitored_use_cases
from doudi_verification.app.policy import RegistryCadences, RegistryPolicies
from doudi_verification.app.records_gateway import RecordsGateway
from doudi_verification.app.reviews import ReviewUseCases
from doudi_verification.domain.case import RetryPolicy
from doudi_verification.events.care import overdue_visit_subscription
from doudi_verification.events.dispatch import hand_over_subscription
from doudi_verification.events.entitlements import entitlement_subscription
from doudi_verification.events.intake import intake_subscription
from doudi_verification.store.tables import STORE


class VerificationSettings(ServiceSettings, MonitoringSettings):
    service_name: str = "verification"
    grpc_port: int = 15052
    metrics_port: int = 9102
    #: The department-records endpoint (the verification centre's adapter; the simulator locally).
    records_target: str = "127.0.0.1:15071"
    #: How long one person's answers may take before the sources count as missing.
    records_deadline_seconds: float = Field(default=5.0, gt=0)
    records_parallelism: int = Field(default=16, ge=1, le=256)
    #: How many households are checked at once, and how often due cases are looked for.
    check_parallelism: int = Field(default=8, ge=1, le=64)
    check_batch_size: int = Field(default=32, ge=1, le=1000)
    check_poll_seconds: float = Field(default=0.2, gt=0)
    #: A check holds its case this long; after it, another worker may take the case over.
    check_lease_seconds: float = Field(default=120.0, gt=0)
    #: Back-off before asking sources that did not answer again (doubling up to the longest).
    retry_first_seconds: float = Field(default=30.0, gt=0)
    retry_longest_seconds: float = Field(default=3600.0, gt=0)
    #: Working days for the re-check of a disputed report (DOMAIN §4.8; EX 2).
    dispute_recheck_working_days: int = Field(default=2, ge=1, le=30)
    #: How often due periodic reviews are looked for, and how many are started at once.
    review_poll_seconds: float = Field(default=60.0, gt=0)
    review_batch_size: int = Field(default=100, ge=1, le=5000)


def use_cases(context: ServiceContext[VerificationSettings]) -> VerificationUseCases:
    """One set of use-cases per process, shared by the API, the consumer and the checker."""
    return context.shared("checks", lambda: _build_use_cases(context))


def review_use_cases(context: ServiceContext[VerificationSettings]) -> ReviewUseCases:
    return context.shared("reviews", lambda: ReviewUseCases(context=context, cadences=RegistryCadences()))


def _build_use_cases(context: ServiceContext[VerificationSettings]) -> VerificationUseCases:
    settings = context.settings
    return VerificationUseCases(
        context=context,
        records=RecordsGateway(
            context.channels,
            settings.records_target,
            deadline_seconds=settings.records_deadline_seconds,
            parallelism=settings.records_parallelism,
        ),
        policies=RegistryPolicies(),
        retry=RetryPolicy(
            lease=timedelta(seconds=settings.check_lease_seconds),
            first_retry=timedelta(seconds=settings.retry_first_seconds),
            longest_retry=timedelta(seconds=settings.retry_longest_seconds),
        ),
        recheck_working_days=settings.dispute_recheck_working_days,
        parallel_cases=settings.check_parallelism,
        record_every_seconds=settings.check_poll_seconds,
    )


def _bindings(context: ServiceContext[VerificationSettings]) -> Sequence[GrpcServiceBinding]:
    return [
        GrpcServiceBinding(
            "doudi.verification.v1.VerificationService",
            VerificationApi(use_cases(context), review_use_cases(context)),
            verification_pb2_grpc.add_VerificationServiceServicer_to_server,
            policy=policy.verification_policy(context),
        ),
        monitoring_binding(context),
        policy.audit(context),
    ]


def _subscriptions(context: ServiceContext[VerificationSettings]) -> Sequence[Subscription]:
    checks = use_cases(context)
    return [
        intake_subscription(checks, checks.clock),
        entitlement_subscription(review_use_cases(context), monitored_use_cases(context)),
        *monitoring_subscriptions(context),
        hand_over_subscription(monitoring_use_cases(context)),
        overdue_visit_subscription(monitoring_use_cases(context)),
    ]


def _workers(context: ServiceContext[VerificationSettings]) -> Sequence[Worker]:
    checks = use_cases(context)
    batch = context.settings.check_batch_size
    return [
        periodic("household-checks", context.settings.check_poll_seconds, lambda: checks.run_due(batch)),
        periodic(
            "periodic-reviews",
            context.settings.review_poll_seconds,
            lambda: review_use_cases(context).run_due(context.settings.review_batch_size),
        ),
        *monitoring_workers(context),
    ]


DEFINITION = ServiceDefinition(
    name="verification",
    settings_type=VerificationSettings,
    store=STORE,
    grpc_bindings=_bindings,
    subscriptions=_subscriptions,
    background_workers=_workers,
)


def main() -> None:
    entrypoint(DEFINITION)
