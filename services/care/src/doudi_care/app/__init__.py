"""Use-cases of the care service; each handler owns its transaction."""

from __future__ import annotations

from dataclasses import dataclass

from doudi_care.app.ledger import LedgerUseCases
from doudi_care.app.protection import ProtectionUseCases
from doudi_care.app.workorders import WorkOrderUseCases
from doudi_care.domain.ledger import LedgerRules
from doudi_care.domain.protection import ProtectionDeadlines
from doudi_care.domain.schedule import VisitPolicy
from doudi_care.domain.workorders import ContractTerms
from doudi_runtime.commands import Clock, utc_now
from doudi_runtime.service import ServiceContext


@dataclass(frozen=True)
class CareApp:
    """The service's use-cases sharing one store and one clock (the API, consumers, workers and tests)."""

    ledger: LedgerUseCases
    work_orders: WorkOrderUseCases
    protection: ProtectionUseCases


def build_app(
    context: ServiceContext,
    *,
    policy: VisitPolicy,
    rules: LedgerRules,
    terms: ContractTerms,
    deadlines: ProtectionDeadlines,
    services_per_month: int = 2,
    max_import_rows: int = 1000,
    batch_size: int = 200,
    clock: Clock = utc_now,
) -> CareApp:
    ledger = LedgerUseCases(
        context, clock, policy=policy, rules=rules, max_import_rows=max_import_rows, batch_size=batch_size
    )
    return CareApp(
        ledger=ledger,
        work_orders=WorkOrderUseCases(
            context, clock, terms=terms, services_per_month=services_per_month, batch_size=batch_size
        ),
        protection=ProtectionUseCases(
            context, clock, ledger=ledger, deadlines=deadlines, batch_size=batch_size
        ),
    )
