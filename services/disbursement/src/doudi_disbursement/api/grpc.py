"""The disbursement gRPC API (doudi.disbursement.v1.DisbursementService): proto ↔ command, nothing more."""

from __future__ import annotations

import grpc

from doudi.common.v1 import types_pb2
from doudi.disbursement.v1 import disbursement_pb2, disbursement_pb2_grpc
from doudi_common.errors import InvalidArgument
from doudi_disbursement.app.declarations import Declarations
from doudi_disbursement.app.funds import FundReports
from doudi_disbursement.app.overpayments import Overpayments, OverpaymentView
from doudi_disbursement.app.payroll import PayrollUseCases
from doudi_disbursement.app.providers import ProviderAccounts
from doudi_disbursement.app.returned import ReturnedPayments
from doudi_disbursement.domain.derived import declaration_key
from doudi_disbursement.domain.funds import Amounts
from doudi_disbursement.domain.runs import Run, RunState
from doudi_disbursement.events.derived import declaration_to_proto
from doudi_disbursement.events.overpayments import overpayment_to_proto
from doudi_disbursement.events.payroll import payment_to_proto, run_to_proto
from doudi_disbursement.events.providers import account_to_proto, fee_to_proto
from doudi_disbursement.store import payroll as store
from doudi_runtime.grpc import context as call_context
from doudi_runtime.grpc.convert import domain_enum, money, programme_name, programme_pb
from doudi_runtime.paging import next_token, parse_page


def _programme(value: int) -> str:
    """A request's programme name; empty when it names none."""
    return programme_name(value) if value else ""


def _amounts(amounts: Amounts) -> disbursement_pb2.FundAmounts:
    return disbursement_pb2.FundAmounts(
        settled=money(amounts.settled_fen),
        settled_count=amounts.settled_count,
        with_bank=money(amounts.with_bank_fen),
        with_bank_count=amounts.with_bank_count,
        returned=money(amounts.returned_fen),
        returned_count=amounts.returned_count,
        held=money(amounts.held_fen),
        held_count=amounts.held_count,
    )


def _overpayment(view: OverpaymentView) -> disbursement_pb2.Overpayment:
    return overpayment_to_proto(view.row, view.recovered_fen, view.offsets, view.repaid_fen)


