"""Reading where a month's money stands (fund tracking, DOMAIN §11.1, §11.3) and the month's publication
list (DOMAIN §11.5); nothing here writes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from doudi_common.parameters import Parameters
from doudi_common.period import Period
from doudi_common.region import RegionCode
from doudi_common.validation import validate_together
from doudi_disbursement.domain import funds as domain
from doudi_disbursement.domain.reserve import Fund
from doudi_disbursement.store import payroll as store
from doudi_disbursement.store import reserve as reserve_store
from doudi_runtime.service import Persistence, ServiceContext

#: Roster entries read at a time while filling a page of the publication list.
_SCAN = 500


@dataclass(frozen=True)
class FundSummary:
    lines: list[domain.FundLine]
    total: domain.Amounts
    reserve_funds: list[Fund]


def _region_and_period(region: str, period: str) -> tuple[str, Period]:
    validate_together(
        lambda: RegionCode.parse(region, field="region.code"),
        lambda: Period.parse(period, field="period.month"),
    )
    return RegionCode.parse(region).prefix, Period.parse(period)


@dataclass
class FundReports:
    context: ServiceContext
    #: The parameters in force for a region on a day (the payroll's).
    parameters: Callable[[str, date], Parameters]

    @property
    def persistence(self) -> Persistence:
        return self.context.persistence()

    def summary(self, region: str, period: str) -> FundSummary:
        prefix, month = _region_and_period(region, period)
        with self.persistence.database.read() as session:
            lines = domain.fund_lines(store.fund_counts(session, prefix, month))
            reserves = reserve_store.funds_within(session, prefix)
        return FundSummary(lines, domain.total(lines), reserves)

    def publication(self, region: str, period: str, after: str | None, limit: int) -> list[domain.Published]:
        """Up to ``limit`` entries of the month's list after entitlement ``after``, in entitlement order."""
        prefix, month = _region_and_period(region, period)
        found: list[domain.Published] = []
        adult_ages: dict[str, int] = {}

        def adult_age(township: str) -> int:
            """``child.adult_age`` in force in the township on the month's first day."""
            if township not in adult_ages:
                in_force = self.parameters(township, month.first_day)
                adult_ages[township] = in_force.integer("child.adult_age")
            return adult_ages[township]

        with self.persistence.database.read() as session:
            while len(found) < limit:
                entries = store.roster_to_publish(session, prefix, domain.PUBLISHED_PROGRAMMES, after, _SCAN)
                for entry in entries:
                    shown = domain.published(entry, month, adult_age(entry.township))
                    if shown is not None:
                        found.append(shown)
                        if len(found) == limit:
                            break
                if len(entries) < _SCAN:
                    break
                after = entries[-1].entitlement_id
        return found
