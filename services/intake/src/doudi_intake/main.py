"""Composition root of the intake service: its settings and its wiring."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field

from doudi.intake.v1 import intake_pb2_grpc
from doudi_common.calendar import load_cn_calendar
from doudi_intake.api import policy
from doudi_intake.api.grpc import IntakeApi
from doudi_intake.app.applications import ApplicationUseCases
from doudi_intake.app.leads import LeadUseCases
from doudi_intake.domain.window import WindowTimeLimits
from doudi_intake.events.leads_from_others import alert_subscription, incident_subscription
from doudi_intake.store.tables import STORE
from doudi_runtime.events.consumer import Subscription
from doudi_runtime.grpc.server import GrpcServiceBinding
from doudi_runtime.service import ServiceContext, ServiceDefinition, Worker, entrypoint, periodic
from doudi_runtime.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    service_name: str = "intake"
    grpc_port: int = 15051
    metrics_port: int = 9101
    #: DOMAIN §6 time limits, in working days (EX values; a county may set its own).
    decision_working_days: int = Field(default=30, ge=1, le=60)
    correction_working_days: int = Field(default=10, ge=1, le=60)
    lead_contact_working_days: int = Field(default=3, ge=1, le=30)
    referral_send_working_days: int = Field(default=3, ge=1, le=30)
    #: How often lapsed correction windows are swept into WITHDRAWN.
    correction_sweep_seconds: float = Field(default=300.0, gt=0)


def time_limits(settings: IntakeSettings) -> WindowTimeLimits:
    return WindowTimeLimits(
        calendar=load_cn_calendar(),
        decision_working_days=settings.decision_working_days,
        correction_working_days=settings.correction_working_days,
        lead_contact_working_days=settings.lead_contact_working_days,
        referral_send_working_days=settings.referral_send_working_days,
    )


def _api(context: ServiceContext[IntakeSettings]) -> IntakeApi:
    return IntakeApi(context, time_limits(context.settings))


def _bindings(context: ServiceContext[IntakeSettings]) -> Sequence[GrpcServiceBinding]:
    return [
        GrpcServiceBinding(
            policy.SERVICE_NAME,
            _api(context),
            intake_pb2_grpc.add_IntakeServiceServicer_to_server,
            policy=policy.policy(context),
        ),
        policy.audit(context),
    ]


def _sweeps(context: ServiceContext[IntakeSettings]) -> Sequence[Worker]:
    use_cases = ApplicationUseCases(context, time_limits(context.settings))
    return [
        periodic("correction-sweep", context.settings.correction_sweep_seconds, use_cases.lapse_corrections)
    ]


def _subscriptions(context: ServiceContext[IntakeSettings]) -> Sequence[Subscription]:
    leads = LeadUseCases(ApplicationUseCases(context, time_limits(context.settings)))
    return [incident_subscription(leads), alert_subscription(leads)]


DEFINITION = ServiceDefinition(
    name="intake",
    settings_type=IntakeSettings,
    store=STORE,
    grpc_bindings=_bindings,
    subscriptions=_subscriptions,
    background_workers=_sweeps,
)


def main() -> None:
    entrypoint(DEFINITION)
