"""The beneficiary-status query: the programmes in which a person is paid now, from their entitlements."""

from __future__ import annotations

from dataclasses import dataclass

from doudi_eligibility.domain.beneficiary_status import CURRENT_STATES, current_programmes
from doudi_eligibility.domain.explain import Programme
from doudi_eligibility.store import records as store
from doudi_runtime.store import Database

_STATES = tuple(sorted(state.value for state in CURRENT_STATES))


@dataclass(frozen=True)
class BeneficiaryStatus:
    database: Database

    def programmes_of(self, id_number: str) -> tuple[Programme, ...]:
        """The programmes in which the person with ``id_number`` (validated) is a current beneficiary."""
        with self.database.read() as session:
            held = store.entitlements_of_persons(session, (id_number,), _STATES).get(id_number, [])
        return current_programmes((e.entitlement.programme, e.entitlement.state) for e in held)
