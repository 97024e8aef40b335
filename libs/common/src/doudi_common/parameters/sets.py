"""The parameter registry (DOMAIN §3): every number a rule reads, scoped and effective-dated.

Parameter sets are versioned TOML files. Each set belongs to a region (province, city or county) and
takes effect on a date; for a household's region and a day, the registry takes, at each level from the
province down, the newest set already in force, and a lower level's value overrides a higher one's.
Values are kept exact: numbers are written as decimal strings or fractions ("3800", "0.1", "1/10") and
read as ``Fraction``; nothing is a float. The result names the sets it used, so every decision can
store the parameter version it was made under.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from importlib import resources

from doudi_common.region import RegionCode, RegionLevel

_LEVELS = (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY)
Value = Fraction | str | bool


class ParameterError(ValueError):
    """A parameter set that cannot be read, or a key a rule asked for that no set gives."""


@dataclass(frozen=True)
class ParameterSet:
    set_id: str
    region: RegionCode
    effective_from: date
    source: str
    values: Mapping[str, Value]


@dataclass(frozen=True)
class ResolvedParameters:
    """The values in force for one region on one day, and the sets they came from."""

    region: RegionCode
    on: date
    set_ids: tuple[str, ...]
    values: Mapping[str, Value]

    @property
    def version(self) -> str:
        return "+".join(self.set_ids)

    def _get(self, key: str) -> Value:
        try:
            return self.values[key]
        except KeyError:
            raise ParameterError(
                f"no parameter set in force for {self.region} on {self.on} gives {key!r}"
            ) from None

    def number(self, key: str) -> Fraction:
        value = self._get(key)
        if not isinstance(value, Fraction):
            raise ParameterError(f"parameter {key!r} is not a number: {value!r}")
        return value

    def yuan_as_fen(self, key: str) -> Fraction:
        """A money parameter written in yuan, as exact fen."""
        return self.number(key) * 100

    def integer(self, key: str) -> int:
        value = self.number(key)
        if value.denominator != 1:
            raise ParameterError(f"parameter {key!r} must be a whole number, got {value}")
        return int(value)

    def text(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str):
            raise ParameterError(f"parameter {key!r} is not text: {value!r}")
        return value

    def texts(self, key: str) -> frozenset[str]:
        """A comma-separated list parameter."""
        return frozenset(part.strip() for part in self.text(key).split(",") if part.strip())

    def flag(self, key: str) -> bool:
        value = self._get(key)
        if not isinstance(value, bool):
            raise ParameterError(f"parameter {key!r} is not true/false: {value!r}")
        return value


def _value(key: str, raw: object, where: str) -> Value:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int):
        return Fraction(raw)
    if isinstance(raw, str):
        text = raw.strip()
        try:
            return Fraction(text)
        except ValueError:
            return text
    raise ParameterError(f"{where}: {key!r} must be a string, an integer or true/false (floats are refused)")


def parse_set(text: str, where: str = "parameter set") -> ParameterSet:
    try:
        data = tomllib.loads(text)
        head = data["set"]
        set_id = str(head["id"])
        region = RegionCode.parse(str(head["region"]), field="set.region")
        effective_from = date.fromisoformat(str(head["effective_from"]))
        source = str(head.get("source", ""))
        raw_values = data["values"]
    except (tomllib.TOMLDecodeError, KeyError, ValueError) as exc:
        raise ParameterError(f"{where}: {exc}") from exc
    if region.level not in _LEVELS:
        raise ParameterError(f"{where}: a parameter set belongs to a province, a city or a county")
    values = {str(key): _value(str(key), raw, where) for key, raw in raw_values.items()}
    return ParameterSet(set_id, region, effective_from, source, values)


class ParameterRegistry:
    def __init__(self, sets: Iterable[ParameterSet]) -> None:
        self._sets = tuple(sorted(sets, key=lambda s: (s.region.code, s.effective_from)))
        ids = [s.set_id for s in self._sets]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ParameterError(f"parameter set ids must be unique: {duplicates}")

    @property
    def sets(self) -> tuple[ParameterSet, ...]:
        return self._sets

    def resolve(self, region: str | RegionCode, on: date) -> ResolvedParameters:
        code = region if isinstance(region, RegionCode) else RegionCode.parse(region)
        chosen: list[ParameterSet] = []
        for level in _LEVELS:
            scope = code.ancestor(level)
            if scope is None:
                continue
            in_force = [s for s in self._sets if s.region == scope and s.effective_from <= on]
            if in_force:
                chosen.append(max(in_force, key=lambda s: s.effective_from))
        if not chosen:
            raise ParameterError(f"no parameter set is in force for {code} on {on}")
        values: dict[str, Value] = {}
        for parameter_set in chosen:
            values.update(parameter_set.values)
        return ResolvedParameters(code, on, tuple(s.set_id for s in chosen), values)


@functools.cache
def load_shipped_registry() -> ParameterRegistry:
    """The parameter sets shipped with doudi (data/parameters/*.toml), read once."""
    folder = resources.files("doudi_common").joinpath("data", "parameters")
    sets = [
        parse_set(entry.read_text(encoding="utf-8"), where=entry.name)
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".toml")
    ]
    return ParameterRegistry(sets)
