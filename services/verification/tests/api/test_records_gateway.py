"""The records gateway against the simulator over real gRPC: a household is asked in one QueryPeople call,
an adapter without it is asked person by person with the same result, and a member the system fails to
answer is missing by name while the others are answered."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import grpc
import pytest

from doudi.records.v1 import records_pb2_grpc
from doudi_common.period import Period
from doudi_common.testing import make_resident_id
from doudi_runtime.grpc.client import ChannelFactory
from doudi_runtime.grpc.server import GrpcServer, GrpcServiceBinding
from doudi_sim.faults import chance
from doudi_sim.records import DepartmentRecords
from doudi_sim.settings import RecordsSettings
from doudi_verification.app.records_gateway import PersonQuery, RecordsGateway
from doudi_verification.domain.sources import sources_for
from doudi_verification.main import VerificationSettings

TOKEN = "gateway-test-token"
SERVICE = "doudi.records.v1.DepartmentRecordsService"
PEOPLE = [
    PersonQuery(i, make_resident_id(date(1958 + i, 5, 6), 20 + i, female=i % 2 == 0), f"app/members/{i}")
    for i in range(3)
]
FIRST, LAST = Period(2025, 10), Period(2026, 9)
SOURCES = sources_for("DIBAO")


class PersonByPerson(records_pb2_grpc.DepartmentRecordsServiceServicer):
    """An adapter that only offers QueryPerson (QueryPeople answers UNIMPLEMENTED)."""

    def __init__(self, records: DepartmentRecords) -> None:
        self.records = records
        self.calls = 0

    def QueryPerson(self, request, context):  # type: ignore[no-untyped-def]
        self.calls += 1
        return self.records.QueryPerson(request, context)


def serve(servicer: object, settings: RecordsSettings) -> Iterator[str]:
    binding = GrpcServiceBinding(
        SERVICE, servicer, records_pb2_grpc.add_DepartmentRecordsServiceServicer_to_server
    )
    server = GrpcServer(settings, [binding])
    port = server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(0)


def sim_settings(**overrides: object) -> RecordsSettings:
    return RecordsSettings(
        grpc_port=0, metrics_port=0, auth_tokens=f'{{"{TOKEN}": "verification"}}', **overrides
    )


def gateway(target: str) -> RecordsGateway:
    settings = VerificationSettings(
        grpc_port=0, metrics_port=0, client_token=TOKEN, auth_tokens=f'{{"{TOKEN}": "township-clerk"}}'
    )
    return RecordsGateway(ChannelFactory(settings), target, deadline_seconds=3)


@pytest.fixture
def simulator() -> Iterator[str]:
    yield from serve(DepartmentRecords(sim_settings(sim_down_sources="TAX")), sim_settings())


def test_an_adapter_without_query_people_is_asked_person_by_person_with_the_same_result(
    simulator: str,
) -> None:
    together = gateway(simulator).ask(PEOPLE, SOURCES, FIRST, LAST, "DIBAO_ASSESSMENT")
    person_only = PersonByPerson(DepartmentRecords(sim_settings(sim_down_sources="TAX")))
    for target in serve(person_only, sim_settings()):
        asked = gateway(target)
        alone = asked.ask(PEOPLE, SOURCES, FIRST, LAST, "DIBAO_ASSESSMENT")
        assert person_only.calls == len(PEOPLE)
        asked.ask(PEOPLE, SOURCES, FIRST, LAST, "DIBAO_ASSESSMENT")
        assert person_only.calls == 2 * len(PEOPLE)
    key = lambda o: (o.member_index, o.source)  # noqa: E731
    assert sorted(together, key=key) == sorted(alone, key=key)
    assert len(together) == len(PEOPLE) * len(SOURCES)
    assert {o.source for o in together if not o.answered} == {"TAX"}


def test_a_member_the_system_fails_to_answer_is_missing_while_the_others_are_answered() -> None:
    rate, seed = 0.5, 3
    failing = {p.member_index for p in PEOPLE if chance(seed, "error", "records", p.id_number) < rate}
    assert failing and len(failing) < len(PEOPLE), "the seed must split the household"
    for target in serve(DepartmentRecords(sim_settings(sim_error_rate=rate, sim_seed=seed)), sim_settings()):
        outcomes = gateway(target).ask(PEOPLE, SOURCES, FIRST, LAST, "DIBAO_ASSESSMENT")
    missing = {o.member_index for o in outcomes if not o.answered}
    assert missing == failing
    assert all(o.error.startswith("UNAVAILABLE") for o in outcomes if not o.answered)


def test_a_records_system_that_is_down_leaves_every_member_missing_by_name() -> None:
    for target in serve(DepartmentRecords(sim_settings(sim_down=True)), sim_settings()):
        outcomes = gateway(target).ask(PEOPLE, SOURCES, FIRST, LAST, "DIBAO_ASSESSMENT")
    assert len(outcomes) == len(PEOPLE) * len(SOURCES)
    assert not any(o.answered for o in outcomes)
    assert all(o.error.startswith(grpc.StatusCode.UNAVAILABLE.name) for o in outcomes)
