"""The disbursement gRPC API (doudi.disbursement.v1.DisbursementService): proto ↔ command, nothing more."""

from __future__ import annotations

import grpc

from doudi.common.v1 import types_pb2
from doudi.disbursement.v1 import disbursement_pb2, disbursement_pb2_grpc
from doudi_common.errors import InvalidArgument
from doudi_disbursement.app.payroll import PayrollUseCases
from doudi_disbursement.domain.runs import Run
from doudi_disbursement.events.payroll import payment_to_proto, run_to_proto
from doudi_disbursement.store import payroll as store
from doudi_runtime.grpc import context as call_context
from doudi_runtime.paging import next_token, parse_page


class DisbursementApi(disbursement_pb2_grpc.DisbursementServiceServicer):
    def __init__(self, payroll: PayrollUseCases) -> None:
        self._payroll = payroll

    def _run(self, run: Run) -> disbursement_pb2.Run:
        current, shards, by_state = self._payroll.get_run(run.run_id)
        return run_to_proto(current, shards, by_state)

    def GenerateMonthlyRun(
        self, request: disbursement_pb2.GenerateMonthlyRunRequest, context: grpc.ServicerContext
    ) -> disbursement_pb2.GenerateMonthlyRunResponse:
        run = self._payroll.generate_run(
            request.request_id,
            request.period.month,
            request.region.code,
            call_context.current_principal() or "",
        )
        return disbursement_pb2.GenerateMonthlyRunResponse(run=self._run(run))

    def GetRun(
        self, request: disbursement_pb2.GetRunRequest, context: grpc.ServicerContext
    ) -> disbursement_pb2.GetRunResponse:
        run, shards, by_state = self._payroll.get_run(request.run_id)
        return disbursement_pb2.GetRunResponse(run=run_to_proto(run, shards, by_state))

    def ApproveRun(
        self, request: disbursement_pb2.ApproveRunRequest, context: grpc.ServicerContext
    ) -> disbursement_pb2.ApproveRunResponse:
        run = self._payroll.approve(
            request.request_id,
            request.run_id,
            call_context.current_principal() or "",
            request.expected_payment_count,
            request.expected_total_fen,
        )
        return disbursement_pb2.ApproveRunResponse(run=self._run(run))

    def HoldRun(
        self, request: disbursement_pb2.HoldRunRequest, context: grpc.ServicerContext
    ) -> disbursement_pb2.HoldRunResponse:
        run = self._payroll.hold(request.request_id, request.run_id, request.reason)
        return disbursement_pb2.HoldRunResponse(run=self._run(run))

    def ResumeRun(
        self, request: disbursement_pb2.ResumeRunRequest, context: grpc.ServicerContext
    ) -> disbursement_pb2.ResumeRunResponse:
        run = self._payroll.resume(request.request_id, request.run_id)
        return disbursement_pb2.ResumeRunResponse(run=self._run(run))

    def CancelRun(
        self, request: disbursement_pb2.CancelRunRequest, context: grpc.ServicerContext
    ) -> disbursement_pb2.CancelRunResponse:
        run = self._payroll.cancel(request.request_id, request.run_id, request.reason)
        return disbursement_pb2.CancelRunResponse(run=self._run(run))

    def ListPayments(
        self, request: disbursement_pb2.ListPaymentsRequest, context: grpc.ServicerContext
    ) -> disbursement_pb2.ListPaymentsResponse:
        if not request.run_id and not request.beneficiary_id:
            raise InvalidArgument.single("run_id", "give a run_id or a beneficiary_id")
        page = parse_page(request.page.page_size, request.page.page_token)
        with self._payroll.persistence.database.read() as session:
            rows = store.list_payments(
                session,
                run_id=request.run_id,
                beneficiary_id=request.beneficiary_id,
                after=page.after,
                limit=page.size + 1,
            )
        return disbursement_pb2.ListPaymentsResponse(
            payments=[payment_to_proto(row) for row in rows[: page.size]],
            page=types_pb2.PageResponse(next_page_token=next_token([r.payment_id for r in rows], page)),
        )
