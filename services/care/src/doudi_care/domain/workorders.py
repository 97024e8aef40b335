"""Care-service work orders and the provider's monthly settlement (DOMAIN §9.3, §13 H14).

``settle`` is the contract's assessment rule as a pure function over one provider's month:

    payable = paid services × unit price − deductions

where a paid service is completed and not failed by an audit, and the deductions are a fixed amount
per missed order, per failed audit, and a share of the month's gross when the average satisfaction
of the paid services is below the threshold. H14: one of two orders done, score 2 → 120 − 24 = 96 yuan.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from fractions import Fraction

from doudi_common.errors import FailedPrecondition
from doudi_common.money import round_half_up_to_fen
from doudi_common.period import Period
from doudi_common.region import RegionCode

MIN_SCORE = 1
MAX_SCORE = 5


class WorkOrderState(StrEnum):
    ASSIGNED = "ASSIGNED"
    COMPLETED = "COMPLETED"
    AUDITED = "AUDITED"
    MISSED = "MISSED"
    #: Withdrawn undone because the person's entitlement was suspended or ended: neither paid nor deducted.
    CANCELLED = "CANCELLED"


@dataclass(frozen=True)
class WorkOrder:
    work_order_id: str
    entry_id: str
    provider_id: str
    period: Period
    state: WorkOrderState
    region: str
    township: str
    created_at: datetime
    updated_at: datetime
    #: 1..n for the orders the monthly plan makes; None for orders created by hand.
    seq: int | None = None
    content: str = ""
    quality_score: int = 0
    confirmed_by: str = ""
    completed_at: datetime | None = None
    audit_passed: bool | None = None
    missed_reason: str = ""

    @property
    def paid(self) -> bool:
        """Completed, and not failed by an audit (DOMAIN §9.3 "completed & audited-or-unaudited")."""
        return self.state is WorkOrderState.COMPLETED or (
            self.state is WorkOrderState.AUDITED and bool(self.audit_passed)
        )


def complete(order: WorkOrder, *, score: int, confirmed_by: str, at: datetime, now: datetime) -> WorkOrder:
    if order.state is not WorkOrderState.ASSIGNED:
        raise FailedPrecondition(f"work order {order.work_order_id} is {order.state.value}, not ASSIGNED")
    return replace(
        order,
        state=WorkOrderState.COMPLETED,
        quality_score=score,
        confirmed_by=confirmed_by,
        completed_at=at,
        updated_at=now,
    )


def miss(order: WorkOrder, *, reason: str, now: datetime) -> WorkOrder:
    if order.state is not WorkOrderState.ASSIGNED:
        raise FailedPrecondition(f"work order {order.work_order_id} is {order.state.value}, not ASSIGNED")
    return replace(order, state=WorkOrderState.MISSED, missed_reason=reason, updated_at=now)


def cancel(order: WorkOrder, *, reason: str, now: datetime) -> WorkOrder:
    """An order not yet done is withdrawn; it leaves the monthly plan (``seq``), so a resumed
    entitlement gets the month's services planned again."""
    if order.state is not WorkOrderState.ASSIGNED:
        raise FailedPrecondition(f"work order {order.work_order_id} is {order.state.value}, not ASSIGNED")
    return replace(order, state=WorkOrderState.CANCELLED, seq=None, missed_reason=reason, updated_at=now)


def audit(order: WorkOrder, *, passed: bool, now: datetime) -> WorkOrder:
    if order.state is not WorkOrderState.COMPLETED:
        raise FailedPrecondition(f"work order {order.work_order_id} is {order.state.value}, not COMPLETED")
    return replace(order, state=WorkOrderState.AUDITED, audit_passed=passed, updated_at=now)


@dataclass(frozen=True)
class ContractTerms:
    """A provider contract's fee and assessment rules; defaults are H14's EX contract."""

    unit_price_fen: int = 12_000
    #: Average satisfaction below this deducts ``low_score_share`` of the month's gross.
    low_score_threshold: Fraction = Fraction(3)
    low_score_share: Fraction = Fraction(1, 5)
    missed_deduction_fen: int = 0
    failed_audit_deduction_fen: int = 0

    def __post_init__(self) -> None:
        if self.unit_price_fen < 0 or self.missed_deduction_fen < 0 or self.failed_audit_deduction_fen < 0:
            raise ValueError("contract amounts must not be negative")
        if not 0 <= self.low_score_share <= 1:
            raise ValueError("the low-score share is a fraction of the gross between 0 and 1")


@dataclass(frozen=True)
class SettlementFigures:
    planned: int
    paid_services: int
    missed: int
    failed_audit: int
    average_score: Fraction | None
    gross_fen: int
    deductions_fen: int
    payable_fen: int


def settle(orders: Iterable[WorkOrder], terms: ContractTerms) -> SettlementFigures:
    """One provider's month (every order must be closed: completed, audited or missed); cancelled
    orders were never owed, so they are not planned, paid or deducted."""
    orders = [o for o in orders if o.state is not WorkOrderState.CANCELLED]
    open_orders = [o.work_order_id for o in orders if o.state is WorkOrderState.ASSIGNED]
    if open_orders:
        raise FailedPrecondition(f"work orders still open: {', '.join(open_orders)}")
    paid = [o for o in orders if o.paid]
    missed = sum(1 for o in orders if o.state is WorkOrderState.MISSED)
    failed = sum(1 for o in orders if o.state is WorkOrderState.AUDITED and not o.audit_passed)
    gross = len(paid) * terms.unit_price_fen
    average = Fraction(sum(o.quality_score for o in paid), len(paid)) if paid else None
    deduction = Fraction(missed * terms.missed_deduction_fen + failed * terms.failed_audit_deduction_fen)
    if average is not None and average < terms.low_score_threshold:
        deduction += gross * terms.low_score_share
    deductions = min(round_half_up_to_fen(deduction), gross)
    return SettlementFigures(
        planned=len(orders),
        paid_services=len(paid),
        missed=missed,
        failed_audit=failed,
        average_score=average,
        gross_fen=gross,
        deductions_fen=deductions,
        payable_fen=gross - deductions,
    )


@dataclass(frozen=True)
class Settlement:
    settlement_id: str
    provider_id: str
    period: Period
    figures: SettlementFigures
    average_score_x100: int
    settled_at: datetime

    @property
    def payable_fen(self) -> int:
        return self.figures.payable_fen


def completion_rate(planned: int, completed: int) -> Fraction | None:
    """DOMAIN §9.3 KPI: completed ÷ planned (Maiji 2022: 19,856 / 21,456 ≈ 92.5 %)."""
    return Fraction(completed, planned) if planned else None


def served_region(regions: Iterable[RegionCode]) -> RegionCode | None:
    """The smallest region holding every region a provider serves (None when it serves none, or
    people of more than one province).

    A provider's month is settled for all its work orders at once, so a caller may settle it only when
    this whole region lies in the caller's scope.
    """
    found: RegionCode | None = None
    for index, region in enumerate(regions):
        if index == 0:
            found = region
        while found is not None and not found.contains(region):
            found = found.parent
        if found is None:
            return None
    return found
