"""Dispatch's incident API over a real socket and store: H09's fire end to end, retries, bad input,
wrong states, and the dispatch loop escalating offers nobody accepted in time."""

from __future__ import annotations

import threading
import time

import grpc
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from doudi.common.v1 import types_pb2
from doudi.dispatch.v1 import dispatch_pb2, events_pb2
from doudi_dispatch.main import DEFINITION
from doudi_runtime.events.envelope import decode, unpack
from doudi_runtime.grpc.errors import field_violations_from

from .conftest import (
    AUTH,
    CHEN_WIFE,
    OTHER_TOWNSHIP_VILLAGE,
    VILLAGE,
    Dispatch,
    by_name,
    fire_request,
    north,
    register_team,
)

TOPIC = "doudi.dispatch.incident.v1"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def accept(
    dispatch: Dispatch, incident_id: str, volunteer_id: str, request_id: str
) -> dispatch_pb2.AcceptOfferResponse:
    return dispatch.stub.AcceptOffer(
        dispatch_pb2.AcceptOfferRequest(
            request_id=request_id, incident_id=incident_id, volunteer_id=volunteer_id
        ),
        metadata=AUTH,
        timeout=10,
    )


def get(dispatch: Dispatch, incident_id: str) -> dispatch_pb2.Incident:
    return dispatch.stub.GetIncident(
        dispatch_pb2.GetIncidentRequest(incident_id=incident_id), metadata=AUTH, timeout=10
    ).incident


def test_h09_house_fire_the_team_is_first_on_scene_and_hands_over(dispatch: Dispatch) -> None:
    """DOMAIN §13 H09: a villager calls at +0:30, the lead arrives at +0:45, reports to the township."""
    ids = by_name(register_team(dispatch))
    accepted_before = sample("doudi_dispatch_time_to_accept_seconds_count", kind="FIRE")
    arrive_sum = sample("doudi_dispatch_time_to_arrive_seconds_sum", kind="FIRE")
    arrive_within_15_min = sample("doudi_dispatch_time_to_arrive_seconds_bucket", kind="FIRE", le="900.0")

    incident = dispatch.stub.ReportIncident(fire_request(), metadata=AUTH, timeout=10).incident
    assert incident.state == dispatch_pb2.INCIDENT_STATE_OFFERED
    assert incident.required_skill == dispatch_pb2.SKILL_FIRST_AID
    assert incident.township.code == "640402100000"
    # The two nearest volunteers trained in first aid; the elderly-care member is not offered a fire.
    assert [o.volunteer_id for o in incident.offers] == [ids["马文斌"], ids["李秀英"]]
    assert 190 <= incident.offers[0].distance_m <= 210

    dispatch.clock.advance(minutes=3)
    led = accept(dispatch, incident.incident_id, ids["马文斌"], "accept-ma")
    assert led.leading and led.incident.state == dispatch_pb2.INCIDENT_STATE_ACCEPTED
    joined = accept(dispatch, incident.incident_id, ids["李秀英"], "accept-li")
    assert not joined.leading and list(joined.incident.supporting_volunteer_ids) == [ids["李秀英"]]

    dispatch.clock.advance(minutes=12)
    on_scene = dispatch.stub.ArriveOnScene(
        dispatch_pb2.ArriveOnSceneRequest(
            request_id="arrive-ma",
            incident_id=incident.incident_id,
            volunteer_id=ids["马文斌"],
            location=north(100),
        ),
        metadata=AUTH,
        timeout=10,
    ).incident
    assert on_scene.state == dispatch_pb2.INCIDENT_STATE_ON_SCENE
    assert (on_scene.on_scene_at.ToDatetime() - on_scene.reported_at.ToDatetime()).total_seconds() == 900

    dispatch.clock.advance(minutes=40)
    handed = dispatch.stub.HandOver(
        dispatch_pb2.HandOverRequest(
            request_id="handover-ma",
            incident_id=incident.incident_id,
            volunteer_id=ids["马文斌"],
            assessment=dispatch_pb2.Assessment(
                people_affected=4,
                people_injured=1,
                shelter_needed=True,
                food_needed=True,
                money_needed=True,
                documents_lost=True,
                vulnerable_members=True,
                urgency=dispatch_pb2.URGENCY_URGENT,
                assistance_needed=True,
                summary="房屋及财物全部烧毁，丈夫烧伤住院；已安排到亲戚家暂住，快速表已填，建议先行救助",
            ),
        ),
        metadata=AUTH,
        timeout=10,
    ).incident
    assert handed.state == dispatch_pb2.INCIDENT_STATE_HANDED_OVER
    steps = [e.step for e in handed.timeline]
    assert steps == [
        dispatch_pb2.TIMELINE_STEP_REPORTED,
        dispatch_pb2.TIMELINE_STEP_OFFERED,
        dispatch_pb2.TIMELINE_STEP_OFFERED,
        dispatch_pb2.TIMELINE_STEP_ACCEPTED,
        dispatch_pb2.TIMELINE_STEP_JOINED,
        dispatch_pb2.TIMELINE_STEP_ON_SCENE,
        dispatch_pb2.TIMELINE_STEP_HANDED_OVER,
    ]
    assert get(dispatch, incident.incident_id) == handed

    events = dispatch.outbox()
    assert [(t, k) for t, k, _ in events] == [(TOPIC, incident.incident_id)] * 4
    assert [e for _, _, e in events] == [
        "doudi.dispatch.v1.IncidentReported",
        "doudi.dispatch.v1.TeamDispatched",
        "doudi.dispatch.v1.TeamArrived",
        "doudi.dispatch.v1.IncidentHandedOver",
    ]
    outbox = dispatch.context.store.messaging.outbox
    with dispatch.context.database.read() as session:
        last = session.execute(select(outbox.c.envelope).order_by(outbox.c.seq.desc()).limit(1)).scalar_one()
    event = unpack(decode(last), events_pb2.IncidentHandedOver)
    assert event.person.value == CHEN_WIFE and event.region.code == VILLAGE
    assert event.urgency == dispatch_pb2.URGENCY_URGENT and event.assessment.assistance_needed
    assert event.kind == dispatch_pb2.INCIDENT_KIND_FIRE and event.township.code == "640402100000"

    assert sample("doudi_dispatch_time_to_accept_seconds_count", kind="FIRE") == accepted_before + 1
    assert sample("doudi_dispatch_time_to_arrive_seconds_sum", kind="FIRE") == arrive_sum + 900
    assert (
        sample("doudi_dispatch_time_to_arrive_seconds_bucket", kind="FIRE", le="900.0")
        == arrive_within_15_min + 1
    )


