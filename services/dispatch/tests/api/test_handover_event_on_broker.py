"""A hand-over's IncidentHandedOver reaches doudi.dispatch.incident.v1 on a real broker exactly once,
keyed by the incident, with what intake needs for a temporary-assistance lead."""

from __future__ import annotations

from pathlib import Path

import pytest
from kafka import KafkaConsumer

from doudi.dispatch.v1 import dispatch_pb2, events_pb2
from doudi_contracts.topics import dlq_topic
from doudi_runtime.events.admin import ensure_topics
from doudi_runtime.events.envelope import decode, unpack
from doudi_runtime.events.relay import OutboxRelay
from doudi_runtime.testing.broker import BrokerProcess

from .conftest import AUTH, CHEN_WIFE, VILLAGE, by_name, fire_request, register_team, running_dispatch

pytestmark = pytest.mark.broker
TOPIC = "doudi.dispatch.incident.v1"


def test_a_hand_over_is_published_once_with_its_payload(kafka_broker: BrokerProcess, tmp_path: Path) -> None:
    ensure_topics(kafka_broker.bootstrap, [TOPIC, dlq_topic(TOPIC)])
    url = f"sqlite:///{tmp_path / 'dispatch.db'}"
    with running_dispatch(url, tmp_path, kafka_bootstrap_servers=kafka_broker.bootstrap) as dispatch:
        lead = by_name(register_team(dispatch))["马文斌"]
        incident = dispatch.stub.ReportIncident(fire_request(), metadata=AUTH, timeout=10).incident
        incident_id = incident.incident_id
        for request_id, method, request in (
            ("accept", dispatch.stub.AcceptOffer, dispatch_pb2.AcceptOfferRequest),
            ("arrive", dispatch.stub.ArriveOnScene, dispatch_pb2.ArriveOnSceneRequest),
        ):
            dispatch.clock.advance(minutes=7)
            method(
                request(request_id=request_id, incident_id=incident_id, volunteer_id=lead),
                metadata=AUTH,
                timeout=10,
            )
        hand_over = dispatch_pb2.HandOverRequest(
            request_id="hand-over",
            incident_id=incident_id,
            volunteer_id=lead,
            summary="房屋烧毁，丈夫烧伤住院，已安排亲戚家暂住",
            assessment=dispatch_pb2.Assessment(
                people_affected=4,
                people_injured=1,
                shelter_needed=True,
                urgency=dispatch_pb2.URGENCY_URGENT,
                assistance_needed=True,
            ),
        )
        dispatch.stub.HandOver(hand_over, metadata=AUTH, timeout=10)
        dispatch.stub.HandOver(hand_over, metadata=AUTH, timeout=10)  # a retry publishes nothing new

        context = dispatch.context
        relay = OutboxRelay(context.database, context.store.messaging, context.settings)  # type: ignore[arg-type]
        assert relay.publish_pending() == 4
        assert relay.publish_pending() == 0

    consumer = KafkaConsumer(
        TOPIC,
        bootstrap_servers=kafka_broker.bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=2000,
    )
    messages = [m for m in consumer if m.key == incident_id.encode()]
    consumer.close()
    handed = [m for m in messages if decode(m.value).event_type == "doudi.dispatch.v1.IncidentHandedOver"]
    assert len(messages) == 4 and len(handed) == 1
    event = unpack(decode(handed[0].value), events_pb2.IncidentHandedOver)
    assert event.incident_id == incident_id
    assert event.person.value == CHEN_WIFE and event.person_name == "陈桂芳"
    assert event.contact_phone == "13909547788"
    assert event.region.code == VILLAGE and event.township.code == "640402100000"
    assert event.kind == dispatch_pb2.INCIDENT_KIND_FIRE
    assert event.description.startswith("凌晨两点陈家房屋起火")
    assert event.urgency == dispatch_pb2.URGENCY_URGENT
    assert event.assessment.assistance_needed and event.assessment.summary.startswith("房屋烧毁")
    assert event.source == dispatch_pb2.INCIDENT_SOURCE_VILLAGER
    assert event.source_reference == "hotline-20260115-0031"
    assert event.lead_volunteer_id == lead
    assert (event.on_scene_at.ToDatetime() - event.reported_at.ToDatetime()).total_seconds() == 14 * 60
