"""Publishing a parameter set version (DOMAIN §3): validated against the national floors, stored, and every
affected active entitlement re-determined under it in the same transaction (EntitlementChanged events)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from doudi_common.errors import NotFound
from doudi_common.parameters import SourcedSet, shipped_registry
from doudi_common.parameters.resolved import display
from doudi_common.region import RegionCode
from doudi_eligibility.app.common import Actor, Commands
from doudi_eligibility.app.entitlements import EntitlementUseCases, Redetermination
from doudi_eligibility.app.parameters import NewVersion, ParameterBook, to_toml
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

    def publish(
        self, request_id: str, version: NewVersion, actor: Actor
    ) -> tuple[VersionView, Redetermination]:
        require_role(actor.role, "publish a parameter version", PUBLISHERS)
        database = self.commands.persistence.database
        with database.transaction() as session:

            def perform() -> tuple[str, tuple[VersionView, Redetermination]]:
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
                result = self.entitlements.redetermine(
                    session,
                    sourced.parameters.region.prefix,
                    sourced.parameters.effective_from,
                    sourced.set_id,
                )
                view = VersionView(sourced, False, now, actor.user_id)
                return f"{sourced.set_id}|{result.examined}|{result.changed}|{result.referred_to_review}", (
                    view,
                    result,
                )

            def replay(ref: str) -> tuple[VersionView, Redetermination]:
                set_id, examined, changed, referred = ref.split("|")
                return self._view(session, set_id), Redetermination(
                    int(examined), int(changed), int(referred)
                )

            return self.commands.once(
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
                replay,
            )

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
