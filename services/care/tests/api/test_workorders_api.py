"""Care work orders over gRPC (DOMAIN §9.3) and H14's June: one service done with score 2, one missed,
the provider paid 96 yuan, announced in fen for disbursement."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
import pytest

from doudi.care.v1 import care_pb2
from doudi.common.v1 import types_pb2
from doudi_runtime.grpc.errors import field_violations_from

from .conftest import AUTH, Care, elder_registration, register, zhou_registration

JUNE = types_pb2.Period(month="2026-06")


def orders(
    care: Care, provider: str = "provider-anxin", period: types_pb2.Period = JUNE
) -> list[care_pb2.WorkOrder]:
    request = care_pb2.ListWorkOrdersRequest(provider_id=provider, period=period)
    return list(care.stub.ListWorkOrders(request, metadata=AUTH, timeout=10).work_orders)


def settle(care: Care, request_id: str, period: types_pb2.Period = JUNE) -> care_pb2.SettleProviderResponse:
    request = care_pb2.SettleProviderRequest(
        request_id=request_id, provider_id="provider-anxin", period=period
    )
    return care.stub.SettleProvider(request, metadata=AUTH, timeout=10)


def test_h14_june_two_planned_one_done_with_score_2_one_missed_provider_paid_96(care: Care) -> None:
    register(care, zhou_registration(), "reg-zhou")
    assert care.app.work_orders.run_monthly() == 2  # EX 2 services a month
    assert care.app.work_orders.run_monthly() == 0  # planning again makes nothing twice
    first, second = orders(care)
    assert {first.state, second.state} == {care_pb2.WORK_ORDER_STATE_ASSIGNED}

    care.clock.now = datetime(2026, 6, 12, 2, 0, tzinfo=UTC)
    done = care.stub.CompleteWorkOrder(
        care_pb2.CompleteWorkOrderRequest(
            request_id="done-1",
            work_order_id=first.work_order_id,
            confirmed=True,
            quality_score=2,
            confirmed_by="周丽（侄女，照料人）",
        ),
        metadata=AUTH,
    ).work_order
    assert done.state == care_pb2.WORK_ORDER_STATE_COMPLETED and done.quality_score == 2

    with pytest.raises(grpc.RpcError) as error:
        settle(care, "settle-early")
    assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION  # June has not ended

    care.clock.now = datetime(2026, 7, 2, 2, 0, tzinfo=UTC)
    answer = settle(care, "settle-june")
    assert (answer.gross.amount_fen, answer.deductions.amount_fen, answer.payable.amount_fen) == (
        12_000,
        2_400,
        9_600,
    )
    s = answer.settlement
    assert (s.planned, s.paid_services, s.missed, s.average_score_x100) == (2, 1, 1, 200)
    assert settle(care, "settle-june") == answer  # a retry replays the answer
    with pytest.raises(grpc.RpcError) as error:
        settle(care, "settle-june-again")
    assert error.value.code() == grpc.StatusCode.ALREADY_EXISTS  # money never moves twice

    [missed] = care.events("WorkOrderMissed")
    assert missed.work_order_id == second.work_order_id
    [settled] = care.events("ProviderFeeSettled")
    assert settled.settlement.payable.amount_fen == 9_600 and settled.settlement.period.month == "2026-06"
    assert [e for _, _, e in care.outbox()] == ["WorkOrderCompleted", "WorkOrderMissed", "ProviderFeeSettled"]
    assert {(t, k) for t, k, _ in care.outbox()} == {("doudi.care.workorder.v1", "provider-anxin")}


def test_the_month_sweep_misses_what_was_not_done_and_plans_the_new_month(care: Care) -> None:
    register(care, zhou_registration(), "reg-zhou")
    care.app.work_orders.run_monthly()
    care.clock.now = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)
    assert care.app.work_orders.run_monthly() == 4  # two June orders missed, two July orders made
    assert {o.state for o in orders(care)} == {care_pb2.WORK_ORDER_STATE_MISSED}
    assert len(orders(care, period=types_pb2.Period(month="2026-07"))) == 2
    assert len(care.events("WorkOrderMissed")) == 2


def test_a_service_is_complete_only_with_confirmation_and_a_score_from_1_to_5(care: Care) -> None:
    register(care, zhou_registration(), "reg-zhou")
    care.app.work_orders.run_monthly()
    order = orders(care)[0]
    with pytest.raises(grpc.RpcError) as error:
        care.stub.CompleteWorkOrder(
            care_pb2.CompleteWorkOrderRequest(
                request_id="c", work_order_id=order.work_order_id, quality_score=6
            ),
            metadata=AUTH,
        )
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(dict(field_violations_from(error.value))) == {"confirmed", "quality_score", "confirmed_by"}


def test_audits_and_extra_orders(care: Care) -> None:
    entry = register(care, zhou_registration(), "reg-zhou")
    created = care.stub.CreateWorkOrder(
        care_pb2.CreateWorkOrderRequest(
            request_id="extra",
            entry_id=entry.entry_id,
            provider_id="provider-anxin",
            period=JUNE,
            content="理发",
        ),
        metadata=AUTH,
    ).work_order
    care.stub.CompleteWorkOrder(
        care_pb2.CompleteWorkOrderRequest(
            request_id="c1",
            work_order_id=created.work_order_id,
            confirmed=True,
            quality_score=5,
            confirmed_by="本人",
        ),
        metadata=AUTH,
    )
    audited = care.stub.AuditWorkOrder(
        care_pb2.AuditWorkOrderRequest(request_id="a1", work_order_id=created.work_order_id, passed=False),
        metadata=AUTH,
    ).work_order
    assert audited.state == care_pb2.WORK_ORDER_STATE_AUDITED and not audited.audit_passed
    care.clock.now = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)
    answer = settle(care, "settle")
    assert answer.settlement.failed_audit == 1 and answer.payable.amount_fen == 0


def test_people_without_care_services_get_no_work_orders(care: Care) -> None:
    entry = register(care, elder_registration(), "reg-ma")
    with pytest.raises(grpc.RpcError) as error:
        care.stub.CreateWorkOrder(
            care_pb2.CreateWorkOrderRequest(
                request_id="wo", entry_id=entry.entry_id, provider_id="provider-anxin", period=JUNE
            ),
            metadata=AUTH,
        )
    assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION
