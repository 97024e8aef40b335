"""Escalation (DOMAIN §10.3): a wave, the next wave when nobody accepts in time, then the township."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from doudi_dispatch.domain import escalation
from doudi_dispatch.domain import incident as incidents
from doudi_dispatch.domain.escalation import AlertTownship, DispatchPolicy, NotDue, OfferWave, Recheck
from doudi_dispatch.domain.incident import IncidentState, TimelineStep
from doudi_dispatch.domain.matching import Candidate

from .builders import NIGHT, fire_report

POLICY = DispatchPolicy(offer_timeout=timedelta(minutes=15), wave_size=2, volunteer_waves=2)
CANDIDATES = [Candidate(f"v{i}", i * 100) for i in range(1, 6)]


def reported():  # type: ignore[no-untyped-def]
    return incidents.report(fire_report(), incident_id="inc_1", now=NIGHT)


def test_the_first_wave_goes_to_the_nearest_at_once() -> None:
    incident, decision = escalation.advance(reported(), NIGHT, POLICY, CANDIDATES)
    assert decision == OfferWave((CANDIDATES[0], CANDIDATES[1]), escalation=False)
    assert incident.state is IncidentState.OFFERED
    assert [o.volunteer_id for o in incident.offers] == ["v1", "v2"]
    assert incident.next_check_at == NIGHT + timedelta(minutes=15)
    assert all(o.expires_at == incident.next_check_at for o in incident.offers)


def test_nothing_happens_before_the_offer_times_out() -> None:
    incident, _ = escalation.advance(reported(), NIGHT, POLICY, CANDIDATES)
    later, decision = escalation.advance(incident, NIGHT + timedelta(minutes=14), POLICY, CANDIDATES)
    assert decision == NotDue() and later is incident


def test_a_timed_out_wave_goes_to_the_next_then_to_the_township() -> None:
    incident, _ = escalation.advance(reported(), NIGHT, POLICY, CANDIDATES)
    at = NIGHT + timedelta(minutes=15)
    incident, decision = escalation.advance(incident, at, POLICY, CANDIDATES)
    assert decision == OfferWave((CANDIDATES[2], CANDIDATES[3]), escalation=True)
    assert incident.wave == 2 and incident.escalated_at is None
    assert TimelineStep.ESCALATED_TO_NEXT in [e.step for e in incident.timeline]

    at += timedelta(minutes=15)
    incident, decision = escalation.advance(incident, at, POLICY, CANDIDATES)
    assert decision == AlertTownship()
    assert incident.escalated_at == at
    assert incident.timeline[-1].step is TimelineStep.ESCALATED_TO_TOWNSHIP
    # Earlier offers stay open: a late answer is still welcome.
    assert {o.state for o in incident.offers} == {incidents.OfferState.PENDING}


def test_nobody_to_offer_alerts_the_township_at_once_and_keeps_looking() -> None:
    incident, decision = escalation.advance(reported(), NIGHT, POLICY, [])
    assert decision == AlertTownship()
    assert incident.state is IncidentState.OPEN
    later = NIGHT + timedelta(minutes=15)
    incident, decision = escalation.advance(incident, later, POLICY, [])
    assert decision == Recheck(later + timedelta(minutes=15))
    incident, decision = escalation.advance(incident, incident.next_check_at, POLICY, CANDIDATES[:1])
    assert decision == OfferWave((CANDIDATES[0],), escalation=False)
    assert incident.state is IncidentState.OFFERED
    assert [e.step for e in incident.timeline].count(TimelineStep.ESCALATED_TO_TOWNSHIP) == 1


def test_an_accepted_incident_is_never_escalated() -> None:
    incident, _ = escalation.advance(reported(), NIGHT, POLICY, CANDIDATES)
    incident, _ = incidents.accept(incident, "v1", now=NIGHT + timedelta(minutes=3))
    later, decision = escalation.advance(incident, NIGHT + timedelta(hours=3), POLICY, CANDIDATES)
    assert decision == NotDue() and later is incident


@given(
    st.integers(1, 4),
    st.integers(1, 4),
    st.lists(st.integers(0, 40), min_size=1, max_size=12),
    st.integers(0, 12),
)
def test_waves_before_the_township_are_bounded_and_nobody_is_offered_twice(
    wave_size: int, waves: int, minutes_between_ticks: list[int], pool_size: int
) -> None:
    policy = DispatchPolicy(offer_timeout=timedelta(minutes=15), wave_size=wave_size, volunteer_waves=waves)
    pool = [Candidate(f"v{i}", i) for i in range(pool_size)]
    incident = reported()
    at = NIGHT
    for minutes in [0, *minutes_between_ticks]:
        at += timedelta(minutes=minutes)
        before = incident
        incident, decision = escalation.advance(incident, at, policy, pool)
        if isinstance(decision, NotDue):
            assert incident is before
        if isinstance(decision, OfferWave) and before.escalated_at is None:
            assert incident.wave <= waves
        if before.next_check_at is not None and at < before.next_check_at:
            assert isinstance(decision, NotDue)
    offered = [o.volunteer_id for o in incident.offers]
    assert len(offered) == len(set(offered))
    assert [e.step for e in incident.timeline].count(TimelineStep.ESCALATED_TO_TOWNSHIP) <= 1
    if incident.escalated_at is not None and incident.wave > 0:
        first_township = incident.escalated_at
        waves_before = {o.wave for o in incident.offers if o.offered_at < first_township}
        assert len(waves_before) <= waves
    times = [e.at for e in incident.timeline]
    assert times == sorted(times)
