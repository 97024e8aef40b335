"""A monthly run and its dual control (DOMAIN §11.2 step 4; issue: release needs a second person).

GENERATING → AWAITING_APPROVAL (control totals known) → RELEASED (approved by someone other than its
creator, confirming the totals) → CLOSED (every payment has the bank's answer). Before release a run
can be HELD (and resumed) or CANCELLED.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from doudi_common.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from doudi_common.period import Period


class RunState(StrEnum):
    GENERATING = "GENERATING"
    AWAITING_APPROVAL = "AWAITING_APPROVAL"
    RELEASED = "RELEASED"
    HELD = "HELD"
    CLOSED = "CLOSED"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True)
class Run:
    run_id: str
    period: Period
    region: str
    state: RunState
    created_by: str
    created_at: datetime
    updated_at: datetime
    #: The control totals: the lines that go to the bank (DOMAIN §11.2 step 4).
    payment_count: int = 0
    total_fen: int = 0
    approved_by: str = ""
    state_reason: str = ""
    #: Lines held at generation (no payee account, DOMAIN §11.1): never sent, so outside the totals.
    held_count: int = 0
    held_fen: int = 0


@dataclass(frozen=True)
class Totals:
    """What a run (or a shard) sends to the bank, and what it holds back."""

    payment_count: int = 0
    total_fen: int = 0
    held_count: int = 0
    held_fen: int = 0

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            self.payment_count + other.payment_count,
            self.total_fen + other.total_fen,
            self.held_count + other.held_count,
            self.held_fen + other.held_fen,
        )


def _require(run: Run, allowed: set[RunState], action: str) -> None:
    if run.state not in allowed:
        names = ", ".join(sorted(s.value for s in allowed))
        raise FailedPrecondition(
            f"run {run.run_id} is {run.state.value}; it can be {action} only when {names}"
        )


def generated(run: Run, totals: Totals, now: datetime) -> Run:
    """Every shard is generated: the run declares what it sends to the bank, the held lines apart."""
    _require(run, {RunState.GENERATING}, "completed")
    return recounted(replace(run, state=RunState.AWAITING_APPROVAL, updated_at=now), totals, now)


def recounted(run: Run, totals: Totals, now: datetime) -> Run:
    """The totals of a run not yet released, counted again (a held line re-issued to an account moves into
    the control totals, so the approver confirms what the bank will be sent)."""
    _require(run, set(UNRELEASED), "recounted")
    return replace(
        run,
        payment_count=totals.payment_count,
        total_fen=totals.total_fen,
        held_count=totals.held_count,
        held_fen=totals.held_fen,
        updated_at=now,
    )


def approve(run: Run, approver: str, expected_count: int, expected_total_fen: int, now: datetime) -> Run:
    """The second person confirms the control totals; the creator can never release their own run."""
    _require(run, {RunState.AWAITING_APPROVAL}, "approved")
    if not approver or approver == run.created_by:
        raise PermissionDenied("a run is released by a second person, not by the one who opened it")
    if (expected_count, expected_total_fen) != (run.payment_count, run.total_fen):
        raise InvalidArgument.single(
            "expected_total_fen",
            f"the control totals do not match: the run holds {run.payment_count} payments summing to "
            f"{run.total_fen} fen, the approval declares {expected_count} summing to {expected_total_fen}",
        )
    return replace(run, state=RunState.RELEASED, approved_by=approver, updated_at=now)


def hold(run: Run, reason: str, now: datetime) -> Run:
    _require(run, {RunState.GENERATING, RunState.AWAITING_APPROVAL}, "held")
    return replace(run, state=RunState.HELD, state_reason=reason, updated_at=now)


def resume(run: Run, now: datetime) -> Run:
    _require(run, {RunState.HELD}, "resumed")
    return replace(run, state=RunState.AWAITING_APPROVAL, state_reason="", updated_at=now)


def cancel(run: Run, reason: str, now: datetime) -> Run:
    _require(run, {RunState.GENERATING, RunState.AWAITING_APPROVAL, RunState.HELD}, "cancelled")
    return replace(run, state=RunState.CANCELLED, state_reason=reason, updated_at=now)


def close(run: Run, now: datetime) -> Run:
    _require(run, {RunState.RELEASED}, "closed")
    return replace(run, state=RunState.CLOSED, updated_at=now)


#: Runs not yet released: their money has not left for the bank.
UNRELEASED = frozenset({RunState.GENERATING, RunState.AWAITING_APPROVAL, RunState.HELD})


def pay_date(period: Period, pay_day_of_month: int) -> date:
    """The day a period's money is due in the beneficiaries' accounts (DOMAIN §11.1: by the 10th)."""
    return date(period.year, period.month, min(pay_day_of_month, monthrange(period.year, period.month)[1]))


def is_late(run: Run, today: date, pay_day_of_month: int) -> bool:
    """A run past its pay date that has not been released."""
    return run.state in UNRELEASED and today > pay_date(run.period, pay_day_of_month)