def test_a_retried_report_returns_the_first_incident_and_announces_once(dispatch: Dispatch) -> None:
    register_team(dispatch)
    fires_before = sample("doudi_dispatch_incidents_total", kind="FIRE")
    first = dispatch.stub.ReportIncident(fire_request("fire-retry"), metadata=AUTH, timeout=10).incident
    dispatch.clock.advance(minutes=1)
    second = dispatch.stub.ReportIncident(fire_request("fire-retry"), metadata=AUTH, timeout=10).incident
    assert first == second
    assert len(dispatch.outbox()) == 1
    assert sample("doudi_dispatch_incidents_total", kind="FIRE") == fires_before + 1
    with pytest.raises(grpc.RpcError) as raised:
        dispatch.stub.ReportIncident(
            fire_request("fire-retry", description="另一件事"), metadata=AUTH, timeout=10
        )
    assert raised.value.code() == grpc.StatusCode.ALREADY_EXISTS


def test_a_malformed_report_names_every_field_at_fault(dispatch: Dispatch) -> None:
    bad = fire_request(
        "",
        kind=dispatch_pb2.INCIDENT_KIND_UNSPECIFIED,
        region=types_pb2.RegionCode(code="640402100000"),
        person=types_pb2.IdNumber(value=CHEN_WIFE[:-1] + ("0" if CHEN_WIFE[-1] != "0" else "1")),
        contact_phone="110",
        location=dispatch_pb2.GeoPoint(latitude_e6=95_000_000, longitude_e6=0),
    )
    with pytest.raises(grpc.RpcError) as raised:
        dispatch.stub.ReportIncident(bad, metadata=AUTH, timeout=10)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert {field for field, _ in field_violations_from(raised.value)} == {
        "request_id",
        "kind",
        "region",
        "person",
        "contact_phone",
        "location.latitude_e6",
    }
    assert dispatch.outbox() == []


