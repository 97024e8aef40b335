"""Calendar months ("YYYY-MM"), the unit of payments, reviews and parameter versions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from doudi_common.errors import InvalidArgument

_PERIOD = re.compile(r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})")


@dataclass(frozen=True, order=True)
class Period:
    """One calendar month; ordered chronologically."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if isinstance(self.year, bool) or not isinstance(self.year, int) or not 1 <= self.year <= 9999:
            raise ValueError(f"year must be an int from 1 to 9999, got {self.year!r}")
        if isinstance(self.month, bool) or not isinstance(self.month, int) or not 1 <= self.month <= 12:
            raise ValueError(f"month must be an int from 1 to 12, got {self.month!r}")

    @classmethod
    def parse(cls, text: str, field: str = "period") -> Period:
        """Parse ``"YYYY-MM"``, raising ``InvalidArgument`` on ``field`` otherwise."""
        match = _PERIOD.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise InvalidArgument.single(field, "must be a month written YYYY-MM")
        try:
            return cls(int(match["year"]), int(match["month"]))
        except ValueError:
            raise InvalidArgument.single(field, "must name a real month (01–12)") from None

    @classmethod
    def of(cls, day: date) -> Period:
        """The month a date falls in."""
        return cls(day.year, day.month)

    @classmethod
    def _from_index(cls, index: int) -> Period:
        year, month0 = divmod(index, 12)
        return cls(year, month0 + 1)

    @property
    def index(self) -> int:
        """Months since the start of year 0; differences of indexes count months."""
        return self.year * 12 + self.month - 1

    def __str__(self) -> str:
        return _text(self.year, self.month)

    def plus(self, months: int) -> Period:
        """The month ``months`` later (earlier when negative); ValueError outside years 1–9999."""
        return Period._from_index(self.index + months)

    def next(self) -> Period:
        return self.plus(1)

    def previous(self) -> Period:
        return self.plus(-1)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        if self.month == 12:
            return date(self.year, 12, 31)
        return date(self.year, self.month + 1, 1) - timedelta(days=1)

    def contains(self, day: date) -> bool:
        return (day.year, day.month) == (self.year, self.month)


@lru_cache(maxsize=4096)
def _text(year: int, month: int) -> str:
    """A month's text: written once per month, however many payments name it."""
    return f"{year:04d}-{month:02d}"


def months_between(a: Period, b: Period) -> int:
    """How many months from ``a`` to ``b``: ``a.plus(months_between(a, b)) == b``."""
    return b.index - a.index


def periods(first: Period, last: Period) -> list[Period]:
    """Every month from ``first`` to ``last``, both included; empty when ``last`` is before ``first``."""
    return [Period._from_index(index) for index in range(first.index, last.index + 1)]
