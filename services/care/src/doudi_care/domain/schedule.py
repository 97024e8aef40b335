"""Visit plans of DOMAIN §9.2: how often each ledger and risk tier is visited, when a visit is due,
overdue, and escalated (township first, then county).

Every frequency is a parameter handed in (the service's settings), never a literal in a rule.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from doudi_care.domain.ledger import ChildCategory, Ledger, RiskLevel

_INTERVAL = re.compile(r"(?P<count>[1-9][0-9]{0,2})(?P<unit>[dwm])")


@dataclass(frozen=True)
class Interval:
    """A visit frequency: a number of calendar months, or of days ("3m" quarterly, "1m", "7d" weekly)."""

    months: int = 0
    days: int = 0

    def __post_init__(self) -> None:
        if self.months < 0 or self.days < 0 or (self.months == 0) == (self.days == 0):
            raise ValueError("an interval is a positive number of months or of days")

    @classmethod
    def parse(cls, text: str) -> Interval:
        match = _INTERVAL.fullmatch(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"{text!r} is not a visit interval such as 3m, 1m, 2w or 7d")
        count = int(match["count"])
        unit = match["unit"]
        if unit == "m":
            return cls(months=count)
        return cls(days=count * (7 if unit == "w" else 1))

    def after(self, day: date) -> date:
        """The day one interval after ``day``; a month later than 31 January is the last of February."""
        if self.days:
            return day + timedelta(days=self.days)
        index = day.year * 12 + day.month - 1 + self.months
        year, month0 = divmod(index, 12)
        last = calendar.monthrange(year, month0 + 1)[1]
        return date(year, month0 + 1, min(day.day, last))

    @property
    def approx_days(self) -> int:
        return self.days or self.months * 31


def _defaults() -> dict[tuple[Ledger, RiskLevel], Interval]:
    quarterly, monthly, weekly = Interval(months=3), Interval(months=1), Interval(days=7)
    tiers = {RiskLevel.GENERAL: quarterly, RiskLevel.KEY: monthly, RiskLevel.HIGH: weekly}
    children = {RiskLevel.GENERAL: quarterly, RiskLevel.KEY: quarterly, RiskLevel.HIGH: monthly}
    tekun = {RiskLevel.GENERAL: monthly, RiskLevel.KEY: monthly, RiskLevel.HIGH: weekly}
    table: dict[tuple[Ledger, RiskLevel], Interval] = {}
    for ledger in Ledger:
        by_risk = tekun if ledger is Ledger.TEKUN_DISPERSED else children if ledger.is_children else tiers
        table.update({(ledger, risk): interval for risk, interval in by_risk.items()})
    return table


@dataclass(frozen=True)
class VisitPolicy:
    """Frequencies by ledger and tier, and the grace and escalation periods (DOMAIN §9.2, §6).

    Defaults are the EX values: left-behind elderly at least quarterly, tiered weekly / monthly /
    quarterly [L, S66]; dispersed Tekun monthly [L, S23]; children monthly for high risk and quarterly
    otherwise, orphans and de facto unsupported children monthly (H08); grace EX 7 days, after which
    the township is told, and the county EX 7 days later.
    """

    intervals: Mapping[tuple[Ledger, RiskLevel], Interval] = field(default_factory=_defaults)
    orphan_unsupported: Interval = field(default_factory=lambda: Interval(months=1))
    grace_days: int = 7
    county_after_days: int = 7

    def __post_init__(self) -> None:
        if self.grace_days < 0 or self.county_after_days < 1:
            raise ValueError("grace must not be negative and the county escalation needs at least a day")
        missing = {(lg, r) for lg in Ledger for r in RiskLevel} - set(self.intervals)
        if missing:
            raise ValueError(f"no visit interval for {sorted(missing)}")

    def interval_for(
        self, ledger: Ledger, risk: RiskLevel, category: ChildCategory | None = None
    ) -> Interval:
        interval = self.intervals[(ledger, risk)]
        if category in (ChildCategory.ORPHAN, ChildCategory.UNSUPPORTED):
            # Orphan/FUC eligibility is re-checked monthly [L, S59]; H08 visits monthly.
            return min(interval, self.orphan_unsupported, key=lambda i: i.approx_days)
        return interval


class VisitStage(StrEnum):
    SCHEDULED = "SCHEDULED"
    DUE = "DUE"
    OVERDUE_TOWNSHIP = "OVERDUE_TOWNSHIP"
    OVERDUE_COUNTY = "OVERDUE_COUNTY"

    @property
    def rank(self) -> int:
        return STAGES.index(self)

    @property
    def overdue(self) -> bool:
        return self in (VisitStage.OVERDUE_TOWNSHIP, VisitStage.OVERDUE_COUNTY)


STAGES = (VisitStage.SCHEDULED, VisitStage.DUE, VisitStage.OVERDUE_TOWNSHIP, VisitStage.OVERDUE_COUNTY)


def overdue_from(due: date, policy: VisitPolicy) -> date:
    """The first day a visit due on ``due`` is overdue: not done by due + grace (DOMAIN §9.2)."""
    return due + timedelta(days=policy.grace_days + 1)


def county_from(due: date, policy: VisitPolicy) -> date:
    return overdue_from(due, policy) + timedelta(days=policy.county_after_days)


def stage_on(due: date, today: date, policy: VisitPolicy) -> VisitStage:
    if today < due:
        return VisitStage.SCHEDULED
    if today < overdue_from(due, policy):
        return VisitStage.DUE
    if today < county_from(due, policy):
        return VisitStage.OVERDUE_TOWNSHIP
    return VisitStage.OVERDUE_COUNTY


def stages_to_announce(announced: VisitStage, current: VisitStage) -> tuple[VisitStage, ...]:
    """The stages reached since the last announcement, in order; a sweep that missed days still tells
    the township before the county."""
    return STAGES[announced.rank + 1 : current.rank + 1]


def next_due_after_visit(visited_on: date, interval: Interval) -> date:
    return interval.after(visited_on)


def replanned_due(current_due: date, base: date, interval: Interval) -> date:
    """After a tier change: the sooner of the current plan and one new interval after the plan's base.

    A higher tier brings the visit forward; a lower one never pushes back a visit already due.
    """
    return min(current_due, interval.after(base))


def immediate_due(current_due: date, today: date) -> date:
    """An alert or report asks for a visit now: due today, unless one is already due earlier."""
    return min(current_due, today)


def announce_by(today: date, policy: VisitPolicy) -> dict[VisitStage, date]:
    """For each stage an entry may have announced last, the latest due day that has a newer stage to
    announce on ``today``: the sweep's work as date ranges a store finds by index.

    An entry announced at ``stage`` has something to announce exactly when its due day is on or before
    ``announce_by(today, policy)[stage]``; the county, the last stage, has nothing after it.
    """
    overdue = today - timedelta(days=policy.grace_days + 1)
    return {
        VisitStage.SCHEDULED: today,
        VisitStage.DUE: overdue,
        VisitStage.OVERDUE_TOWNSHIP: overdue - timedelta(days=policy.county_after_days),
    }
