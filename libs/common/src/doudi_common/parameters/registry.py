"""Versioned parameter sets, their validation against national floors, and resolution by region and day.

Sets are TOML files (the format of ``sets.py``) shipped as package data in ``doudi_common/data/parameters``,
one per region (province, city or county) and effective date. For a region and a day the registry takes, at
each level from the province down, the newest set in force, and a lower level's value overrides a higher
one's (DOMAIN §0.2.1). A set therefore restates every value its level sets when it replaces an older one.

A set is refused when it breaks a national floor (DOMAIN §0.2.2): the registry only ever holds sets that
validate, so a rule can trust what it reads. A service may add sets published at run time (eligibility keeps
them in its store) with ``with_sets``; they are validated the same way.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from importlib import resources
from types import MappingProxyType

from doudi_common.parameters.catalogue import CATALOGUE, Kind
from doudi_common.parameters.constraints import Finding, Violation, ViolationCode
from doudi_common.parameters.resolved import Parameters, display
from doudi_common.parameters.sets import ParameterError, ParameterSet, Value, parse_set
from doudi_common.region import RegionCode, RegionLevel

_LEVELS = (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY)
#: The package folder of the shipped sets (package data, so an installed wheel carries them).
SHIPPED_PACKAGE = ("doudi_common", "data/parameters")


class ParameterSetRejected(ParameterError):
    """A set, or a resolution, that breaks the catalogue or a national floor; every violation is listed."""

    def __init__(self, violations: Iterable[Violation]) -> None:
        self.violations = tuple(violations)
        super().__init__("; ".join(f"{v.set_id} {v.name}: {v.message}" for v in self.violations))


@dataclass(frozen=True)
class SourcedSet:
    """A parameter set and, per key, the source reference its file gives (``[sources]``)."""

    parameters: ParameterSet
    sources: Mapping[str, str] = field(default_factory=dict)

    @property
    def set_id(self) -> str:
        return self.parameters.set_id


def _textual(key: str) -> bool:
    """A key whose value is text, however it reads: a list of codes, a grade threshold."""
    definition = CATALOGUE.get(key)
    return definition is not None and definition.kind in (Kind.TEXT, Kind.TEXT_LIST, Kind.GRADES)


def read_set(text: str, where: str = "parameter set") -> SourcedSet:
    """Parse one TOML parameter file; ``[sources]`` maps keys to the reference their value rests on."""
    parsed = parse_set(text, where, _textual)
    try:
        sources = tomllib.loads(text).get("sources", {})
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"{where}: {exc}") from exc
    return SourcedSet(parsed, MappingProxyType({str(k): str(v) for k, v in sources.items()}))


def _kind_finding(value: Value, kind: Kind) -> Finding | None:
    ok = {
        Kind.MONEY: isinstance(value, Fraction) or (isinstance(value, str) and value in CATALOGUE),
        Kind.RATIO: isinstance(value, Fraction),
        Kind.INTEGER: isinstance(value, Fraction) and value.denominator == 1,
        Kind.TEXT: isinstance(value, str),
        Kind.TEXT_LIST: isinstance(value, str),
        Kind.FLAG: isinstance(value, bool),
        Kind.GRADES: isinstance(value, str),
    }[kind]
    if ok:
        return None
    return Finding(ViolationCode.WRONG_KIND, f"must be a {kind.value.lower()} value")


def check_value(key: str, value: Value, set_id: str) -> tuple[Violation, ...]:
    """Every way one value breaks the catalogue or a floor (empty when it is acceptable)."""
    definition = CATALOGUE.get(key)
    shown = display(value)
    if definition is None:
        return (
            Violation(ViolationCode.UNKNOWN_KEY, key, set_id, shown, "is not in the parameter catalogue"),
        )
    kind = _kind_finding(value, definition.kind)
    if kind is not None:
        return (Violation(kind.code, key, set_id, shown, kind.message),)
    if definition.kind is Kind.MONEY and isinstance(value, str) and CATALOGUE[value].kind is not Kind.MONEY:
        return (
            Violation(ViolationCode.BROKEN_REFERENCE, key, set_id, shown, "names a key that is not money"),
        )
    findings = (constraint.check(value) for constraint in definition.constraints)
    return tuple(Violation(f.code, key, set_id, shown, f.message) for f in findings if f is not None)


def check_set(sourced: SourcedSet) -> tuple[Violation, ...]:
    """All violations of one set, in key order."""
    values = sourced.parameters.values
    return tuple(v for key in sorted(values) for v in check_value(key, values[key], sourced.set_id))


def check_complete(parameters: Parameters) -> tuple[Violation, ...]:
    """What a resolution lacks: required keys no set gives, and money references to absent keys."""
    where = parameters.version
    found: list[Violation] = []
    for key, definition in sorted(CATALOGUE.items()):
        value = parameters.values.get(key)
        if value is None:
            if definition.required:
                found.append(Violation(ViolationCode.MISSING, key, where, "", "no set in force gives it"))
        elif definition.kind is Kind.MONEY and isinstance(value, str) and value not in parameters.values:
            found.append(
                Violation(ViolationCode.BROKEN_REFERENCE, key, where, value, "names a key no set gives")
            )
    return tuple(found)


class Registry:
    """Validated parameter sets; ``resolve`` gives the values in force with the sets they came from."""

    def __init__(self, sets: Iterable[SourcedSet]) -> None:
        self._sets = tuple(
            sorted(sets, key=lambda s: (s.parameters.region.code, s.parameters.effective_from))
        )
        ids = [s.set_id for s in self._sets]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ParameterError(f"parameter set ids must be unique: {duplicates}")
        violations = [v for s in self._sets for v in check_set(s)]
        if violations:
            raise ParameterSetRejected(violations)

    def with_sets(self, extra: Iterable[SourcedSet]) -> Registry:
        """This registry plus more sets (e.g. versions published at run time), validated alike."""
        return Registry((*self._sets, *extra))

    @property
    def sets(self) -> tuple[SourcedSet, ...]:
        return self._sets

    def source_of(self, set_id: str, key: str) -> str:
        """The source reference a set gives for one value, or the set's own source line."""
        for sourced in self._sets:
            if sourced.set_id == set_id:
                return sourced.sources.get(key, sourced.parameters.source)
        raise ParameterError(f"no parameter set {set_id!r}")

    def resolve(self, region: str | RegionCode, on: date) -> Parameters:
        """The values in force for ``region`` on ``on``; a resolution missing a required key is refused."""
        code = region if isinstance(region, RegionCode) else RegionCode.parse(region)
        chosen: list[SourcedSet] = []
        for level in _LEVELS:
            scope = code.ancestor(level)
            in_force = [
                s for s in self._sets if s.parameters.region == scope and s.parameters.effective_from <= on
            ]
            if scope is not None and in_force:
                chosen.append(max(in_force, key=lambda s: s.parameters.effective_from))
        if not chosen:
            raise ParameterError(f"no parameter set is in force for {code} on {on}")
        values: dict[str, Value] = {}
        origin: dict[str, str] = {}
        for sourced in chosen:
            values.update(sourced.parameters.values)
            origin.update(dict.fromkeys(sourced.parameters.values, sourced.set_id))
        resolved = Parameters(
            region=code.code,
            on=on,
            set_ids=tuple(s.set_id for s in chosen),
            values=MappingProxyType(values),
            origin=MappingProxyType(origin),
        )
        missing = check_complete(resolved)
        if missing:
            raise ParameterSetRejected(missing)
        return resolved


def shipped_sets() -> tuple[SourcedSet, ...]:
    """The parameter sets shipped with doudi, read from the package's data."""
    package, folder = SHIPPED_PACKAGE
    root = resources.files(package).joinpath(*folder.split("/"))
    entries = sorted((e for e in root.iterdir() if e.name.endswith(".toml")), key=lambda e: e.name)
    return tuple(read_set(e.read_text(encoding="utf-8"), where=e.name) for e in entries)


@functools.cache
def shipped_registry() -> Registry:
    """The shipped sets, read and validated once."""
    return Registry(shipped_sets())
