"""Children's protection (DOMAIN §9.1 "四位一体"): deadlines from the report, steps in order, escalation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi_care.domain import protection as rules
from doudi_care.domain.protection import ProtectionDeadlines, ProtectionStep
from doudi_common.errors import FailedPrecondition

REPORTED = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
DEADLINES = ProtectionDeadlines()


def case() -> rules.ProtectionCase:
    return rules.open_case(
        case_id="case_1", entry_id="entry_1", child_id_number="", child_name="杨小花", region="640402100201",
        township="640402100000", description="school reports bruises", reporter="school", contact_phone="",
        reported_at=REPORTED, deadlines=DEADLINES,
    )  # fmt: skip


def test_deadlines_count_from_the_report() -> None:
    c = case()
    assert c.dispatch_due_at == REPORTED + timedelta(hours=2)
    assert c.assessment_due_at == REPORTED + timedelta(days=3)
    assert c.intervention_due_at == REPORTED + timedelta(days=15)


def test_steps_happen_in_order_and_once() -> None:
    c = case()
    with pytest.raises(FailedPrecondition):
        rules.record_step(c, ProtectionStep.ASSESSMENT, at=REPORTED, note="x")
    c = rules.record_step(
        c, ProtectionStep.DISPATCH, at=REPORTED + timedelta(hours=1), note="child director went"
    )
    with pytest.raises(FailedPrecondition):
        rules.record_step(c, ProtectionStep.DISPATCH, at=REPORTED, note="again")
    c = rules.record_step(c, ProtectionStep.ASSESSMENT, at=REPORTED + timedelta(days=1), note="assessed")
    c = rules.record_step(
        c, ProtectionStep.GUARDIANSHIP_INTERVENTION, at=REPORTED + timedelta(days=2), note="x"
    )
    assert c.closed and c.next_deadline is None


def test_a_step_past_its_deadline_is_escalated_once() -> None:
    c = case()
    late = rules.newly_overdue(c, REPORTED + timedelta(hours=3))
    assert late == (ProtectionStep.DISPATCH,)
    c = rules.escalate(c, late)
    assert rules.newly_overdue(c, REPORTED + timedelta(hours=4)) == ()
    assert c.next_deadline == c.assessment_due_at


@given(hours=st.integers(0, 24 * 30))
def test_escalations_come_in_step_order_and_never_before_a_deadline(hours: int) -> None:
    now = REPORTED + timedelta(hours=hours)
    late = rules.newly_overdue(case(), now)
    assert list(late) == [s for s in rules.STEPS if s in late]
    assert all(case().due_at(s) < now for s in late)
