"""The window's steps on an application (DOMAIN §7.2 rows 3–8, 25) and the clocks they start (§6)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi_common.calendar import WorkingDayCalendar, load_cn_calendar
from doudi_common.errors import FailedPrecondition, InvalidArgument
from doudi_common.testing import EXAMPLE_TOWNSHIP as TOWNSHIP
from doudi_common.testing import EXAMPLE_VILLAGE as VILLAGE
from doudi_common.testing import make_resident_id as resident_id
from doudi_intake.domain import window
from doudi_intake.domain.application import (
    Application,
    ApplicationState,
    Channel,
    HouseholdDeclaration,
    HouseholdType,
    MemberDeclaration,
    Programme,
    Relation,
    Submission,
    submit,
)

# Tuesday 24 November 2026, 10:00 in Beijing.
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
LIMITS = window.WindowTimeLimits(calendar=load_cn_calendar())
OTHER_TOWNSHIP = "640402101000"
APPLICANT = MemberDeclaration(
    resident_id(date(1980, 5, 17)), "马建国", Relation.SELF, counted=True, consent_signed=True
)
DAUGHTER = MemberDeclaration(
    resident_id(date(2012, 2, 29), 31, female=True), "马小花", Relation.CHILD, counted=True
)


def submitted(*members: MemberDeclaration) -> Application:
    household = HouseholdDeclaration(VILLAGE, members or (APPLICANT, DAUGHTER), HouseholdType.RURAL)
    submission = Submission(Programme.DIBAO, Channel.WINDOW, TOWNSHIP, household, statement="家中无收入")
    return submit(submission, application_id="app_1", now=NOW)


def signed(application: Application) -> Application:
    members = tuple(replace(m, consent_signed=True) for m in application.household.members)
    return replace(application, household=replace(application.household, members=members))


def test_acceptance_needs_the_consent_of_every_counted_member() -> None:
    with pytest.raises(FailedPrecondition, match=r"household\.members\[1\]\.consent_signed"):
        window.accept(submitted(), now=NOW, limits=LIMITS)


def test_a_member_who_is_not_counted_need_not_sign() -> None:
    lodger = replace(DAUGHTER, counted=False, consent_signed=False)
    accepted = window.accept(submitted(APPLICANT, lodger), now=NOW, limits=LIMITS)
    assert accepted.state is ApplicationState.ACCEPTED


def test_acceptance_starts_the_thirty_working_day_clock_from_the_next_day() -> None:
    accepted = window.accept(signed(submitted()), now=NOW, limits=LIMITS)
    assert accepted.accepted_at == NOW
    assert accepted.decision_due == LIMITS.calendar.add_working_days(date(2026, 11, 24), 30)
    assert LIMITS.calendar.working_days_between(date(2026, 11, 24), accepted.decision_due) == 30


def test_the_clock_skips_holidays_and_counts_make_up_working_days() -> None:
    # A calendar where Wed 25 Nov is a holiday and Sat 28 Nov a make-up working day.
    calendar = WorkingDayCalendar(holidays={date(2026, 11, 25)}, makeup_workdays={date(2026, 11, 28)})
    limits = window.WindowTimeLimits(calendar=calendar, decision_working_days=3)
    accepted = window.accept(signed(submitted()), now=NOW, limits=limits)
    assert accepted.decision_due == date(2026, 11, 28)  # Thu 26, Fri 27, Sat 28 (make-up)


def test_a_day_in_beijing_decides_the_clock_not_the_utc_date() -> None:
    late_evening_utc = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # already Wednesday 01:00 in Beijing
    accepted = window.accept(signed(submitted()), now=late_evening_utc, limits=LIMITS)
    assert accepted.decision_due == LIMITS.calendar.add_working_days(date(2026, 11, 25), 30)


def test_correction_lists_every_missing_item_once_and_sets_the_due_date() -> None:
    changed = window.request_correction(
        submitted(), (" 户口簿 ", "收入证明", "户口簿"), now=NOW, limits=LIMITS
    )
    assert changed.state is ApplicationState.NEEDS_CORRECTION
    assert changed.missing_items == ("户口簿", "收入证明")
    assert changed.correction_due == LIMITS.calendar.add_working_days(date(2026, 11, 24), 10)


@pytest.mark.parametrize(("items", "field"), [((), "missing_items"), (("户口簿", "  "), "missing_items[1]")])
def test_a_correction_request_without_a_proper_list_is_refused(items: tuple[str, ...], field: str) -> None:
    with pytest.raises(InvalidArgument) as raised:
        window.request_correction(submitted(), items, now=NOW, limits=LIMITS)
    assert field in {v.field for v in raised.value.violations}


def test_resubmission_returns_to_the_window_and_clears_the_list() -> None:
    waiting = window.request_correction(submitted(), ("签字的授权书",), now=NOW, limits=LIMITS)
    corrected = signed(waiting).household
    back = window.resubmit(waiting, corrected, "补齐材料", now=NOW + timedelta(days=2))
    assert back.state is ApplicationState.SUBMITTED
    assert back.missing_items == () and back.correction_due is None
    assert window.accept(back, now=NOW + timedelta(days=2), limits=LIMITS).state is ApplicationState.ACCEPTED


def test_a_resubmitted_household_is_validated_like_a_new_one() -> None:
    waiting = window.request_correction(submitted(), ("户口簿",), now=NOW, limits=LIMITS)
    broken = replace(waiting.household, members=(replace(APPLICANT, id_number="640402198005171230"),))
    with pytest.raises(InvalidArgument) as raised:
        window.resubmit(waiting, broken, "", now=NOW)
    assert {v.field for v in raised.value.violations} == {"household.members[0].person.id_number"}


def test_only_a_waiting_application_can_be_resubmitted() -> None:
    with pytest.raises(FailedPrecondition, match="SUBMITTED"):
        window.resubmit(submitted(), submitted().household, "", now=NOW)


def test_the_correction_window_lapses_into_withdrawal_only_after_its_last_day() -> None:
    waiting = window.request_correction(submitted(), ("户口簿",), now=NOW, limits=LIMITS)
    assert waiting.correction_due is not None
    assert not window.correction_lapsed(waiting, waiting.correction_due)
    assert window.correction_lapsed(waiting, waiting.correction_due + timedelta(days=1))
    after = datetime.combine(waiting.correction_due + timedelta(days=1), datetime.min.time(), UTC)
    lapsed = window.lapse_correction(waiting, now=after)
    assert lapsed.state is ApplicationState.WITHDRAWN
    assert lapsed.state_reason == window.CORRECTION_LAPSED_REASON


def test_refusal_needs_a_written_reason() -> None:
    with pytest.raises(InvalidArgument) as raised:
        window.refuse(submitted(), "   ", now=NOW)
    assert raised.value.violations[0].field == "reason"
    refused = window.refuse(submitted(), "户籍不在本乡镇且未居住", now=NOW)
    assert refused.state is ApplicationState.NOT_ACCEPTED
    assert refused.state_reason == "户籍不在本乡镇且未居住"


def test_transfer_closes_this_file_and_opens_one_at_the_competent_township() -> None:
    closed, opened = window.transfer(
        submitted(), OTHER_TOWNSHIP, "经常居住地在邻乡", new_application_id="app_2", now=NOW
    )
    assert (closed.state, closed.transferred_to, closed.transferred_as) == (
        ApplicationState.TRANSFERRED,
        OTHER_TOWNSHIP,
        "app_2",
    )
    assert (opened.state, opened.township, opened.transferred_from) == (
        ApplicationState.SUBMITTED,
        OTHER_TOWNSHIP,
        "app_1",
    )
    assert opened.household == closed.household


@pytest.mark.parametrize(
    ("to", "reason", "fields"),
    [
        (TOWNSHIP, "理由", {"to_township"}),
        ("640402100201", "理由", {"to_township"}),
        ("64040", "", {"to_township", "reason"}),
    ],
)
def test_a_transfer_must_name_another_township_and_a_reason(to: str, reason: str, fields: set[str]) -> None:
    with pytest.raises(InvalidArgument) as raised:
        window.transfer(submitted(), to, reason, new_application_id="app_2", now=NOW)
    assert {v.field for v in raised.value.violations} == fields


def test_withdrawal_is_possible_until_the_window_closes_the_file() -> None:
    accepted = window.accept(signed(submitted()), now=NOW, limits=LIMITS)
    assert window.withdraw(accepted, "申请人外出务工", now=NOW).state is ApplicationState.WITHDRAWN
    refused = window.refuse(submitted(), "明显不符合条件", now=NOW)
    with pytest.raises(FailedPrecondition):
        window.withdraw(refused, "改变主意", now=NOW)


ACTIONS = {
    "accept": lambda a: window.accept(a, now=NOW, limits=LIMITS),
    "correct": lambda a: window.request_correction(a, ("户口簿",), now=NOW, limits=LIMITS),
    "refuse": lambda a: window.refuse(a, "理由", now=NOW),
    "transfer": lambda a: window.transfer(a, OTHER_TOWNSHIP, "理由", new_application_id="app_9", now=NOW)[0],
    "withdraw": lambda a: window.withdraw(a, "理由", now=NOW),
}


@given(st.lists(st.sampled_from(sorted(ACTIONS)), max_size=6))
def test_no_sequence_of_steps_leaves_a_final_state(steps: list[str]) -> None:
    application = signed(submitted())
    for step in steps:
        before = application.state
        try:
            application = ACTIONS[step](application)
        except FailedPrecondition:
            assert application.state == before
            continue
        assert before not in window.FINAL_STATES
