"""The incident state machine (DOMAIN §10.3): first to accept leads, every step timestamped, no money."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi_common.errors import FailedPrecondition, InvalidArgument
from doudi_common.testing import make_resident_id
from doudi_dispatch.domain import escalation
from doudi_dispatch.domain import incident as incidents
from doudi_dispatch.domain.escalation import DispatchPolicy
from doudi_dispatch.domain.incident import (
    STATE_ORDER,
    Assessment,
    HandOverReport,
    IncidentKind,
    IncidentState,
    OfferState,
    TimelineStep,
    Urgency,
)
from doudi_dispatch.domain.matching import Candidate
from doudi_dispatch.domain.teams import Skill

from .builders import NIGHT, fire_report

WIFE = make_resident_id(date(1986, 3, 9), 21, female=True)
POLICY = DispatchPolicy(wave_size=3)
ASSESSMENT = Assessment(
    urgency=Urgency.URGENT,
    summary="房屋烧毁不能居住，已安排到亲戚家暂住",
    assistance_needed=True,
    people_affected=4,
    people_injured=1,
    shelter_needed=True,
    food_needed=True,
    money_needed=True,
)


def offered():  # type: ignore[no-untyped-def]
    incident = incidents.report(fire_report(person_id_number=WIFE), incident_id="inc_1", now=NIGHT)
    candidates = [Candidate("lead", 300), Candidate("second", 500), Candidate("third", 900)]
    return escalation.advance(incident, NIGHT, POLICY, candidates)[0]


def test_a_report_needs_the_kind_a_village_and_what_happened() -> None:
    bad = fire_report(
        kind=None, region="640402100000", description=" ", contact_phone="12", person_id_number="123"
    )
    with pytest.raises(InvalidArgument) as raised:
        incidents.report(bad, incident_id="inc_1", now=NIGHT)
    assert {v.field for v in raised.value.violations} == {
        "kind",
        "region",
        "description",
        "contact_phone",
        "person",
    }


def test_the_kind_decides_the_skill_unless_the_report_names_one() -> None:
    assert incidents.report(fire_report(), incident_id="i", now=NIGHT).required_skill is Skill.FIRST_AID
    ill = incidents.report(fire_report(kind=IncidentKind.ILLNESS), incident_id="i", now=NIGHT)
    assert ill.required_skill is Skill.MEDICAL
    named = incidents.report(fire_report(required_skill=Skill.RESCUE), incident_id="i", now=NIGHT)
    assert named.required_skill is Skill.RESCUE
    assert named.township == "640402100000"


def test_the_first_to_accept_leads_and_later_ones_join() -> None:
    incident = offered()
    incident, leading = incidents.accept(incident, "lead", now=NIGHT + timedelta(minutes=5))
    assert leading and incident.state is IncidentState.ACCEPTED and incident.lead_volunteer_id == "lead"
    assert incident.accepted_at == NIGHT + timedelta(minutes=5) and incident.next_check_at is None
    assert {o.volunteer_id: o.state for o in incident.offers} == {
        "lead": OfferState.ACCEPTED,
        "second": OfferState.WITHDRAWN,
        "third": OfferState.WITHDRAWN,
    }
    incident, leading = incidents.accept(incident, "second", now=NIGHT + timedelta(minutes=6))
    assert not leading and incident.supporters == ("second",)
    again, leading = incidents.accept(incident, "lead", now=NIGHT + timedelta(minutes=7))
    assert leading and again is incident
    with pytest.raises(FailedPrecondition):
        incidents.accept(incident, "stranger", now=NIGHT + timedelta(minutes=8))


def test_nobody_accepts_what_was_not_offered_to_them() -> None:
    with pytest.raises(FailedPrecondition):
        incidents.accept(offered(), "stranger", now=NIGHT)


def test_arrival_then_hand_over_by_the_lead_only() -> None:
    incident, _ = incidents.accept(offered(), "lead", now=NIGHT + timedelta(minutes=5))
    incident, _ = incidents.accept(incident, "second", now=NIGHT + timedelta(minutes=6))
    with pytest.raises(FailedPrecondition):
        incidents.hand_over(incident, HandOverReport("lead", ASSESSMENT), now=NIGHT + timedelta(minutes=9))
    with pytest.raises(FailedPrecondition):
        incidents.arrive(incident, "third", now=NIGHT + timedelta(minutes=10))
    incident = incidents.arrive(incident, "second", now=NIGHT + timedelta(minutes=15))
    assert incident.state is IncidentState.ON_SCENE and incident.on_scene_at == NIGHT + timedelta(minutes=15)
    incident = incidents.arrive(incident, "lead", now=NIGHT + timedelta(minutes=16))
    assert incident.on_scene_at == NIGHT + timedelta(minutes=15)
    with pytest.raises(FailedPrecondition):
        incidents.hand_over(incident, HandOverReport("second", ASSESSMENT), now=NIGHT + timedelta(minutes=40))
    handed = incidents.hand_over(
        incident, HandOverReport("lead", ASSESSMENT), now=NIGHT + timedelta(minutes=40)
    )
    assert handed.state is IncidentState.HANDED_OVER and handed.assessment == ASSESSMENT
    assert handed.person_id_number == WIFE


def test_assistance_needs_a_named_person_and_the_form_is_checked() -> None:
    incident = incidents.report(fire_report(), incident_id="inc_2", now=NIGHT)
    incident = escalation.advance(incident, NIGHT, POLICY, [Candidate("lead", 1)])[0]
    incident, _ = incidents.accept(incident, "lead", now=NIGHT)
    incident = incidents.arrive(incident, "lead", now=NIGHT)
    with pytest.raises(InvalidArgument) as raised:
        incidents.hand_over(incident, HandOverReport("lead", ASSESSMENT), now=NIGHT)
    assert [v.field for v in raised.value.violations] == ["person"]
    bad = replace(ASSESSMENT, urgency=None, people_injured=9, summary="")
    with pytest.raises(InvalidArgument) as raised:
        incidents.hand_over(incident, HandOverReport("lead", bad), now=NIGHT)
    assert {v.field for v in raised.value.violations} == {
        "assessment.urgency",
        "assessment.summary",
        "assessment.people_injured",
    }
    named = incidents.hand_over(
        incident, HandOverReport("lead", ASSESSMENT, person_id_number=WIFE), now=NIGHT
    )
    assert named.person_id_number == WIFE


def test_closing_needs_a_reason_and_withdraws_open_offers() -> None:
    with pytest.raises(InvalidArgument):
        incidents.close(offered(), " ", now=NIGHT)
    closed = incidents.close(offered(), "误报：村民已自行扑灭", now=NIGHT + timedelta(minutes=3))
    assert closed.state is IncidentState.CLOSED and closed.next_check_at is None
    assert {o.state for o in closed.offers} == {OfferState.WITHDRAWN}
    with pytest.raises(FailedPrecondition):
        incidents.close(closed, "again", now=NIGHT + timedelta(minutes=4))


commands = st.lists(
    st.tuples(
        st.sampled_from(["accept", "arrive", "hand_over", "close", "tick"]),
        st.sampled_from(["lead", "second", "third", "stranger"]),
        st.integers(0, 30),
    ),
    max_size=20,
)


@given(commands)
def test_any_sequence_only_moves_forward_with_one_lead_and_ordered_timestamps(steps) -> None:  # type: ignore[no-untyped-def]
    incident = offered()
    now = NIGHT
    for command, volunteer, minutes in steps:
        now += timedelta(minutes=minutes)
        before = incident
        try:
            if command == "accept":
                incident, _ = incidents.accept(incident, volunteer, now=now)
            elif command == "arrive":
                incident = incidents.arrive(incident, volunteer, now=now)
            elif command == "hand_over":
                incident = incidents.hand_over(incident, HandOverReport(volunteer, ASSESSMENT), now=now)
            elif command == "close":
                incident = incidents.close(incident, "跟进完成", now=now)
            else:
                incident = escalation.advance(incident, now, POLICY, [Candidate("fourth", 2)])[0]
        except (FailedPrecondition, InvalidArgument):
            assert incident is before
            continue
        assert STATE_ORDER.index(incident.state) >= STATE_ORDER.index(before.state)
        if before.lead_volunteer_id:
            assert incident.lead_volunteer_id == before.lead_volunteer_id
    times = [e.at for e in incident.timeline]
    assert times == sorted(times)
    assert [e.step for e in incident.timeline].count(TimelineStep.ACCEPTED) == (
        1 if incident.lead_volunteer_id else 0
    )
    assert incident.lead_volunteer_id not in incident.supporters
    stamps = [incident.reported_at, incident.accepted_at, incident.on_scene_at, incident.handed_over_at]
    present = [s for s in stamps if s is not None]
    assert present == sorted(present)
