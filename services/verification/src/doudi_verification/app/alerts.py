"""Use-cases of monitoring alerts (DOMAIN §8): each owns its transaction, changes an alert, writes its events.

Also the wiring the composition root needs: the settings mixin, the shared use-cases, the subscription to
``doudi.external.monitoring.v1`` and the overdue sweep.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from google.protobuf.message import Message
from prometheus_client import Counter, Gauge
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from doudi_common.errors import InvalidArgument, NotFound
from doudi_common.ids import new_id
from doudi_common.region import RegionCode
from doudi_common.validation import validate_together
from doudi_runtime.events.consumer import Subscription
from doudi_runtime.idempotency import fingerprint_of, run_once, validate_request_id
from doudi_runtime.paging import Page
from doudi_runtime.service import Persistence, ServiceContext, Worker, periodic
from doudi_runtime.store.hooks import after_commit
from doudi_verification.domain import alerts as domain
from doudi_verification.domain.alerts import (
    Alert,
    AlertState,
    Assignment,
    Disposition,
    DispositionChoice,
    Findings,
)
from doudi_verification.domain.triggers import (
    MonitoringEvent,
    SlaPolicy,
    Thresholds,
    Trigger,
    evaluate,
    validate_event,
)
from doudi_verification.events import alerts as publish
from doudi_verification.store import alerts as store

log = logging.getLogger(__name__)

ALERTS_RAISED = Counter(
    "doudi_monitoring_alerts_raised_total", "Monitoring alerts raised (DOMAIN §8.2), by trigger.", ["trigger"]
)
ALERTS_OPEN = Gauge(
    "doudi_monitoring_alerts_open",
    "Monitoring alerts not closed yet, by trigger (set by the sweep).",
    ["trigger"],
)
ALERTS_OVERDUE = Counter(
    "doudi_monitoring_alerts_overdue_total",
    "Monitoring alerts not verified within their SLA (alert.sla, DOMAIN §3), by trigger.",
    ["trigger"],
)


class MonitoringSettings(BaseSettings):
    """Monitoring's settings, mixed into the service's settings (env vars of the same names, upper case).

    The thresholds and SLAs are the EX values of DOMAIN §8.2 and §3 (``alert.sla``); a county sets its own.
    """

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", frozen=True, case_sensitive=False)

    monitoring_sla_emergency_hours: int = Field(default=24, ge=1, le=24 * 30)
    monitoring_sla_disaster_hours: int = Field(default=72, ge=1, le=24 * 30)
    monitoring_sla_routine_hours: int = Field(default=168, ge=1, le=24 * 90)
    monitoring_medical_out_of_pocket_fen: int = Field(default=2_000_000, ge=1)
    monitoring_medical_income_share_percent: int = Field(default=50, ge=1, le=100)
    monitoring_income_drop_percent: int = Field(default=30, ge=1, le=100)
    monitoring_overdue_sweep_seconds: float = Field(default=60.0, gt=0)
    monitoring_overdue_batch_size: int = Field(default=200, ge=1, le=5000)


def monitoring_settings(settings: object) -> MonitoringSettings:
    """The service's monitoring settings. Until the mixin is wired into the service's settings, they are
    read here, once at start, from the same environment variables (with their defaults)."""
    if isinstance(settings, MonitoringSettings):
        return settings
    declared = {
        name: getattr(settings, name) for name in MonitoringSettings.model_fields if hasattr(settings, name)
    }
    return MonitoringSettings(**declared)


def thresholds_of(settings: MonitoringSettings) -> Thresholds:
    return Thresholds(
        medical_out_of_pocket_fen=settings.monitoring_medical_out_of_pocket_fen,
        medical_income_share_percent=settings.monitoring_medical_income_share_percent,
        income_drop_percent=settings.monitoring_income_drop_percent,
    )


def sla_of(settings: MonitoringSettings) -> SlaPolicy:
    return SlaPolicy(
        emergency=timedelta(hours=settings.monitoring_sla_emergency_hours),
        disaster=timedelta(hours=settings.monitoring_sla_disaster_hours),
        routine=timedelta(hours=settings.monitoring_sla_routine_hours),
    )


class Outcome(StrEnum):
    OPENED = "OPENED"
    FOLDED = "FOLDED"
    BELOW_THRESHOLD = "BELOW_THRESHOLD"


@dataclass(frozen=True)
class ReportResult:
    outcome: Outcome
    alert: Alert | None
    reason: str


def event_fingerprint(event: MonitoringEvent) -> str:
    """What a report asked for, the same in every process (a frozenset iterates in a per-process order)."""
    values = [getattr(event, f.name) for f in fields(event) if f.name != "groups"]
    return fingerprint_of(*values, tuple(sorted(event.groups)))


@dataclass
class AlertUseCases:
    context: ServiceContext
    thresholds: Thresholds = field(default_factory=Thresholds)
    sla: SlaPolicy = field(default_factory=SlaPolicy)
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    @property
    def persistence(self) -> Persistence:
        return self.context.persistence()

    def _announce(self, session: Session, alert: Alert, payload: Message, cause: str) -> None:
        self.persistence.outbox.add(
            session,
            topic=publish.TOPIC_ALERTS,
            subject_key=alert.subject_key,
            payload=payload,
            causation_id=cause,
        )

    # -- reporting ------------------------------------------------------------------------------

    def report(self, request_id: str, event: MonitoringEvent) -> ReportResult:
        """The ReportMonitoringEvent RPC: once per request_id, and once per fact while its alert is open."""
        now = self.clock()
        validate_together(lambda: validate_request_id(request_id), lambda: validate_event(event, now))
        with self.persistence.database.transaction() as session:

            def perform() -> tuple[str, ReportResult]:
                result = self.report_in(session, event, now, cause=request_id)
                return f"{result.outcome.value}:{result.alert.alert_id if result.alert else ''}", result

            def replay(reference: str) -> ReportResult:
                outcome, _, alert_id = reference.partition(":")
                if not alert_id:
                    return ReportResult(Outcome(outcome), None, evaluate(event, self.thresholds).reason)
                alert = self.get_in(session, alert_id)
                return ReportResult(Outcome(outcome), alert, alert.trigger_reason)

            return run_once(
                session,
                self.persistence.store.idempotency,
                method="ReportMonitoringEvent",
                request_id=request_id,
                fingerprint=event_fingerprint(event),
                perform=perform,
                replay=replay,
            )

    def report_in(
        self, session: Session, event: MonitoringEvent, now: datetime | None = None, *, cause: str = ""
    ) -> ReportResult:
        """Inside the caller's transaction (the RPC's, or the inbox's for a bus event): open, fold or pass."""
        now = now or self.clock()
        validate_event(event, now)
        verdict = evaluate(event, self.thresholds)
        if not verdict.opens:
            return ReportResult(Outcome.BELOW_THRESHOLD, None, verdict.reason)
        assert event.trigger is not None
        existing = store.open_alert_of_fact(session, event.person_id, event.trigger, event.source_reference)
        if existing is None:
            alert = domain.raise_alert(event, verdict, alert_id=new_id("alert"), now=now, sla=self.sla)
            try:
                with session.begin_nested():
                    store.insert_alert(session, alert)
            except IntegrityError:
                # A concurrent report of the same fact opened it first: fold into that one.
                existing = store.open_alert_of_fact(
                    session, event.person_id, event.trigger, event.source_reference
                )
                if existing is None:
                    raise
            else:
                self._announce(session, alert, publish.alert_raised(alert), cause)
                after_commit(session, lambda: ALERTS_RAISED.labels(alert.trigger.code).inc())
                return ReportResult(Outcome.OPENED, alert, verdict.reason)
        folded = domain.fold(existing, now)
        store.save_alert(session, folded)
        return ReportResult(
            Outcome.FOLDED, folded, "the same fact was reported before; folded into its alert"
        )

    # -- commands on one alert ------------------------------------------------------------------

    def _load(self, session: Session, alert_id: str, *, for_update: bool = False) -> Alert:
        if not alert_id:
            raise InvalidArgument.single("alert_id", "is required")
        alert = store.get_alert(session, alert_id, for_update=for_update)
        if alert is None:
            raise NotFound(f"no alert {alert_id!r}")
        return alert

    def _change(
        self,
        method: str,
        request_id: str,
        alert_id: str,
        fingerprint: str,
        change: Callable[[Session, Alert, datetime], Alert],
    ) -> Alert:
        """Load, change, save and announce one alert, once per request_id."""
        validate_request_id(request_id)
        now = self.clock()
        with self.persistence.database.transaction() as session:

            def perform() -> tuple[str, Alert]:
                changed = change(session, self._load(session, alert_id, for_update=True), now)
                store.save_alert(session, changed)
                return changed.alert_id, changed

            return run_once(
                session,
                self.persistence.store.idempotency,
                method=method,
                request_id=request_id,
                fingerprint=fingerprint_of(alert_id, fingerprint),
                perform=perform,
                replay=lambda reference: self._load(session, reference),
            )

    def assign(self, request_id: str, alert_id: str, assignment: Assignment) -> Alert:
        """DOMAIN §8.3 step 1."""
        validate_together(
            lambda: validate_request_id(request_id), lambda: domain.validate_assignment(assignment)
        )

        def change(session: Session, alert: Alert, now: datetime) -> Alert:
            assigned = domain.assign(alert, assignment, now)
            self._announce(session, assigned, publish.alert_assigned(assigned), request_id)
            return assigned

        key = fingerprint_of(assignment.assignee, assignment.role, assignment.note)
        return self._change("AssignAlert", request_id, alert_id, key, change)

    def record_verification(self, request_id: str, alert_id: str, findings: Findings) -> Alert:
        """DOMAIN §8.3 step 2."""
        now = self.clock()
        validate_together(
            lambda: validate_request_id(request_id), lambda: domain.validate_findings(findings, now)
        )
        return self._change(
            "RecordAlertVerification",
            request_id,
            alert_id,
            fingerprint_of(findings),
            lambda _session, alert, at: domain.record_verification(alert, findings, at),
        )

    def dispose(
        self,
        request_id: str,
        alert_id: str,
        choices: Sequence[DispositionChoice],
        reason: str,
        follow_up_days: int,
    ) -> Alert:
        """DOMAIN §8.3 step 3; INCLUDE_* outcomes travel as leads on the AlertDisposed event."""
        validate_together(
            lambda: validate_request_id(request_id),
            lambda: domain.validate_disposal(choices, reason, follow_up_days),
        )

        def change(session: Session, alert: Alert, now: datetime) -> Alert:
            disposed = domain.dispose(alert, choices, reason, follow_up_days=follow_up_days, now=now)
            self._announce(session, disposed, publish.alert_disposed(disposed), request_id)
            return disposed

        key = fingerprint_of(tuple(choices), reason, follow_up_days)
        return self._change("DisposeAlert", request_id, alert_id, key, change)

    def close(
        self, request_id: str, alert_id: str, downstream: Sequence[tuple[Disposition | None, str]], note: str
    ) -> Alert:
        """DOMAIN §8.3 step 4."""
        validate_together(
            lambda: validate_request_id(request_id), lambda: domain.validate_closing(downstream, note)
        )

        def change(session: Session, alert: Alert, now: datetime) -> Alert:
            closed = domain.close(alert, downstream, note, now=now)
            self._announce(session, closed, publish.alert_closed(closed), request_id)
            return closed

        return self._change(
            "CloseAlert", request_id, alert_id, fingerprint_of(tuple(downstream), note), change
        )

    # -- the SLA sweep --------------------------------------------------------------------------

    def sweep(self, batch_size: int = 200) -> int:
        """Flag alerts not verified by their due time, once each, with an AlertOverdue event; then refresh
        the open-alerts gauge. Returns how many were flagged."""
        database = self.persistence.database
        now = self.clock()
        with database.read() as session:
            due = store.overdue_candidates(session, sorted(domain.UNVERIFIED), now, batch_size)
        flagged = 0
        for alert_id in due:
            with database.transaction() as session:
                alert = store.get_alert(session, alert_id, for_update=True)
                # Another sweeper, or the assignee's verification, may have come first.
                if alert is None or not domain.is_overdue(alert, now):
                    continue
                overdue = domain.flag_overdue(alert, now)
                store.save_alert(session, overdue)
                self._announce(session, overdue, publish.alert_overdue(overdue), "overdue-sweep")
                after_commit(
                    session, lambda trigger=overdue.trigger: ALERTS_OVERDUE.labels(trigger.code).inc()
                )
                flagged += 1
        with database.read() as session:
            counts = store.open_counts_by_trigger(session)
        for trigger in Trigger:
            ALERTS_OPEN.labels(trigger.code).set(counts.get(trigger, 0))
        if flagged:
            log.info("monitoring alerts overdue", extra={"count": flagged})
        return flagged

    # -- queries --------------------------------------------------------------------------------

    def get(self, alert_id: str) -> Alert:
        with self.persistence.database.read() as session:
            return self.get_in(session, alert_id)

    def get_in(self, session: Session, alert_id: str) -> Alert:
        return self._load(session, alert_id)

    def list(
        self, region: str, state: AlertState | None, trigger: Trigger | None, overdue_only: bool, page: Page
    ) -> list[Alert]:
        prefix = RegionCode.parse(region, field="region").prefix
        with self.persistence.database.read() as session:
            return store.list_alerts(session, prefix, state, trigger, overdue_only, page)


# -- the wiring (called by main.py) ---------------------------------------------------------------


def monitoring_use_cases(context: ServiceContext) -> AlertUseCases:
    """One set per process, shared by the API, the consumer and the sweep."""

    def build() -> AlertUseCases:
        settings = monitoring_settings(context.settings)
        return AlertUseCases(context, thresholds=thresholds_of(settings), sla=sla_of(settings))

    return context.shared("monitoring", build)


def monitoring_subscriptions(context: ServiceContext) -> list[Subscription]:
    """``doudi.external.monitoring.v1``: external systems' monitoring events, through the inbox."""
    use_cases = monitoring_use_cases(context)
    return [
        publish.monitoring_event_subscription(
            lambda session, event, cause: use_cases.report_in(session, event, cause=cause)
        )
    ]


def monitoring_workers(context: ServiceContext) -> list[Worker]:
    """The overdue sweep (``alert.sla``, DOMAIN §3), run by the consume role."""
    settings = monitoring_settings(context.settings)
    use_cases = monitoring_use_cases(context)
    batch = settings.monitoring_overdue_batch_size
    return [
        periodic(
            "alert-overdue-sweep", settings.monitoring_overdue_sweep_seconds, lambda: use_cases.sweep(batch)
        )
    ]