class DisbursementApi(disbursement_pb2_grpc.DisbursementServiceServicer):
    def __init__(
        self,
        payroll: PayrollUseCases,
        returned: ReturnedPayments,
        overpayments: Overpayments,
        declarations: Declarations,
        providers: ProviderAccounts,
        funds: FundReports,
    ) -> None:
        self._payroll = payroll
        self._returned = returned
        self._overpayments = overpayments
        self._declarations = declarations
        self._providers = providers
        self._funds = funds

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

    def ListRuns(
        self, request: disbursement_pb2.ListRunsRequest, context: grpc.ServicerContext
    ) -> disbursement_pb2.ListRunsResponse:
        page = parse_page(request.page.page_size, request.page.page_token)
        states = [
            domain_enum(RunState, disbursement_pb2.RunState, state, "RUN_STATE_", "states")
            for state in request.states
        ]
        runs, keys = self._payroll.list_runs(
            request.region.code,
            [state for state in states if state is not None],
            request.period.month,
            page.after,
            page.size + 1,
        )
        return disbursement_pb2.ListRunsResponse(
            runs=[run_to_proto(run) for run in runs[: page.size]],
            page=types_pb2.PageResponse(next_page_token=next_token(keys, page)),
        )

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

    def ListPaymentsToResolve(
        self, request: disbursement_pb2.ListPaymentsToResolveRequest, context: grpc.ServicerContext
    ) -> disbursement_pb2.ListPaymentsToResolveResponse:
        page = parse_page(request.page.page_size, request.page.page_token)
        states = [
            disbursement_pb2.PaymentState.Name(s).removeprefix("PAYMENT_STATE_") for s in request.states
        ]
        rows = self._returned.to_resolve(request.region.code, states, page.after, page.size + 1)
        return disbursement_pb2.ListPaymentsToResolveResponse(
            payments=[payment_to_proto(row) for row in rows[: page.size]],
            page=types_pb2.PageResponse(next_page_token=next_token([r.payment_id for r in rows], page)),
        )

    def CorrectPaymentAccount(
        self, request: disbursement_pb2.CorrectPaymentAccountRequest, context: grpc.ServicerContext
    ) -> disbursement_pb2.CorrectPaymentAccountResponse:
        row = self._returned.correct_account(
            request.request_id, request.payment_id, request.account_name, request.account_number
        )
        return disbursement_pb2.CorrectPaymentAccountResponse(payment=payment_to_proto(row))

    def HoldPayment(
        self, request: disbursement_pb2.HoldPaymentRequest, context: grpc.ServicerContext
    ) -> disbursement_pb2.HoldPaymentResponse:
        row = self._returned.hold(request.request_id, request.payment_id, request.reason)
        return disbursement_pb2.HoldPaymentResponse(payment=payment_to_proto(row))

    def ReissuePayment(
        self, request: disbursement_pb2.ReissuePaymentRequest, context: grpc.ServicerContext
    ) -> disbursement_pb2.ReissuePaymentResponse:
        row = self._returned.reissue(request.request_id, request.payment_id)
        return disbursement_pb2.ReissuePaymentResponse(payment=payment_to_proto(row))

    def RecordOverpayment(
        self, request: disbursement_pb2.RecordOverpaymentRequest, context: grpc.ServicerContext
    ) -> disbursement_pb2.RecordOverpaymentResponse:
        view = self._overpayments.record(
            request.request_id,
            request.beneficiary_id,
            _programme(request.programme),
            request.amount.amount_fen,
            request.reason,
            request.decision_reference,
            call_context.current_principal() or "",
        )
        return disbursement_pb2.RecordOverpaymentResponse(overpayment=_overpayment(view))

    def RecordRepayment(
        self, request: disbursement_pb2.RecordRepaymentRequest, context: grpc.ServicerContext
    ) -> disbursement_pb2.RecordRepaymentResponse:
        view = self._overpayments.repay(
            request.request_id,
            request.overpayment_id,
            request.amount.amount_fen,
            request.reference,
            call_context.current_principal() or "",
        )
        return disbursement_pb2.RecordRepaymentResponse(overpayment=_overpayment(view))

    def GetOverpayment(
        self, request: disbursement_pb2.GetOverpaymentRequest, context: grpc.ServicerContext
    ) -> disbursement_pb2.GetOverpaymentResponse:
        return disbursement_pb2.GetOverpaymentResponse(
            overpayment=_overpayment(self._overpayments.get(request.overpayment_id))
        )

    def ListOverpayments(
        self, request: disbursement_pb2.ListOverpaymentsRequest, context: grpc.ServicerContext
    ) -> disbursement_pb2.ListOverpaymentsResponse:
        return disbursement_pb2.ListOverpaymentsResponse(
            overpayments=[_overpayment(v) for v in self._overpayments.of_beneficiary(request.beneficiary_id)]
        )

    def DeclareDerivedPayment(
        self, request: disbursement_pb2.DeclareDerivedPaymentRequest, context: grpc.ServicerContext
    ) -> disbursement_pb2.DeclareDerivedPaymentResponse:
        amounts: dict[str, int] = {}
        for item in request.amounts:
            programme = _programme(item.programme)
            if not programme or programme in amounts:
                raise InvalidArgument.single("amounts", "name each programme once")
            amounts[programme] = item.amount.amount_fen
        declaration = self._declarations.declare(
            request.request_id,
            disbursement_pb2.DerivedKind.Name(request.kind).removeprefix("DERIVED_KIND_"),
            request.region.code,
            request.period.month,
            amounts,
            request.reference,
            call_context.current_principal() or "",
        )
        return disbursement_pb2.DeclareDerivedPaymentResponse(declaration=declaration_to_proto(declaration))

    def ListDerivedPayments(
        self, request: disbursement_pb2.ListDerivedPaymentsRequest, context: grpc.ServicerContext
    ) -> disbursement_pb2.ListDerivedPaymentsResponse:
        page = parse_page(request.page.page_size, request.page.page_token)
        found = self._declarations.of_region(request.region.code, after=page.after, limit=page.size + 1)
        keys = [declaration_key(d) for d in found]
        return disbursement_pb2.ListDerivedPaymentsResponse(
            declarations=[declaration_to_proto(d) for d in found[: page.size]],
            page=types_pb2.PageResponse(next_page_token=next_token(keys, page)),
        )

    def RegisterProviderAccount(
        self, request: disbursement_pb2.RegisterProviderAccountRequest, context: grpc.ServicerContext
    ) -> disbursement_pb2.RegisterProviderAccountResponse:
        registered = self._providers.register(
            request.request_id,
            request.provider_id,
            request.region.code,
            request.account_name,
            request.account_number,
            call_context.current_principal() or "",
        )
        return disbursement_pb2.RegisterProviderAccountResponse(
            account=account_to_proto(registered.account),
            previous_masked_account=registered.previous_masked,
        )

    def GetProviderAccount(
        self, request: disbursement_pb2.GetProviderAccountRequest, context: grpc.ServicerContext
    ) -> disbursement_pb2.GetProviderAccountResponse:
        account, fees = self._providers.get(request.provider_id)
        return disbursement_pb2.GetProviderAccountResponse(
            account=account_to_proto(account), fees=[fee_to_proto(fee, paid) for fee, paid in fees]
        )

    def GetFundSummary(
        self, request: disbursement_pb2.GetFundSummaryRequest, context: grpc.ServicerContext
    ) -> disbursement_pb2.GetFundSummaryResponse:
        summary = self._funds.summary(request.region.code, request.period.month)
        return disbursement_pb2.GetFundSummaryResponse(
            lines=[
                disbursement_pb2.FundLine(
                    programme=programme_pb(line.programme),
                    township=types_pb2.RegionCode(code=line.township),
                    amounts=_amounts(line.amounts),
                )
                for line in summary.lines
            ],
            total=_amounts(summary.total),
            reserve_funds=[
                disbursement_pb2.ReserveFundPosition(
                    township=types_pb2.RegionCode(code=fund.township),
                    balance=money(fund.balance_fen),
                    advanced=money(fund.outstanding_fen),
                )
                for fund in summary.reserve_funds
            ],
        )

    def ListPublication(
        self, request: disbursement_pb2.ListPublicationRequest, context: grpc.ServicerContext
    ) -> disbursement_pb2.ListPublicationResponse:
        page = parse_page(request.page.page_size, request.page.page_token)
        shown = self._funds.publication(request.region.code, request.period.month, page.after, page.size + 1)
        return disbursement_pb2.ListPublicationResponse(
            entries=[
                disbursement_pb2.PublishedEntry(
                    masked_name=entry.masked_name,
                    persons=entry.persons,
                    monthly_amount=money(entry.monthly_amount_fen),
                    township=types_pb2.RegionCode(code=entry.township),
                    programme=programme_pb(entry.programme),
                )
                for entry in shown[: page.size]
            ],
            page=types_pb2.PageResponse(next_page_token=next_token([e.entitlement_id for e in shown], page)),
        )
