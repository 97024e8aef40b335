"""The alert life cycle of DOMAIN §8.3: raise, fold, assign, verify, dispose, close; and the SLA flag."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi_common.errors import FailedPrecondition, InvalidArgument
from doudi_common.testing import EXAMPLE_TOWNSHIP, EXAMPLE_VILLAGE, make_resident_id
from doudi_verification.domain.alerts import (
    Alert,
    AlertState,
    AssigneeRole,
    Assignment,
    Disposition,
    DispositionChoice,
    Findings,
    ReferralTarget,
    VerificationMethod,
    assign,
    close,
    dispose,
    flag_overdue,
    fold,
    folds_into,
    is_overdue,
    leads_of,
    raise_alert,
    record_verification,
)
from doudi_verification.domain.triggers import MonitoringEvent, SlaPolicy, Trigger, Verdict

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
PERSON = make_resident_id(date(1988, 4, 2), 17)
SLA = SlaPolicy()


def reported(trigger: Trigger = Trigger.ACCIDENT, reference: str = "ticket-1") -> MonitoringEvent:
    return MonitoringEvent(
        trigger=trigger,
        person_id=PERSON,
        region=EXAMPLE_VILLAGE,
        source="hotline",
        source_reference=reference,
        occurred_at=NOW - timedelta(hours=1),
        household_id="hh-7",
    )


def raised(trigger: Trigger = Trigger.ACCIDENT) -> Alert:
    return raise_alert(reported(trigger), Verdict(True, "why"), alert_id="alert_1", now=NOW, sla=SLA)


def worked(alert: Alert | None = None) -> Alert:
    """Assigned and verified by a home visit."""
    alert = assign(alert or raised(), Assignment("cadre-12", AssigneeRole.VILLAGE_CADRE, "", NOW), NOW)
    return record_verification(alert, visit(NOW + timedelta(hours=3)), NOW + timedelta(hours=4))


def visit(at: datetime) -> Findings:
    return Findings(
        VerificationMethod.HOME_VISIT, "cadre-12", at, housing="house burnt down", needs="shelter"
    )


def test_an_alert_goes_to_the_township_of_the_residence_due_by_its_sla() -> None:
    alert = raised()
    assert alert.state is AlertState.RAISED
    assert alert.township == EXAMPLE_TOWNSHIP
    assert alert.due_at == NOW + timedelta(hours=24)
    assert alert.person_masked == PERSON[:6] + "********" + PERSON[-4:]
    assert alert.subject_key == "hh-7"


def test_the_same_fact_folds_into_the_open_alert_and_another_fact_does_not() -> None:
    alert = raised()
    assert folds_into(alert, reported())
    assert fold(alert, NOW).reports == 2
    assert not folds_into(alert, reported(reference="ticket-2"))
    assert not folds_into(alert, reported(trigger=Trigger.DEATH))
    assert not folds_into(alert, replace(reported(), person_id=make_resident_id(date(1990, 1, 1))))


def test_a_closed_alert_takes_no_more_reports_and_frees_its_fact() -> None:
    closed = replace(raised(), state=AlertState.CLOSED)
    assert not folds_into(closed, reported())
    assert closed.open_key is None and raised().open_key is not None


def test_the_whole_path_from_raise_to_close_h09() -> None:
    """H09: a fire (M4); the cadre visits, urgent TA and a housing referral, then the cases exist."""
    alert = worked()
    assert alert.state is AlertState.VERIFYING
    disposed = dispose(
        alert,
        [
            DispositionChoice(Disposition.TA_URGENT, "house uninhabitable, breadwinner burned"),
            DispositionChoice(Disposition.REFER, "rebuild", ReferralTarget.HOUSING),
        ],
        "urgent need after the fire",
        follow_up_days=0,
        now=NOW + timedelta(hours=5),
    )
    assert disposed.state is AlertState.DISPOSED
    with pytest.raises(FailedPrecondition, match="REFER"):
        close(disposed, [(Disposition.TA_URGENT, "ta-1")], "", now=NOW + timedelta(days=1))
    done = close(
        disposed,
        [(Disposition.TA_URGENT, "ta-1"), (Disposition.REFER, "ref-9")],
        "",
        now=NOW + timedelta(days=1),
    )
    assert done.state is AlertState.CLOSED
    assert [c.downstream_reference for c in done.dispositions] == ["ta-1", "ref-9"]


def test_include_dibao_is_a_lead_never_an_enrolment() -> None:
    disposed = dispose(
        worked(),
        [DispositionChoice(Disposition.INCLUDE_DIBAO, "income below the standard")],
        "help them apply",
        follow_up_days=0,
        now=NOW + timedelta(hours=5),
    )
    (lead,) = leads_of(disposed)
    assert (lead.programme, lead.person_id, lead.alert_id) == ("DIBAO", PERSON, "alert_1")


def test_a_false_positive_needs_a_reason_and_stands_alone() -> None:
    alert = worked()
    with pytest.raises(InvalidArgument) as error:
        dispose(
            alert, [DispositionChoice(Disposition.NO_ACTION_FALSE_POSITIVE)], "x", follow_up_days=0, now=NOW
        )
    assert {v.field for v in error.value.violations} == {"dispositions[0].reason"}
    with pytest.raises(InvalidArgument) as error:
        dispose(
            alert,
            [
                DispositionChoice(Disposition.NO_ACTION_FALSE_POSITIVE, "the bill was reimbursed"),
                DispositionChoice(Disposition.TA_URGENT, "x"),
            ],
            "x",
            follow_up_days=0,
            now=NOW,
        )
    assert {v.field for v in error.value.violations} == {"dispositions"}
    fine = dispose(
        alert,
        [DispositionChoice(Disposition.NO_ACTION_FALSE_POSITIVE, "the bill was reimbursed")],
        "no hardship",
        follow_up_days=0,
        now=NOW,
    )
    assert close(fine, [], "", now=NOW).state is AlertState.CLOSED


def test_refer_needs_a_target_and_outcomes_are_named_once() -> None:
    with pytest.raises(InvalidArgument) as error:
        dispose(
            worked(),
            [DispositionChoice(Disposition.REFER, "x"), DispositionChoice(Disposition.REFER, "y")],
            "x",
            follow_up_days=0,
            now=NOW,
        )
    assert {v.field for v in error.value.violations} == {
        "dispositions[0].refer_to",
        "dispositions[1].refer_to",
        "dispositions[1].kind",
    }


def test_steps_out_of_order_are_failed_preconditions() -> None:
    alert = raised()
    with pytest.raises(FailedPrecondition, match="RAISED"):
        record_verification(alert, visit(NOW), NOW)
    with pytest.raises(FailedPrecondition):
        dispose(alert, [DispositionChoice(Disposition.TA_URGENT, "x")], "x", follow_up_days=0, now=NOW)
    with pytest.raises(FailedPrecondition):
        close(alert, [], "", now=NOW)


def test_a_follow_up_keeps_the_alert_open_until_the_visit_is_recorded() -> None:
    disposed = dispose(
        worked(),
        [DispositionChoice(Disposition.CARE_LEDGER, "left-behind elderly")],
        "enter the ledger",
        follow_up_days=7,
        now=NOW + timedelta(hours=5),
    )
    assert disposed.state is AlertState.FOLLOW_UP
    assert disposed.follow_up_due == date(2026, 3, 17)
    with pytest.raises(FailedPrecondition, match="follow-up"):
        close(disposed, [(Disposition.CARE_LEDGER, "ledger-3")], "", now=NOW + timedelta(days=2))
    revisited = record_verification(disposed, visit(NOW + timedelta(days=6)), NOW + timedelta(days=6))
    assert revisited.state is AlertState.FOLLOW_UP
    assert close(
        revisited, [(Disposition.CARE_LEDGER, "ledger-3")], "", now=NOW + timedelta(days=6)
    ).closed_at


def test_closing_names_only_outcomes_the_alert_has() -> None:
    disposed = dispose(
        worked(), [DispositionChoice(Disposition.TA_URGENT, "x")], "x", follow_up_days=0, now=NOW
    )
    with pytest.raises(InvalidArgument) as error:
        close(disposed, [(Disposition.TA_URGENT, "ta-1"), (Disposition.REFER, "r")], "", now=NOW)
    assert {v.field for v in error.value.violations} == {"downstream"}


def test_input_is_validated_with_field_names() -> None:
    with pytest.raises(InvalidArgument) as error:
        assign(raised(), Assignment("", None, "", NOW), NOW)
    assert {v.field for v in error.value.violations} == {"assignee", "role"}
    with pytest.raises(InvalidArgument) as error:
        record_verification(worked(), Findings(None, "", NOW + timedelta(days=1)), NOW)
    assert {v.field for v in error.value.violations} == {
        "findings.method",
        "findings.verified_by",
        "findings.verified_at",
        "findings.living_conditions",
    }


# -- the SLA flag ------------------------------------------------------------------------------------


def test_an_unverified_alert_is_overdue_from_its_due_time_and_flagged_once() -> None:
    alert = raised()
    assert not is_overdue(alert, alert.due_at - timedelta(seconds=1))
    assert is_overdue(alert, alert.due_at)
    flagged = flag_overdue(alert, alert.due_at)
    assert flagged.overdue and not is_overdue(flagged, alert.due_at + timedelta(days=9))
    with pytest.raises(FailedPrecondition):
        flag_overdue(flagged, alert.due_at + timedelta(days=9))


def test_a_verified_alert_is_never_overdue() -> None:
    alert = worked()
    assert not is_overdue(alert, alert.due_at + timedelta(days=30))


@given(
    steps=st.lists(st.sampled_from(["assign", "verify", "dispose", "close", "fold"]), max_size=8),
    hours=st.integers(min_value=0, max_value=24 * 30),
)
def test_any_sequence_of_steps_keeps_the_invariants(steps: list[str], hours: int) -> None:
    """Whatever is tried in whatever order: the state only moves forward, a closed alert has no open key,
    and a disposed alert always has at least one outcome."""
    order = list(AlertState)
    alert = raised()
    now = NOW
    for step in steps:
        now += timedelta(hours=hours)
        before = alert
        try:
            if step == "assign":
                alert = assign(alert, Assignment("cadre-1", AssigneeRole.ASSISTANT, "", now), now)
            elif step == "verify":
                alert = record_verification(alert, visit(now), now)
            elif step == "dispose":
                choice = DispositionChoice(Disposition.TA_EXPENDITURE, "medical bills")
                alert = dispose(alert, [choice], "x", follow_up_days=0, now=now)
            elif step == "close":
                alert = close(alert, [(Disposition.TA_EXPENDITURE, "ta-2")], "", now=now)
            elif folds_into(alert, reported()):
                alert = fold(alert, now)
        except FailedPrecondition:
            assert alert == before
        assert order.index(alert.state) >= order.index(before.state)
        assert (alert.open_key is None) == (alert.state is AlertState.CLOSED)
        if alert.state in (AlertState.DISPOSED, AlertState.CLOSED):
            assert alert.dispositions
