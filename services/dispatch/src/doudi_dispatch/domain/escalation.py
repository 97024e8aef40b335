"""What the dispatch loop does with an incident nobody has accepted yet (DOMAIN §10.3 "Dispatch").

A wave of offers goes to the nearest eligible volunteers. If nobody accepts within the offer
timeout, the next wave goes to the next nearest (the neighbouring village team included); after
the last volunteer wave, or at once when nobody can be offered it, the township duty officer is
alerted. Earlier offers stay open: a volunteer who answers late is still welcome. After the
township is alerted the loop keeps offering the incident to volunteers who become available, but
it does not alert the township again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from doudi_dispatch.domain.incident import (
    WAITING_STATES,
    Incident,
    IncidentState,
    Offer,
    TimelineEntry,
    TimelineStep,
)
from doudi_dispatch.domain.matching import Candidate


@dataclass(frozen=True)
class DispatchPolicy:
    """Parameters of the loop (service settings; DOMAIN §10.3 EX: the township after 30 minutes)."""

    offer_timeout: timedelta = timedelta(minutes=15)
    wave_size: int = 3
    #: Waves offered to volunteers before the township is alerted.
    volunteer_waves: int = 2

    def __post_init__(self) -> None:
        if self.offer_timeout <= timedelta(0) or self.wave_size < 1 or self.volunteer_waves < 1:
            raise ValueError("a dispatch policy needs a positive timeout, wave size and number of waves")


@dataclass(frozen=True)
class NotDue:
    """Nothing to do now."""


@dataclass(frozen=True)
class OfferWave:
    candidates: tuple[Candidate, ...]
    #: True when the wave goes out because an earlier one was not accepted in time.
    escalation: bool


@dataclass(frozen=True)
class AlertTownship:
    """Nobody (more) could be offered the incident or accepted it in time."""


@dataclass(frozen=True)
class Recheck:
    """The township knows; nobody is available now, so look again later."""

    at: datetime


Decision = NotDue | OfferWave | AlertTownship | Recheck


def decide(
    incident: Incident, now: datetime, policy: DispatchPolicy, candidates: Sequence[Candidate]
) -> Decision:
    """The next step for an incident, given the ranked volunteers who could be offered it."""
    if incident.state not in WAITING_STATES or incident.next_check_at is None or now < incident.next_check_at:
        return NotDue()
    offered = incident.offered_ids
    fresh = tuple(c for c in candidates if c.volunteer_id not in offered)[: policy.wave_size]
    if incident.escalated_at is not None:
        return OfferWave(fresh, escalation=False) if fresh else Recheck(now + policy.offer_timeout)
    if fresh and incident.wave < policy.volunteer_waves:
        return OfferWave(fresh, escalation=incident.wave > 0)
    return AlertTownship()


def apply(incident: Incident, decision: Decision, now: datetime, policy: DispatchPolicy) -> Incident:
    """The incident after the decision; every change is timestamped on its timeline."""
    if isinstance(decision, NotDue):
        return incident
    if isinstance(decision, Recheck):
        return replace(incident, next_check_at=decision.at, updated_at=now)
    if isinstance(decision, AlertTownship):
        entry = TimelineEntry(TimelineStep.ESCALATED_TO_TOWNSHIP, now, note=incident.township)
        return replace(
            incident,
            escalated_at=now,
            next_check_at=now + policy.offer_timeout,
            timeline=(*incident.timeline, entry),
            updated_at=now,
        )
    wave = incident.wave + 1
    expires = now + policy.offer_timeout
    entries = (
        [TimelineEntry(TimelineStep.ESCALATED_TO_NEXT, now, note=f"wave {wave}")]
        if decision.escalation
        else []
    )
    entries += [
        TimelineEntry(TimelineStep.OFFERED, now, c.volunteer_id, f"wave {wave}") for c in decision.candidates
    ]
    offers = tuple(
        Offer(c.volunteer_id, wave, now, expires, distance_m=c.distance_m) for c in decision.candidates
    )
    return replace(
        incident,
        state=IncidentState.OFFERED,
        wave=wave,
        offers=(*incident.offers, *offers),
        offered_at=incident.offered_at or now,
        next_check_at=expires,
        timeline=(*incident.timeline, *entries),
        updated_at=now,
    )


def advance(
    incident: Incident, now: datetime, policy: DispatchPolicy, candidates: Sequence[Candidate]
) -> tuple[Incident, Decision]:
    decision = decide(incident, now, policy, candidates)
    return apply(incident, decision, now, policy), decision
