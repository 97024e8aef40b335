"""Use-cases of the dispatch service; each handler owns its transaction."""

from __future__ import annotations

from dataclasses import dataclass

from doudi_dispatch.app.incidents import IncidentUseCases
from doudi_dispatch.app.registry import RegistryUseCases
from doudi_dispatch.app.teams import TeamUseCases
from doudi_dispatch.domain.escalation import DispatchPolicy
from doudi_dispatch.domain.matching import SearchArea
from doudi_dispatch.domain.teams import TeamSize
from doudi_runtime.commands import Clock, utc_now
from doudi_runtime.service import ServiceContext


@dataclass(frozen=True)
class DispatchApp:
    """The service's use-cases sharing one store and one clock (the API, the loop and tests use it)."""

    teams: TeamUseCases
    incidents: IncidentUseCases
    registry: RegistryUseCases


def build_app(
    context: ServiceContext,
    *,
    team_size: TeamSize,
    policy: DispatchPolicy,
    batch_size: int = 100,
    area: SearchArea | None = None,
    clock: Clock = utc_now,
) -> DispatchApp:
    incidents = IncidentUseCases(
        context, clock, policy=policy, batch_size=batch_size, area=area or SearchArea()
    )
    return DispatchApp(
        teams=TeamUseCases(context, clock, size=team_size),
        incidents=incidents,
        registry=RegistryUseCases(context, clock, incidents=incidents),
    )
