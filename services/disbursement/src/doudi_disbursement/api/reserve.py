"""The reserve-fund gRPC API (doudi.disbursement.v1.ReserveFundService): proto ↔ command, nothing more."""

from __future__ import annotations

import grpc

from doudi.common.v1 import types_pb2
from doudi.disbursement.v1 import reserve_pb2, reserve_pb2_grpc
from doudi_common.errors import InvalidArgument
from doudi_disbursement.app.reserve import ReserveUseCases
from doudi_disbursement.events.reserve import (
    advance_from_proto,
    advance_to_proto,
    entry_to_proto,
    fund_to_proto,
    method_is_set,
)
from doudi_disbursement.store import reserve as store
from doudi_runtime.grpc import context as call_context
from doudi_runtime.paging import next_token, parse_page

SERVICE_NAME = "doudi.disbursement.v1.ReserveFundService"


def _caller() -> str:
    return call_context.current_principal() or ""


class ReserveFundApi(reserve_pb2_grpc.ReserveFundServiceServicer):
    def __init__(self, reserve: ReserveUseCases) -> None:
        self._reserve = reserve

    def OpenReserveFund(
        self, request: reserve_pb2.OpenReserveFundRequest, context: grpc.ServicerContext
    ) -> reserve_pb2.OpenReserveFundResponse:
        fund = self._reserve.open_fund(
            request.request_id, request.township.code, request.opening_balance.amount_fen, _caller()
        )
        return reserve_pb2.OpenReserveFundResponse(fund=fund_to_proto(fund))

    def TopUpReserveFund(
        self, request: reserve_pb2.TopUpReserveFundRequest, context: grpc.ServicerContext
    ) -> reserve_pb2.TopUpReserveFundResponse:
        fund = self._reserve.top_up(
            request.request_id, request.township.code, request.amount.amount_fen, request.note, _caller()
        )
        return reserve_pb2.TopUpReserveFundResponse(fund=fund_to_proto(fund))

    def PayAdvance(
        self, request: reserve_pb2.PayAdvanceRequest, context: grpc.ServicerContext
    ) -> reserve_pb2.PayAdvanceResponse:
        advance, fund = self._reserve.pay_advance(
            request.request_id,
            advance_from_proto(request.advance),
            _caller(),
            method_given=method_is_set(request.advance),
        )
        return reserve_pb2.PayAdvanceResponse(
            advance=advance_to_proto(advance, reveal_person=True), fund=fund_to_proto(fund)
        )

    def RegulariseAdvance(
        self, request: reserve_pb2.RegulariseAdvanceRequest, context: grpc.ServicerContext
    ) -> reserve_pb2.RegulariseAdvanceResponse:
        advance, fund, overpaid = self._reserve.regularise(
            request.request_id,
            request.advance_id,
            request.approved.amount_fen,
            request.decision_reference,
            _caller(),
        )
        return reserve_pb2.RegulariseAdvanceResponse(
            advance=advance_to_proto(advance, reveal_person=True),
            fund=fund_to_proto(fund),
            overpaid=types_pb2.Money(amount_fen=overpaid),
        )

    def GetAdvance(
        self, request: reserve_pb2.GetAdvanceRequest, context: grpc.ServicerContext
    ) -> reserve_pb2.GetAdvanceResponse:
        advance = self._reserve.get_advance(request.advance_id)
        return reserve_pb2.GetAdvanceResponse(advance=advance_to_proto(advance, reveal_person=True))

    def GetReserveFund(
        self, request: reserve_pb2.GetReserveFundRequest, context: grpc.ServicerContext
    ) -> reserve_pb2.GetReserveFundResponse:
        page = parse_page(request.page.page_size, request.page.page_token)
        after = 0
        if page.after is not None:
            if not page.after.isdigit():
                raise InvalidArgument.single("page.page_token", "is not a token this API issued")
            after = int(page.after)
        fund, rows = self._reserve.get_fund(request.township.code, after, page.size + 1)
        keys = [str(row.sequence) for row in rows]
        return reserve_pb2.GetReserveFundResponse(
            fund=fund_to_proto(fund),
            entries=[entry_to_proto(row, store.note_of_row(row)) for row in rows[: page.size]],
            page=types_pb2.PageResponse(next_page_token=next_token(keys, page)),
        )
