"""Use-cases on ledgers and visits: register and import, read by region, re-tier, record visits, react to
entitlements and alerts, and the sweep that finds due and overdue visits every day."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from google.protobuf.message import Message
from sqlalchemy.orm import Session

from doudi_care.app import metrics
from doudi_care.domain import entitlements as entitlement_rules
from doudi_care.domain import visits as visit_rules
from doudi_care.domain import workorders as order_rules
from doudi_care.domain.entitlements import EntitlementNews, Standing
from doudi_care.domain.ledger import (
    DETAILS_OF,
    ChildCategory,
    ChildDetails,
    EntrySource,
    EntryStatus,
    Ledger,
    LedgerEntry,
    LedgerRules,
    PlannedVisit,
    Registration,
    RiskLevel,
    ValidRegistration,
    gets_care_services,
    township_of,
    validate_registration,
)
from doudi_care.domain.schedule import VisitPolicy, VisitStage, announce_by, stage_on, stages_to_announce
from doudi_care.domain.visits import Visit, VisitReport
from doudi_care.events import publish
from doudi_care.store import ledger as store
from doudi_care.store import workorders as order_store
from doudi_care.store.ledger import due_key
from doudi_common.calendar import china_date
from doudi_common.errors import AlreadyExists, FailedPrecondition, FieldViolation, InvalidArgument, NotFound
from doudi_common.ids import new_id
from doudi_common.period import Period
from doudi_common.region import RegionCode, RegionLevel
from doudi_common.validation import Violations
from doudi_runtime.commands import AfterCommit, Commands, request_id_check, require_id, validate_together
from doudi_runtime.events.outbox import PendingEvent
from doudi_runtime.idempotency import fingerprint_of
from doudi_runtime.paging import Page

log = logging.getLogger(__name__)

MAX_TEXT = 2000
#: Entries the visit plan runs for (a closed entry is off the ledger, a suspended one rests).
SWEPT_STATUSES = (EntryStatus.ACTIVE, EntryStatus.PENDING_DETAILS)
__all__ = ["AlertNotice", "EntitlementFact", "ImportResult", "ImportRow", "LedgerUseCases", "due_key"]


@dataclass(frozen=True)
class ImportRow:
    """One row of an import: the registration, or the faults the API already found mapping it."""

    registration: Registration | None
    violations: tuple[FieldViolation, ...] = ()


@dataclass(frozen=True)
class ImportResult:
    import_id: str
    imported: tuple[tuple[int, str], ...]
    errors: tuple[tuple[int, tuple[FieldViolation, ...]], ...]


@dataclass(frozen=True)
class EntitlementFact:
    """What care reads from an entitlement event (only fields every Entitlement carries)."""

    kind: str
    standing: Standing
    entitlement_id: str
    subject_id: str
    programme: str
    region: str
    payee_name: str
    guardian_name: str


@dataclass(frozen=True)
class AlertNotice:
    """What care reads from a monitoring alert: who, which household, how urgent."""

    alert_id: str
    trigger: str
    id_number: str
    household_id: str
    emergency: bool


#: Which ledger an activated entitlement opens (DOMAIN §9.1; a Tekun entitlement is read as dispersed
#: support, since the Entitlement message does not say which; the township closes the entry of a person in
#: centralised support with CloseLedgerEntry).
PROGRAMME_LEDGERS: dict[str, tuple[Ledger, str | None]] = {
    "TEKUN": (Ledger.TEKUN_DISPERSED, None),
    "DISABILITY_LIVING_SUBSIDY": (Ledger.DISABLED, None),
    "SEVERE_DISABILITY_CARE_SUBSIDY": (Ledger.DISABLED, None),
    "ORPHAN_ALLOWANCE": (Ledger.CHILD_IN_DIFFICULTY, "ORPHAN"),
    "UNSUPPORTED_CHILD_ALLOWANCE": (Ledger.CHILD_IN_DIFFICULTY, "UNSUPPORTED"),
}
#: The programme whose rural class-1 households may get care work orders (DOMAIN §9.3).
DIBAO = "DIBAO"


@dataclass
class LedgerUseCases(Commands):
    policy: VisitPolicy = field(default_factory=VisitPolicy)
    rules: LedgerRules = field(default_factory=LedgerRules)
    max_import_rows: int = 1000
    batch_size: int = 200

    # -- plumbing -------------------------------------------------------------------------------

    def announce(self, session: Session, key: str, payload: Message, cause: str) -> None:
        self.persistence.outbox.add(
            session, topic=publish.TOPIC_VISITS, subject_key=key, payload=payload, causation_id=cause
        )

    def load(self, session: Session, entry_id: str, *, for_update: bool = False) -> LedgerEntry:
        entry = store.get_entry(session, entry_id, for_update=for_update)
        if entry is None:
            raise NotFound(f"no ledger entry {entry_id!r}")
        return entry

    def today(self) -> date:
        return china_date(self.clock())

    def stage(self, entry: LedgerEntry | PlannedVisit, today: date) -> VisitStage:
        return stage_on(entry.next_due, today, self.policy)

    def first_due(self, ledger: Ledger, risk: RiskLevel, details: object, today: date) -> date:
        category = getattr(details, "category", None)
        return self.policy.interval_for(ledger, risk, category).after(today)

    # -- registering ----------------------------------------------------------------------------

    def _enter(
        self, session: Session, valid: ValidRegistration, source: EntrySource, now: datetime
    ) -> LedgerEntry:
        today = china_date(now)
        existing = store.find_entry(session, valid.ledger, valid.id_number, for_update=True)
        pending = (
            store.find_entry(session, valid.ledger, f"subject:{valid.subject_id}", for_update=True)
            if valid.subject_id
            else None
        )
        if existing is not None and (existing.is_open or pending is not None):
            raise AlreadyExists(
                f"the person is already on the {valid.ledger.value} ledger as {existing.entry_id}"
            )
        care = gets_care_services(valid.ledger, valid.rural_class1_dibao, self.rules)
        fields_ = {
            "id_number": valid.id_number,
            "name": valid.name,
            "phone": valid.phone,
            "region": valid.region.code,
            "township": township_of(valid.region),
            "details": valid.details,
            "provider_id": valid.provider_id,
            "care_services": care,
            "rural_class1_dibao": valid.rural_class1_dibao,
            "status": EntryStatus.ACTIVE,
            "updated_at": now,
        }
        if pending is not None:
            # The township completes what an entitlement opened: same entry, same visit plan.
            entry = replace(pending, **fields_)  # type: ignore[arg-type]
            if pending.status is EntryStatus.SUSPENDED:
                entry = replace(entry, status=EntryStatus.SUSPENDED)  # its entitlement is still suspended
            if entry.risk_level is not valid.risk_level:
                entry = visit_rules.change_risk(
                    entry, valid.risk_level, policy=self.policy, today=today, now=now, visit_now=False
                )
            store.save_entry(session, entry)
            return entry
        due = self.first_due(valid.ledger, valid.risk_level, valid.details, today)
        if existing is not None:
            entry = replace(
                existing,
                **fields_,  # type: ignore[arg-type]
                risk_level=valid.risk_level,
                source=source,
                subject_id=valid.subject_id,
                next_due=due,
                announced_stage=VisitStage.SCHEDULED.value,
            )
            store.save_entry(session, entry)
            return entry
        entry = LedgerEntry(
            entry_id=new_id("entry"),
            ledger=valid.ledger,
            risk_level=valid.risk_level,
            source=source,
            subject_id=valid.subject_id,
            next_due=due,
            announced_stage=VisitStage.SCHEDULED.value,
            registered_at=now,
            **fields_,  # type: ignore[arg-type]
        )
        store.insert_entry(session, entry)
        return entry

    def register(
        self, request_id: str, registration: Registration, faults: Violations | None = None
    ) -> LedgerEntry:
        """Enter a person; ``faults`` holds what the API found translating the request."""
        v = faults if faults is not None else Violations()
        try:
            request_id_check(request_id)()
        except InvalidArgument as error:
            v.absorb(error)
        with v.nested("registration"):
            valid = validate_registration(registration, china_date(self.clock()), self.rules, v)
        v.raise_if_any()
        assert valid is not None

        def perform(session: Session, now: datetime, _after: AfterCommit) -> tuple[str, LedgerEntry]:
            entry = self._enter(session, valid, EntrySource.REGISTRATION, now)
            return entry.entry_id, entry

        return self.once(
            "RegisterPerson",
            request_id,
            fingerprint_of(registration),
            perform,
            lambda s, ref: self.load(s, ref),
        )

    def import_rows(self, request_id: str, rows: Sequence[ImportRow], region: str = "") -> ImportResult:
        """Valid rows are entered, each other row comes back with every fault (DOMAIN §12.3 checks).

        When the import names its ``region``, a row of a person living outside it is refused as a row
        error: the region is what a township's or village's scope was checked against.
        """
        scopes: list[RegionCode] = []
        validate_together(
            request_id_check(request_id),
            lambda: scopes.append(RegionCode.parse(region, field="region")) if region else None,
        )
        scope = scopes[0] if scopes else None
        if not rows:
            raise InvalidArgument.single("rows", "must hold at least one row")
        if len(rows) > self.max_import_rows:
            raise InvalidArgument.single("rows", f"must hold at most {self.max_import_rows} rows per import")
        today = china_date(self.clock())
        checked: list[tuple[int, ValidRegistration | None, tuple[FieldViolation, ...]]] = []
        for index, row in enumerate(rows):
            v = Violations()
            for violation in row.violations:
                v.add(violation.field, violation.description)
            valid = None
            if row.registration is not None:
                valid = validate_registration(row.registration, today, self.rules, v)
            if valid is not None and scope is not None and not scope.contains(valid.region):
                v.add("region", f"lies outside the import's region {scope.code}")
            checked.append((index, None if v else valid, v.violations))

        def perform(session: Session, now: datetime, _after: AfterCommit) -> tuple[str, ImportResult]:
            imported: list[tuple[int, str]] = []
            errors: list[tuple[int, tuple[FieldViolation, ...]]] = []
            for index, valid, violations in checked:
                if valid is None:
                    errors.append((index, violations))
                    continue
                try:
                    entry = self._enter(session, valid, EntrySource.IMPORT, now)
                except AlreadyExists as error:
                    errors.append((index, (FieldViolation("person.id_number", error.message),)))
                    continue
                imported.append((index, entry.entry_id))
            result = ImportResult(new_id("import"), tuple(imported), tuple(errors))
            store.insert_import(session, result.import_id, _result_to_json(result), now)
            return result.import_id, result

        def replay(session: Session, import_id: str) -> ImportResult:
            saved = store.get_import(session, import_id)
            assert saved is not None
            return _result_from_json(import_id, saved)

        return self.once("ImportLedger", request_id, fingerprint_of(region, *rows), perform, replay)

    # -- reading --------------------------------------------------------------------------------

    def get(self, entry_id: str) -> tuple[LedgerEntry, VisitStage]:
        validate_together(require_id(entry_id, "entry_id"))
        with self.persistence.database.read() as session:
            entry = self.load(session, entry_id)
        return entry, self.stage(entry, china_date(self.clock()))

    def list(self, region: str, ledger: Ledger | None, page: Page) -> list[tuple[LedgerEntry, VisitStage]]:
        code = _scope(region)
        today = china_date(self.clock())
        with self.persistence.database.read() as session:
            entries = store.list_entries(session, code, ledger, page)
        return [(e, self.stage(e, today)) for e in entries]

    def list_due(self, region: str, overdue_only: bool, page: Page) -> list[tuple[LedgerEntry, VisitStage]]:
        code = _scope(region)
        today = china_date(self.clock())
        due_by = today - timedelta(days=self.policy.grace_days + 1) if overdue_only else today
        with self.persistence.database.read() as session:
            entries = store.list_due(session, code, due_by, page)
        return [(e, self.stage(e, today)) for e in entries]

    # -- changing -------------------------------------------------------------------------------

    def change_risk(self, request_id: str, entry_id: str, risk: RiskLevel | None, reason: str) -> LedgerEntry:
        def check_risk() -> None:
            if risk is None:
                raise InvalidArgument.single("risk_level", "is required")

        def check_reason() -> None:
            if not reason.strip():
                raise InvalidArgument.single("reason", "is required: every change is audited with its reason")
            if len(reason) > MAX_TEXT:
                raise InvalidArgument.single("reason", f"must be at most {MAX_TEXT} characters")

        validate_together(
            request_id_check(request_id), require_id(entry_id, "entry_id"), check_risk, check_reason
        )
        assert risk is not None

        def perform(session: Session, now: datetime, _after: AfterCommit) -> tuple[str, LedgerEntry]:
            entry = self.load(session, entry_id, for_update=True)
            changed = visit_rules.change_risk(
                entry, risk, policy=self.policy, today=china_date(now), now=now, visit_now=False
            )
            store.save_entry(session, changed)
            if changed.risk_level is not entry.risk_level:
                self.announce(
                    session, entry.entry_id, publish.risk_level_changed(entry, changed, reason), request_id
                )
            return changed.entry_id, changed

        return self.once(
            "ChangeRiskLevel",
            request_id,
            fingerprint_of(entry_id, risk, reason),
            perform,
            lambda s, ref: self.load(s, ref),
        )

    def close(self, request_id: str, entry_id: str, reason: str) -> LedgerEntry:
        """Take a person off the ledger (moved away, died, centralised support); a closed entry is not
        visited and gets no work orders; a later entitlement of the same subject opens it again."""

        def check_reason() -> None:
            if not reason.strip():
                raise InvalidArgument.single("reason", "is required: every change is audited with its reason")
            if len(reason) > MAX_TEXT:
                raise InvalidArgument.single("reason", f"must be at most {MAX_TEXT} characters")

        validate_together(request_id_check(request_id), require_id(entry_id, "entry_id"), check_reason)

        def perform(session: Session, now: datetime, _after: AfterCommit) -> tuple[str, LedgerEntry]:
            entry = self.load(session, entry_id, for_update=True)
            if not entry.is_open:
                raise FailedPrecondition(f"ledger entry {entry_id} is already closed")
            closed = replace(entry, status=EntryStatus.CLOSED, updated_at=now)
            store.save_entry(session, closed)
            return closed.entry_id, closed

        return self.once(
            "CloseLedgerEntry",
            request_id,
            fingerprint_of(entry_id, reason),
            perform,
            lambda s, ref: self.load(s, ref),
        )

    def record_visit(
        self, request_id: str, entry_id: str, report: VisitReport | None, faults: Violations
    ) -> Visit:
        v = faults
        try:
            request_id_check(request_id)()
        except InvalidArgument as error:
            v.absorb(error)
        if not entry_id.strip():
            v.add("entry_id", "is required")
        now = self.clock()
        if report is not None:
            if report.visited_at > now + timedelta(minutes=5):
                v.add("visited_at", "must not be in the future")
            for name, value, limit in (
                ("place", report.place, 200),
                ("findings", report.findings, MAX_TEXT),
                ("visitor", report.visitor, 50),
            ):
                if not value.strip():
                    v.add(name, "is required")
                elif len(value) > limit:
                    v.add(name, f"must be at most {limit} characters")
        v.raise_if_any()
        assert report is not None

        def perform(session: Session, now: datetime, after: AfterCommit) -> tuple[str, Visit]:
            entry = self.load(session, entry_id, for_update=True)
            visit, updated = visit_rules.record_visit(
                entry, report, visit_id=new_id("visit"), policy=self.policy, now=now
            )
            store.insert_visit(session, visit)
            store.save_entry(session, updated)
            if visit.risk_found:
                self.announce(session, entry.entry_id, publish.risk_reported(updated, visit), request_id)
            after.add(lambda: metrics.VISITS.labels(entry.ledger.label, visit.outcome).inc())
            return visit.visit_id, visit

        def replay(session: Session, visit_id: str) -> Visit:
            visit = store.get_visit(session, visit_id)
            assert visit is not None
            return visit

        return self.once("RecordVisit", request_id, fingerprint_of(entry_id, report), perform, replay)

    # -- facts from other services (called inside the inbox transaction) -----------------------

    def apply_entitlement(self, session: Session, fact: EntitlementFact, now: datetime) -> None:
        """Follow an entitlement's news (DOMAIN §7.3): activation opens (or reopens) a ledger entry,
        suspension rests it, resumption works it again, termination closes it (see
        ``domain.entitlements``); a household's Dibao holds or withdraws class-1 care services. Applying
        the same news twice changes nothing."""
        if not fact.subject_id:
            return
        today = china_date(now)
        news = EntitlementNews(
            fact.entitlement_id, fact.standing, activation=fact.kind == "EntitlementActivated"
        )
        subject_entries = store.entries_of_subject(session, fact.subject_id, for_update=True)
        if fact.programme == DIBAO:
            for entry in subject_entries:
                self._follow(
                    session, entry, entitlement_rules.apply_dibao_news(entry, news, self.rules, now=now)
                )
            return
        target = PROGRAMME_LEDGERS.get(fact.programme)
        if target is None:
            return
        ledger, category = target
        entries = [e for e in subject_entries if e.ledger is ledger]
        for entry in entries:
            self._follow(
                session, entry, entitlement_rules.apply_ledger_news(entry, news, today=today, now=now)
            )
        if entries or fact.kind != "EntitlementActivated" or fact.standing is not Standing.PAID:
            return
        region = _region_or_none(fact.region)
        if region is None:
            raise ValueError(f"entitlement {fact.entitlement_id} has no usable region {fact.region!r}")
        details_type = DETAILS_OF[ledger]
        details = details_type()
        if category is not None:
            details = ChildDetails(category=ChildCategory(category), guardian_name=fact.guardian_name)
        risk = RiskLevel.GENERAL
        entry = LedgerEntry(
            entry_id=new_id("entry"),
            ledger=ledger,
            id_number="",
            name=fact.payee_name,
            phone="",
            region=region.code,
            township=township_of(region),
            risk_level=risk,
            status=EntryStatus.PENDING_DETAILS,
            source=EntrySource.ENTITLEMENT,
            details=details,
            next_due=self.first_due(ledger, risk, details, today),
            announced_stage=VisitStage.SCHEDULED.value,
            registered_at=now,
            updated_at=now,
            subject_id=fact.subject_id,
            care_services=gets_care_services(ledger, False, self.rules),
            entitlement_ids=(fact.entitlement_id,),
        )
        store.insert_entry(session, entry)

    def _follow(self, session: Session, entry: LedgerEntry, updated: LedgerEntry) -> None:
        if updated is entry:
            return
        store.save_entry(session, updated)
        if entitlement_rules.loses_work_orders(entry, updated):
            period = Period.of(china_date(updated.updated_at))
            reason = "entitlement suspended or ended"
            for order in order_store.open_orders_of_entry(session, entry.entry_id, period):
                order_store.save_order(
                    session, order_rules.cancel(order, reason=reason, now=updated.updated_at)
                )

    def apply_alert(self, session: Session, notice: AlertNotice, now: datetime) -> int:
        """A monitoring alert about someone on a ledger raises their tier and makes a visit due today
        (DOMAIN §8.2: every trigger's action starts with a visit); returns how many entries changed."""
        if notice.trigger == "OVERDUE_CARE":
            return 0  # care raised it itself (M14): the overdue visit is already escalated
        today = china_date(now)
        changed = 0
        for entry in store.open_entries_of_person(
            session, notice.id_number, notice.household_id, for_update=True
        ):
            risk = RiskLevel.HIGH if notice.emergency else entry.risk_level.raised()
            updated = visit_rules.change_risk(
                entry, risk, policy=self.policy, today=today, now=now, visit_now=True
            )
            if updated == replace(entry, updated_at=now):
                continue
            store.save_entry(session, updated)
            reason = f"monitoring alert {notice.alert_id} ({notice.trigger})"
            self.announce(
                session, entry.entry_id, publish.risk_level_changed(entry, updated, reason), notice.alert_id
            )
            changed += 1
        return changed

    # -- the daily sweep ------------------------------------------------------------------------

    def sweep_visits(self) -> int:
        """Announce every visit that fell due (VisitDue) or overdue (VisitOverdue to the township, then the
        county) since the last sweep. Returns the announcements made.

        The work is found by index (``announce_by``): only entries with a stage to announce are read, so a
        second run the same day reads nothing. Each batch is one transaction that claims its rows, stamps
        them with one UPDATE per stage and writes their events with one INSERT; replicas running at the
        same time claim different rows (on SQLite they take turns on the write lock and find the rows the
        other already stamped no longer match).
        """
        database = self.persistence.database
        now = self.clock()
        today = china_date(now)
        announced = 0
        for stage, due_by in announce_by(today, self.policy).items():
            for status in SWEPT_STATUSES:
                after: tuple[date, str] | None = None
                while True:
                    with database.transaction() as session:
                        batch = store.claim_to_announce(
                            session, status, stage, due_by, after, self.batch_size
                        )
                        if not batch:
                            break
                        after = (batch[-1].next_due, batch[-1].entry_id)
                        announced += self._announce_batch(session, batch, today, now)
        self.refresh_overdue_gauge()
        if announced:
            log.info("visits announced due or overdue", extra={"count": announced})
        return announced

    def _announce_batch(
        self, session: Session, batch: Sequence[PlannedVisit], today: date, now: datetime
    ) -> int:
        reached: dict[VisitStage, list[str]] = {}
        events: list[PendingEvent] = []
        for entry in batch:
            current = self.stage(entry, today)
            for stage in stages_to_announce(VisitStage(entry.announced_stage), current):
                payload = (
                    publish.visit_due(entry)
                    if stage is VisitStage.DUE
                    else publish.visit_overdue(entry, stage)
                )
                events.append(PendingEvent(entry.entry_id, payload, "visit-sweep"))
            reached.setdefault(current, []).append(entry.entry_id)
        store.mark_announced(session, reached, now)
        self.persistence.outbox.add_many(session, topic=publish.TOPIC_VISITS, events=events)
        return len(events)

    def refresh_overdue_gauge(self) -> None:
        with self.persistence.database.read() as session:
            counts = store.overdue_counts(session, (VisitStage.OVERDUE_TOWNSHIP, VisitStage.OVERDUE_COUNTY))
        by_label = dict.fromkeys(metrics.LEDGER_LABEL_VALUES, 0)
        for ledger, count in counts.items():
            by_label[ledger.label] += count
        for label, count in by_label.items():
            metrics.VISITS_OVERDUE.labels(label).set(count)


def _scope(region: str) -> RegionCode:
    code = RegionCode.parse(region, field="region")
    if code.level not in (RegionLevel.TOWNSHIP, RegionLevel.VILLAGE):
        raise InvalidArgument.single("region", "must be the code of a township or a village")
    return code


def _region_or_none(text: str) -> RegionCode | None:
    try:
        return RegionCode.parse(text)
    except InvalidArgument:
        return None


def _result_to_json(result: ImportResult) -> dict[str, object]:
    return {
        "imported": [[row, entry_id] for row, entry_id in result.imported],
        "errors": [[row, [[v.field, v.description] for v in faults]] for row, faults in result.errors],
    }


def _result_from_json(import_id: str, saved: dict[str, object]) -> ImportResult:
    imported = tuple((int(row), str(entry_id)) for row, entry_id in saved["imported"])  # type: ignore[attr-defined]
    errors = tuple(
        (int(row), tuple(FieldViolation(f, d) for f, d in faults))
        for row, faults in saved["errors"]  # type: ignore[attr-defined]
    )
    return ImportResult(import_id, imported, errors)
