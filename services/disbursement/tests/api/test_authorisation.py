"""Who may call which disbursement RPC in which region: the role × RPC × region table."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import grpc
import pytest
from sqlalchemy import update

from doudi.common.v1 import programme_pb2, types_pb2
from doudi.disbursement.v1 import disbursement_pb2, disbursement_pb2_grpc, reserve_pb2, reserve_pb2_grpc
from doudi_common.testing import make_resident_id
from doudi_disbursement.api.policy import RESERVE_RULES, RULES
from doudi_disbursement.main import DEFINITION, DisbursementSettings, payroll
from doudi_disbursement.store import payroll as store
from doudi_disbursement.store import tables
from doudi_runtime.grpc.server import GrpcServer
from doudi_runtime.service import build_context, migrate
from doudi_runtime.testing.authz import (
    TOWNSHIP_A,
    TOWNSHIP_B,
    auth_tokens,
    metadata,
    mismatches,
    missing_rules,
)
from doudi_sim.main import BANK
from doudi_sim.settings import BankSettings

from .test_payroll_api import Payroll, activated, deliver

#: Runs are a county's: A's run is the county bureau's own, B's a neighbouring county's.
COUNTY = {"A": "640402000000", "B": "640403000000"}
#: Beneficiaries live in townships A and B of the county bureau's county.
BENEFICIARY = {"A": "hh_001", "B": "hh_002"}
TOWNSHIP = {"A": TOWNSHIP_A, "B": TOWNSHIP_B}

S, T, C = "service", "township_a", "county"
TABLE: dict[str, tuple[set[str], set[str]]] = {
    "GenerateMonthlyRun": ({S, C}, {S}),
    "GetRun": ({S, C}, {S}),
    "ListRuns": ({S, C}, {S}),
    "ApproveRun": ({S, C}, {S}),
    "HoldRun": ({S, C}, {S}),
    "ResumeRun": ({S, C}, {S}),
    "CancelRun": ({S, C}, {S}),
    # By beneficiary: a township office sees the payments of its own township's beneficiaries.
    "ListPayments": ({S, T, C}, {S, C}),
    # Returned payments are the township's to chase; sending money again is the county's.
    "ListPaymentsToResolve": ({S, T, C}, {S, C}),
    "CorrectPaymentAccount": ({S, T, C}, {S, C}),
    "HoldPayment": ({S, T, C}, {S, C}),
    "ReissuePayment": ({S, C}, {S, C}),
    # Recovery is the county's decision; the township may read it.
    "RecordOverpayment": ({S, C}, {S, C}),
    "RecordRepayment": ({S, C}, {S, C}),
    "GetOverpayment": ({S, T, C}, {S, C}),
    "ListOverpayments": ({S, T, C}, {S, C}),
    # Derived payments are declared for a county, by its bureau.
    "DeclareDerivedPayment": ({S, C}, {S}),
    "ListDerivedPayments": ({S, C}, {S}),
    # Care providers are paid by the county that contracts them: A's provider is the county bureau's.
    "RegisterProviderAccount": ({S, C}, {S}),
    "GetProviderAccount": ({S, C}, {S}),
    # Where the money stands and the publication list: the county's and each township's own.
    "GetFundSummary": ({S, T, C}, {S, C}),
    "ListPublication": ({S, T, C}, {S, C}),
}


@dataclass
class Served:
    stub: disbursement_pb2_grpc.DisbursementServiceStub
    runs: dict[str, str]
    #: A payment and an overpayment of each township's beneficiary.
    payments: dict[str, str]
    overpayments: dict[str, str]


def overpayment_request(target: str, request_id: str) -> disbursement_pb2.RecordOverpaymentRequest:
    return disbursement_pb2.RecordOverpaymentRequest(
        request_id=request_id,
        beneficiary_id=BENEFICIARY[target],
        programme=programme_pb2.PROGRAMME_DIBAO,
        amount=types_pb2.Money(amount_fen=1_000),
        reason="重复发放",
        decision_reference="追缴1号",
    )


def generate_request(target: str, request_id: str) -> disbursement_pb2.GenerateMonthlyRunRequest:
    return disbursement_pb2.GenerateMonthlyRunRequest(
        request_id=request_id,
        period=types_pb2.Period(month="2026-11"),
        region=types_pb2.RegionCode(code=COUNTY[target]),
    )


def provider_account_request(target: str, request_id: str) -> disbursement_pb2.RegisterProviderAccountRequest:
    return disbursement_pb2.RegisterProviderAccountRequest(
        request_id=request_id,
        provider_id=f"prov_{target}",
        region=types_pb2.RegionCode(code=COUNTY[target]),
        account_name="居家养老服务中心",
        account_number="6228480000000099",
    )


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[Served]:
    bank_settings = BankSettings(grpc_port=0, metrics_port=0, auth_tokens='{"bank": "disbursement"}')
    bank = GrpcServer(bank_settings, list(BANK.grpc_bindings(build_context(BANK, bank_settings))))
    bank_port = bank.start()
    settings = DisbursementSettings(
        grpc_port=0,
        metrics_port=0,
        data_dir=tmp_path,
        database_url=database_url,
        # Runs are opened by another service, so the dual control lets every caller below release them.
        auth_tokens=auth_tokens({"opener": "payroll-clerk"}),
        client_token="bank",
        shutdown_grace_seconds=0,
        bank_target=f"127.0.0.1:{bank_port}",
    )
    migrate(DEFINITION, settings)
    context = build_context(DEFINITION, settings)
    server = GrpcServer(settings, list(DEFINITION.grpc_bindings(context)))
    channel = grpc.insecure_channel(f"127.0.0.1:{server.start()}")
    stub = disbursement_pb2_grpc.DisbursementServiceStub(channel)
    held = Payroll(stub, context, payroll(context), None)
    deliver(held, activated(1, TOWNSHIP_A, 60_000))
    deliver(held, activated(2, TOWNSHIP_B, 50_000))
    runs = {
        target: stub.GenerateMonthlyRun(
            generate_request(target, f"seed-{target}"), metadata=metadata("opener")
        ).run.run_id
        for target in "AB"
    }
    held.use_cases.generate_shards()
    with context.database.transaction() as session:
        rows = store.list_payments(session, run_id=runs["A"], beneficiary_id="", after=None, limit=10)
        # The bank returned both (so cancelling the run, as the table does, leaves them to resolve).
        session.execute(update(tables.payments).values(state="RETURNED", reason="account closed"))
    payments = {
        target: next(r.payment_id for r in rows if r.beneficiary_id == BENEFICIARY[target]) for target in "AB"
    }
    overpayments = {
        target: stub.RecordOverpayment(
            overpayment_request(target, f"seed-ovp-{target}"), metadata=metadata("opener")
        ).overpayment.overpayment_id
        for target in "AB"
    }
    for target in "AB":
        stub.RegisterProviderAccount(
            provider_account_request(target, f"seed-acct-{target}"), metadata=metadata("opener")
        )
    try:
        yield Served(stub, runs, payments, overpayments)
    finally:
        channel.close()
        server.stop(0)
        bank.stop(0)
        context.database.dispose()  # type: ignore[union-attr]


def build(served: Served, rpc: str, target: str, request_id: str) -> object:
    run, payment = served.runs[target], served.payments[target]
    d = disbursement_pb2
    requests = {
        "GenerateMonthlyRun": lambda: generate_request(target, request_id),
        "GetRun": lambda: d.GetRunRequest(run_id=run),
        "ListRuns": lambda: d.ListRunsRequest(region=types_pb2.RegionCode(code=COUNTY[target])),
        "ApproveRun": lambda: d.ApproveRunRequest(
            request_id=request_id, run_id=run, expected_payment_count=1
        ),
        "HoldRun": lambda: d.HoldRunRequest(request_id=request_id, run_id=run, reason="核对名单"),
        "ResumeRun": lambda: d.ResumeRunRequest(request_id=request_id, run_id=run),
        "CancelRun": lambda: d.CancelRunRequest(request_id=request_id, run_id=run, reason="名单有误"),
        "ListPayments": lambda: d.ListPaymentsRequest(beneficiary_id=BENEFICIARY[target]),
        "ListPaymentsToResolve": lambda: d.ListPaymentsToResolveRequest(
            region=types_pb2.RegionCode(code=TOWNSHIP[target])
        ),
        "CorrectPaymentAccount": lambda: d.CorrectPaymentAccountRequest(
            request_id=request_id, payment_id=payment, account_number="6228480000001234"
        ),
        "HoldPayment": lambda: d.HoldPaymentRequest(
            request_id=request_id, payment_id=payment, reason="待核实"
        ),
        "ReissuePayment": lambda: d.ReissuePaymentRequest(request_id=request_id, payment_id=payment),
        "RecordOverpayment": lambda: overpayment_request(target, request_id),
        "RecordRepayment": lambda: d.RecordRepaymentRequest(
            request_id=request_id,
            overpayment_id=served.overpayments[target],
            amount=types_pb2.Money(amount_fen=1),
            reference="收据 1",
        ),
        "GetOverpayment": lambda: d.GetOverpaymentRequest(overpayment_id=served.overpayments[target]),
        "ListOverpayments": lambda: d.ListOverpaymentsRequest(beneficiary_id=BENEFICIARY[target]),
        "DeclareDerivedPayment": lambda: d.DeclareDerivedPaymentRequest(
            request_id=request_id,
            kind=d.DERIVED_KIND_ONE_OFF,
            region=types_pb2.RegionCode(code=COUNTY[target]),
            period=types_pb2.Period(month="2026-12"),
            amounts=[
                d.DerivedAmount(
                    programme=programme_pb2.PROGRAMME_DIBAO, amount=types_pb2.Money(amount_fen=20_000)
                )
            ],
            reference="一次性生活补贴通知",
        ),
        "ListDerivedPayments": lambda: d.ListDerivedPaymentsRequest(
            region=types_pb2.RegionCode(code=COUNTY[target])
        ),
        "RegisterProviderAccount": lambda: provider_account_request(target, request_id),
        "GetProviderAccount": lambda: d.GetProviderAccountRequest(provider_id=f"prov_{target}"),
        "GetFundSummary": lambda: d.GetFundSummaryRequest(
            region=types_pb2.RegionCode(code=TOWNSHIP[target]), period=types_pb2.Period(month="2026-12")
        ),
        "ListPublication": lambda: d.ListPublicationRequest(
            region=types_pb2.RegionCode(code=TOWNSHIP[target]), period=types_pb2.Period(month="2026-12")
        ),
    }
    return requests[rpc]()


def test_every_rpc_has_a_rule_and_a_row_in_the_table() -> None:
    service = disbursement_pb2.DESCRIPTOR.services_by_name["DisbursementService"]
    assert missing_rules(service, RULES) == []
    assert sorted(TABLE) == sorted(method.name for method in service.methods)


def test_each_role_may_call_each_rpc_in_its_region_only(served: Served) -> None:
    found = mismatches(served.stub, TABLE, lambda rpc, target, rid: build(served, rpc, target, rid))
    assert found == [], "\n".join(found)


def test_a_township_may_not_list_a_whole_run(served: Served) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        served.stub.ListPayments(
            disbursement_pb2.ListPaymentsRequest(run_id=served.runs["A"]), metadata=metadata("township_a")
        )
    assert raised.value.code() is grpc.StatusCode.NOT_FOUND


# ------------------------------------------------------------------------ the township reserve funds

RESERVE_TABLE: dict[str, tuple[set[str], set[str]]] = {
    "OpenReserveFund": ({S, C}, {S, C}),
    "TopUpReserveFund": ({S, C}, {S, C}),
    "PayAdvance": ({S, T, C}, {S, C}),
    "RegulariseAdvance": ({S, T, C}, {S, C}),
    "GetAdvance": ({S, T, C}, {S, C}),
    "GetReserveFund": ({S, T, C}, {S, C}),
}
APPLICANT = make_resident_id(date(1979, 5, 6), 33)


@dataclass
class ReserveServed:
    stub: reserve_pb2_grpc.ReserveFundServiceStub
    advances: dict[str, str]


def cash_advance(target: str) -> reserve_pb2.Advance:
    return reserve_pb2.Advance(
        township=types_pb2.RegionCode(code=TOWNSHIP[target]),
        person=types_pb2.Person(id_number=types_pb2.IdNumber(value=APPLICANT), name="马有福"),
        amount=types_pb2.Money(amount_fen=1_000),
        method=reserve_pb2.ADVANCE_METHOD_CASH,
        reason="房屋失火",
        case_reference="lead_1",
        paid_by=["李", "王"],
        receipt_reference="收据 1",
        photo_reference="photo/1.jpg",
    )


@pytest.fixture
def reserve_served(database_url: str, tmp_path: Path) -> Iterator[ReserveServed]:
    settings = DisbursementSettings(
        grpc_port=0,
        metrics_port=0,
        data_dir=tmp_path,
        database_url=database_url,
        auth_tokens=auth_tokens(),
        client_token="service",
        shutdown_grace_seconds=0,
    )
    migrate(DEFINITION, settings)
    context = build_context(DEFINITION, settings)
    server = GrpcServer(settings, list(DEFINITION.grpc_bindings(context)))
    channel = grpc.insecure_channel(f"127.0.0.1:{server.start()}")
    stub = reserve_pb2_grpc.ReserveFundServiceStub(channel)
    advances = {}
    for target in "AB":
        stub.OpenReserveFund(
            reserve_pb2.OpenReserveFundRequest(
                request_id=f"open-{target}",
                township=types_pb2.RegionCode(code=TOWNSHIP[target]),
                opening_balance=types_pb2.Money(amount_fen=10_000_000),
            ),
            metadata=metadata("service"),
        )
        advances[target] = stub.PayAdvance(
            reserve_pb2.PayAdvanceRequest(request_id=f"seed-{target}", advance=cash_advance(target)),
            metadata=metadata("service"),
        ).advance.advance_id
    try:
        yield ReserveServed(stub, advances)
    finally:
        channel.close()
        server.stop(0)
        context.database.dispose()  # type: ignore[union-attr]


def reserve_request(served: ReserveServed, rpc: str, target: str, request_id: str) -> object:
    r, township = reserve_pb2, types_pb2.RegionCode(code=TOWNSHIP[target])
    requests = {
        "OpenReserveFund": lambda: r.OpenReserveFundRequest(
            request_id=request_id, township=township, opening_balance=types_pb2.Money(amount_fen=1)
        ),
        "TopUpReserveFund": lambda: r.TopUpReserveFundRequest(
            request_id=request_id, township=township, amount=types_pb2.Money(amount_fen=1), note="县拨"
        ),
        "PayAdvance": lambda: r.PayAdvanceRequest(request_id=request_id, advance=cash_advance(target)),
        "RegulariseAdvance": lambda: r.RegulariseAdvanceRequest(
            request_id=request_id,
            advance_id=served.advances[target],
            approved=types_pb2.Money(amount_fen=1_000),
            decision_reference="临救1号",
        ),
        "GetAdvance": lambda: r.GetAdvanceRequest(advance_id=served.advances[target]),
        "GetReserveFund": lambda: r.GetReserveFundRequest(township=township),
    }
    return requests[rpc]()


def test_every_reserve_rpc_has_a_rule_and_a_row_in_the_table() -> None:
    service = reserve_pb2.DESCRIPTOR.services_by_name["ReserveFundService"]
    assert missing_rules(service, RESERVE_RULES) == []
    assert sorted(RESERVE_TABLE) == sorted(method.name for method in service.methods)


def test_each_role_may_work_the_reserve_fund_of_its_region_only(reserve_served: ReserveServed) -> None:
    found = mismatches(
        reserve_served.stub,
        RESERVE_TABLE,
        lambda rpc, target, rid: reserve_request(reserve_served, rpc, target, rid),
    )
    assert found == [], "\n".join(found)
