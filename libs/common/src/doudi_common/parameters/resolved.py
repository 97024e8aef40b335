"""The parameter values in force for one region on one day, with the set each value came from.

Rules read every number through ``Parameters``; each read is checked against the catalogue (kind and key),
and ``cite`` turns the keys a rule used into the "parameter values used" lines of an explanation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from types import MappingProxyType

from doudi_common.disability import GradeThreshold
from doudi_common.money import FEN_PER_YUAN
from doudi_common.parameters.catalogue import CATALOGUE, Definition, Kind
from doudi_common.parameters.sets import ParameterError, Value

#: The origin recorded for a value a caller substituted (a what-if, or a test of a variant).
OVERRIDE = "override"


@dataclass(frozen=True)
class ParameterUse:
    """One parameter a decision relied on: its key, the value as written, and the set it came from."""

    key: str
    value: str
    set_id: str


def display(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator)
        return str(value)
    return value


@dataclass(frozen=True)
class Parameters:
    region: str
    on: date
    set_ids: tuple[str, ...]
    values: Mapping[str, Value]
    #: key → id of the set that supplied the value in force.
    origin: Mapping[str, str]

    @property
    def version(self) -> str:
        """The sets used, province first, joined by ``+`` (e.g. ``NX-ELIG-2025-01+…+EX-GY-ELIG-2025-01``)."""
        return "+".join(self.set_ids)

    def _definition(self, key: str, *kinds: Kind) -> Definition:
        definition = CATALOGUE.get(key)
        if definition is None:
            raise ParameterError(f"{key!r} is not in the parameter catalogue")
        if definition.kind not in kinds:
            raise ParameterError(f"{key!r} is a {definition.kind.value} parameter, not {kinds[0].value}")
        return definition

    def _raw(self, key: str) -> Value:
        try:
            return self.values[key]
        except KeyError:
            raise ParameterError(
                f"no parameter set in force for {self.region} on {self.on} gives {key!r}"
            ) from None

    def money(self, key: str) -> Fraction:
        """A money parameter as exact fen; a value naming another money key is read through it."""
        self._definition(key, Kind.MONEY)
        raw = self._raw(key)
        if isinstance(raw, str):
            return self.money(raw)
        if not isinstance(raw, Fraction):
            raise ParameterError(f"{key!r} must be an amount in yuan")
        return raw * FEN_PER_YUAN

    def ratio(self, key: str) -> Fraction:
        self._definition(key, Kind.RATIO)
        raw = self._raw(key)
        if not isinstance(raw, Fraction):
            raise ParameterError(f"{key!r} must be a number")
        return raw

    def integer(self, key: str) -> int:
        self._definition(key, Kind.INTEGER)
        raw = self._raw(key)
        if not isinstance(raw, Fraction) or raw.denominator != 1:
            raise ParameterError(f"{key!r} must be a whole number")
        return int(raw)

    def text(self, key: str) -> str:
        self._definition(key, Kind.TEXT)
        raw = self._raw(key)
        if not isinstance(raw, str):
            raise ParameterError(f"{key!r} must be text")
        return raw

    def texts(self, key: str) -> frozenset[str]:
        self._definition(key, Kind.TEXT_LIST)
        raw = self._raw(key)
        if not isinstance(raw, str):
            raise ParameterError(f"{key!r} must be a comma-separated list")
        return frozenset(part.strip() for part in raw.split(",") if part.strip())

    def flag(self, key: str) -> bool:
        self._definition(key, Kind.FLAG)
        raw = self._raw(key)
        if not isinstance(raw, bool):
            raise ParameterError(f"{key!r} must be true or false")
        return raw

    def grades(self, key: str) -> GradeThreshold:
        self._definition(key, Kind.GRADES)
        raw = self._raw(key)
        if not isinstance(raw, str):
            raise ParameterError(f"{key!r} must be a grade threshold such as ANY:2")
        return GradeThreshold.parse(raw)

    def has(self, key: str) -> bool:
        return key in self.values

    def cite(self, *keys: str) -> tuple[ParameterUse, ...]:
        """The keys as "parameter values used", following a money reference to the key it names."""
        uses: list[ParameterUse] = []
        for key in keys:
            raw = self._raw(key)
            uses.append(ParameterUse(key, display(raw), self.origin.get(key, OVERRIDE)))
            if CATALOGUE[key].kind is Kind.MONEY and isinstance(raw, str):
                uses.extend(self.cite(raw))
        return tuple(uses)

    def override(self, changes: Mapping[str, Value]) -> Parameters:
        """The same parameters with some values replaced; the version says so, for what-if and tests."""
        for key in changes:
            if key not in CATALOGUE:
                raise ParameterError(f"{key!r} is not in the parameter catalogue")
        values = {**self.values, **changes}
        origin = {**self.origin, **dict.fromkeys(changes, OVERRIDE)}
        set_ids = self.set_ids if OVERRIDE in self.set_ids else (*self.set_ids, OVERRIDE)
        return Parameters(self.region, self.on, set_ids, MappingProxyType(values), MappingProxyType(origin))
