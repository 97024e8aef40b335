"""Re-determination of every Dibao entitlement in a region under a newly published version (DOMAIN §3,
§5.1.6).

A province can hold a million entitlements, so the run never holds one transaction: it walks the entitlements
in key order a batch at a time, and each batch writes its changed entitlements, their audit records, their
EntitlementChanged events and the run's cursor in one transaction. A stopped run resumes after its cursor
(the sweep takes over a run whose runner's lease ran out), so no entitlement is examined twice for one
version and none gets two decisions or events for one standard change. Progress is the run's row.

A changed amount applies from the version's effective month, or next month if that is past; an active
entitlement no longer eligible under the new standard goes to review (never stopped by the batch). The
entitlements resting on a re-determined Dibao (a child's FUC top-up) follow it in the same batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from doudi.eligibility.v1 import events_pb2
from doudi_common.calendar import china_date
from doudi_common.errors import DomainError, NotFound
from doudi_common.ids import new_ids
from doudi_common.period import Period
from doudi_eligibility.app.common import REDETERMINED, TOPIC_ENTITLEMENTS, Commands
from doudi_eligibility.app.dependents import follow_redetermined
from doudi_eligibility.app.parameters import ParameterBook
from doudi_eligibility.domain.case_file import household_of
from doudi_eligibility.domain.machines.entitlement import State
from doudi_eligibility.domain.machines.roles import Role
from doudi_eligibility.domain.rules.dibao_bulk import DibaoRates, facts_of
from doudi_eligibility.events import mapping
from doudi_eligibility.store import records as store
from doudi_eligibility.store import redeterminations as runs
from doudi_eligibility.store.records import EntitlementRecord
from doudi_runtime.events.outbox import PendingEvent
from doudi_runtime.store.hooks import after_commit

#: States whose amount follows a new standard (a 渐退 amount stays frozen; ending ones are left alone).
REDETERMINABLE = [
    State.PENDING_START.value,
    State.ACTIVE.value,
    State.UNDER_REVIEW.value,
    State.SUSPENDED.value,
]


@dataclass(frozen=True)
class Redetermination:
    """Where the re-determination under one version stands."""

    examined: int
    changed: int
    referred_to_review: int
    set_id: str = ""
    done: bool = True
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @classmethod
    def of(cls, run: runs.RunRow) -> Redetermination:
        return cls(
            run.examined,
            run.changed,
            run.referred_to_review,
            run.set_id,
            run.done,
            run.started_at,
            run.finished_at,
        )


@dataclass
class _Batch:
    """What one batch writes."""

    saved: list[EntitlementRecord] = field(default_factory=list)
    audits: list[dict[str, object]] = field(default_factory=list)
    events: list[PendingEvent] = field(default_factory=list)
    #: Each re-determined entitlement before and after, for the entitlements resting on it.
    redetermined: list[tuple[EntitlementRecord, EntitlementRecord]] = field(default_factory=list)
    changed: int = 0
    referred: int = 0


@dataclass
class RedeterminationUseCases:
    commands: Commands
    book: ParameterBook
    batch_size: int = 1000
    #: How long a runner holds a run between batches before the sweep may take it over.
    lease: timedelta = timedelta(minutes=2)
    _rates: dict[str, DibaoRates] = field(default_factory=dict, repr=False)

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.commands.clock

    def start(self, session: Session, set_id: str, region_prefix: str, effective_from: date) -> None:
        """Records the run in the caller's transaction (the one publishing the version)."""
        now = self.clock()
        runs.insert_run(
            session,
            set_id=set_id,
            region_prefix=region_prefix,
            effective_from=effective_from,
            at=now,
            lease_until=now + self.lease,
        )

    def progress(self, set_id: str) -> Redetermination | None:
        with self.commands.persistence.database.read() as session:
            run = runs.get_run(session, set_id)
        return None if run is None else Redetermination.of(run)

    def run(self, set_id: str) -> Redetermination:
        """Batches until the run is done; safe beside another runner of the same run."""
        while True:
            progress = self._batch(set_id)
            if progress.done:
                return progress

    def resume_abandoned(self, limit: int = 10) -> int:
        """The sweep's part: finish runs whose runner stopped (its lease ran out), oldest first."""
        with self.commands.persistence.database.read() as session:
            found = runs.runs_to_resume(session, self.clock(), limit)
        for set_id in found:
            self.run(set_id)
        return len(found)

    # -- one batch ------------------------------------------------------------------------------

    def _batch(self, set_id: str) -> Redetermination:
        with self.commands.persistence.database.transaction() as session:
            run = runs.get_run(session, set_id, for_update=True)
            if run is None:
                raise NotFound(f"no re-determination under parameter set {set_id!r}")
            if run.done:
                return Redetermination.of(run)
            now = self.clock()
            found = runs.candidates(
                session, run.region_prefix, REDETERMINABLE, "DIBAO", run.cursor, self.batch_size
            )
            if not found:
                finished = replace(run, done=True, finished_at=now, lease_until=now)
                runs.save_run(session, finished)
                return Redetermination.of(finished)
            batch = self._assess(session, run, found, now)
            store.save_entitlements(session, batch.saved, now)
            store.audit_many(session, batch.audits)
            self.commands.persistence.outbox.add_many(session, topic=TOPIC_ENTITLEMENTS, events=batch.events)
            if batch.redetermined:
                registry = self.book.registry(session)
                follow_redetermined(
                    self.commands,
                    session,
                    batch.redetermined,
                    lambda record: registry.resolve(record.region, run.effective_from),
                    run.set_id,
                )
            advanced = replace(
                run,
                cursor=found[-1].entitlement_id,
                examined=run.examined + len(found),
                changed=run.changed + batch.changed,
                referred_to_review=run.referred_to_review + batch.referred,
                lease_until=now + self.lease,
            )
            runs.save_run(session, advanced)
            changed, referred = batch.changed, batch.referred
            after_commit(session, lambda: _count(changed, referred))
            return Redetermination.of(advanced)

    def _assess(
        self, session: Session, run: runs.RunRow, found: list[runs.Candidate], now: datetime
    ) -> _Batch:
        effective = max(Period.of(run.effective_from), Period.of(china_date(now)).next())
        registry = self.book.registry(session)
        by_region: dict[str, DibaoRates] = {}
        # What each candidate gets, in key order: a new amount (int) or review (the problem, if any).
        results: list[tuple[runs.Candidate, int | str, str]] = []
        for candidate in found:
            if candidate.case_body is None:
                continue
            application, report, survey = runs.case_facts(candidate.case_body)
            if report is None or survey is None:
                continue
            rates = by_region.get(application.region)
            if rates is None:
                params = registry.resolve(application.region, run.effective_from)
                rates = self._rates.get(params.version)
                if rates is None:
                    rates = self._rates[params.version] = DibaoRates.of(params)
                by_region[application.region] = rates
            try:
                facts = facts_of(household_of(application, report, survey, run.effective_from))
            except (DomainError, ValueError) as error:
                # One unreadable case file must not stop a province's run: a caseworker reassesses it.
                results.append((candidate, f"case facts unreadable: {error}", rates.version))
                continue
            outcome = rates.evaluate(facts)
            if not outcome.approved:
                results.append((candidate, "", rates.version))
            elif outcome.monthly_amount_fen != candidate.monthly_amount_fen:
                results.append((candidate, outcome.monthly_amount_fen, rates.version))
        # The batch's decisions get their ids at once (as many made one after another would be).
        decision_ids = iter(new_ids("dec", sum(1 for _, r, _ in results if isinstance(r, int))))
        batch = _Batch()
        for candidate, amount, version in results:
            if isinstance(amount, str):
                self._refer(batch, candidate, now, version, amount)
                continue
            record = candidate.record()
            before = record.entitlement
            after = before.redetermine(amount, effective, Role.SYSTEM)
            moved = record.moved(after, next(decision_ids), parameter_version=version)
            batch.saved.append(moved)
            batch.redetermined.append((record, moved))
            batch.audits.append(
                _entry(moved, "re-determined", now, version, {"before_fen": before.monthly_amount_fen})
            )
            before_pb, after_pb = mapping.entitlement_change_pbs(record, moved)
            batch.events.append(
                PendingEvent(
                    record.subject_id,
                    events_pb2.EntitlementChanged(
                        before=before_pb,
                        after=after_pb,
                        effective_month=mapping.period_pb(effective),
                        reason=f"new standard: parameter version {version}",
                    ),
                    run.set_id,
                )
            )
            batch.changed += 1
        return batch

    @staticmethod
    def _refer(batch: _Batch, candidate: runs.Candidate, now: datetime, version: str, problem: str) -> None:
        """An active entitlement goes to review (payments continue meanwhile); others are left as they are."""
        if candidate.state != State.ACTIVE.value:
            return
        record = candidate.record()
        moved = record.moved(record.entitlement.start_review(Role.SYSTEM), record.last_decision_id)
        extra = {"problem": problem} if problem else {}
        batch.saved.append(moved)
        batch.audits.append(_entry(moved, "review after new standard", now, version, extra))
        batch.referred += 1


def _entry(
    record: EntitlementRecord, action: str, at: datetime, version: str, extra: dict[str, object]
) -> dict[str, object]:
    detail = {"version": version, **extra, "state": record.entitlement.state.value}
    return {
        "subject_id": record.entitlement_id,
        "action": action,
        "actor_role": Role.SYSTEM.value,
        "actor_id": "system",
        "at": at,
        "detail": detail,
    }


def _count(changed: int, referred: int) -> None:
    REDETERMINED.labels("changed").inc(changed)
    REDETERMINED.labels("referred_to_review").inc(referred)
