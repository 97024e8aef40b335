"""The monitored population's register of households that left Dibao (DOMAIN §8.1, §7.3): fed by eligibility's
entitlement events, listed by region for the townships that own monitoring (DOMAIN §8.3)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from doudi_common.calendar import china_date
from doudi_common.period import Period
from doudi_common.region import RegionCode
from doudi_runtime.paging import Page
from doudi_runtime.service import Persistence, ServiceContext
from doudi_verification.domain.monitored import Exit, MonitoredHousehold, register_exit
from doudi_verification.store import cases as case_store
from doudi_verification.store import monitored as store


@dataclass
class MonitoredUseCases:
    context: ServiceContext
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    @property
    def persistence(self) -> Persistence:
        return self.context.persistence()

    def register(self, session: Session, exit_: Exit) -> None:
        """A Dibao's end, inside the consumer's inbox transaction: the household enters the register until
        the month eligibility names; the same end announced again changes nothing."""
        if exit_.monitored_until is None:
            return
        current = store.get(session, exit_.entitlement_id, for_update=True)
        case = case_store.get_case(session, exit_.application_id) if exit_.application_id else None
        region = case.township if case is not None else exit_.region
        persons = tuple(m.id_number for m in case.members) if case is not None else ()
        entry = register_exit(current, exit_, region, persons)
        if entry is not None:
            store.put(session, entry, self.clock(), exists=current is not None)

    def withdraw(self, session: Session, entitlement_id: str) -> None:
        """The end was reversed on appeal: the household is a Dibao recipient again, monitored as such."""
        store.withdraw(session, entitlement_id)

    def list(self, region: str, month: Period | None, page: Page) -> list[MonitoredHousehold]:
        prefix = RegionCode.parse(region, field="region").prefix
        when = month or Period.of(china_date(self.clock()))
        with self.persistence.database.read() as session:
            return store.monitored_in(session, prefix, when, page)


def monitored_use_cases(context: ServiceContext) -> MonitoredUseCases:
    """One set per process, shared by the API and the consumer."""
    return context.shared("monitored", lambda: MonitoredUseCases(context))
