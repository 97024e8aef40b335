"""Arrears, overpayment recovery, derived payments and re-issue of returned payments through disbursement's
gRPC API, with the bank simulator over a real socket: DOMAIN §13 H13 (arrears 580 after a revoked
sanction), H11 (overpayment 570 recovered by offsets of at most 30%), H03 (price subsidy 24 for a couple
in a 3.8% CPI month), and a returned payment paid on its second attempt without a second payment of the
same identity."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select, text

from doudi.common.v1 import programme_pb2, types_pb2
from doudi.disbursement.v1 import disbursement_pb2, events_pb2
from doudi.eligibility.v1 import eligibility_pb2
from doudi.eligibility.v1 import events_pb2 as eligibility_events
from doudi_disbursement.main import DEFINITION
from doudi_disbursement.store import tables
from doudi_runtime.events.envelope import decode, new_envelope, unpack
from doudi_runtime.grpc.errors import field_violations_from

from .test_payroll_api import (
    AS_CLERK,
    COUNTY,
    TOWNSHIPS,
    Payroll,
    all_payments,
    approve,
    deliver,
    disbursement,
    every_page,
    generate,
    get_run,
)

__all__ = ["disbursement"]

BASE = programme_pb2.BENEFIT_COMPONENT_BASE
ARREARS = programme_pb2.BENEFIT_COMPONENT_ARREARS
RECOVERY = programme_pb2.BENEFIT_COMPONENT_RECOVERY


def entitlement(
    entitlement_id: str, amount_fen: int, start: str = "2026-01", account: str = "6228480000000013"
) -> eligibility_pb2.Entitlement:
    return eligibility_pb2.Entitlement(
        entitlement_id=entitlement_id,
        subject_id=f"hh_{entitlement_id}",
        programme=programme_pb2.PROGRAMME_DIBAO,
        state=eligibility_pb2.ENTITLEMENT_STATE_ACTIVE,
        monthly_amount=types_pb2.Money(amount_fen=amount_fen),
        start_month=types_pb2.Period(month=start),
        region=types_pb2.RegionCode(code=TOWNSHIPS[0]),
        components=[
            eligibility_pb2.EntitlementComponent(
                component=BASE, monthly_amount=types_pb2.Money(amount_fen=amount_fen)
            )
        ],
        payee=eligibility_pb2.Payee(account_name="吴", account_number=account),
    )


def changed(entitlement_id: str, amount_fen: int, effective: str, **extra: object):  # type: ignore[no-untyped-def]
    return eligibility_events.EntitlementChanged(
        after=entitlement(entitlement_id, amount_fen),
        effective_month=types_pb2.Period(month=effective),
        reason="复议撤销" if extra else "拒绝就业三次：停发子女份额",
        **extra,
    )


def deliver_at(p: Payroll, event, when: datetime) -> None:  # type: ignore[no-untyped-def]
    subscription, *_others = DEFINITION.subscriptions(p.context)
    envelope = new_envelope(event, producer="eligibility", subject_key="k")
    envelope.occurred_at.FromDatetime(when)
    with p.context.database.transaction() as session:
        subscription.handler(session, envelope)


def announced(p: Payroll, message_type):  # type: ignore[no-untyped-def]
    outbox = p.context.store.messaging.outbox
    with p.context.database.read() as session:
        rows = session.execute(select(outbox.c.envelope)).all()
    envelopes = [decode(row.envelope) for row in rows]
    return [unpack(e, message_type) for e in envelopes if e.event_type == message_type.DESCRIPTOR.full_name]


def lines(payments: list[disbursement_pb2.Payment]) -> list[tuple[str, int, int]]:
    return sorted((x.period.month, x.component, x.amount.amount_fen) for x in payments)


def pay(p: Payroll, run: disbursement_pb2.Run) -> disbursement_pb2.Run:
    approve(p, get_run(p, run.run_id))
    while p.use_cases.send_to_bank():
        pass
    p.use_cases.reconcile()
    return get_run(p, run.run_id)


# ------------------------------------------------------------------------------------------ arrears


def test_h13_the_revoked_sanction_is_paid_as_arrears_580_for_april_and_may_once(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    deliver(p, eligibility_events.EntitlementActivated(entitlement=entitlement("wu", 87_000)))
    deliver(p, changed("wu", 58_000, "2026-04"))
    reversal = changed(
        "wu",
        87_000,
        "2026-06",
        reversed_decision_id="dec_sanction",
        arrears=types_pb2.Money(amount_fen=58_000),
    )
    deliver(p, reversal)
    deliver(p, reversal)  # heard twice: the arrears are owed once

    june = generate(p, "gen-jun", "2026-06")
    p.use_cases.generate_shards()
    june = get_run(p, june.run_id)
    assert lines(all_payments(p, june.run_id)) == [
        ("2026-04", ARREARS, 29_000),
        ("2026-05", ARREARS, 29_000),
        ("2026-06", BASE, 87_000),
    ]
    assert june.total_fen == 87_000 + 58_000
    assert pay(p, june).state == disbursement_pb2.RUN_STATE_CLOSED
    assert p.bank.ledger.paid_count() == 3

    july = generate(p, "gen-jul", "2026-07")
    p.use_cases.generate_shards()
    assert lines(all_payments(p, july.run_id)) == [("2026-07", BASE, 87_000)], "arrears are paid once"


def test_a_suspension_lifted_in_the_households_favour_pays_the_held_months(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    deliver(p, eligibility_events.EntitlementActivated(entitlement=entitlement("lee", 56_000)))
    deliver_at(
        p,
        eligibility_events.EntitlementSuspended(entitlement=entitlement("lee", 56_000), reason="联系不上"),
        datetime(2026, 3, 10, 2, 0, tzinfo=UTC),
    )
    resumed = eligibility_events.EntitlementActivated(
        entitlement=entitlement("lee", 56_000, start="2026-06"), arrears=types_pb2.Money(amount_fen=112_000)
    )
    deliver(p, resumed)
    may = generate(p, "gen-may", "2026-05")
    p.use_cases.generate_shards()
    assert lines(all_payments(p, may.run_id)) == [
        ("2026-04", ARREARS, 56_000),
        ("2026-05", ARREARS, 56_000),
    ], "a held month is paid as arrears, never also as its monthly line"
    june = generate(p, "gen-jun", "2026-06")
    p.use_cases.generate_shards()
    assert lines(all_payments(p, june.run_id)) == [("2026-06", BASE, 56_000)]


# ----------------------------------------------------------------------------------------- recovery


def record_overpayment(p: Payroll, request_id: str = "ovp-1", amount: int = 57_000, **fields: object):  # type: ignore[no-untyped-def]
    request = disbursement_pb2.RecordOverpaymentRequest(
        request_id=request_id,
        beneficiary_id="hh_gao",
        programme=programme_pb2.PROGRAMME_DIBAO,
        amount=types_pb2.Money(amount_fen=amount),
        reason="跨县重复：5–6月按795元发放，应为510元",
        decision_reference="县民政〔2026〕追缴12号",
    )
    for name, value in fields.items():
        setattr(request, name, value)
    return p.stub.RecordOverpayment(request, metadata=AS_CLERK, timeout=10).overpayment


def get_overpayment(p: Payroll, overpayment_id: str) -> disbursement_pb2.Overpayment:
    return p.stub.GetOverpayment(
        disbursement_pb2.GetOverpaymentRequest(overpayment_id=overpayment_id), metadata=AS_CLERK, timeout=10
    ).overpayment


def test_h11_the_570_overpaid_is_recovered_by_offsets_of_at_most_30_percent(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    deliver(p, eligibility_events.EntitlementActivated(entitlement=entitlement("gao", 51_000)))
    overpayment = record_overpayment(p)
    again = record_overpayment(p)
    assert again.overpayment_id == overpayment.overpayment_id, "a retried request records nothing more"
    assert (overpayment.balance.amount_fen, overpayment.state) == (
        57_000,
        disbursement_pb2.OVERPAYMENT_STATE_OPEN,
    )
    (detected,) = announced(p, events_pb2.OverpaymentDetected)
    assert (detected.overpayment_id, detected.beneficiary_id, detected.amount_fen) == (
        overpayment.overpayment_id,
        "hh_gao",
        57_000,
    )

    offsets, net = [], []
    for month in ("2026-07", "2026-08", "2026-09", "2026-10", "2026-11"):
        run = generate(p, f"gen-{month}", month)
        p.use_cases.generate_shards()
        payments = all_payments(p, run.run_id)
        offsets += [-x.amount.amount_fen for x in payments if x.component == RECOVERY]
        net.append(get_run(p, run.run_id).total_fen)
    assert offsets == [15_300, 15_300, 15_300, 11_100]
    assert net == [35_700, 35_700, 35_700, 39_900, 51_000], "each month keeps at least 70%"

    recovered = get_overpayment(p, overpayment.overpayment_id)
    assert (recovered.recovered.amount_fen, recovered.balance.amount_fen) == (57_000, 0)
    assert recovered.state == disbursement_pb2.OVERPAYMENT_STATE_RECOVERED
    assert [o.period.month for o in recovered.offsets] == ["2026-07", "2026-08", "2026-09", "2026-10"]
    assert REGISTRY.get_sample_value("doudi_disbursement_overpayment_offset_fen_total") >= 57_000


def test_a_repayment_reduces_what_later_months_offset_and_never_exceeds_the_balance(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    deliver(p, eligibility_events.EntitlementActivated(entitlement=entitlement("gao", 51_000)))
    overpayment = record_overpayment(p)

    def repay(request_id: str, amount: int) -> disbursement_pb2.Overpayment:
        return p.stub.RecordRepayment(
            disbursement_pb2.RecordRepaymentRequest(
                request_id=request_id,
                overpayment_id=overpayment.overpayment_id,
                amount=types_pb2.Money(amount_fen=amount),
                reference="退款收据 0031",
            ),
            metadata=AS_CLERK,
            timeout=10,
        ).overpayment

    repaid = repay("rp-1", 20_000)
    assert (repaid.repaid.amount_fen, repaid.balance.amount_fen) == (20_000, 37_000)
    assert repay("rp-1", 20_000).balance.amount_fen == 37_000, "a retried repayment counts once"
    with pytest.raises(grpc.RpcError) as raised:
        repay("rp-2", 37_001)
    assert [f for f, _ in field_violations_from(raised.value)] == ["amount.amount_fen"]

    offsets = []
    for month in ("2026-07", "2026-08", "2026-09"):
        run = generate(p, f"gen-{month}", month)
        p.use_cases.generate_shards()
        offsets += [-x.amount.amount_fen for x in all_payments(p, run.run_id) if x.component == RECOVERY]
    assert offsets == [15_300, 15_300, 6_400]
    assert (
        get_overpayment(p, overpayment.overpayment_id).state == disbursement_pb2.OVERPAYMENT_STATE_RECOVERED
    )


def test_the_bank_is_paid_net_of_the_offset_and_a_cancelled_run_gives_the_offset_back(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    deliver(p, eligibility_events.EntitlementActivated(entitlement=entitlement("gao", 51_000)))
    overpayment = record_overpayment(p)
    first = generate(p, "gen-1", "2026-07")
    p.use_cases.generate_shards()
    p.stub.CancelRun(
        disbursement_pb2.CancelRunRequest(request_id="c-1", run_id=first.run_id, reason="名单有误"),
        metadata=AS_CLERK,
        timeout=10,
    )
    assert get_overpayment(p, overpayment.overpayment_id).balance.amount_fen == 57_000

    run = generate(p, "gen-2", "2026-07")
    p.use_cases.generate_shards()
    run = pay(p, run)
    assert run.state == disbursement_pb2.RUN_STATE_CLOSED
    assert dict(run.payments_by_state) == {"SETTLED": 2}, "the offset settles with its carrier"
    assert p.bank.ledger.paid_count() == 1, "one order: the month's payment less the offset"
    assert get_overpayment(p, overpayment.overpayment_id).balance.amount_fen == 57_000 - 15_300


def test_an_overpayment_needs_a_beneficiary_on_the_roster_and_names_its_bad_fields(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    with pytest.raises(grpc.RpcError) as raised:
        record_overpayment(p, "bad", amount=-5, reason="", decision_reference="")
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert {f for f, _ in field_violations_from(raised.value)} == {
        "amount.amount_fen",
        "reason",
        "decision_reference",
    }
    with pytest.raises(grpc.RpcError) as raised:
        record_overpayment(p, "unknown")
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND


# ------------------------------------------------------------------------------------------ re-issue


def to_resolve(p: Payroll, region: str, *states: int, size: int = 10) -> list[disbursement_pb2.Payment]:
    return every_page(
        lambda token: p.stub.ListPaymentsToResolve(
            disbursement_pb2.ListPaymentsToResolveRequest(
                region=types_pb2.RegionCode(code=region),
                states=list(states),
                page=types_pb2.PageRequest(page_size=size, page_token=token),
            ),
            metadata=AS_CLERK,
            timeout=10,
        ),
        "payments",
    )


def test_a_returned_payment_is_held_corrected_and_paid_on_its_second_attempt(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    for index in range(3):
        deliver(
            p,
            eligibility_events.EntitlementActivated(
                entitlement=entitlement(f"closed{index}", 56_000, account=f"62284800000{index}0000")
            ),
        )
    run = generate(p, "gen-1", "2026-07")
    p.use_cases.generate_shards()
    assert pay(p, run).state == disbursement_pb2.RUN_STATE_CLOSED

    returned = to_resolve(p, TOWNSHIPS[0], size=2)
    assert len(returned) == 3 and {x.state for x in returned} == {disbursement_pb2.PAYMENT_STATE_RETURNED}
    assert to_resolve(p, TOWNSHIPS[1]) == [], "another township's list is empty"
    target = returned[0]

    held = p.stub.HoldPayment(
        disbursement_pb2.HoldPaymentRequest(
            request_id="h-1", payment_id=target.payment_id, reason="待核实账户"
        ),
        metadata=AS_CLERK,
        timeout=10,
    ).payment
    assert held.state == disbursement_pb2.PAYMENT_STATE_HELD
    assert [x.payment_id for x in to_resolve(p, TOWNSHIPS[0], disbursement_pb2.PAYMENT_STATE_HELD)] == [
        target.payment_id
    ]

    corrected = p.stub.CorrectPaymentAccount(
        disbursement_pb2.CorrectPaymentAccountRequest(
            request_id="fix-1",
            payment_id=target.payment_id,
            account_name="吴",
            account_number="6228480000001234",
        ),
        metadata=AS_CLERK,
        timeout=10,
    ).payment
    assert corrected.masked_account.endswith("1234") and "*" in corrected.masked_account
    with p.context.database.read() as session:
        (audited,) = session.execute(
            text(
                "SELECT before_json, after_json FROM audit_records WHERE method LIKE '%CorrectPaymentAccount'"
            )
        ).all()
    assert corrected.masked_account in audited.after_json
    assert target.masked_account in audited.before_json, "the account before is recorded, masked"
    assert "622848" not in audited.before_json + audited.after_json, "never a full account number"

    reissue = disbursement_pb2.ReissuePaymentRequest(request_id="re-1", payment_id=target.payment_id)
    reissued = p.stub.ReissuePayment(reissue, metadata=AS_CLERK, timeout=10).payment
    assert p.stub.ReissuePayment(reissue, metadata=AS_CLERK, timeout=10).payment.attempt == 2
    assert [e.payment.payment_id for e in announced(p, events_pb2.PaymentReissued)] == [target.payment_id]
    assert [e.payment.attempt for e in announced(p, events_pb2.PaymentHeld)] == [1]
    assert (reissued.state, reissued.attempt, reissued.bank_key) == (
        disbursement_pb2.PAYMENT_STATE_PENDING,
        2,
        f"{target.idempotency_key}@2",
    )
    while p.use_cases.send_to_bank():
        pass
    p.use_cases.reconcile()

    payments = all_payments(p, run.run_id)
    assert len(payments) == 3, "the re-issue is the same payment, not a new one"
    paid = next(x for x in payments if x.payment_id == target.payment_id)
    assert (paid.state, paid.idempotency_key) == (
        disbursement_pb2.PAYMENT_STATE_SETTLED,
        target.idempotency_key,
    )
    assert p.bank.ledger.paid_count() == 4, "three first attempts answered, and one second attempt"
    assert len(to_resolve(p, TOWNSHIPS[0])) == 2

    with pytest.raises(grpc.RpcError) as raised:
        p.stub.ReissuePayment(
            disbursement_pb2.ReissuePaymentRequest(request_id="re-2", payment_id=target.payment_id),
            metadata=AS_CLERK,
            timeout=10,
        )
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION, "a settled payment is never sent again"

    august = generate(p, "gen-2", "2026-08")
    p.use_cases.generate_shards()
    later = next(x for x in all_payments(p, august.run_id) if x.beneficiary_id == target.beneficiary_id)
    assert later.masked_account.endswith("1234"), "later months go to the corrected account"


def test_a_bad_account_is_refused_with_its_field(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    with pytest.raises(grpc.RpcError) as raised:
        p.stub.CorrectPaymentAccount(
            disbursement_pb2.CorrectPaymentAccountRequest(
                request_id="x", payment_id="", account_number="12ab"
            ),
            metadata=AS_CLERK,
            timeout=10,
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert {f for f, _ in field_violations_from(raised.value)} == {"payment_id", "account_number"}


# ------------------------------------------------------------------------------- derived payments


def declare(p: Payroll, kind: int, period: str, request_id: str, **amounts: int):  # type: ignore[no-untyped-def]
    return p.stub.DeclareDerivedPayment(
        disbursement_pb2.DeclareDerivedPaymentRequest(
            request_id=request_id,
            kind=kind,
            region=types_pb2.RegionCode(code=COUNTY),
            period=types_pb2.Period(month=period),
            amounts=[
                disbursement_pb2.DerivedAmount(
                    programme=programme_pb2.Programme.Value(f"PROGRAMME_{name}"),
                    amount=types_pb2.Money(amount_fen=fen),
                )
                for name, fen in amounts.items()
            ],
            reference="统计局发布：7月CPI同比3.8%",
        ),
        metadata=AS_CLERK,
        timeout=10,
    ).declaration


def h03_couple(p: Payroll) -> None:
    couple = entitlement("zhang", 56_000)
    couple.covered_persons = 2
    deliver(p, eligibility_events.EntitlementActivated(entitlement=couple))


def test_h03_the_price_subsidy_of_a_38_percent_month_pays_the_couple_24(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    h03_couple(p)
    price = disbursement_pb2.DERIVED_KIND_PRICE_SUBSIDY
    declared = declare(p, price, "2026-07", "cpi-jul", DIBAO=1_200, TEKUN=1_600)
    assert declare(p, price, "2026-07", "cpi-jul", DIBAO=1_200, TEKUN=1_600) == declared
    with pytest.raises(grpc.RpcError) as raised:
        declare(p, price, "2026-07", "cpi-jul-again", DIBAO=1_500)
    assert raised.value.code() == grpc.StatusCode.ALREADY_EXISTS, "a month pays one price subsidy"

    july = generate(p, "gen-jul", "2026-07")
    p.use_cases.generate_shards()
    assert lines(all_payments(p, july.run_id)) == [
        ("2026-07", BASE, 56_000),
        ("2026-07", programme_pb2.BENEFIT_COMPONENT_PRICE_SUBSIDY, 2_400),
    ]
    assert pay(p, july).state == disbursement_pb2.RUN_STATE_CLOSED
    august = generate(p, "gen-aug", "2026-08")
    p.use_cases.generate_shards()
    assert lines(all_payments(p, august.run_id)) == [("2026-08", BASE, 56_000)]


def test_a_trigger_published_after_the_run_was_released_is_paid_once_by_the_next_run(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    h03_couple(p)
    july = generate(p, "gen-jul", "2026-07")
    p.use_cases.generate_shards()
    pay(p, july)
    declare(p, disbursement_pb2.DERIVED_KIND_PRICE_SUBSIDY, "2026-07", "cpi-jul", DIBAO=1_200)
    electricity = disbursement_pb2.DERIVED_KIND_ELECTRICITY
    declare(p, electricity, "2026-08", "elec-2026", DIBAO=6_000)
    with pytest.raises(grpc.RpcError) as raised:
        declare(p, electricity, "2026-09", "elec-2026-again", DIBAO=6_000)
    assert raised.value.code() == grpc.StatusCode.ALREADY_EXISTS, "electricity is once a year"

    august = generate(p, "gen-aug", "2026-08")
    p.use_cases.generate_shards()
    assert lines(all_payments(p, august.run_id)) == [
        ("2026-07", programme_pb2.BENEFIT_COMPONENT_PRICE_SUBSIDY, 2_400),
        ("2026-08", BASE, 56_000),
        ("2026-08", programme_pb2.BENEFIT_COMPONENT_ELECTRICITY, 6_000),
    ]
    september = generate(p, "gen-sep", "2026-09")
    p.use_cases.generate_shards()
    assert lines(all_payments(p, september.run_id)) == [("2026-09", BASE, 56_000)]
    listed = p.stub.ListDerivedPayments(
        disbursement_pb2.ListDerivedPaymentsRequest(region=types_pb2.RegionCode(code=COUNTY)),
        metadata=AS_CLERK,
        timeout=10,
    ).declarations
    assert [(d.period.month, d.kind) for d in listed] == [
        ("2026-08", electricity),
        ("2026-07", disbursement_pb2.DERIVED_KIND_PRICE_SUBSIDY),
    ]


def test_a_countys_declarations_are_listed_newest_month_first_a_page_at_a_time(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    price = disbursement_pb2.DERIVED_KIND_PRICE_SUBSIDY
    one_off = disbursement_pb2.DERIVED_KIND_ONE_OFF
    for month in ("2026-05", "2026-06", "2026-07"):
        declare(p, price, month, f"cpi-{month}", DIBAO=1_200)
    declare(p, one_off, "2026-06", "festival-2026", DIBAO=20_000)

    seen: list[tuple[str, int]] = []
    token = ""
    while True:
        answer = p.stub.ListDerivedPayments(
            disbursement_pb2.ListDerivedPaymentsRequest(
                region=types_pb2.RegionCode(code=COUNTY),
                page=types_pb2.PageRequest(page_size=3, page_token=token),
            ),
            metadata=AS_CLERK,
            timeout=10,
        )
        assert len(answer.declarations) <= 3
        seen += [(d.period.month, d.kind) for d in answer.declarations]
        token = answer.page.next_page_token
        if not token:
            break
    expected = sorted([("2026-07", price), ("2026-06", price), ("2026-06", one_off), ("2026-05", price)])
    assert sorted(seen) == expected and len(seen) == len(set(seen))
    assert [month for month, _ in seen] == sorted((month for month, _ in seen), reverse=True)

    with pytest.raises(grpc.RpcError) as raised:
        p.stub.ListDerivedPayments(
            disbursement_pb2.ListDerivedPaymentsRequest(
                region=types_pb2.RegionCode(code=COUNTY),
                page=types_pb2.PageRequest(page_size=3, page_token="not-a-token"),
            ),
            metadata=AS_CLERK,
            timeout=10,
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "page.page_token" in str(raised.value.details())


def test_a_declaration_for_a_programme_that_does_not_receive_it_names_its_fields(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    with pytest.raises(grpc.RpcError) as raised:
        p.stub.DeclareDerivedPayment(
            disbursement_pb2.DeclareDerivedPaymentRequest(
                request_id="bad",
                kind=disbursement_pb2.DERIVED_KIND_PRICE_SUBSIDY,
                region=types_pb2.RegionCode(code=TOWNSHIPS[0]),
                period=types_pb2.Period(month="2026-13"),
                amounts=[
                    disbursement_pb2.DerivedAmount(
                        programme=programme_pb2.PROGRAMME_DISABILITY_LIVING_SUBSIDY,
                        amount=types_pb2.Money(amount_fen=1_000),
                    )
                ],
            ),
            metadata=AS_CLERK,
            timeout=10,
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert {f for f, _ in field_violations_from(raised.value)} == {"region", "period", "reference", "amounts"}


def test_a_returned_payment_with_an_offset_is_reissued_net_of_it_and_the_offset_follows(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    closed_account = entitlement("gao", 51_000, account="6228480000000000")
    deliver(p, eligibility_events.EntitlementActivated(entitlement=closed_account))
    overpayment = record_overpayment(p)
    run = generate(p, "gen-1", "2026-07")
    p.use_cases.generate_shards()
    assert dict(pay(p, run).payments_by_state) == {"RETURNED": 2}, "the offset shares its carrier's fate"
    (carrier,) = to_resolve(p, TOWNSHIPS[0])
    assert carrier.component == BASE, "caseworkers see the payment, not its offset"
    assert get_overpayment(p, overpayment.overpayment_id).balance.amount_fen == 57_000 - 15_300

    p.stub.CorrectPaymentAccount(
        disbursement_pb2.CorrectPaymentAccountRequest(
            request_id="fix", payment_id=carrier.payment_id, account_number="6228480000005678"
        ),
        metadata=AS_CLERK,
        timeout=10,
    )
    p.stub.ReissuePayment(
        disbursement_pb2.ReissuePaymentRequest(request_id="re", payment_id=carrier.payment_id),
        metadata=AS_CLERK,
        timeout=10,
    )
    while p.use_cases.send_to_bank():
        pass
    p.use_cases.reconcile()
    assert dict(get_run(p, run.run_id).payments_by_state) == {"SETTLED": 2}
    with p.context.database.read() as session:
        batches = session.execute(
            select(tables.bank_batches).order_by(tables.bank_batches.c.batch_request_id)
        )
        totals = [int(b.total_fen) for b in batches]
    assert totals == [35_700, 35_700], "each attempt is the month's payment less the offset"


def test_each_offset_travels_in_its_carriers_batch_when_a_township_needs_several(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement  # batches of at most 3 orders
    households = ("a", "b", "c", "d", "e", "f", "g")
    for name in households:
        deliver(p, eligibility_events.EntitlementActivated(entitlement=entitlement(name, 51_000)))
    for name in ("b", "d", "g"):
        record_overpayment(p, f"ovp-{name}", 10_000, beneficiary_id=f"hh_{name}")
    run = generate(p, "gen-1", "2026-07")
    p.use_cases.generate_shards()
    run = pay(p, run)

    assert run.state == disbursement_pb2.RUN_STATE_CLOSED
    assert dict(run.payments_by_state) == {"SETTLED": 10}
    payments = tables.payments
    with p.context.database.read() as session:
        rows = session.execute(
            select(payments.c.idempotency_key, payments.c.offsets_key, payments.c.batch_request_id)
        ).all()
    batch_of = {row.idempotency_key: row.batch_request_id for row in rows}
    offsets = [row for row in rows if row.offsets_key]
    assert len(offsets) == 3
    assert all(row.batch_request_id == batch_of[row.offsets_key] for row in offsets)
    carriers_per_batch: dict[str, int] = {}
    for row in rows:
        if not row.offsets_key:
            carriers_per_batch[row.batch_request_id] = carriers_per_batch.get(row.batch_request_id, 0) + 1
    # Batches are cut from each roster page as it is generated: pages of 2 make batches of at most 2.
    assert sorted(carriers_per_batch.values()) == [1, 2, 2, 2]
    booked = p.bank.ledger.bookings()
    assert len(booked) == len(households)
    assert sorted(b.amount_fen for b in booked) == [41_000] * 3 + [51_000] * 4, "each paid net of 100"
    assert sum(b.amount_fen for b in booked) == run.total_fen
