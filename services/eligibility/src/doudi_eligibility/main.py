"""Composition root of the eligibility service: its settings and its wiring."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from pydantic import Field

from doudi.eligibility.v1 import eligibility_pb2_grpc
from doudi_eligibility.api import policy
from doudi_eligibility.api.grpc import EligibilityApi, EligibilityApp
from doudi_eligibility.app.common import Commands
from doudi_eligibility.app.entitlements import EntitlementUseCases
from doudi_eligibility.app.exits import Exits
from doudi_eligibility.app.parameters import ParameterBook
from doudi_eligibility.app.procedure import ProcedureUseCases
from doudi_eligibility.app.reannouncement import Reannouncements
from doudi_eligibility.app.standards import StandardsUseCases
from doudi_eligibility.events.consumers import (
    intake_subscription,
    payment_subscription,
    verification_subscription,
)
from doudi_eligibility.store.tables import STORE
from doudi_runtime.events.consumer import Subscription
from doudi_runtime.grpc.server import GrpcServiceBinding
from doudi_runtime.service import ServiceContext, ServiceDefinition, Task, Worker, entrypoint, periodic
from doudi_runtime.settings import ServiceSettings

SHARED_APP = "eligibility-app"


class EligibilitySettings(ServiceSettings):
    service_name: str = "eligibility"
    grpc_port: int = 15053
    metrics_port: int = 9103
    #: How often notices that ran their days are closed, due entitlements activated and gradual exits
    #: past their last frozen month ended.
    sweep_seconds: float = Field(default=60.0, gt=0)
    sweep_batch_size: int = Field(default=200, ge=1, le=5000)
    #: Entitlements a re-determination after a new standard examines per transaction.
    redetermination_batch_size: int = Field(default=1000, ge=1, le=20000)
    #: Entitlements the reannounce role announces per transaction.
    reannounce_page_size: int = Field(default=500, ge=1, le=5000)


def build(
    context: ServiceContext[EligibilitySettings], clock: Callable[[], datetime] | None = None
) -> EligibilityApp:
    commands = Commands(context.persistence(), clock or (lambda: datetime.now(UTC)))
    book = ParameterBook()
    entitlements = EntitlementUseCases(commands, book)
    return EligibilityApp(
        procedure=ProcedureUseCases(commands, book),
        entitlements=entitlements,
        standards=StandardsUseCases(
            commands, book, entitlements, context.settings.redetermination_batch_size
        ),
    )


def app_of(context: ServiceContext[EligibilitySettings]) -> EligibilityApp:
    """One set of use-cases per process, shared by the API, the consumers and the sweeps."""
    return context.shared(SHARED_APP, lambda: build(context))


def _bindings(context: ServiceContext[EligibilitySettings]) -> Sequence[GrpcServiceBinding]:
    return [
        GrpcServiceBinding(
            policy.SERVICE_NAME,
            EligibilityApi(app_of(context)),
            eligibility_pb2_grpc.add_EligibilityServiceServicer_to_server,
            policy=policy.policy(context),
        ),
        policy.audit(context),
    ]


def _subscriptions(context: ServiceContext[EligibilitySettings]) -> Sequence[Subscription]:
    app = app_of(context)
    return [
        intake_subscription(app.procedure, app.procedure.clock),
        verification_subscription(app.procedure, app.entitlements),
        payment_subscription(app.procedure, app.procedure.clock),
    ]


def _workers(context: ServiceContext[EligibilitySettings]) -> Sequence[Worker]:
    app = app_of(context)
    batch = context.settings.sweep_batch_size

    def sweep() -> None:
        app.procedure.close_due_notices(batch)
        app.entitlements.activate_due(batch)
        Exits(app.entitlements).end_due_gradual_exits(batch)
        app.standards.resume_redeterminations()

    return [periodic("eligibility-sweeps", context.settings.sweep_seconds, sweep)]


def reannounce(context: ServiceContext[EligibilitySettings]) -> str:
    """The ``reannounce`` role: every entitlement not terminated announced again as it stands (run before the
    old lookup key leaves the ring, see README)."""
    commands = Commands(context.persistence(), lambda: datetime.now(UTC))
    announced = Reannouncements(commands, context.settings.reannounce_page_size).run()
    return f"re-announced {announced} entitlements"


DEFINITION = ServiceDefinition(
    name="eligibility",
    settings_type=EligibilitySettings,
    store=STORE,
    grpc_bindings=_bindings,
    subscriptions=_subscriptions,
    background_workers=_workers,
    tasks=(Task("reannounce", reannounce),),
)


def main() -> None:
    entrypoint(DEFINITION)
