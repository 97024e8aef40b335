"""Working days as data: the official holiday table with its make-up working days (DOMAIN §0.2.4, §6)."""

from __future__ import annotations

import csv
import functools
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone
from importlib import resources

_ONE_DAY = timedelta(days=1)
#: China standard time has no daylight saving; every legal day (deadlines, birthdays) is counted in it.
CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")


def china_date(moment: datetime) -> date:
    """The calendar day ``moment`` falls on in China; naive times are refused, never guessed."""
    if moment.tzinfo is None:
        raise ValueError("time must be timezone-aware")
    return moment.astimezone(CHINA_STANDARD_TIME).date()


_DATA_FILE = "cn_public_holidays.csv"


class WorkingDayCalendar:
    """Monday–Friday are working days, except listed holidays; listed make-up days (调休) are working days.

    ``covers(d)`` tells whether the table lists ``d``'s year; outside it only weekends are days off, which
    callers computing a legal deadline should flag rather than trust.
    """

    def __init__(
        self,
        holidays: Iterable[date] = (),
        makeup_workdays: Iterable[date] = (),
        *,
        covered_years: Iterable[int] | None = None,
    ) -> None:
        self._holidays = frozenset(holidays)
        self._makeup = frozenset(makeup_workdays)
        clash = self._holidays & self._makeup
        if clash:
            raise ValueError(f"dates both holiday and make-up working day: {sorted(clash)}")
        weekdays = sorted(d for d in self._makeup if d.weekday() < 5)
        if weekdays:
            raise ValueError(f"make-up working days must fall on a weekend: {weekdays}")
        if covered_years is None:
            covered_years = {d.year for d in self._holidays | self._makeup}
        self._years = frozenset(covered_years)

    @property
    def holidays(self) -> frozenset[date]:
        return self._holidays

    @property
    def makeup_workdays(self) -> frozenset[date]:
        return self._makeup

    @property
    def covered_years(self) -> frozenset[int]:
        return self._years

    def covers(self, day: date) -> bool:
        """True when the official arrangement for ``day``'s year is in the table."""
        return day.year in self._years

    def is_working_day(self, day: date) -> bool:
        if day in self._makeup:
            return True
        if day in self._holidays:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start``, counting from the day after (DOMAIN §6 clock rules).

        ``n == 0`` gives ``start`` itself.
        """
        if n < 0:
            raise ValueError("n must not be negative")
        day = start
        remaining = n
        while remaining:
            day += _ONE_DAY
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in the half-open span (a, b]; negative when ``b`` is before ``a``.

        It inverts ``add_working_days``: ``working_days_between(a, add_working_days(a, n)) == n``.
        """
        if b < a:
            return -self.working_days_between(b, a)
        count = 0
        day = a
        while day < b:
            day += _ONE_DAY
            if self.is_working_day(day):
                count += 1
        return count


def parse_calendar_rows(lines: Iterable[str]) -> WorkingDayCalendar:
    """A calendar from ``date,kind,name`` CSV lines; lines starting with ``#`` are comments."""
    rows = csv.DictReader(line for line in lines if not line.lstrip().startswith("#"))
    if rows.fieldnames is None or [name.strip() for name in rows.fieldnames] != ["date", "kind", "name"]:
        raise ValueError("holiday table must have the header date,kind,name")
    holidays: set[date] = set()
    makeup: set[date] = set()
    for number, row in enumerate(rows, start=1):
        day = date.fromisoformat(row["date"].strip())
        kind = row["kind"].strip()
        if kind == "holiday":
            target = holidays
        elif kind == "workday":
            target = makeup
        else:
            raise ValueError(f"holiday table row {number}: kind must be holiday or workday, got {kind!r}")
        if day in holidays or day in makeup:
            raise ValueError(f"holiday table row {number}: {day} is listed twice")
        target.add(day)
    return WorkingDayCalendar(holidays, makeup)


@functools.cache
def load_cn_calendar() -> WorkingDayCalendar:
    """The State Council holiday calendar shipped with this package (read once, then shared)."""
    text = resources.files("doudi_common").joinpath("data", _DATA_FILE).read_text(encoding="utf-8")
    return parse_calendar_rows(text.splitlines())
