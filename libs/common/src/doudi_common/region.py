"""Administrative division codes (GB/T 2260 + township/village extension): 12 digits, a five-level tree."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from doudi_common.errors import InvalidArgument

#: Province-level codes: provinces, autonomous regions, municipalities, Taiwan, Hong Kong, Macao.
PROVINCE_CODES: frozenset[str] = frozenset(
    f"{code:02d}"
    for code in (
        *range(11, 16),
        *range(21, 24),
        *range(31, 38),
        *range(41, 47),
        *range(50, 55),
        *range(61, 66),
        71,
        81,
        82,
    )
)

_TWELVE_DIGITS = re.compile(r"[0-9]{12}")


class RegionLevel(Enum):
    """A level of the administrative tree; the value is how many leading digits are significant."""

    PROVINCE = 2
    CITY = 4
    COUNTY = 6
    TOWNSHIP = 9
    VILLAGE = 12

    @property
    def digits(self) -> int:
        return self.value


_LEVELS = tuple(RegionLevel)


def _level_of(code: str) -> RegionLevel:
    for level in _LEVELS:
        if code[level.digits :].strip("0") == "":
            return level
    raise AssertionError("unreachable: VILLAGE has no trailing digits")


def _problem(text: str) -> str | None:
    if not isinstance(text, str) or _TWELVE_DIGITS.fullmatch(text) is None:
        return "must be a 12-digit administrative division code"
    if text[:2] not in PROVINCE_CODES:
        return "does not start with a valid province-level code"
    level = _level_of(text)
    # A zero segment above a non-zero one (e.g. city 00 with county 01) names no node of the tree.
    previous = 0
    for current in _LEVELS:
        if current.digits > level.digits:
            break
        if text[previous : current.digits].strip("0") == "" and previous > 0:
            return "has an empty level above a non-empty one"
        previous = current.digits
    return None


@dataclass(frozen=True, order=True)
class RegionCode:
    """A validated 12-digit region code; a region contains itself and every code below it."""

    code: str

    def __post_init__(self) -> None:
        problem = _problem(self.code)
        if problem is not None:
            raise ValueError(f"region code {self.code!r} {problem}")

    @classmethod
    def parse(cls, text: str, field: str = "region") -> RegionCode:
        """Parse untrusted input, raising ``InvalidArgument`` on ``field`` when it is not a region code."""
        problem = _problem(text)
        if problem is not None:
            raise InvalidArgument.single(field, problem)
        return cls(text)

    def __str__(self) -> str:
        return self.code

    @property
    def level(self) -> RegionLevel:
        return _level_of(self.code)

    @property
    def prefix(self) -> str:
        """The significant leading digits, e.g. ``"640402"`` for a county."""
        return self.code[: self.level.digits]

    def ancestor(self, level: RegionLevel) -> RegionCode | None:
        """This region's ancestor (or itself) at ``level``; None when this region sits above ``level``."""
        if level.digits > self.level.digits:
            return None
        if level.digits == self.level.digits:
            return self
        return RegionCode(self.code[: level.digits].ljust(12, "0"))

    @property
    def province(self) -> RegionCode:
        result = self.ancestor(RegionLevel.PROVINCE)
        assert result is not None
        return result

    @property
    def city(self) -> RegionCode | None:
        return self.ancestor(RegionLevel.CITY)

    @property
    def county(self) -> RegionCode | None:
        return self.ancestor(RegionLevel.COUNTY)

    @property
    def township(self) -> RegionCode | None:
        return self.ancestor(RegionLevel.TOWNSHIP)

    @property
    def parent(self) -> RegionCode | None:
        """The next level up; None for a province."""
        index = _LEVELS.index(self.level)
        return None if index == 0 else self.ancestor(_LEVELS[index - 1])

    def contains(self, other: RegionCode) -> bool:
        """True when ``other`` is this region or lies inside it."""
        return other.code.startswith(self.prefix)

    def is_within(self, other: RegionCode) -> bool:
        """True when this region is ``other`` or lies inside it."""
        return other.contains(self)
