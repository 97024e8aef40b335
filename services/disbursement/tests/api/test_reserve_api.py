"""The township reserve fund through its gRPC API, with the bank simulator over a real socket and a real
store: urgent aid paid within the call (cash) or by the next bank pass, refused rather than overdrawn,
regularised by the decision, and announced once however often a request is retried."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import grpc
import pytest
from sqlalchemy import select

from doudi.common.v1 import types_pb2
from doudi.disbursement.v1 import reserve_pb2, reserve_pb2_grpc
from doudi_common.testing import make_resident_id
from doudi_disbursement.app.reserve import ReserveUseCases
from doudi_disbursement.main import DEFINITION, DisbursementSettings, reserve_funds
from doudi_runtime.events.envelope import decode
from doudi_runtime.grpc.errors import field_violations_from
from doudi_runtime.grpc.server import GrpcServer
from doudi_runtime.service import ServiceContext, build_context, migrate
from doudi_sim.main import BANK
from doudi_sim.settings import BankSettings

TOKEN = "township-token"
AUTH = (("authorization", f"Bearer {TOKEN}"),)
TOWNSHIP = "640402100000"
PERSON = make_resident_id(date(1979, 5, 6), 33)
R = reserve_pb2


@dataclass
class Reserve:
    stub: reserve_pb2_grpc.ReserveFundServiceStub
    context: ServiceContext
    use_cases: ReserveUseCases
    bank: object

    def call(self, method: str, request):  # type: ignore[no-untyped-def]
        return getattr(self.stub, method)(request, metadata=AUTH, timeout=10)

    def error(self, method: str, request) -> grpc.RpcError:  # type: ignore[no-untyped-def]
        with pytest.raises(grpc.RpcError) as raised:
            self.call(method, request)
        return raised.value

    def announced(self) -> list[str]:
        outbox = self.context.store.messaging.outbox
        with self.context.database.read() as session:
            rows = session.execute(select(outbox.c.envelope)).all()
        return [decode(row.envelope).event_type.rsplit(".", 1)[1] for row in rows]


@pytest.fixture
def reserve(database_url: str, tmp_path: Path) -> Iterator[Reserve]:
    bank_settings = BankSettings(
        grpc_port=0,
        metrics_port=0,
        auth_tokens=f'{{"{TOKEN}": "disbursement"}}',
        sim_return_accounts_ending="0000",
    )
    bank_bindings = list(BANK.grpc_bindings(build_context(BANK, bank_settings)))
    bank = GrpcServer(bank_settings, bank_bindings)
    bank_port = bank.start()
    settings = DisbursementSettings(
        grpc_port=0,
        metrics_port=0,
        data_dir=tmp_path,
        database_url=database_url,
        auth_tokens=f'{{"{TOKEN}": "township-office"}}',
        client_token=TOKEN,
        shutdown_grace_seconds=0,
        bank_target=f"127.0.0.1:{bank_port}",
        bank_deadline_seconds=1,
    )
    migrate(DEFINITION, settings)
    context = build_context(DEFINITION, settings)
    server = GrpcServer(settings, list(DEFINITION.grpc_bindings(context)))
    port = server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield Reserve(
            reserve_pb2_grpc.ReserveFundServiceStub(channel),
            context,
            reserve_funds(context),
            bank_bindings[0].servicer,
        )
    finally:
        channel.close()
        server.stop(0)
        bank.stop(0)
        context.database.dispose()


def money(fen: int) -> types_pb2.Money:
    return types_pb2.Money(amount_fen=fen)


def open_fund(r: Reserve, opening_fen: int = 500_000) -> R.ReserveFund:
    return r.call(
        "OpenReserveFund",
        R.OpenReserveFundRequest(
            request_id="open-1",
            township=types_pb2.RegionCode(code=TOWNSHIP),
            opening_balance=money(opening_fen),
        ),
    ).fund


def cash_advance(amount_fen: int = 200_000, **changes: object) -> R.Advance:
    advance = R.Advance(
        township=types_pb2.RegionCode(code=TOWNSHIP),
        person=types_pb2.Person(id_number=types_pb2.IdNumber(value=PERSON), name="马有福"),
        amount=money(amount_fen),
        method=R.ADVANCE_METHOD_CASH,
        reason="房屋失火，临时安置",
        case_reference="lead_42",
        paid_by=["民政助理 李", "副乡长 王"],
        receipt_reference="收据 2026-118",
        photo_reference="photo/2026/11/28/118.jpg",
    )
    for name, value in changes.items():
        if isinstance(value, list):
            del getattr(advance, name)[:]
            getattr(advance, name).extend(value)
        else:
            setattr(advance, name, value)
    return advance


def bank_advance(account: str, amount_fen: int = 150_000) -> R.Advance:
    advance = cash_advance(amount_fen, method=R.ADVANCE_METHOD_BANK, receipt_reference="", photo_reference="")
    advance.payee_account = account
    return advance


def test_cash_is_paid_at_once_and_regularised_by_the_decision_with_the_overpayment_named(reserve) -> None:  # type: ignore[no-untyped-def]
    r = reserve
    open_fund(r)
    request = R.PayAdvanceRequest(request_id="adv-1", advance=cash_advance(200_000))
    paid = r.call("PayAdvance", request)
    assert r.call("PayAdvance", request) == paid, "a retried request answers the same"
    assert paid.advance.state == R.ADVANCE_STATE_PAID
    assert (paid.fund.balance.amount_fen, paid.fund.outstanding.amount_fen) == (300_000, 200_000)
    assert paid.advance.person.id_number.value == PERSON

    regularised = r.call(
        "RegulariseAdvance",
        R.RegulariseAdvanceRequest(
            request_id="reg-1",
            advance_id=paid.advance.advance_id,
            approved=money(150_000),
            decision_reference="临救〔2026〕118号",
        ),
    )
    assert regularised.advance.state == R.ADVANCE_STATE_REGULARISED
    assert (regularised.fund.balance.amount_fen, regularised.fund.outstanding.amount_fen) == (500_000, 0)
    assert regularised.overpaid.amount_fen == 50_000
    assert r.announced() == ["AdvancePaid", "AdvanceRegularised", "OverpaymentDetected"]

    ledger = r.call(
        "GetReserveFund",
        R.GetReserveFundRequest(
            township=types_pb2.RegionCode(code=TOWNSHIP), page=types_pb2.PageRequest(page_size=2)
        ),
    )
    assert [(e.kind, e.amount.amount_fen, e.balance_after.amount_fen) for e in ledger.entries] == [
        (R.RESERVE_ENTRY_KIND_OPENING, 500_000, 500_000),
        (R.RESERVE_ENTRY_KIND_ADVANCE, -200_000, 300_000),
    ]
    rest = r.call(
        "GetReserveFund",
        R.GetReserveFundRequest(
            township=types_pb2.RegionCode(code=TOWNSHIP),
            page=types_pb2.PageRequest(page_size=2, page_token=ledger.page.next_page_token),
        ),
    )
    assert [e.kind for e in rest.entries] == [R.RESERVE_ENTRY_KIND_REPLENISHMENT]
    assert not rest.page.next_page_token


def test_an_advance_that_would_overdraw_the_fund_is_refused_and_nothing_moves(reserve) -> None:  # type: ignore[no-untyped-def]
    r = reserve
    open_fund(r, 100_000)
    error = r.error("PayAdvance", R.PayAdvanceRequest(request_id="adv-big", advance=cash_advance(100_001)))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "escalate to the county" in error.details()
    fund = r.call(
        "GetReserveFund", R.GetReserveFundRequest(township=types_pb2.RegionCode(code=TOWNSHIP))
    ).fund
    assert (fund.balance.amount_fen, fund.outstanding.amount_fen) == (100_000, 0)
    assert r.announced() == []


def test_a_bank_advance_is_paid_by_the_bank_pass_and_a_returned_one_comes_back_into_the_fund(reserve) -> None:  # type: ignore[no-untyped-def]
    r = reserve
    open_fund(r)
    good = r.call(
        "PayAdvance", R.PayAdvanceRequest(request_id="adv-b1", advance=bank_advance("6228480012345678"))
    )
    bad = r.call(
        "PayAdvance", R.PayAdvanceRequest(request_id="adv-b2", advance=bank_advance("6228480000000000"))
    )
    assert good.advance.state == R.ADVANCE_STATE_PENDING_BANK
    assert "*" in good.advance.payee_account, "the account is masked in every answer"
    assert bad.fund.balance.amount_fen == 200_000
    while r.use_cases.send_advances():
        pass
    states = {
        name: r.call("GetAdvance", R.GetAdvanceRequest(advance_id=reply.advance.advance_id)).advance.state
        for name, reply in (("good", good), ("bad", bad))
    }
    assert states == {"good": R.ADVANCE_STATE_PAID, "bad": R.ADVANCE_STATE_RETURNED}
    fund = r.call(
        "GetReserveFund", R.GetReserveFundRequest(township=types_pb2.RegionCode(code=TOWNSHIP))
    ).fund
    assert (fund.balance.amount_fen, fund.outstanding.amount_fen) == (350_000, 150_000)
    assert r.use_cases.send_advances() == 0, "nothing is left for the bank"
    assert r.bank.ledger.paid_count() == 2, "each advance was booked by the bank once"
    assert r.announced() == ["AdvancePaid"]


def test_a_malformed_advance_names_every_field_at_fault(reserve) -> None:  # type: ignore[no-untyped-def]
    r = reserve
    open_fund(r)
    bad = cash_advance(
        0,
        method=R.ADVANCE_METHOD_UNSPECIFIED,
        receipt_reference="",
        paid_by=["李"],
    )
    bad.person.id_number.value = PERSON[:-1] + ("0" if PERSON[-1] != "0" else "1")
    error = r.error("PayAdvance", R.PayAdvanceRequest(request_id="", advance=bad))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    fields = {field for field, _ in field_violations_from(error)}
    assert {"request_id", "advance.method", "advance.amount", "advance.person.id_number"} <= fields
