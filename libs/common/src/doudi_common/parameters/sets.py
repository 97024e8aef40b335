"""One parameter set as written (DOMAIN §3): a TOML file with a region, an effective date and exact values.

Each set belongs to a region (province, city or county) and takes effect on a date. Values are kept exact:
numbers are written as decimal strings or fractions ("3800", "0.1", "1/10") and read as ``Fraction``;
nothing is a float.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

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


def _value(key: str, raw: object, where: str, textual: Callable[[str], bool]) -> Value:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int):
        return Fraction(raw)
    if isinstance(raw, str):
        text = raw.strip()
        if textual(key):
            return text
        try:
            return Fraction(text)
        except ValueError:
            return text
    raise ParameterError(f"{where}: {key!r} must be a string, an integer or true/false (floats are refused)")


def parse_set(
    text: str, where: str = "parameter set", textual: Callable[[str], bool] = lambda _key: False
) -> ParameterSet:
    """A set from its TOML. A string is read as a number where it reads as one, except for the keys
    ``textual`` names: their text is kept as written (a single region code stays a code)."""
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
    values = {str(key): _value(str(key), raw, where, textual) for key, raw in raw_values.items()}
    return ParameterSet(set_id, region, effective_from, source, values)