def test_unknown_ids_are_not_found_and_wrong_states_are_refused(dispatch: Dispatch) -> None:
    ids = by_name(register_team(dispatch))
    with pytest.raises(grpc.RpcError) as raised:
        get(dispatch, "inc_nothing")
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    incident = dispatch.stub.ReportIncident(fire_request(), metadata=AUTH, timeout=10).incident
    with pytest.raises(grpc.RpcError) as raised:
        accept(dispatch, incident.incident_id, "vol_nobody", "accept-nobody")
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as raised:
        accept(dispatch, incident.incident_id, ids["王建国"], "accept-not-offered")
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(grpc.RpcError) as raised:
        dispatch.stub.ArriveOnScene(
            dispatch_pb2.ArriveOnSceneRequest(
                request_id="arrive-early", incident_id=incident.incident_id, volunteer_id=ids["马文斌"]
            ),
            metadata=AUTH,
            timeout=10,
        )
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    closed = dispatch.stub.CloseIncident(
        dispatch_pb2.CloseIncidentRequest(
            request_id="close-1", incident_id=incident.incident_id, reason="误报"
        ),
        metadata=AUTH,
        timeout=10,
    ).incident
    assert closed.state == dispatch_pb2.INCIDENT_STATE_CLOSED
    assert {o.state for o in closed.offers} == {dispatch_pb2.OFFER_STATE_WITHDRAWN}
    with pytest.raises(grpc.RpcError) as raised:
        accept(dispatch, incident.incident_id, ids["马文斌"], "accept-too-late")
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_the_dispatch_loop_escalates_to_the_next_volunteers_then_to_the_township(dispatch: Dispatch) -> None:
    """Offer timeout 15 min, two waves of two: the township is alerted after 30 minutes."""
    ids = by_name(register_team(dispatch))
    to_next = sample("doudi_dispatch_escalations_total", target="next_volunteers")
    to_township = sample("doudi_dispatch_escalations_total", target="township")
    incident = dispatch.stub.ReportIncident(fire_request(), metadata=AUTH, timeout=10).incident

    stop = threading.Event()
    (worker,) = DEFINITION.background_workers(dispatch.context)
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:

        def wait_for(condition, what: str) -> dispatch_pb2.Incident:  # type: ignore[no-untyped-def]
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                current = get(dispatch, incident.incident_id)
                if condition(current):
                    return current
                time.sleep(0.02)
            raise AssertionError(f"timed out waiting for {what}")

        time.sleep(0.2)
        assert get(dispatch, incident.incident_id).wave == 1  # not due yet: the clock has not moved
        dispatch.clock.advance(minutes=15)
        second = wait_for(lambda i: i.wave == 2, "the second wave")
        assert [o.volunteer_id for o in second.offers[2:]] == [ids["王建国"], ids["杨志强"]]
        assert not second.HasField("escalated_to_township_at")
        dispatch.clock.advance(minutes=15)
        alerted = wait_for(lambda i: i.HasField("escalated_to_township_at"), "the township alert")
        assert alerted.state == dispatch_pb2.INCIDENT_STATE_OFFERED
    finally:
        stop.set()
        thread.join(timeout=5)

    assert sample("doudi_dispatch_escalations_total", target="next_volunteers") == to_next + 1
    assert sample("doudi_dispatch_escalations_total", target="township") == to_township + 1
    assert sample("doudi_dispatch_open_incidents", state="OFFERED") == 1
    escalations = [e for _, _, e in dispatch.outbox() if e.endswith("IncidentEscalated")]
    assert len(escalations) == 2
    # A volunteer of the first wave answering late still leads.
    late = accept(dispatch, incident.incident_id, ids["李秀英"], "accept-late")
    assert late.leading


def test_a_village_without_a_team_alerts_the_township_at_once(dispatch: Dispatch) -> None:
    register_team(dispatch)
    request = fire_request(region=types_pb2.RegionCode(code=OTHER_TOWNSHIP_VILLAGE))
    incident = dispatch.stub.ReportIncident(request, metadata=AUTH, timeout=10).incident
    assert incident.state == dispatch_pb2.INCIDENT_STATE_OPEN
    assert incident.HasField("escalated_to_township_at") and not incident.offers
    assert [e for _, _, e in dispatch.outbox()] == [
        "doudi.dispatch.v1.IncidentReported",
        "doudi.dispatch.v1.IncidentEscalated",
    ]
    listed = dispatch.stub.ListIncidents(
        dispatch_pb2.ListIncidentsRequest(region=types_pb2.RegionCode(code="640402101000")),
        metadata=AUTH,
        timeout=10,
    )
    assert [i.incident_id for i in listed.incidents] == [incident.incident_id]
