"""The records simulator's QueryPeople over real gRPC: one household in one call, each person answered
exactly as QueryPerson answers them, field errors named per person, and a failing person not failing the
others."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import grpc
import pytest

from doudi.records.v1 import records_pb2, records_pb2_grpc
from doudi_common.testing import make_resident_id
from doudi_runtime.grpc.errors import field_violations_from
from doudi_sim.faults import chance
from doudi_sim.main import RECORDS
from doudi_sim.settings import RecordsSettings

from .test_simulators_grpc import AUTH, TOKEN, query, serve

HOUSEHOLD = [make_resident_id(date(1960 + i, 3, 4), 10 + i, female=i % 2 == 1) for i in range(4)]


def stub_for(**settings: object) -> Iterator[records_pb2_grpc.DepartmentRecordsServiceStub]:
    configured = RecordsSettings(
        grpc_port=0, metrics_port=0, auth_tokens=f'{{"{TOKEN}": "verification"}}', **settings
    )
    for channel in serve(RECORDS, configured):
        yield records_pb2_grpc.DepartmentRecordsServiceStub(channel)


@pytest.fixture
def records() -> Iterator[records_pb2_grpc.DepartmentRecordsServiceStub]:
    yield from stub_for(sim_down_sources="TAX")


def test_a_household_in_one_call_is_answered_as_person_by_person(records) -> None:  # type: ignore[no-untyped-def]
    together = records.QueryPeople(
        records_pb2.QueryPeopleRequest(people=[query(p) for p in HOUSEHOLD]), metadata=AUTH, timeout=5
    )
    alone = [records.QueryPerson(query(p), metadata=AUTH, timeout=5) for p in HOUSEHOLD]
    assert [list(p.answers) for p in together.people] == [list(a.answers) for a in alone]
    assert not any(p.error for p in together.people)
    tax = [a for p in together.people for a in p.answers if a.source == records_pb2.SOURCE_TAX]
    assert len(tax) == len(HOUSEHOLD) and all(a.status == records_pb2.SOURCE_STATUS_UNAVAILABLE for a in tax)


def test_every_bad_field_is_named_with_its_person(records) -> None:  # type: ignore[no-untyped-def]
    people = [query(HOUSEHOLD[0]), query("110101190001011234"), query(HOUSEHOLD[1], purpose="")]
    with pytest.raises(grpc.RpcError) as raised:
        records.QueryPeople(records_pb2.QueryPeopleRequest(people=people), metadata=AUTH, timeout=5)
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert {field for field, _ in field_violations_from(raised.value)} == {
        "people[1].id_number",
        "people[2].purpose",
    }
    with pytest.raises(grpc.RpcError) as empty:
        records.QueryPeople(records_pb2.QueryPeopleRequest(), metadata=AUTH, timeout=5)
    assert {field for field, _ in field_violations_from(empty.value)} == {"people"}


def test_a_person_the_system_fails_to_answer_does_not_fail_the_others() -> None:
    rate = 0.5
    seed = 1
    failing = [p for p in HOUSEHOLD if chance(seed, "error", "records", p) < rate]
    assert failing and len(failing) < len(HOUSEHOLD), "the seed must split the household"
    for stub in stub_for(sim_error_rate=rate, sim_seed=seed):
        response = stub.QueryPeople(
            records_pb2.QueryPeopleRequest(people=[query(p) for p in HOUSEHOLD]), metadata=AUTH, timeout=5
        )
        for person, answered in zip(HOUSEHOLD, response.people, strict=True):
            if person in failing:
                assert answered.error.startswith("UNAVAILABLE") and not answered.answers
            else:
                assert not answered.error and answered.answers
        with pytest.raises(grpc.RpcError) as raised:
            stub.QueryPerson(query(failing[0]), metadata=AUTH, timeout=5)
        assert raised.value.code() is grpc.StatusCode.UNAVAILABLE


def test_a_reversed_period_is_named_with_its_person(records) -> None:  # type: ignore[no-untyped-def]
    late = query(HOUSEHOLD[0])
    late.period_from.month, late.period_to.month = "2026-10", "2026-09"
    with pytest.raises(grpc.RpcError) as raised:
        records.QueryPeople(records_pb2.QueryPeopleRequest(people=[late]), metadata=AUTH, timeout=5)
    assert {field for field, _ in field_violations_from(raised.value)} == {"people[0].period_from"}
