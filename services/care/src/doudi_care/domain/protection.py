"""Children's protection, "四位一体" (DOMAIN §9.1, SEED-4): a mandatory report (强制报告) opens an emergency
case whose next steps — emergency handling, assessment and help, guardianship intervention — each have
a deadline counted from the report; a step not done by its deadline goes to the county.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from doudi_common.errors import FailedPrecondition


class ProtectionStep(StrEnum):
    DISPATCH = "DISPATCH"
    ASSESSMENT = "ASSESSMENT"
    GUARDIANSHIP_INTERVENTION = "GUARDIANSHIP_INTERVENTION"


STEPS = (ProtectionStep.DISPATCH, ProtectionStep.ASSESSMENT, ProtectionStep.GUARDIANSHIP_INTERVENTION)


@dataclass(frozen=True)
class ProtectionDeadlines:
    """How long after the report each step may take (parameters; DOMAIN gives no national figure).

    EX defaults follow the nearest DOMAIN clocks: someone with the child within 2 h (M4's contact
    SLA), an assessment within 3 days (the disaster-alert SLA) and the guardianship intervention within
    15 days (the township's 15-day checks of §5.5 / §6).
    """

    dispatch: timedelta = timedelta(hours=2)
    assessment: timedelta = timedelta(days=3)
    intervention: timedelta = timedelta(days=15)

    def __post_init__(self) -> None:
        if not timedelta(0) < self.dispatch <= self.assessment <= self.intervention:
            raise ValueError("protection deadlines must be positive and in step order")


@dataclass(frozen=True)
class ProtectionCase:
    case_id: str
    entry_id: str
    child_id_number: str
    child_name: str
    region: str
    township: str
    description: str
    reporter: str
    contact_phone: str
    reported_at: datetime
    dispatch_due_at: datetime
    assessment_due_at: datetime
    intervention_due_at: datetime
    dispatched_at: datetime | None = None
    assessed_at: datetime | None = None
    intervened_at: datetime | None = None
    overdue_steps: tuple[ProtectionStep, ...] = ()
    notes: tuple[tuple[str, str], ...] = ()

    def due_at(self, step: ProtectionStep) -> datetime:
        return {
            ProtectionStep.DISPATCH: self.dispatch_due_at,
            ProtectionStep.ASSESSMENT: self.assessment_due_at,
            ProtectionStep.GUARDIANSHIP_INTERVENTION: self.intervention_due_at,
        }[step]

    def done_at(self, step: ProtectionStep) -> datetime | None:
        return {
            ProtectionStep.DISPATCH: self.dispatched_at,
            ProtectionStep.ASSESSMENT: self.assessed_at,
            ProtectionStep.GUARDIANSHIP_INTERVENTION: self.intervened_at,
        }[step]

    @property
    def closed(self) -> bool:
        return self.intervened_at is not None

    @property
    def next_deadline(self) -> datetime | None:
        """The earliest deadline of a step neither done nor already escalated (what the sweep waits for)."""
        pending = [self.due_at(s) for s in STEPS if self.done_at(s) is None and s not in self.overdue_steps]
        return min(pending) if pending else None


def open_case(
    *,
    case_id: str,
    entry_id: str,
    child_id_number: str,
    child_name: str,
    region: str,
    township: str,
    description: str,
    reporter: str,
    contact_phone: str,
    reported_at: datetime,
    deadlines: ProtectionDeadlines,
) -> ProtectionCase:
    return ProtectionCase(
        case_id=case_id,
        entry_id=entry_id,
        child_id_number=child_id_number,
        child_name=child_name,
        region=region,
        township=township,
        description=description,
        reporter=reporter,
        contact_phone=contact_phone,
        reported_at=reported_at,
        dispatch_due_at=reported_at + deadlines.dispatch,
        assessment_due_at=reported_at + deadlines.assessment,
        intervention_due_at=reported_at + deadlines.intervention,
    )


def record_step(case: ProtectionCase, step: ProtectionStep, *, at: datetime, note: str) -> ProtectionCase:
    """Steps happen in order: no assessment before someone went to the child, and so on."""
    if case.done_at(step) is not None:
        raise FailedPrecondition(f"case {case.case_id} already has its {step.value} step")
    index = STEPS.index(step)
    if index and case.done_at(STEPS[index - 1]) is None:
        raise FailedPrecondition(f"case {case.case_id} needs its {STEPS[index - 1].value} step first")
    if at < case.reported_at:
        raise FailedPrecondition("a step cannot come before the report")
    done = {
        ProtectionStep.DISPATCH: "dispatched_at",
        ProtectionStep.ASSESSMENT: "assessed_at",
        ProtectionStep.GUARDIANSHIP_INTERVENTION: "intervened_at",
    }[step]
    return replace(case, **{done: at}, notes=(*case.notes, (step.value, note)))


def newly_overdue(case: ProtectionCase, now: datetime) -> tuple[ProtectionStep, ...]:
    """Steps past their deadline, not done and not yet escalated, in step order."""
    return tuple(
        s for s in STEPS if case.done_at(s) is None and s not in case.overdue_steps and case.due_at(s) < now
    )


def escalate(case: ProtectionCase, steps: tuple[ProtectionStep, ...]) -> ProtectionCase:
    return replace(case, overdue_steps=(*case.overdue_steps, *steps))
