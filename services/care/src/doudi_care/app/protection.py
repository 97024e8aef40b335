"""Use-cases of children's protection: a mandatory report opens an emergency case with deadlines; steps
are recorded in order; a sweep escalates every step whose deadline passed undone to the county."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from doudi_care.app import metrics
from doudi_care.app.ledger import LedgerUseCases
from doudi_care.domain import protection as rules
from doudi_care.domain import visits as visit_rules
from doudi_care.domain.ledger import LedgerEntry, RiskLevel, township_of
from doudi_care.domain.protection import ProtectionCase, ProtectionDeadlines, ProtectionStep
from doudi_care.events import publish
from doudi_care.store import ledger as ledger_store
from doudi_care.store import protection as store
from doudi_common.calendar import china_date
from doudi_common.errors import FailedPrecondition, InvalidArgument, NotFound
from doudi_common.idcard import age_on, parse_id_number
from doudi_common.ids import new_id
from doudi_common.phone import parse_phone
from doudi_common.region import RegionCode, RegionLevel
from doudi_common.validation import Violations
from doudi_runtime.commands import AfterCommit, Commands, request_id_check, require_id, validate_together
from doudi_runtime.idempotency import fingerprint_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChildReport:
    """A mandatory report (强制报告): the child by ledger entry, or by identity and village."""

    entry_id: str
    id_number: str
    name: str
    region: str
    description: str
    reporter: str
    contact_phone: str


@dataclass
class ProtectionUseCases(Commands):
    ledger: LedgerUseCases | None = None
    deadlines: ProtectionDeadlines = field(default_factory=ProtectionDeadlines)
    batch_size: int = 200

    def _announce(self, session: Session, case: ProtectionCase, payload: object, cause: str) -> None:
        # Keyed by the child's entry when there is one, so the child's care events stay in order.
        self.persistence.outbox.add(
            session,
            topic=publish.TOPIC_VISITS,
            subject_key=case.entry_id or case.case_id,
            payload=payload,  # type: ignore[arg-type]
            causation_id=cause,
        )

    def _load(self, session: Session, case_id: str, *, for_update: bool = False) -> ProtectionCase:
        case = store.get_case(session, case_id, for_update=for_update)
        if case is None:
            raise NotFound(f"no protection case {case_id!r}")
        return case

    def _check(self, request_id: str, report: ChildReport) -> None:
        v = Violations()
        try:
            request_id_check(request_id)()
        except InvalidArgument as error:
            v.absorb(error)
        today = china_date(self.clock())
        if not report.entry_id.strip():
            with v.nested("child"):
                resident = v.require_id_number(report.id_number, "id_number", today=today)
                if resident is not None and age_on(resident, today) >= 18:
                    v.add("id_number", "is of an adult; a mandatory report concerns a minor")
                if not report.name.strip():
                    v.add("name", "is required")
            v.require_region(report.region, "region", level=RegionLevel.VILLAGE)
        for name, value, limit in (
            ("description", report.description, 2000),
            ("reporter", report.reporter, 100),
        ):
            if not value.strip():
                v.add(name, "is required")
            elif len(value) > limit:
                v.add(name, f"must be at most {limit} characters")
        if report.contact_phone.strip():
            try:
                parse_phone(report.contact_phone, field="contact_phone")
            except InvalidArgument as error:
                v.absorb(error)
        v.raise_if_any()

    def report(self, request_id: str, report: ChildReport) -> ProtectionCase:
        self._check(request_id, report)

        def perform(session: Session, now: datetime, _after: AfterCommit) -> tuple[str, ProtectionCase]:
            entry: LedgerEntry | None = None
            if report.entry_id.strip():
                entry = ledger_store.get_entry(session, report.entry_id, for_update=True)
                if entry is None:
                    raise NotFound(f"no ledger entry {report.entry_id!r}")
                if not entry.ledger.is_children:
                    raise FailedPrecondition(f"ledger entry {entry.entry_id} is not on a children's ledger")
            id_number = entry.id_number if entry else parse_id_number(report.id_number).value
            region = RegionCode(entry.region) if entry else RegionCode(report.region)
            phone = parse_phone(report.contact_phone) if report.contact_phone.strip() else ""
            case = rules.open_case(
                case_id=new_id("case"),
                entry_id=entry.entry_id if entry else "",
                child_id_number=id_number,
                child_name=entry.name if entry else report.name.strip(),
                region=region.code,
                township=township_of(region),
                description=report.description.strip(),
                reporter=report.reporter.strip(),
                contact_phone=phone or (entry.contact_phone if entry else ""),
                reported_at=now,
                deadlines=self.deadlines,
            )
            store.insert_case(session, case)
            self._announce(session, case, publish.protection_case_opened(case), request_id)
            if entry is not None and self.ledger is not None:
                # The child becomes high risk and is due a visit today (DOMAIN §9.2: 24 h after a change).
                changed = visit_rules.change_risk(
                    entry,
                    RiskLevel.HIGH,
                    policy=self.ledger.policy,
                    today=china_date(now),
                    now=now,
                    visit_now=True,
                )
                ledger_store.save_entry(session, changed)
                if changed.risk_level is not entry.risk_level or changed.next_due != entry.next_due:
                    self.ledger.announce(
                        session,
                        entry.entry_id,
                        publish.risk_level_changed(entry, changed, f"mandatory report {case.case_id}"),
                        request_id,
                    )
            return case.case_id, case

        return self.once("ReportChildProtection", request_id, fingerprint_of(report), perform, self._replay)

    def _replay(self, session: Session, case_id: str) -> ProtectionCase:
        return self._load(session, case_id)

    def record_step(
        self, request_id: str, case_id: str, step: ProtectionStep | None, note: str
    ) -> ProtectionCase:
        def check_step() -> None:
            if step is None:
                raise InvalidArgument.single("step", "is required")

        def check_note() -> None:
            if not note.strip():
                raise InvalidArgument.single("note", "is required: what was done")
            if len(note) > 2000:
                raise InvalidArgument.single("note", "must be at most 2000 characters")

        validate_together(
            request_id_check(request_id), require_id(case_id, "case_id"), check_step, check_note
        )
        assert step is not None

        def perform(session: Session, now: datetime, _after: AfterCommit) -> tuple[str, ProtectionCase]:
            case = rules.record_step(
                self._load(session, case_id, for_update=True), step, at=now, note=note.strip()
            )
            store.save_case(session, case)
            self._announce(
                session, case, publish.protection_step_recorded(case, step, now, note.strip()), request_id
            )
            return case.case_id, case

        return self.once(
            "RecordProtectionStep", request_id, fingerprint_of(case_id, step, note), perform, self._replay
        )

    def get(self, case_id: str) -> ProtectionCase:
        validate_together(require_id(case_id, "case_id"))
        with self.persistence.database.read() as session:
            return self._load(session, case_id)

    def sweep(self) -> int:
        """Escalate every step past its deadline to the county (ProtectionStepOverdue); returns how many."""
        database = self.persistence.database
        now = self.clock()
        escalated = 0
        with database.read() as session:
            ids = store.due_case_ids(session, now, self.batch_size)
        for case_id in ids:
            with database.transaction() as session:
                case = store.get_case(session, case_id, for_update=True)
                if case is None:
                    continue
                steps = rules.newly_overdue(case, now)
                if not steps:
                    continue
                escalated_case = rules.escalate(case, steps)
                for step in steps:
                    self._announce(
                        session,
                        escalated_case,
                        publish.protection_step_overdue(case, step),
                        "protection-sweep",
                    )
                store.save_case(session, escalated_case)
            for step in steps:
                metrics.PROTECTION_ESCALATIONS.labels(step.value.lower()).inc()
            escalated += len(steps)
        if escalated:
            log.warning("children's protection steps escalated to the county", extra={"count": escalated})
        return escalated
