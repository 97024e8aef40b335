"""The monitoring gRPC API (doudi.verification.v1.MonitoringService): proto ↔ command, and nothing more."""

from __future__ import annotations

import grpc

from doudi.common.v1 import types_pb2
from doudi.verification.v1 import monitoring_pb2, monitoring_pb2_grpc
from doudi_common.masking import mask_id_number
from doudi_common.period import Period
from doudi_common.validation import Violations
from doudi_runtime.grpc.server import GrpcServiceBinding
from doudi_runtime.paging import next_token, parse_page
from doudi_runtime.service import ServiceContext
from doudi_verification.api.policy import monitoring_policy
from doudi_verification.app.alerts import AlertUseCases, ReportResult, monitoring_use_cases
from doudi_verification.app.monitored import MonitoredUseCases, monitored_use_cases
from doudi_verification.domain.alerts import Alert, AlertState
from doudi_verification.domain.monitored import MonitoredHousehold
from doudi_verification.domain.triggers import Trigger
from doudi_verification.events.alerts import (
    alert_to_proto,
    assignment_from_proto,
    disposition_from_proto,
    domain_enum,
    downstream_from_proto,
    event_from_proto,
    findings_from_proto,
)

SERVICE_NAME = "doudi.verification.v1.MonitoringService"


def _one(alert: Alert) -> monitoring_pb2.Alert:
    """An answer about one alert carries the full ID number: its assignee has to find the person."""
    return alert_to_proto(alert, reveal_person=True)


class MonitoringApi(monitoring_pb2_grpc.MonitoringServiceServicer):
    """Monitoring events in, alerts worked by townships out (DOMAIN §8.3)."""

    def __init__(self, alerts: AlertUseCases, monitored: MonitoredUseCases) -> None:
        self._alerts = alerts
        self._monitored = monitored

    def ReportMonitoringEvent(
        self, request: monitoring_pb2.ReportMonitoringEventRequest, context: grpc.ServicerContext
    ) -> monitoring_pb2.ReportMonitoringEventResponse:
        result: ReportResult = self._alerts.report(request.request_id, event_from_proto(request))
        return monitoring_pb2.ReportMonitoringEventResponse(
            alert_id=result.alert.alert_id if result.alert else "",
            outcome=monitoring_pb2.ReportOutcome.Value(f"REPORT_OUTCOME_{result.outcome.value}"),
            reason=result.reason,
            alert=_one(result.alert) if result.alert else None,
        )

    def GetAlert(
        self, request: monitoring_pb2.GetAlertRequest, context: grpc.ServicerContext
    ) -> monitoring_pb2.GetAlertResponse:
        return monitoring_pb2.GetAlertResponse(alert=_one(self._alerts.get(request.alert_id)))

    def ListAlerts(
        self, request: monitoring_pb2.ListAlertsRequest, context: grpc.ServicerContext
    ) -> monitoring_pb2.ListAlertsResponse:
        state = domain_enum(AlertState, monitoring_pb2.AlertState, request.state, "ALERT_STATE_")
        trigger = domain_enum(Trigger, monitoring_pb2.Trigger, request.trigger, "TRIGGER_")
        v = Violations()
        v.check(state is not None or request.state == 0, "state", "is not an alert state")
        v.check(trigger is not None or request.trigger == 0, "trigger", "is not a trigger")
        v.raise_if_any()
        page = parse_page(request.page.page_size, request.page.page_token)
        found = self._alerts.list(request.region.code, state, trigger, request.overdue_only, page)
        return monitoring_pb2.ListAlertsResponse(
            alerts=[alert_to_proto(a, reveal_person=False) for a in found[: page.size]],
            page=types_pb2.PageResponse(next_page_token=next_token([a.alert_id for a in found], page)),
        )

    def AssignAlert(
        self, request: monitoring_pb2.AssignAlertRequest, context: grpc.ServicerContext
    ) -> monitoring_pb2.AssignAlertResponse:
        alert = self._alerts.assign(request.request_id, request.alert_id, assignment_from_proto(request))
        return monitoring_pb2.AssignAlertResponse(alert=_one(alert))

    def RecordAlertVerification(
        self, request: monitoring_pb2.RecordAlertVerificationRequest, context: grpc.ServicerContext
    ) -> monitoring_pb2.RecordAlertVerificationResponse:
        alert = self._alerts.record_verification(
            request.request_id, request.alert_id, findings_from_proto(request.findings)
        )
        return monitoring_pb2.RecordAlertVerificationResponse(alert=_one(alert))

    def DisposeAlert(
        self, request: monitoring_pb2.DisposeAlertRequest, context: grpc.ServicerContext
    ) -> monitoring_pb2.DisposeAlertResponse:
        alert = self._alerts.dispose(
            request.request_id,
            request.alert_id,
            [disposition_from_proto(d) for d in request.dispositions],
            request.reason,
            request.follow_up_days,
        )
        return monitoring_pb2.DisposeAlertResponse(alert_id=alert.alert_id, alert=_one(alert))

    def CloseAlert(
        self, request: monitoring_pb2.CloseAlertRequest, context: grpc.ServicerContext
    ) -> monitoring_pb2.CloseAlertResponse:
        alert = self._alerts.close(
            request.request_id,
            request.alert_id,
            [downstream_from_proto(d) for d in request.downstream],
            request.note,
        )
        return monitoring_pb2.CloseAlertResponse(alert=_one(alert))

    def ListMonitoredHouseholds(
        self, request: monitoring_pb2.ListMonitoredHouseholdsRequest, context: grpc.ServicerContext
    ) -> monitoring_pb2.ListMonitoredHouseholdsResponse:
        month = Period.parse(request.month.month, field="month.month") if request.month.month else None
        page = parse_page(request.page.page_size, request.page.page_token)
        found = self._monitored.list(request.region.code, month, page)
        return monitoring_pb2.ListMonitoredHouseholdsResponse(
            households=[_monitored(h) for h in found[: page.size]],
            page=types_pb2.PageResponse(next_page_token=next_token([h.entitlement_id for h in found], page)),
        )


def _monitored(entry: MonitoredHousehold) -> monitoring_pb2.MonitoredHousehold:
    """A listing: identity numbers masked."""
    return monitoring_pb2.MonitoredHousehold(
        household_id=entry.household_id,
        entitlement_id=entry.entitlement_id,
        group=monitoring_pb2.MonitoredGroup.Value(f"MONITORED_GROUP_{entry.group.value}"),
        region=types_pb2.RegionCode(code=entry.region),
        since_month=types_pb2.Period(month=str(entry.since)),
        until_month=types_pb2.Period(month=str(entry.until)),
        persons_masked=[mask_id_number(p) for p in entry.persons],
    )


def monitoring_binding(context: ServiceContext) -> GrpcServiceBinding:
    """The binding main.py adds to the service's gRPC bindings."""
    return GrpcServiceBinding(
        SERVICE_NAME,
        MonitoringApi(monitoring_use_cases(context), monitored_use_cases(context)),
        monitoring_pb2_grpc.add_MonitoringServiceServicer_to_server,
        policy=monitoring_policy(context),
    )
