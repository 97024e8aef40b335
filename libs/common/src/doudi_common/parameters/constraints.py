"""National floors and other limits on parameter values, checked as validation with named violations.

DOMAIN §0.2.2: a jurisdiction may set its own values but may not weaken a national rule: a public notice
shorter than 7 days, a "≤ standard" income test, a narrower disability definition. Each such attempt is a
``Violation`` whose ``name`` says which key broke which limit, so a rejected file explains itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from doudi_common.disability import GradeThreshold
from doudi_common.errors import InvalidArgument
from doudi_common.parameters.sets import Value
from doudi_common.region import RegionCode, RegionLevel


class ViolationCode(StrEnum):
    BELOW_FLOOR = "BELOW_FLOOR"
    ABOVE_CEILING = "ABOVE_CEILING"
    NOT_ALLOWED = "NOT_ALLOWED"
    NARROWER_THAN_NATIONAL = "NARROWER_THAN_NATIONAL"
    WRONG_KIND = "WRONG_KIND"
    UNKNOWN_KEY = "UNKNOWN_KEY"
    MISSING = "MISSING"
    BROKEN_REFERENCE = "BROKEN_REFERENCE"


@dataclass(frozen=True)
class Violation:
    """One parameter value a jurisdiction may not use, and why."""

    code: ViolationCode
    key: str
    set_id: str
    value: str
    message: str

    @property
    def name(self) -> str:
        """A stable name such as ``notice.days:BELOW_FLOOR``, for logs, tests and error details."""
        return f"{self.key}:{self.code.value}"


@dataclass(frozen=True)
class Finding:
    code: ViolationCode
    message: str


@dataclass(frozen=True)
class AtLeast:
    """The value may not be lower than ``floor`` (e.g. ``notice.days`` ≥ 7)."""

    floor: Fraction
    why: str

    def check(self, value: Value) -> Finding | None:
        if isinstance(value, Fraction) and value < self.floor:
            return Finding(ViolationCode.BELOW_FLOOR, f"must be at least {self.floor}: {self.why}")
        return None


@dataclass(frozen=True)
class AtMost:
    """The value may not exceed ``ceiling`` (e.g. the 30-working-day decision deadline)."""

    ceiling: Fraction
    why: str

    def check(self, value: Value) -> Finding | None:
        if isinstance(value, Fraction) and value > self.ceiling:
            return Finding(ViolationCode.ABOVE_CEILING, f"must be at most {self.ceiling}: {self.why}")
        return None


@dataclass(frozen=True)
class OneOf:
    """Text restricted to a closed set, e.g. the income comparison may only be ``<``."""

    allowed: frozenset[str]
    why: str

    def check(self, value: Value) -> Finding | None:
        if isinstance(value, str) and value not in self.allowed:
            choices = ", ".join(sorted(self.allowed))
            return Finding(ViolationCode.NOT_ALLOWED, f"must be one of {choices}: {self.why}")
        return None


@dataclass(frozen=True)
class CoversGrades:
    """A disability-grade threshold may widen the national definition but never narrow it."""

    national: str
    why: str

    def check(self, value: Value) -> Finding | None:
        if not isinstance(value, str):
            return None
        try:
            configured = GradeThreshold.parse(value)
        except ValueError as exc:
            return Finding(ViolationCode.WRONG_KIND, str(exc))
        if not configured.is_at_least_as_wide_as(GradeThreshold.parse(self.national)):
            return Finding(
                ViolationCode.NARROWER_THAN_NATIONAL, f"must cover at least {self.national}: {self.why}"
            )
        return None


Constraint = AtLeast | AtMost | OneOf | CoversGrades


@dataclass(frozen=True)
class Townships:
    """Every entry of a comma-separated list is the 12-digit code of a township (not a county, not a
    village): a code mistyped would otherwise match nothing, unseen."""

    why: str

    def check(self, value: Value) -> Finding | None:
        if not isinstance(value, str):
            return None
        for entry in (part.strip() for part in value.split(",")):
            if not entry:
                continue
            try:
                level = RegionCode.parse(entry).level
            except InvalidArgument:
                return Finding(ViolationCode.NOT_ALLOWED, f"{entry!r} is not a region code: {self.why}")
            if level is not RegionLevel.TOWNSHIP:
                return Finding(ViolationCode.NOT_ALLOWED, f"{entry} is not a township's code: {self.why}")
        return None
