"""Disability certificates and the grade thresholds rules compare them with (DOMAIN §5.1.3, §5.2.1, §5.4).

Grade 1 is the most severe. A threshold such as ``"ANY:2,INTELLECTUAL:3,MENTAL:3"`` reads "grade 1–2 of any
type, or up to grade 3 intellectual or mental"; thresholds are parameters, so a county can widen them and
the floor check can tell when one narrows a national definition.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class DisabilityType(StrEnum):
    PHYSICAL = "PHYSICAL"
    VISUAL = "VISUAL"
    HEARING = "HEARING"
    SPEECH = "SPEECH"
    INTELLECTUAL = "INTELLECTUAL"
    MENTAL = "MENTAL"
    MULTIPLE = "MULTIPLE"


_ANY = "ANY"


@dataclass(frozen=True)
class Disability:
    """A disabled persons' federation certificate: type, grade (1 most severe … 4) and whether it is valid."""

    type: DisabilityType
    grade: int
    certificate_valid: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.grade <= 4:
            raise ValueError(f"disability grade must be 1 to 4, got {self.grade}")


@dataclass(frozen=True)
class GradeThreshold:
    """The most lenient grade that still qualifies, by type; ``ANY`` applies to every type."""

    limits: Mapping[str, int]

    @classmethod
    def parse(cls, text: str) -> GradeThreshold:
        """The threshold a parameter's text names (parsed once per text: every assessment reads several)."""
        return _parsed_threshold(text)

    @classmethod
    def _parse(cls, text: str) -> GradeThreshold:
        limits: dict[str, int] = {}
        for part in text.split(","):
            if not part.strip():
                continue
            name, _, grade = part.partition(":")
            name = name.strip().upper()
            if name != _ANY and name not in DisabilityType.__members__:
                raise ValueError(f"unknown disability type {name!r} in grade threshold {text!r}")
            value = int(grade)
            if not 1 <= value <= 4:
                raise ValueError(f"grade threshold {text!r} names grade {value}; grades are 1 to 4")
            limits[name] = max(value, limits.get(name, 0))
        return cls(MappingProxyType(limits))

    def limit_for(self, kind: DisabilityType) -> int:
        """The highest qualifying grade number for ``kind`` (0 when no grade of it qualifies)."""
        return max(self.limits.get(_ANY, 0), self.limits.get(kind.value, 0))

    def covers(self, disability: Disability | None) -> bool:
        if disability is None or not disability.certificate_valid:
            return False
        return disability.grade <= self.limit_for(disability.type)

    def is_at_least_as_wide_as(self, other: GradeThreshold) -> bool:
        """True when every certificate ``other`` covers is covered here too."""
        return all(self.limit_for(kind) >= other.limit_for(kind) for kind in DisabilityType)

    def __str__(self) -> str:
        return ",".join(f"{name}:{grade}" for name, grade in sorted(self.limits.items()))


@functools.lru_cache(maxsize=256)
def _parsed_threshold(text: str) -> GradeThreshold:
    return GradeThreshold._parse(text)
