"""A monthly run and its dual control (DOMAIN §11.2 step 4; issue: release needs a second person).

GENERATING → AWAITING_APPROVAL (control totals known) → RELEASED (approved by someone other than its
creator, confirming the totals) → CLOSED (every payment has the bank's answer). Before release a run
can be HELD (and resumed) or CANCELLED.

Every line of a run counts once: in the control totals (sent to the bank under the release), among the
lines held at generation for want of an account, or — once such a line is re-issued after the release —
among the lines re-issued after release, paid outside the totals the approver confirmed.
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
    #: Lines held at generation (no payee account, DOMAIN §11.1) and still held: outside the totals.
    held_count: int = 0
    held_fen: int = 0
    #: Lines held at generation and re-issued after release: paid outside the totals, no longer held.
    reissued_count: int = 0
    reissued_fen: int = 0


@dataclass(frozen=True)
class Totals:
    """What a run (or a shard) sends to the bank, what it holds back, and what it pays after its release
    of what it held."""

    payment_count: int = 0
    total_fen: int = 0
    held_count: int = 0
    held_fen: int = 0
    reissued_count: int = 0
    reissued_fen: int = 0

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            self.payment_count + other.payment_count,
            self.total_fen + other.total_fen,
            self.held_count + other.held_count,
            self.held_fen + other.held_fen,
            self.reissued_count + other.reissued_count,
            self.reissued_fen + other.reissued_fen,
        )


def totals_of(run: Run) -> Totals:
    return Totals(
        run.payment_count, run.total_fen, run.held_count, run.held_fen, run.reissued_count, run.reissued_fen
    )


def reissued_after_release(totals: Totals, count: int, fen: int) -> Totals:
    """Held lines (``count`` of them, summing to ``fen``) re-issued once their run is released are paid
    outside the control totals the approver confirmed (DOMAIN §11.2 steps 4–5): they leave the held lines for
    those re-issued after release, so each line counts once and the totals stay as approved. A run released
    before its held lines were counted apart holds none (``held_count`` 0): its lines are in its totals and
    stay there."""
    if count <= 0 or count > totals.held_count:
        return totals
    return replace(
        totals,
        held_count=totals.held_count - count,
        held_fen=totals.held_fen - fen,
        reissued_count=totals.reissued_count + count,
        reissued_fen=totals.reissued_fen + fen,
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


def reissued(run: Run, count: int, fen: int, now: datetime) -> Run:
    """A released (or closed) run pays held lines re-issued to an account: see
    :func:`reissued_after_release`."""
    _require(run, set(PAID_OUT), "paid a held line re-issued after release")
    moved = reissued_after_release(totals_of(run), count, fen)
    return replace(
        run,
        held_count=moved.held_count,
        held_fen=moved.held_fen,
        reissued_count=moved.reissued_count,
        reissued_fen=moved.reissued_fen,
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
#: Runs released under dual control: their totals are the ones the approver confirmed.
PAID_OUT = frozenset({RunState.RELEASED, RunState.CLOSED})


def pay_date(period: Period, pay_day_of_month: int) -> date:
    """The day a period's money is due in the beneficiaries' accounts (DOMAIN §11.1: by the 10th)."""
    return date(period.year, period.month, min(pay_day_of_month, monthrange(period.year, period.month)[1]))


def is_late(run: Run, today: date, pay_day_of_month: int) -> bool:
    """A run past its pay date that has not been released."""
    return run.state in UNRELEASED and today > pay_date(run.period, pay_day_of_month)
