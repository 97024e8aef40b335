"""The monitored population's households that left Dibao (DOMAIN §8.1, §7.3), fed by eligibility's
EntitlementTerminated.monitored_until and listed through the gRPC API over a real socket and a real store
(SQLite and PostgreSQL): registered once however often the end is delivered, listed by region and month
with identity numbers masked, and withdrawn when an appeal reverses the end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from sqlalchemy import func, select

from doudi.common.v1 import programme_pb2, types_pb2
from doudi.eligibility.v1 import eligibility_pb2
from doudi.eligibility.v1 import events_pb2 as eligibility_events
from doudi.verification.v1 import monitoring_pb2, monitoring_pb2_grpc
from doudi_common.masking import mask_id_number
from doudi_runtime.events.envelope import new_envelope
from doudi_runtime.grpc.errors import field_violations_from
from doudi_runtime.grpc.server import GrpcServer
from doudi_runtime.service import ServiceContext, build_context, migrate
from doudi_verification.events.entitlements import TOPIC_ENTITLEMENTS
from doudi_verification.events.intake import TOPIC_APPLICATIONS
from doudi_verification.main import DEFINITION, VerificationSettings
from doudi_verification.store.tables import monitored_households

from .test_checks_api import H01, TOWNSHIP, accepted

TOKEN, OTHER_TOKEN = "monitored-test-token", "monitored-other-township"
AUTH = (("authorization", f"Bearer {TOKEN}"),)
OTHER_TOWNSHIP = "640402101000"
OTHER_AUTH = (("authorization", f"Bearer {OTHER_TOKEN}"),)


@dataclass
class Served:
    stub: monitoring_pb2_grpc.MonitoringServiceStub
    context: ServiceContext


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[Served]:
    officer = {"role": "township_office", "org": "other-township", "region": OTHER_TOWNSHIP}
    settings = VerificationSettings(
        grpc_port=0,
        metrics_port=0,
        data_dir=tmp_path,
        database_url=database_url,
        auth_tokens=json.dumps({TOKEN: "township-clerk", OTHER_TOKEN: officer}),
        client_token=TOKEN,
        shutdown_grace_seconds=0,
    )
    migrate(DEFINITION, settings)
    context = build_context(DEFINITION, settings)
    server = GrpcServer(settings, list(DEFINITION.grpc_bindings(context)))
    port = server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield Served(monitoring_pb2_grpc.MonitoringServiceStub(channel), context)
    finally:
        channel.close()
        server.stop(0)
        assert context.database is not None
        context.database.dispose()


def deliver(s: Served, topic: str, event: object, subject: str) -> None:
    """One delivery, as the consumer hands it to the subscription inside its inbox transaction."""
    (subscription,) = [x for x in DEFINITION.subscriptions(s.context) if x.topic == topic]
    envelope = new_envelope(event, producer="eligibility", subject_key=subject)  # type: ignore[arg-type]
    with s.context.database.transaction() as session:
        subscription.handler(session, envelope)


def entitlement(entitlement_id: str, application_id: str, state: int) -> eligibility_pb2.Entitlement:
    return eligibility_pb2.Entitlement(
        entitlement_id=entitlement_id,
        subject_id=f"hh_{entitlement_id}",
        programme=programme_pb2.PROGRAMME_DIBAO,
        state=state,
        start_month=types_pb2.Period(month="2024-02"),
        region=types_pb2.RegionCode(code=TOWNSHIP),
        application_id=application_id,
    )


def gradual_exit_ended(entitlement_id: str, application_id: str) -> eligibility_events.EntitlementTerminated:
    """H06: the last frozen month July 2025, monitored until July 2026."""
    return eligibility_events.EntitlementTerminated(
        entitlement=entitlement(entitlement_id, application_id, eligibility_pb2.ENTITLEMENT_STATE_TERMINATED),
        reason="INCOME_ABOVE_STD",
        last_month=types_pb2.Period(month="2025-07"),
        monitored_until=types_pb2.Period(month="2026-07"),
    )


def listed(
    s: Served, month: str, region: str = TOWNSHIP, **page: int
) -> monitoring_pb2.ListMonitoredHouseholdsResponse:
    return s.stub.ListMonitoredHouseholds(
        monitoring_pb2.ListMonitoredHouseholdsRequest(
            region=types_pb2.RegionCode(code=region),
            month=types_pb2.Period(month=month),
            page=types_pb2.PageRequest(**page),
        ),
        metadata=AUTH,
        timeout=10,
    )


def rows(s: Served) -> int:
    with s.context.database.read() as session:
        return int(session.execute(select(func.count()).select_from(monitored_households)).scalar_one())


def test_a_household_leaving_dibao_after_its_gradual_exit_is_monitored_until_the_month_eligibility_names(
    served: Served,
) -> None:
    deliver(served, TOPIC_APPLICATIONS, accepted("app_h06", H01), "app_h06")
    ended = gradual_exit_ended("ent_h06", "app_h06")
    deliver(served, TOPIC_ENTITLEMENTS, ended, "hh_ent_h06")
    deliver(served, TOPIC_ENTITLEMENTS, ended, "hh_ent_h06")  # redelivered under a new event id
    assert rows(served) == 1

    [household] = listed(served, "2025-08").households
    assert (household.household_id, household.entitlement_id) == ("hh_ent_h06", "ent_h06")
    assert household.group == monitoring_pb2.MONITORED_GROUP_LEFT_DIBAO
    assert (household.since_month.month, household.until_month.month) == ("2025-08", "2026-07")
    assert household.region.code == TOWNSHIP
    assert list(household.persons_masked) == [mask_id_number(p) for p in H01]
    assert all(p not in str(household) for p in H01), "no full identity number in a listing"

    assert [h.entitlement_id for h in listed(served, "2026-07").households] == ["ent_h06"]
    assert list(listed(served, "2025-07").households) == [], "still paid in July"
    assert list(listed(served, "2026-08").households) == [], "no longer monitored"
    assert list(listed(served, "2025-08", region=OTHER_TOWNSHIP).households) == []


def test_an_end_without_monitoring_registers_no_one_and_a_reversed_end_is_withdrawn(served: Served) -> None:
    voluntary = gradual_exit_ended("ent_v", "app_v")
    voluntary.ClearField("monitored_until")
    voluntary.reason = "VOLUNTARY"
    deliver(served, TOPIC_ENTITLEMENTS, voluntary, "hh_ent_v")
    assert rows(served) == 0

    deliver(served, TOPIC_ENTITLEMENTS, gradual_exit_ended("ent_h06", "app_h06"), "hh_ent_h06")
    assert [h.entitlement_id for h in listed(served, "2025-09").households] == ["ent_h06"]
    assert list(listed(served, "2025-09").households[0].persons_masked) == [], "application not on record"
    reinstated = eligibility_events.EntitlementChanged(
        before=entitlement("ent_h06", "app_h06", eligibility_pb2.ENTITLEMENT_STATE_TERMINATED),
        after=entitlement("ent_h06", "app_h06", eligibility_pb2.ENTITLEMENT_STATE_ACTIVE),
        effective_month=types_pb2.Period(month="2025-10"),
        reversed_decision_id="dec_end",
    )
    deliver(served, TOPIC_ENTITLEMENTS, reinstated, "hh_ent_h06")
    assert list(listed(served, "2025-09").households) == []


def test_households_are_listed_page_by_page(served: Served) -> None:
    for n in range(3):
        deliver(served, TOPIC_ENTITLEMENTS, gradual_exit_ended(f"ent_{n}", f"app_{n}"), f"hh_{n}")
    first = listed(served, "2025-12", page_size=2)
    assert [h.entitlement_id for h in first.households] == ["ent_0", "ent_1"]
    second = listed(served, "2025-12", page_size=2, page_token=first.page.next_page_token)
    assert [h.entitlement_id for h in second.households] == ["ent_2"]
    assert second.page.next_page_token == ""


def test_a_malformed_month_and_another_townships_region_are_refused(served: Served) -> None:
    with pytest.raises(grpc.RpcError) as malformed:
        listed(served, "2025-13")
    assert malformed.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in field_violations_from(malformed.value)] == ["month.month"]
    with pytest.raises(grpc.RpcError) as elsewhere:
        served.stub.ListMonitoredHouseholds(
            monitoring_pb2.ListMonitoredHouseholdsRequest(region=types_pb2.RegionCode(code=TOWNSHIP)),
            metadata=OTHER_AUTH,
            timeout=10,
        )
    assert elsewhere.value.code() is grpc.StatusCode.PERMISSION_DENIED
