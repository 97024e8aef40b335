"""The care gRPC API (doudi.care.v1.CareService): proto ↔ command, and nothing more."""

from __future__ import annotations

import grpc

from doudi.care.v1 import care_pb2, care_pb2_grpc
from doudi.common.v1 import types_pb2
from doudi_care.api import mapping
from doudi_care.app import CareApp
from doudi_care.app.ledger import due_key
from doudi_care.domain.workorders import Settlement
from doudi_care.events.publish import (
    case_to_proto,
    due_visit_to_proto,
    entry_to_proto,
    settlement_to_proto,
    visit_to_proto,
    work_order_to_proto,
)
from doudi_common.validation import Violations
from doudi_runtime.paging import next_token, parse_page


class CareApi(care_pb2_grpc.CareServiceServicer):
    """Ledgers, visits, care work orders and children's protection."""

    def __init__(self, app: CareApp) -> None:
        self._ledger = app.ledger
        self._orders = app.work_orders
        self._protection = app.protection

    # -- ledgers --------------------------------------------------------------------------------

    def RegisterPerson(
        self, request: care_pb2.RegisterPersonRequest, context: grpc.ServicerContext
    ) -> care_pb2.RegisterPersonResponse:
        faults = Violations()
        with faults.nested("registration"):
            registration = mapping.registration(request.registration, faults)
        entry = self._ledger.register(request.request_id, registration, faults)
        stage = self._ledger.stage(entry, self._ledger.today())
        return care_pb2.RegisterPersonResponse(entry=entry_to_proto(entry, stage, masked=False))

    def ImportLedger(
        self, request: care_pb2.ImportLedgerRequest, context: grpc.ServicerContext
    ) -> care_pb2.ImportLedgerResponse:
        result = self._ledger.import_rows(
            request.request_id, mapping.import_rows(request), request.region.code
        )
        return care_pb2.ImportLedgerResponse(
            import_id=result.import_id,
            imported=[care_pb2.ImportedRow(row=row, entry_id=entry_id) for row, entry_id in result.imported],
            errors=[
                care_pb2.RowError(
                    row=row,
                    violations=[
                        care_pb2.RowViolation(field=f.field, description=f.description) for f in faults
                    ],
                )
                for row, faults in result.errors
            ],
        )

    def GetLedgerEntry(
        self, request: care_pb2.GetLedgerEntryRequest, context: grpc.ServicerContext
    ) -> care_pb2.GetLedgerEntryResponse:
        entry, stage = self._ledger.get(request.entry_id)
        return care_pb2.GetLedgerEntryResponse(entry=entry_to_proto(entry, stage, masked=False))

    def ListLedgerEntries(
        self, request: care_pb2.ListLedgerEntriesRequest, context: grpc.ServicerContext
    ) -> care_pb2.ListLedgerEntriesResponse:
        page = parse_page(request.page.page_size, request.page.page_token)
        found = self._ledger.list(request.region.code, mapping.ledger(request.ledger), page)
        return care_pb2.ListLedgerEntriesResponse(
            entries=[entry_to_proto(e, stage, masked=True) for e, stage in found[: page.size]],
            page=types_pb2.PageResponse(next_page_token=next_token([e.entry_id for e, _ in found], page)),
        )

    def ChangeRiskLevel(
        self, request: care_pb2.ChangeRiskLevelRequest, context: grpc.ServicerContext
    ) -> care_pb2.ChangeRiskLevelResponse:
        entry = self._ledger.change_risk(
            request.request_id, request.entry_id, mapping.risk_level(request.risk_level), request.reason
        )
        stage = self._ledger.stage(entry, self._ledger.today())
        return care_pb2.ChangeRiskLevelResponse(entry=entry_to_proto(entry, stage, masked=False))

    def CloseLedgerEntry(
        self, request: care_pb2.CloseLedgerEntryRequest, context: grpc.ServicerContext
    ) -> care_pb2.CloseLedgerEntryResponse:
        entry = self._ledger.close(request.request_id, request.entry_id, request.reason)
        stage = self._ledger.stage(entry, self._ledger.today())
        return care_pb2.CloseLedgerEntryResponse(entry=entry_to_proto(entry, stage, masked=False))

    # -- visits ---------------------------------------------------------------------------------

    def ListDueVisits(
        self, request: care_pb2.ListDueVisitsRequest, context: grpc.ServicerContext
    ) -> care_pb2.ListDueVisitsResponse:
        page = parse_page(request.page.page_size, request.page.page_token)
        found = self._ledger.list_due(request.region.code, request.overdue_only, page)
        return care_pb2.ListDueVisitsResponse(
            visits=[due_visit_to_proto(e, stage) for e, stage in found[: page.size]],
            page=types_pb2.PageResponse(next_page_token=next_token([due_key(e) for e, _ in found], page)),
        )

    def RecordVisit(
        self, request: care_pb2.RecordVisitRequest, context: grpc.ServicerContext
    ) -> care_pb2.RecordVisitResponse:
        faults = Violations()
        report = mapping.visit_report(request, faults)
        visit = self._ledger.record_visit(request.request_id, request.entry_id, report, faults)
        return care_pb2.RecordVisitResponse(visit_id=visit.visit_id, visit=visit_to_proto(visit))

    # -- work orders ----------------------------------------------------------------------------

    def CreateWorkOrder(
        self, request: care_pb2.CreateWorkOrderRequest, context: grpc.ServicerContext
    ) -> care_pb2.CreateWorkOrderResponse:
        order = self._orders.create(
            request.request_id, request.entry_id, request.provider_id, request.period.month, request.content
        )
        return care_pb2.CreateWorkOrderResponse(
            work_order_id=order.work_order_id, work_order=work_order_to_proto(order)
        )

    def CompleteWorkOrder(
        self, request: care_pb2.CompleteWorkOrderRequest, context: grpc.ServicerContext
    ) -> care_pb2.CompleteWorkOrderResponse:
        order = self._orders.complete(
            request.request_id,
            request.work_order_id,
            confirmed=request.confirmed,
            score=request.quality_score,
            confirmed_by=request.confirmed_by,
            completed_at=mapping.optional_time(request, "completed_at"),
        )
        return care_pb2.CompleteWorkOrderResponse(
            work_order_id=order.work_order_id, work_order=work_order_to_proto(order)
        )

    def MissWorkOrder(
        self, request: care_pb2.MissWorkOrderRequest, context: grpc.ServicerContext
    ) -> care_pb2.MissWorkOrderResponse:
        order = self._orders.miss(request.request_id, request.work_order_id, request.reason)
        return care_pb2.MissWorkOrderResponse(work_order=work_order_to_proto(order))

    def AuditWorkOrder(
        self, request: care_pb2.AuditWorkOrderRequest, context: grpc.ServicerContext
    ) -> care_pb2.AuditWorkOrderResponse:
        order = self._orders.audit(request.request_id, request.work_order_id, request.passed)
        return care_pb2.AuditWorkOrderResponse(work_order=work_order_to_proto(order))

    def ListWorkOrders(
        self, request: care_pb2.ListWorkOrdersRequest, context: grpc.ServicerContext
    ) -> care_pb2.ListWorkOrdersResponse:
        page = parse_page(request.page.page_size, request.page.page_token)
        found = self._orders.list(request.provider_id, request.period.month, request.region.code, page)
        return care_pb2.ListWorkOrdersResponse(
            work_orders=[work_order_to_proto(o) for o in found[: page.size]],
            page=types_pb2.PageResponse(next_page_token=next_token([o.work_order_id for o in found], page)),
        )

    def SettleProvider(
        self, request: care_pb2.SettleProviderRequest, context: grpc.ServicerContext
    ) -> care_pb2.SettleProviderResponse:
        settlement: Settlement = self._orders.settle(
            request.request_id, request.provider_id, request.period.month
        )
        message = settlement_to_proto(settlement)
        return care_pb2.SettleProviderResponse(
            gross=message.gross, deductions=message.deductions, payable=message.payable, settlement=message
        )

    # -- children's protection ------------------------------------------------------------------

    def ReportChildProtection(
        self, request: care_pb2.ReportChildProtectionRequest, context: grpc.ServicerContext
    ) -> care_pb2.ReportChildProtectionResponse:
        case = self._protection.report(request.request_id, mapping.child_report(request))
        return care_pb2.ReportChildProtectionResponse(protection_case=case_to_proto(case))

    def RecordProtectionStep(
        self, request: care_pb2.RecordProtectionStepRequest, context: grpc.ServicerContext
    ) -> care_pb2.RecordProtectionStepResponse:
        case = self._protection.record_step(
            request.request_id, request.case_id, mapping.protection_step(request.step), request.note
        )
        return care_pb2.RecordProtectionStepResponse(protection_case=case_to_proto(case))

    def GetProtectionCase(
        self, request: care_pb2.GetProtectionCaseRequest, context: grpc.ServicerContext
    ) -> care_pb2.GetProtectionCaseResponse:
        return care_pb2.GetProtectionCaseResponse(
            protection_case=case_to_proto(self._protection.get(request.case_id))
        )
