"""Both simulators over real gRPC with token auth: answers, field errors, faults, idempotency."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import grpc
import pytest

from doudi.bank.v1 import bank_pb2, bank_pb2_grpc
from doudi.common.v1 import types_pb2
from doudi.records.v1 import records_pb2, records_pb2_grpc
from doudi.simulator.v1 import bank_pb2 as simulator_pb2
from doudi.simulator.v1 import bank_pb2_grpc as simulator_pb2_grpc
from doudi_common.testing import make_resident_id
from doudi_runtime.grpc.errors import field_violations_from
from doudi_runtime.grpc.server import GrpcServer
from doudi_runtime.service import build_context
from doudi_sim.main import BANK, RECORDS
from doudi_sim.settings import BankSettings, RecordsSettings

TOKEN = "sim-token"
AUTH = (("authorization", f"Bearer {TOKEN}"),)


def serve(definition: Any, settings: Any) -> Iterator[grpc.Channel]:
    server = GrpcServer(settings, list(definition.grpc_bindings(build_context(definition, settings))))
    port = server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield channel
    finally:
        channel.close()
        server.stop(0)


@pytest.fixture
def records() -> Iterator[records_pb2_grpc.DepartmentRecordsServiceStub]:
    settings = RecordsSettings(
        grpc_port=0, metrics_port=0, auth_tokens=f'{{"{TOKEN}": "verification"}}', sim_down_sources="TAX"
    )
    for channel in serve(RECORDS, settings):
        yield records_pb2_grpc.DepartmentRecordsServiceStub(channel)


@pytest.fixture
def bank_channel() -> Iterator[grpc.Channel]:
    settings = BankSettings(grpc_port=0, metrics_port=0, auth_tokens=f'{{"{TOKEN}": "disbursement"}}')
    yield from serve(BANK, settings)


@pytest.fixture
def bank(bank_channel: grpc.Channel) -> bank_pb2_grpc.BankServiceStub:
    return bank_pb2_grpc.BankServiceStub(bank_channel)


@pytest.fixture
def bank_simulator(bank_channel: grpc.Channel) -> simulator_pb2_grpc.BankSimulatorServiceStub:
    return simulator_pb2_grpc.BankSimulatorServiceStub(bank_channel)


def query(id_number: str, **overrides: Any) -> records_pb2.QueryPersonRequest:
    request = records_pb2.QueryPersonRequest(
        id_number=types_pb2.IdNumber(value=id_number),
        purpose="DIBAO_ASSESSMENT",
        consent_reference="consent-1",
        period_from=types_pb2.Period(month="2025-11"),
        period_to=types_pb2.Period(month="2026-10"),
    )
    for name, value in overrides.items():
        setattr(request, name, value)
    return request


def test_records_answer_deterministically_with_as_of_dates_and_a_down_source(records) -> None:  # type: ignore[no-untyped-def]
    person = make_resident_id(date(1970, 1, 2))
    first = records.QueryPerson(query(person), metadata=AUTH, timeout=5)
    again = records.QueryPerson(query(person), metadata=AUTH, timeout=5)
    assert first == again
    by_source = {answer.source: answer for answer in first.answers}
    assert len(by_source) == 14
    assert by_source[records_pb2.SOURCE_TAX].status == records_pb2.SOURCE_STATUS_UNAVAILABLE
    hr = by_source[records_pb2.SOURCE_HUMAN_RESOURCES]
    assert hr.status == records_pb2.SOURCE_STATUS_OK
    assert (hr.as_of.year, hr.as_of.month, hr.as_of.day) == (2026, 10, 31)


def test_records_name_every_field_at_fault(records) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as raised:
        records.QueryPerson(query("12345", purpose="", consent_reference=""), metadata=AUTH, timeout=5)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert {f for f, _ in field_violations_from(raised.value)} == {
        "id_number",
        "purpose",
        "consent_reference",
    }


def test_the_bank_never_pays_a_key_twice(bank) -> None:  # type: ignore[no-untyped-def]
    order = bank_pb2.PaymentOrder(
        idempotency_key="hh1/DIBAO/2026-11/BASE",
        account_name="马建国",
        account_number="6222021234",
        amount_fen=56_000,
    )
    first = bank.SubmitBatch(
        bank_pb2.SubmitBatchRequest(
            request_id="b1", orders=[order], control_count=1, control_total_fen=56_000
        ),
        metadata=AUTH,
        timeout=5,
    )
    second = bank.SubmitBatch(
        bank_pb2.SubmitBatchRequest(
            request_id="b2", orders=[order], control_count=1, control_total_fen=56_000
        ),
        metadata=AUTH,
        timeout=5,
    )
    assert list(second.duplicate_keys) == [order.idempotency_key]
    status = bank.GetBatchStatus(
        bank_pb2.GetBatchStatusRequest(batch_id=first.batch_id), metadata=AUTH, timeout=5
    )
    assert [p.result for p in status.payments] == [bank_pb2.PAYMENT_RESULT_SETTLED]


def test_the_bank_checks_control_totals(bank) -> None:  # type: ignore[no-untyped-def]
    order = bank_pb2.PaymentOrder(idempotency_key="k", account_name="a", account_number="1", amount_fen=100)
    with pytest.raises(grpc.RpcError) as raised:
        bank.SubmitBatch(
            bank_pb2.SubmitBatchRequest(
                request_id="b3", orders=[order], control_count=2, control_total_fen=100
            ),
            metadata=AUTH,
            timeout=5,
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in field_violations_from(raised.value)] == ["control_count"]


def submit(bank, request_id: str, *orders: bank_pb2.PaymentOrder, timeout: float = 5):  # type: ignore[no-untyped-def]
    return bank.SubmitBatch(
        bank_pb2.SubmitBatchRequest(
            request_id=request_id,
            orders=orders,
            control_count=len(orders),
            control_total_fen=sum(o.amount_fen for o in orders),
        ),
        metadata=AUTH,
        timeout=timeout,
    )


def set_faults(bank_simulator, **faults: object):  # type: ignore[no-untyped-def]
    request = simulator_pb2.SetFaultsRequest(request_id="f1", faults=simulator_pb2.Faults(**faults))
    return bank_simulator.SetFaults(request, metadata=AUTH, timeout=5)


def test_the_simulator_shows_its_books_by_key(bank, bank_simulator) -> None:  # type: ignore[no-untyped-def]
    one = bank_pb2.PaymentOrder(idempotency_key="DIBAO:hh1:2026-12:BASE", account_number="1", amount_fen=700)
    two = bank_pb2.PaymentOrder(idempotency_key="DIBAO:hh2:2026-12:BASE", account_number="2", amount_fen=900)
    submit(bank, "b1", one, two)
    submit(bank, "b2", two)
    booked = bank_simulator.ListBookedPayments(
        simulator_pb2.ListBookedPaymentsRequest(), metadata=AUTH, timeout=5
    ).payments
    assert [
        (p.idempotency_key, p.amount_fen, p.times_ordered, list(p.batch_request_ids)) for p in booked
    ] == [
        ("DIBAO:hh1:2026-12:BASE", 700, 1, ["b1"]),
        ("DIBAO:hh2:2026-12:BASE", 900, 2, ["b1", "b2"]),
    ]
    assert {p.result for p in booked} == {bank_pb2.PAYMENT_RESULT_SETTLED}
    only = bank_simulator.ListBookedPayments(
        simulator_pb2.ListBookedPaymentsRequest(idempotency_key_contains=":hh2:"), metadata=AUTH, timeout=5
    ).payments
    assert [p.idempotency_key for p in only] == ["DIBAO:hh2:2026-12:BASE"]


def test_faults_change_while_the_bank_runs_and_the_books_stay(bank, bank_simulator) -> None:  # type: ignore[no-untyped-def]
    order = bank_pb2.PaymentOrder(idempotency_key="k1", account_number="1", amount_fen=100)
    submit(bank, "b1", order)
    set_faults(bank_simulator, down=True)
    with pytest.raises(grpc.RpcError) as raised:
        submit(bank, "b2", order)
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    answer = set_faults(bank_simulator, timeout_after_commit_permille=1000)
    assert (answer.faults.down, answer.faults.timeout_after_commit_permille) == (False, 1000)
    late = bank_pb2.PaymentOrder(idempotency_key="k2", account_number="2", amount_fen=200)
    with pytest.raises(grpc.RpcError) as raised:
        submit(bank, "b3", late, timeout=0.3)
    assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    set_faults(bank_simulator)
    booked = bank_simulator.ListBookedPayments(
        simulator_pb2.ListBookedPaymentsRequest(), metadata=AUTH, timeout=5
    ).payments
    # Down, the bank took nothing; timing out, it had booked the batch before the caller gave up.
    assert [(p.idempotency_key, list(p.batch_request_ids)) for p in booked] == [
        ("k1", ["b1"]),
        ("k2", ["b3"]),
    ]


def test_faults_out_of_range_are_refused_by_field(bank_simulator) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as raised:
        bank_simulator.SetFaults(
            simulator_pb2.SetFaultsRequest(
                faults=simulator_pb2.Faults(
                    error_permille=1001, timeout_after_commit_permille=-1, latency_ms=-1
                )
            ),
            metadata=AUTH,
            timeout=5,
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert {f for f, _ in field_violations_from(raised.value)} == {
        "request_id",
        "faults.error_permille",
        "faults.timeout_after_commit_permille",
        "faults.latency_ms",
    }


H01_APPLICANT = "640402198403091139"


def test_a_worked_example_is_answered_from_its_fixed_records(records) -> None:  # type: ignore[no-untyped-def]
    request = query(H01_APPLICANT)
    request.sources.extend([records_pb2.SOURCE_HUMAN_RESOURCES, records_pb2.SOURCE_TAX])
    response = records.QueryPerson(request, metadata=AUTH, timeout=5)
    by_source = {answer.source: answer for answer in response.answers}
    wage = by_source[records_pb2.SOURCE_HUMAN_RESOURCES]
    assert [(i.item, i.amount_fen) for i in wage.items] == [("wage_income", 1_800 * 100 * 12)]
    assert by_source[records_pb2.SOURCE_TAX].status == records_pb2.SOURCE_STATUS_UNAVAILABLE


def test_a_slow_source_times_out_alone() -> None:
    settings = RecordsSettings(
        grpc_port=0,
        metrics_port=0,
        auth_tokens=f'{{"{TOKEN}": "verification"}}',
        sim_slow_sources="FINANCIAL",
        sim_slow_source_ms=10,
    )
    for channel in serve(RECORDS, settings):
        stub = records_pb2_grpc.DepartmentRecordsServiceStub(channel)
        response = stub.QueryPerson(query(H01_APPLICANT), metadata=AUTH, timeout=5)
        statuses = {records_pb2.Source.Name(a.source): a.status for a in response.answers}
        assert statuses.pop("SOURCE_FINANCIAL") == records_pb2.SOURCE_STATUS_UNAVAILABLE
        assert set(statuses.values()) == {records_pb2.SOURCE_STATUS_OK}
