"""A verification case: the household intake accepted, and where its checks stand.

PENDING → CHECKING → VERIFIED | INCOMPLETE (→ CHECKING again after a back-off) ; CANCELLED when the
application is withdrawn. A case is claimed for a lease while its sources are asked, so a worker that
dies mid-check loses nothing: the lease runs out and another worker checks it again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from doudi_common.errors import FailedPrecondition
from doudi_common.period import Period
from doudi_verification.domain.policy import HouseholdType


class CaseState(StrEnum):
    PENDING = "PENDING"
    CHECKING = "CHECKING"
    VERIFIED = "VERIFIED"
    INCOMPLETE = "INCOMPLETE"
    CANCELLED = "CANCELLED"


RUNNABLE = frozenset({CaseState.PENDING, CaseState.CHECKING, CaseState.INCOMPLETE})


class CheckPurpose(StrEnum):
    """Why the household is being checked: its application, or a periodic review of its entitlement."""

    APPLICATION = "APPLICATION"
    PERIODIC_REVIEW = "PERIODIC_REVIEW"


@dataclass(frozen=True)
class Member:
    index: int
    id_number: str
    counted: bool
    consent_signed: bool


@dataclass(frozen=True)
class Case:
    application_id: str
    programme: str
    township: str
    residence_region: str
    household_type: HouseholdType
    members: tuple[Member, ...]
    accepted_at: datetime
    state: CaseState
    attempts: int
    next_attempt_at: datetime | None
    latest_report_id: str
    updated_at: datetime
    purpose: CheckPurpose = CheckPurpose.APPLICATION
    #: The periodic review the current check answers, if any.
    review_id: str = ""
    #: The moment whose month the income reference period ends before; the acceptance when None.
    reference_at: datetime | None = None

    @property
    def counted(self) -> tuple[Member, ...]:
        return tuple(m for m in self.members if m.counted)

    @property
    def reference_moment(self) -> datetime:
        return self.reference_at or self.accepted_at

    def reference_period(self, months: int, accepted_month: Period) -> tuple[Period, Period]:
        """The ``months`` months before the application (or review) month (DOMAIN §3
        dibao.income.period_months)."""
        last = accepted_month.previous()
        return last.plus(-(months - 1)), last


@dataclass(frozen=True)
class RetryPolicy:
    """How long a check may hold a case, and how long to wait before asking failed sources again."""

    lease: timedelta = timedelta(minutes=2)
    first_retry: timedelta = timedelta(seconds=30)
    longest_retry: timedelta = timedelta(hours=1)

    def retry_delay(self, attempts: int) -> timedelta:
        return min(self.first_retry * (2 ** max(attempts - 1, 0)), self.longest_retry)


def claim(case: Case, now: datetime, retry: RetryPolicy) -> Case:
    if case.state not in RUNNABLE:
        raise FailedPrecondition(f"case {case.application_id} is {case.state.value}")
    return replace(
        case,
        state=CaseState.CHECKING,
        attempts=case.attempts + 1,
        next_attempt_at=now + retry.lease,
        updated_at=now,
    )


def settle(case: Case, report_id: str, complete: bool, now: datetime, retry: RetryPolicy) -> Case:
    """Record a check's report: done when complete, otherwise wait and try the sources again."""
    if complete:
        return replace(
            case, state=CaseState.VERIFIED, latest_report_id=report_id, next_attempt_at=None, updated_at=now
        )
    return replace(
        case,
        state=CaseState.INCOMPLETE,
        latest_report_id=report_id,
        next_attempt_at=now + retry.retry_delay(case.attempts),
        updated_at=now,
    )


def reopen(case: Case, now: datetime) -> Case:
    """Check again now: a dispute, a periodic review or a caseworker's request (DOMAIN §4.8)."""
    if case.state is CaseState.CANCELLED:
        raise FailedPrecondition(f"case {case.application_id} was cancelled: the application was withdrawn")
    return replace(case, state=CaseState.PENDING, next_attempt_at=now, updated_at=now)


def reopen_for_review(case: Case, review_id: str, now: datetime) -> Case:
    """Check again for a periodic review (DOMAIN §5.1.6): the income period ends before the review month."""
    return replace(
        reopen(case, now), purpose=CheckPurpose.PERIODIC_REVIEW, review_id=review_id, reference_at=now
    )


def cancel(case: Case, now: datetime) -> Case:
    return replace(case, state=CaseState.CANCELLED, next_attempt_at=None, updated_at=now)
