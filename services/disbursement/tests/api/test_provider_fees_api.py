"""Care providers' monthly fees through disbursement (DOMAIN §9.3, §13 H14), over real gRPC with the bank
simulator: care's ProviderFeeSettled, heard through the inbox, is owed until the county registers the
provider's account; the county's next run pays it as a line of its own, inside the control totals, once
per (provider, month) whatever is heard again; a returned fee is corrected and re-issued like any payment."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from kafka.consumer.fetcher import ConsumerRecord
from sqlalchemy import text

from doudi.care.v1 import care_pb2
from doudi.care.v1 import events_pb2 as care_events
from doudi.common.v1 import programme_pb2, types_pb2
from doudi.disbursement.v1 import disbursement_pb2
from doudi.eligibility.v1.events_pb2 import EntitlementActivated
from doudi_contracts.topics import topic
from doudi_disbursement.domain.provider_fees import UnusableSettlement
from doudi_disbursement.main import DEFINITION
from doudi_runtime.events.consumer import EventConsumer
from doudi_runtime.events.envelope import encode, new_envelope
from doudi_runtime.grpc.errors import field_violations_from

from .test_derived_payments_api import entitlement, pay
from .test_payroll_api import (
    AS_CLERK,
    COUNTY,
    TOWNSHIPS,
    Payroll,
    all_payments,
    deliver,
    disbursement,
    generate,
    get_run,
)

__all__ = ["disbursement"]

WORK_ORDERS = topic("doudi.care.workorder.v1").name
PROVIDER = "prov_anle"
OTHER_COUNTY = "640403000000"
FEE = programme_pb2.BENEFIT_COMPONENT_PROVIDER_FEE
BASE = programme_pb2.BENEFIT_COMPONENT_BASE
H14_KEY = "TEKUN:prov_anle:2026-06:PROVIDER_FEE"


def money(fen: int) -> types_pb2.Money:
    return types_pb2.Money(amount_fen=fen)


def settled(
    payable: int = 9_600, gross: int = 12_000, period: str = "2026-06", settlement_id: str = "settle_h14"
) -> care_events.ProviderFeeSettled:
    """H14: 1 of 2 orders completed at 120 yuan, average satisfaction 2 < 3 takes 20%: 120 − 24 = 96."""
    at = types_pb2.Period(month=period)
    return care_events.ProviderFeeSettled(
        settlement=care_pb2.ProviderSettlement(
            settlement_id=settlement_id,
            provider_id=PROVIDER,
            period=at,
            planned=2,
            paid_services=1,
            missed=1,
            average_score_x100=200,
            gross=money(gross),
            deductions=money(gross - payable),
            payable=money(payable),
        )
    )


class Inbox:
    """Hands care's events to disbursement's consumer as Kafka would, through the inbox."""

    def __init__(self, p: Payroll) -> None:
        context = p.context
        self.consumer = EventConsumer(
            context.database,
            context.store.messaging,
            context.settings,
            group_id="doudi-disbursement",
            subscriptions=list(DEFINITION.subscriptions(context)),
        )
        self.offset = 0

    def deliver(self, data: bytes) -> str:
        self.offset += 1
        record = ConsumerRecord(
            WORK_ORDERS, 0, -1, self.offset, 0, 0, b"prov", data, [], None, 1, len(data), 0
        )
        return self.consumer.handle_record(record)


def envelope(event: care_events.ProviderFeeSettled) -> bytes:
    return encode(new_envelope(event, producer="care", subject_key=PROVIDER))


@pytest.fixture
def inbox(disbursement: Payroll) -> Iterator[Inbox]:
    yield Inbox(disbursement)


def register(p: Payroll, request_id: str, account: str = "6228480000000099", region: str = COUNTY):  # type: ignore[no-untyped-def]
    return p.stub.RegisterProviderAccount(
        disbursement_pb2.RegisterProviderAccountRequest(
            request_id=request_id,
            provider_id=PROVIDER,
            region=types_pb2.RegionCode(code=region),
            account_name="安乐居家养老服务中心",
            account_number=account,
        ),
        metadata=AS_CLERK,
        timeout=10,
    )


def provider(p: Payroll) -> disbursement_pb2.GetProviderAccountResponse:
    return p.stub.GetProviderAccount(
        disbursement_pb2.GetProviderAccountRequest(provider_id=PROVIDER), metadata=AS_CLERK, timeout=10
    )


def generated(p: Payroll, request_id: str, period: str) -> disbursement_pb2.Run:
    run = generate(p, request_id, period)
    p.use_cases.generate_shards()
    return get_run(p, run.run_id)


def fee_lines(p: Payroll, run_id: str) -> list[disbursement_pb2.Payment]:
    return [x for x in all_payments(p, run_id) if x.component == FEE]


def test_h14_the_providers_june_fee_of_96_goes_from_care_to_the_bank_once(disbursement, inbox) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    deliver(p, EntitlementActivated(entitlement=entitlement("zhou", 106_200)))  # H14: 1,062 a month
    data = envelope(settled())
    assert inbox.deliver(data) == "handled"
    assert inbox.deliver(data) == "duplicate", "a redelivered settlement finds its inbox row"

    july = generated(p, "gen-jul", "2026-07")
    assert fee_lines(p, july.run_id) == [], "no account yet: the fee waits"
    assert [s.township.code for s in july.shards] == [TOWNSHIPS[0]]

    registered = register(p, "acct-1")
    assert registered.account.masked_account.endswith("0099")
    assert "622848" not in registered.account.masked_account
    assert registered.previous_masked_account == ""
    (owed,) = provider(p).fees
    assert (
        owed.period.month,
        owed.gross.amount_fen,
        owed.deductions.amount_fen,
        owed.payable.amount_fen,
    ) == (
        "2026-06",
        12_000,
        2_400,
        9_600,
    )
    assert owed.payment_id == ""

    august = generated(p, "gen-aug", "2026-08")
    assert [s.township.code for s in august.shards] == [COUNTY, TOWNSHIPS[0]]
    (line,) = fee_lines(p, august.run_id)
    assert (line.beneficiary_id, line.period.month, line.amount.amount_fen) == (PROVIDER, "2026-06", 9_600)
    assert line.idempotency_key == H14_KEY
    assert line.programme == programme_pb2.PROGRAMME_TEKUN
    assert (august.payment_count, august.total_fen) == (2, 106_200 + 9_600), "inside the control totals"

    assert pay(p, august).state == disbursement_pb2.RUN_STATE_CLOSED
    (booking,) = p.bank.ledger.bookings(":PROVIDER_FEE")
    assert (booking.idempotency_key, booking.amount_fen, booking.account_number, booking.result) == (
        H14_KEY,
        9_600,
        "6228480000000099",
        "SETTLED",
    )
    assert provider(p).fees[0].payment_id == line.payment_id

    # Care's outbox publishing the settlement again (a new event id) pays nothing more.
    assert inbox.deliver(envelope(settled())) == "handled"
    september = generated(p, "gen-sep", "2026-09")
    assert fee_lines(p, september.run_id) == []
    assert [s.township.code for s in september.shards] == [TOWNSHIPS[0]]
    assert len(p.bank.ledger.bookings(":PROVIDER_FEE")) == 1


def test_a_second_settlement_of_a_month_with_another_amount_is_refused(disbursement, inbox) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    assert inbox.deliver(envelope(settled())) == "handled"
    (subscription,) = [s for s in DEFINITION.subscriptions(p.context) if s.topic == WORK_ORDERS]
    conflicting = new_envelope(
        settled(payable=12_000, settlement_id="settle_again"), producer="care", subject_key="k"
    )
    with pytest.raises(UnusableSettlement, match="refused"), p.context.database.transaction() as session:
        subscription.handler(session, conflicting)
    register(p, "acct-1")
    assert [f.payable.amount_fen for f in provider(p).fees] == [9_600]
    run = generated(p, "gen-jul", "2026-07")
    assert [x.amount.amount_fen for x in fee_lines(p, run.run_id)] == [9_600]


def test_a_settlement_whose_figures_do_not_add_up_is_not_owed(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    (subscription,) = [s for s in DEFINITION.subscriptions(p.context) if s.topic == WORK_ORDERS]
    wrong = settled()
    wrong.settlement.payable.amount_fen = 12_000  # gross 120, deductions 24, yet 120 payable
    with pytest.raises(UnusableSettlement), p.context.database.transaction() as session:
        subscription.handler(session, new_envelope(wrong, producer="care", subject_key="k"))


def test_a_returned_fee_is_corrected_and_reissued_and_later_fees_use_the_new_account(
    disbursement, inbox
) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    deliver(p, EntitlementActivated(entitlement=entitlement("zhou", 106_200)))
    inbox.deliver(envelope(settled()))
    register(p, "acct-closed", account="6228480000000000")  # the bank returns it: account closed
    july = pay(p, generated(p, "gen-jul", "2026-07"))
    assert july.state == disbursement_pb2.RUN_STATE_CLOSED
    (returned,) = p.stub.ListPaymentsToResolve(
        disbursement_pb2.ListPaymentsToResolveRequest(region=types_pb2.RegionCode(code=COUNTY)),
        metadata=AS_CLERK,
        timeout=10,
    ).payments
    assert (returned.idempotency_key, returned.state) == (H14_KEY, disbursement_pb2.PAYMENT_STATE_RETURNED)

    p.stub.CorrectPaymentAccount(
        disbursement_pb2.CorrectPaymentAccountRequest(
            request_id="fix-1", payment_id=returned.payment_id, account_number="6228480000000077"
        ),
        metadata=AS_CLERK,
        timeout=10,
    )
    assert provider(p).account.masked_account.endswith("0077"), "later fees go to the corrected account"
    p.stub.ReissuePayment(
        disbursement_pb2.ReissuePaymentRequest(request_id="again-1", payment_id=returned.payment_id),
        metadata=AS_CLERK,
        timeout=10,
    )
    while p.use_cases.send_to_bank():
        pass
    p.use_cases.reconcile()
    bookings = {b.idempotency_key: b for b in p.bank.ledger.bookings(":PROVIDER_FEE")}
    assert sorted(bookings) == [H14_KEY, f"{H14_KEY}@2"]
    assert (bookings[f"{H14_KEY}@2"].account_number, bookings[f"{H14_KEY}@2"].result) == (
        "6228480000000077",
        "SETTLED",
    )

    inbox.deliver(envelope(settled(payable=12_000, gross=12_000, period="2026-07", settlement_id="s_jul")))
    (august_line,) = fee_lines(p, generated(p, "gen-aug", "2026-08").run_id)
    assert (august_line.period.month, august_line.amount.amount_fen) == ("2026-07", 12_000)
    assert august_line.masked_account.endswith("0077")


def test_a_cancelled_run_gives_the_fee_back_to_the_next_run(disbursement, inbox) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    inbox.deliver(envelope(settled()))
    register(p, "acct-1")
    july = generated(p, "gen-jul", "2026-07")
    assert [s.township.code for s in july.shards] == [COUNTY], "a county with fees only still has a run"
    assert (july.payment_count, july.total_fen) == (1, 9_600)
    p.stub.CancelRun(
        disbursement_pb2.CancelRunRequest(request_id="cancel-1", run_id=july.run_id, reason="名单有误"),
        metadata=AS_CLERK,
        timeout=10,
    )
    again = generated(p, "gen-jul-2", "2026-07")
    assert [x.idempotency_key for x in fee_lines(p, again.run_id)] == [H14_KEY]


def test_registering_an_account_is_idempotent_validated_and_audited_masked(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    first = register(p, "acct-1")
    assert register(p, "acct-1") == first, "the same request again gets the first answer"
    corrected = register(p, "acct-2", account="6228 4800 0000 0055")
    assert corrected.account.masked_account.endswith("0055")
    assert corrected.previous_masked_account.endswith("0099")
    assert "622848" not in corrected.previous_masked_account

    with pytest.raises(grpc.RpcError) as raised:
        register(p, "acct-2", account="6228480000000066")
    assert raised.value.code() is grpc.StatusCode.ALREADY_EXISTS
    with pytest.raises(grpc.RpcError) as raised:
        register(p, "acct-3", region=OTHER_COUNTY)
    assert raised.value.code() is grpc.StatusCode.FAILED_PRECONDITION, "one county pays a provider"
    with pytest.raises(grpc.RpcError) as raised:
        p.stub.RegisterProviderAccount(
            disbursement_pb2.RegisterProviderAccountRequest(
                request_id="acct-4", region=types_pb2.RegionCode(code=TOWNSHIPS[0]), account_number="12"
            ),
            metadata=AS_CLERK,
            timeout=10,
        )
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert sorted(f for f, _ in field_violations_from(raised.value)) == [
        "account_name",
        "account_number",
        "provider_id",
        "region",
    ]
    with pytest.raises(grpc.RpcError) as raised:
        p.stub.GetProviderAccount(
            disbursement_pb2.GetProviderAccountRequest(provider_id="prov_unknown"),
            metadata=AS_CLERK,
            timeout=10,
        )
    assert raised.value.code() is grpc.StatusCode.NOT_FOUND

    with p.context.database.read() as session:
        audited = session.execute(
            text(
                "SELECT after_json FROM audit_records WHERE method LIKE '%RegisterProviderAccount' "
                "ORDER BY sequence"
            )
        ).all()
    assert len(audited) == 3, "the registration, its replay and the correction"
    assert "0055" in audited[-1].after_json and "0099" in audited[-1].after_json, "after and before, masked"
    assert not any("622848" in row.after_json for row in audited), "never a full account number"
