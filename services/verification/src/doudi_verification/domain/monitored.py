"""The monitored population's register of households that left Dibao (DOMAIN §8.1 "households that left
Dibao in the last 12 months", §7.3 "12-month monitoring flag" at the end of a gradual exit).

Eligibility announces the end of the gradual exit with the last month the household stays monitored
(``EntitlementTerminated.monitored_until``, parameter ``dibao.gradual_exit.monitoring_months``); the register
keeps the household from the first month no longer paid to that month. An appeal that reverses the end puts
the household back on Dibao, where it is monitored as a recipient, so its entry is withdrawn.
"""

from __future__ import annotations

from dataclasses import dataclass

from doudi_common.period import Period
from doudi_verification.domain.triggers import MonitoredGroup


@dataclass(frozen=True)
class Exit:
    """What eligibility's announcement of a Dibao's end says about the household."""

    entitlement_id: str
    household_id: str
    application_id: str
    region: str
    #: The last month paid.
    last_month: Period
    #: The last month monitored; None when the end carries no monitoring (not the end of a gradual exit).
    monitored_until: Period | None


@dataclass(frozen=True)
class MonitoredHousehold:
    entitlement_id: str
    household_id: str
    application_id: str
    region: str
    group: MonitoredGroup
    since: Period
    until: Period
    #: The members' ID numbers, as the household's application gave them (empty when it is not on record).
    persons: tuple[str, ...]

    def monitored_in(self, month: Period) -> bool:
        return self.since <= month <= self.until


def register_exit(
    current: MonitoredHousehold | None, exit_: Exit, region: str, persons: tuple[str, ...]
) -> MonitoredHousehold | None:
    """The entry an exit makes, or None when it makes none or the one on record already says the same (a
    redelivered announcement changes nothing). ``region`` and ``persons`` are the household's as the
    application on record here gives them (else the entitlement's region, and no one)."""
    if exit_.monitored_until is None or exit_.monitored_until < exit_.last_month.next():
        return None
    entry = MonitoredHousehold(
        entitlement_id=exit_.entitlement_id,
        household_id=exit_.household_id,
        application_id=exit_.application_id,
        region=region or exit_.region,
        group=MonitoredGroup.LEFT_DIBAO,
        since=exit_.last_month.next(),
        until=exit_.monitored_until,
        persons=persons,
    )
    return None if entry == current else entry
