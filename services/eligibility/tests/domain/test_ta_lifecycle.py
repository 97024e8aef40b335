"""The temporary-assistance case from report to follow-up (DOMAIN §7.4): triage (with a referral out to the
receiving body), advance aid, assessment, the decision (partial when the county meeting grants less than it
was asked), payment, the township's follow-up and the post-check after advance aid."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doudi_common.errors import FailedPrecondition, PermissionDenied
from doudi_common.period import Period
from doudi_eligibility.domain.machines.roles import Role
from doudi_eligibility.domain.machines.temporary_assistance import (
    FINAL,
    TRANSITIONS,
    PostCheck,
    ReceivingBody,
    TaLifecycle,
    TaState,
    Triage,
)

from .builders import ex_gy

P = ex_gy()
DAY = date(2025, 3, 7)
APRIL = Period(2025, 4)


def urgent(advance: int = 112_000) -> TaLifecycle:
    case = TaLifecycle.reported("app_h09", DAY).triage(Triage.URGENT, Role.TOWNSHIP)
    return case.record_advance(advance) if advance else case


def granted(case: TaLifecycle, total: int = 336_000, **meeting: object) -> TaLifecycle:
    return case.assess(Role.TOWNSHIP).decide(
        Role.COUNTY,
        granted_fen=total,
        payment_month=APRIL,
        on=DAY,
        **meeting,  # type: ignore[arg-type]
    )


def test_triage_refers_a_disaster_out_to_emergency_management_and_ends_there() -> None:
    case = TaLifecycle.reported("inc_flood", DAY)
    out = case.triage(Triage.REFERRED_OUT, Role.TOWNSHIP, ReceivingBody.EMERGENCY_MANAGEMENT)
    assert (out.state, out.receiving_body) == (TaState.REFERRED_OUT, ReceivingBody.EMERGENCY_MANAGEMENT)
    assert out.state in FINAL
    with pytest.raises(FailedPrecondition):
        out.assess(Role.TOWNSHIP)


def test_a_referral_out_names_its_receiving_body_and_only_it_does() -> None:
    case = TaLifecycle.reported("inc_1", DAY)
    with pytest.raises(ValueError, match="receiving body"):
        case.triage(Triage.REFERRED_OUT, Role.TOWNSHIP)
    with pytest.raises(ValueError, match="receiving body"):
        case.triage(Triage.URGENT, Role.TOWNSHIP, ReceivingBody.RELIEF_STATION)


def test_the_village_does_not_triage() -> None:
    with pytest.raises(PermissionDenied):
        TaLifecycle.reported("inc_1", DAY).triage(Triage.URGENT, Role.VILLAGE)


def test_h09_advance_then_grant_pays_the_rest_then_the_follow_up_closes_with_the_lock() -> None:
    case = granted(urgent())
    assert (case.state, case.remaining_fen) == (TaState.APPROVED, 224_000)
    paid = case.settle(date(2025, 4, 10))
    assert paid.state is TaState.PAID and paid.paid_on == date(2025, 4, 10)
    assert paid.settle(date(2025, 4, 11)) == paid
    closed = paid.close(Role.TOWNSHIP, date(2025, 5, 6), hardship_persists=True, params=P)
    assert closed.state is TaState.CLOSED
    assert closed.monitored and closed.refer_to_dibao
    assert closed.locked_until == Period(2026, 4)


def test_a_follow_up_without_persisting_hardship_refers_nobody_to_dibao() -> None:
    closed = granted(urgent()).settle(DAY).close(Role.TOWNSHIP, DAY, hardship_persists=False, params=P)
    assert closed.monitored and not closed.refer_to_dibao


def test_a_grant_the_advance_covers_is_paid_at_the_decision() -> None:
    case = granted(urgent(112_000), total=112_000)
    assert (case.state, case.paid_on, case.remaining_fen) == (TaState.PAID, DAY, 0)


def test_the_county_meeting_granting_less_than_asked_is_partial_with_its_minutes() -> None:
    expenditure = TaLifecycle.reported("app_h10", DAY).triage(Triage.EXPENDITURE, Role.TOWNSHIP)
    minutes = "县社会救助联席会议纪要〔2025〕3号"
    case = granted(
        expenditure,
        total=760_000,
        meeting_requested_fen=440_000,
        meeting_granted_fen=200_000,
        minutes_reference=minutes,
    )
    assert (case.state, case.minutes_reference, case.granted_fen) == (TaState.PARTIAL, minutes, 760_000)
    full = granted(
        expenditure,
        total=1_000_000,
        meeting_requested_fen=440_000,
        meeting_granted_fen=440_000,
        minutes_reference=minutes,
    )
    assert full.state is TaState.APPROVED
    with pytest.raises(ValueError, match="minutes"):
        granted(expenditure, total=760_000, meeting_requested_fen=440_000, meeting_granted_fen=200_000)


def test_nothing_granted_is_refused() -> None:
    assert granted(urgent(0), total=0).state is TaState.REFUSED


def test_misrepresentation_after_advance_recovers_what_was_paid_good_faith_nothing() -> None:
    advanced = urgent()
    assert advanced.record_post_check(Role.COUNTY, PostCheck.MISREPRESENTED).recovery_fen == 112_000
    paid = granted(advanced).settle(DAY)
    assert paid.record_post_check(Role.COUNTY, PostCheck.MISREPRESENTED).recovery_fen == 336_000
    good = paid.record_post_check(Role.TOWNSHIP, PostCheck.GOOD_FAITH)
    assert (good.post_check, good.recovery_fen) == (PostCheck.GOOD_FAITH, 0)
    with pytest.raises(FailedPrecondition, match="twice"):
        good.record_post_check(Role.COUNTY, PostCheck.MISREPRESENTED)


def test_misrepresentation_is_the_countys_finding_and_needs_advance_aid() -> None:
    with pytest.raises(PermissionDenied):
        urgent().record_post_check(Role.TOWNSHIP, PostCheck.MISREPRESENTED)
    with pytest.raises(FailedPrecondition, match="advance"):
        urgent(0).record_post_check(Role.COUNTY, PostCheck.GOOD_FAITH)


# -- invariants over any sequence of steps -----------------------------------------------------------------

STEPS = st.sampled_from(
    [
        "urgent",
        "expenditure",
        "refer",
        "advance",
        "assess",
        "grant",
        "partial",
        "refuse",
        "settle",
        "close",
        "misrepresented",
        "good_faith",
    ]
)


def _step(case: TaLifecycle, step: str, amount: int) -> TaLifecycle:
    match step:
        case "urgent":
            return case.triage(Triage.URGENT, Role.TOWNSHIP)
        case "expenditure":
            return case.triage(Triage.EXPENDITURE, Role.TOWNSHIP)
        case "refer":
            return case.triage(Triage.REFERRED_OUT, Role.TOWNSHIP, ReceivingBody.RELIEF_STATION)
        case "advance":
            return case.record_advance(amount)
        case "assess":
            return case.assess(Role.TOWNSHIP)
        case "grant" | "partial" | "refuse":
            asked = amount if step == "partial" else 0
            return case.decide(
                Role.COUNTY,
                granted_fen=0 if step == "refuse" else amount,
                payment_month=APRIL,
                on=DAY,
                meeting_requested_fen=asked,
                meeting_granted_fen=asked // 2,
                minutes_reference="纪要" if asked else "",
            )
        case "settle":
            return case.settle(DAY)
        case "close":
            return case.close(Role.TOWNSHIP, DAY, hardship_persists=amount % 2 == 0, params=P)
        case "misrepresented":
            return case.record_post_check(Role.COUNTY, PostCheck.MISREPRESENTED)
        case _:
            return case.record_post_check(Role.COUNTY, PostCheck.GOOD_FAITH)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(STEPS, st.integers(min_value=1, max_value=2_000_000)), max_size=14))
def test_every_move_follows_an_edge_of_the_machine_and_money_stays_consistent(
    steps: list[tuple[str, int]],
) -> None:
    case = TaLifecycle.reported("ref", DAY)
    for step, amount in steps:
        try:
            moved = _step(case, step, amount)
        except (FailedPrecondition, PermissionDenied, ValueError):
            continue
        if moved.state is not case.state:
            assert (case.state, moved.state) in TRANSITIONS or (
                # a grant the advance covers is paid at the decision
                case.state is TaState.ASSESSED and moved.state is TaState.PAID and moved.remaining_fen == 0
            )
        assert case.state not in FINAL or moved.state is case.state
        assert 0 <= moved.remaining_fen <= moved.granted_fen or moved.granted_fen == 0
        assert 0 <= moved.recovery_fen <= moved.paid_fen
        assert moved.recovery_fen == 0 or moved.post_check is PostCheck.MISREPRESENTED
        assert moved.state is not TaState.CLOSED or moved.paid_on is not None
        assert moved.receiving_body is None or moved.state is TaState.REFERRED_OUT
        case = moved
