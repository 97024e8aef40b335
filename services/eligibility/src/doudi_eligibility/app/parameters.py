"""The parameter registry as eligibility runs it: the shipped sets plus the versions published through the API
(kept in the store), and the publication of a new version, validated against the national floors (DOMAIN §3).

A published version restates its level: the values it does not give are carried over from the version of the
same region it supersedes, so publishing a new standard names only the standard. The complete set is then
checked (catalogue, kinds, floors) and must resolve for its region on its effective date.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from doudi_common.errors import AlreadyExists, FieldViolation, InvalidArgument
from doudi_common.parameters import (
    CATALOGUE,
    Kind,
    ParameterError,
    Parameters,
    ParameterSetRejected,
    Registry,
    SourcedSet,
    check_set,
    read_set,
    shipped_registry,
)
from doudi_common.parameters.resolved import display
from doudi_common.region import RegionCode, RegionLevel
from doudi_eligibility.store import records as store


@dataclass(frozen=True)
class NewVersion:
    set_id: str
    region: str
    effective_from: date
    source: str
    values: dict[str, str]
    sources: dict[str, str]


def _toml_value(key: str, text: str) -> str:
    definition = CATALOGUE.get(key)
    if definition is not None and definition.kind is Kind.FLAG and text.strip().lower() in ("true", "false"):
        return text.strip().lower()
    return json.dumps(text.strip(), ensure_ascii=False)


def to_toml(version: NewVersion) -> str:
    lines = [
        "[set]",
        f"id = {json.dumps(version.set_id)}",
        f"region = {json.dumps(version.region)}",
        f'effective_from = "{version.effective_from.isoformat()}"',
        f"source = {json.dumps(version.source, ensure_ascii=False)}",
        "",
        "[values]",
        *(f"{json.dumps(k)} = {_toml_value(k, v)}" for k, v in sorted(version.values.items())),
        "",
        "[sources]",
        *(
            f"{json.dumps(k)} = {json.dumps(v, ensure_ascii=False)}"
            for k, v in sorted(version.sources.items())
        ),
    ]
    return "\n".join(lines) + "\n"


class ParameterBook:
    """Resolves parameters from the shipped and the published sets; re-reads the store when it changed.

    A published version never changes, so each is parsed once (by set id and text: a publication rolled back
    may be made again differently), and a resolution is kept for its region and day until the registry
    changes.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fingerprint: tuple[int, datetime | None] | None = None
        self._registry: Registry = shipped_registry()
        self._published: dict[str, Any] = {}
        self._parsed: dict[tuple[str, str], SourcedSet] = {}
        self._resolved: dict[tuple[str, date], Parameters] = {}

    def registry(self, session: Session) -> Registry:
        return self._current(session)[0]

    def _current(
        self, session: Session, fingerprint: tuple[int, datetime | None] | None = None
    ) -> tuple[Registry, dict[tuple[str, date], Parameters]]:
        """The registry and its resolutions, both of the versions published as of this transaction; a
        caller that read the fingerprint in this transaction already (with its case) passes it."""
        if fingerprint is None:
            fingerprint = store.published_fingerprint(session)
        with self._lock:
            if fingerprint != self._fingerprint:
                rows = store.published_versions(session)
                sets = [self._parse(row) for row in rows]
                self._registry = shipped_registry().with_sets(sets)
                self._published = {row.set_id: row for row in rows}
                self._resolved = {}
                self._fingerprint = fingerprint
            return self._registry, self._resolved

    def _parse(self, row: Any) -> SourcedSet:
        key = (row.set_id, row.text)
        parsed = self._parsed.get(key)
        if parsed is None:
            parsed = self._parsed[key] = read_set(row.text, where=row.set_id)
        return parsed

    def published_row(self, set_id: str) -> Any:
        return self._published.get(set_id)

    def resolve(
        self,
        session: Session,
        region: str,
        on: date,
        fingerprint: tuple[int, datetime | None] | None = None,
    ) -> Parameters:
        registry, resolved = self._current(session, fingerprint)
        found = resolved.get((region, on))
        if found is None:
            found = resolved[(region, on)] = registry.resolve(region, on)
        return found

    def prepare(self, session: Session, version: NewVersion) -> SourcedSet:
        """The complete new set, validated; raises INVALID_ARGUMENT naming each value that breaks a floor."""
        registry = self.registry(session)
        if any(s.set_id == version.set_id for s in registry.sets):
            raise AlreadyExists(f"parameter set {version.set_id!r} already exists")
        try:
            region = RegionCode.parse(version.region, field="version.region.code")
        except InvalidArgument:
            raise
        superseded = [
            s
            for s in registry.sets
            if s.parameters.region == region and s.parameters.effective_from <= version.effective_from
        ]
        base_values: dict[str, str] = {}
        base_sources: dict[str, str] = {}
        if superseded:
            latest = max(superseded, key=lambda s: s.parameters.effective_from)
            base_values = {k: display(v) for k, v in latest.parameters.values.items()}
            base_sources = dict(latest.sources)
        complete = NewVersion(
            version.set_id,
            region.code,
            version.effective_from,
            version.source,
            {**base_values, **version.values},
            {**base_sources, **version.sources},
        )
        try:
            sourced = read_set(to_toml(complete), where=version.set_id)
        except ParameterError as exc:
            raise InvalidArgument.single("version", str(exc)) from exc
        violations = check_set(sourced)
        if violations:
            raise InvalidArgument(
                [FieldViolation(f"version.values[{v.key}]", f"{v.name}: {v.message}") for v in violations],
                "the parameter set breaks the catalogue or a national floor",
            )
        extended = registry.with_sets([sourced])
        # Every region the version reaches must still resolve completely: itself where it is a county, and
        # each county below it that has sets of its own.
        below = {
            s.parameters.region
            for s in extended.sets
            if s.parameters.region.code.startswith(region.prefix)
            and s.parameters.region.level is RegionLevel.COUNTY
        }
        try:
            for scope in sorted(below or {region}, key=lambda r: r.code):
                extended.resolve(scope, version.effective_from)
        except ParameterSetRejected as exc:
            raise InvalidArgument(
                [
                    FieldViolation(f"version.values[{v.key}]", f"{v.name}: {v.message}")
                    for v in exc.violations
                ],
                "the parameter set does not resolve completely",
            ) from exc
        return sourced
