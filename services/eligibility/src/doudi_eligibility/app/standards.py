"""Publishing a parameter set version (DOMAIN §3): validated against the national floors, stored with its
re-determination run in one transaction; the run then re-determines every affected entitlement in batches of
their own transactions (EntitlementChanged events), and a retried publish resumes an unfinished run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from doudi_common.errors import NotFound
from doudi_common.parameters import SourcedSet, shipped_registry
from doudi_common.parameters.resolved import display
from doudi_common.region import RegionCode
from doudi_eligibility.app.common import Actor, Commands
from doudi_eligibility.app.entitlements import EntitlementUseCases
from doudi_eligibility.app.parameters import NewVersion, ParameterBook, to_toml
from doudi_eligibility.app.redetermination import Redetermination, RedeterminationUseCases
from doudi_eligibility.domain.machines.roles import Role, require_role
from doudi_eligibility.store import records as store

#: Who may publish a set: the civil affairs departments of the county and above.
PUBLISHERS = frozenset({Role.COUNTY})


@dataclass(frozen=True)
class VersionView:
    sourced: SourcedSet
    shipped: bool
    published_at: datetime | None = None
    published_by: str = ""


@dataclass
class StandardsUseCases:
    commands: Commands
    book: ParameterBook
    entitlements: EntitlementUseCases
    #: Entitlements examined per transaction of a re-determination run.
    redetermination_batch: int = 1000
    redeterminations: RedeterminationUseCases = field(init=False)

    def __post_init__(self) -> None:
        self.redeterminations = RedeterminationUseCases(
            self.commands, self.book, batch_size=self.redetermination_batch
        )

    def publish(
        self, request_id: str, version: NewVersion, actor: Actor
    ) -> tuple[VersionView, Redetermination]:
        """Stores the version and runs its re-determination to the end; a retry of the same request after
        an interruption resumes the run where it stopped."""
        require_role(actor.role, "publish a parameter version", PUBLISHERS)
        database = self.commands.persistence.database
        with database.transaction() as session:

            def perform() -> tuple[str, str]:
                sourced = self.book.prepare(session, version)
                now = self.commands.clock()
                complete = NewVersion(
                    sourced.set_id,
                    sourced.parameters.region.code,
                    sourced.parameters.effective_from,
                    sourced.parameters.source,
                    {},
                    {},
                )
                text = _text_of(sourced, complete)
                store.insert_parameter_version(
                    session,
                    set_id=sourced.set_id,
                    region=sourced.parameters.region.code,
                    effective_from=sourced.parameters.effective_from,
                    text=text,
                    by=actor.user_id,
                    at=now,
                )
                store.audit(
                    session,
                    subject_id=sourced.set_id,
                    action="parameter version published",
                    role=actor.role.value,
                    actor_id=actor.user_id,
                    at=now,
                    detail={"region": sourced.parameters.region.code, "given": sorted(version.values)},
                )
                self.redeterminations.start(
                    session,
                    sourced.set_id,
                    sourced.parameters.region.prefix,
                    sourced.parameters.effective_from,
                )
                return sourced.set_id, sourced.set_id

            set_id = self.commands.once(
                session,
                "PublishParameterVersion",
                request_id,
                (
                    version.set_id,
                    version.region,
                    version.effective_from,
                    sorted(version.values.items()),
                    version.source,
                ),
                perform,
                # A version published before runs were recorded left "set_id|examined|changed|referred".
                lambda ref: ref.split("|", 1)[0],
            )
        return self.get(set_id), self._run(set_id)

    def redetermination(self, set_id: str) -> Redetermination | None:
        """How far the re-determination under a published version has come (None for a shipped set)."""
        return self.redeterminations.progress(set_id)

    def resume_redeterminations(self) -> int:
        return self.redeterminations.resume_abandoned()

    def _run(self, set_id: str) -> Redetermination:
        if self.redeterminations.progress(set_id) is None:
            return Redetermination(0, 0, 0, set_id)
        return self.redeterminations.run(set_id)

    def get(self, set_id: str) -> VersionView:
        with self.commands.persistence.database.read() as session:
            return self._view(session, set_id)

    def list(self, region: str, after: str | None, limit: int) -> list[VersionView]:
        with self.commands.persistence.database.read() as session:
            registry = self.book.registry(session)
            views = [self._view_of(s) for s in registry.sets]
        chosen = [
            v
            for v in sorted(views, key=lambda v: v.sourced.set_id)
            if (not region or v.sourced.parameters.region == RegionCode.parse(region, field="region.code"))
            and (after is None or v.sourced.set_id > after)
        ]
        return chosen[:limit]

    def _view(self, session: Any, set_id: str) -> VersionView:
        for sourced in self.book.registry(session).sets:
            if sourced.set_id == set_id:
                return self._view_of(sourced)
        raise NotFound(f"no parameter set {set_id!r}")

    def _view_of(self, sourced: SourcedSet) -> VersionView:
        shipped = any(s.set_id == sourced.set_id for s in shipped_registry().sets)
        row = None if shipped else self.book.published_row(sourced.set_id)
        return VersionView(
            sourced, shipped, row.published_at if row else None, row.published_by if row else ""
        )


def _text_of(sourced: SourcedSet, head: NewVersion) -> str:
    values = {k: display(v) for k, v in sourced.parameters.values.items()}
    return to_toml(
        NewVersion(head.set_id, head.region, head.effective_from, head.source, values, dict(sourced.sources))
    )
