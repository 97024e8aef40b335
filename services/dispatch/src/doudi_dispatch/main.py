"""Composition root of the dispatch service: its settings and its wiring."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from pydantic import Field, model_validator

from doudi.dispatch.v1 import dispatch_pb2_grpc
from doudi_dispatch.api import policy
from doudi_dispatch.api.grpc import DispatchApi
from doudi_dispatch.app import DispatchApp, build_app
from doudi_dispatch.domain.escalation import DispatchPolicy
from doudi_dispatch.domain.matching import SearchArea
from doudi_dispatch.domain.teams import TeamSize
from doudi_dispatch.events.alerts import alert_subscription
from doudi_dispatch.events.care import protection_subscription
from doudi_dispatch.store.tables import STORE
from doudi_runtime.commands import Clock, utc_now
from doudi_runtime.events.consumer import Subscription
from doudi_runtime.grpc.server import GrpcServiceBinding
from doudi_runtime.service import ServiceContext, ServiceDefinition, Worker, entrypoint, periodic
from doudi_runtime.settings import ServiceSettings

#: The name under which one DispatchApp per process is shared by the API and the dispatch loop.
SHARED_APP = "dispatch-app"


class DispatchSettings(ServiceSettings):
    service_name: str = "dispatch"
    grpc_port: int = 15056
    metrics_port: int = 9106
    #: Team size bounds (DOMAIN §10.1: EX 5 to 10 members per village or community).
    team_min_size: int = Field(default=5, ge=1, le=100)
    team_max_size: int = Field(default=10, ge=1, le=100)
    #: How long a wave of offers waits before the next (DOMAIN §10.3: the township after EX 30 min,
    #: i.e. two waves of 15 minutes).
    offer_timeout_seconds: float = Field(default=900.0, gt=0)
    #: How many volunteers one wave offers the incident to, nearest first.
    offer_wave_size: int = Field(default=3, ge=1, le=50)
    #: Waves of volunteers before the township duty officer is alerted.
    volunteer_waves: int = Field(default=2, ge=1, le=20)
    #: How often the dispatch loop looks for due offers, and how many incidents it takes per look.
    dispatch_poll_seconds: float = Field(default=5.0, gt=0)
    dispatch_batch_size: int = Field(default=100, ge=1, le=1000)
    #: Matching looks for volunteers this far from the incident first, then a look this many times as
    #: wide, up to the widest look before it ranks the whole township (metres).
    match_first_radius_m: int = Field(default=2_000, ge=1)
    match_widening: int = Field(default=4, ge=2, le=100)
    match_max_radius_m: int = Field(default=80_000, ge=1)

    @model_validator(mode="after")
    def _team_bounds(self) -> DispatchSettings:
        if self.team_min_size > self.team_max_size:
            raise ValueError("TEAM_MIN_SIZE must not exceed TEAM_MAX_SIZE")
        if self.match_first_radius_m > self.match_max_radius_m:
            raise ValueError("MATCH_FIRST_RADIUS_M must not exceed MATCH_MAX_RADIUS_M")
        return self


def build(context: ServiceContext[DispatchSettings], clock: Clock = utc_now) -> DispatchApp:
    settings = context.settings
    return build_app(
        context,
        team_size=TeamSize(settings.team_min_size, settings.team_max_size),
        policy=DispatchPolicy(
            offer_timeout=timedelta(seconds=settings.offer_timeout_seconds),
            wave_size=settings.offer_wave_size,
            volunteer_waves=settings.volunteer_waves,
        ),
        batch_size=settings.dispatch_batch_size,
        area=SearchArea(
            first_radius_m=settings.match_first_radius_m,
            widening=settings.match_widening,
            max_radius_m=settings.match_max_radius_m,
        ),
        clock=clock,
    )


def dispatch_app(context: ServiceContext[DispatchSettings]) -> DispatchApp:
    """One DispatchApp per process (tests put one with their own clock here first)."""
    return context.shared(SHARED_APP, lambda: build(context))


def _api(context: ServiceContext[DispatchSettings]) -> DispatchApi:
    return DispatchApi(dispatch_app(context))


def _workers(context: ServiceContext[DispatchSettings]) -> Sequence[Worker]:
    incidents = dispatch_app(context).incidents
    return [periodic("dispatch-loop", context.settings.dispatch_poll_seconds, incidents.run_due)]


def _bindings(context: ServiceContext[DispatchSettings]) -> Sequence[GrpcServiceBinding]:
    return [
        GrpcServiceBinding(
            policy.SERVICE_NAME,
            _api(context),
            dispatch_pb2_grpc.add_DispatchServiceServicer_to_server,
            policy=policy.policy(context),
        ),
        policy.audit(context),
    ]


def _subscriptions(context: ServiceContext[DispatchSettings]) -> Sequence[Subscription]:
    incidents = dispatch_app(context).incidents
    return [protection_subscription(incidents), alert_subscription(incidents)]


DEFINITION = ServiceDefinition(
    name="dispatch",
    settings_type=DispatchSettings,
    store=STORE,
    grpc_bindings=_bindings,
    subscriptions=_subscriptions,
    background_workers=_workers,
)


def main() -> None:
    entrypoint(DEFINITION)
