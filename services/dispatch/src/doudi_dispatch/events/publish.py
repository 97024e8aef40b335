"""Dispatch's events and API messages: domain records → the protos others read.

The API layer and the outbox share these mappings, so an event carries exactly what a GetIncident
answer shows.
"""

from __future__ import annotations

from datetime import datetime

from doudi.common.v1 import types_pb2
from doudi.dispatch.v1 import dispatch_pb2, events_pb2
from doudi_contracts.topics import topic
from doudi_dispatch.domain.geo import GeoPoint
from doudi_dispatch.domain.incident import Assessment, Incident, Offer, TimelineEntry
from doudi_dispatch.domain.registry import Disaster, VulnerablePerson
from doudi_dispatch.domain.teams import DutyPhone, Skill, Team, Volunteer
from doudi_runtime.grpc.convert import timestamp

TOPIC_INCIDENTS = topic("doudi.dispatch.incident.v1").name
TOPIC_DISASTERS = topic("doudi.dispatch.disaster.v1").name


def point_to_proto(point: GeoPoint | None) -> dispatch_pb2.GeoPoint | None:
    if point is None:
        return None
    return dispatch_pb2.GeoPoint(latitude_e6=point.latitude_e6, longitude_e6=point.longitude_e6)


def _region(code: str) -> types_pb2.RegionCode:
    return types_pb2.RegionCode(code=code)


def _skills(skills: frozenset[Skill]) -> list[int]:
    return [dispatch_pb2.Skill.Value(f"SKILL_{s.value}") for s in sorted(skills)]


def volunteer_to_proto(volunteer: Volunteer) -> dispatch_pb2.Volunteer:
    return dispatch_pb2.Volunteer(
        volunteer_id=volunteer.volunteer_id,
        team_id=volunteer.team_id,
        name=volunteer.name,
        phone=volunteer.phone,
        skills=_skills(volunteer.skills),
        available=volunteer.available,
        location=point_to_proto(volunteer.location),
        updated_at=timestamp(volunteer.updated_at),
    )


def team_to_proto(team: Team) -> dispatch_pb2.Team:
    return dispatch_pb2.Team(
        team_id=team.team_id,
        village=_region(team.village),
        name=team.name,
        duty_phone=team.duty_phone,
        base_location=point_to_proto(team.base_location),
        members=[volunteer_to_proto(m) for m in team.members],
        registered_at=timestamp(team.registered_at),
    )


def duty_phone_to_proto(line: DutyPhone) -> dispatch_pb2.DutyPhone:
    return dispatch_pb2.DutyPhone(
        team_id=line.team_id,
        village=_region(line.village),
        team_name=line.team_name,
        duty_phone=line.duty_phone,
        members=[
            dispatch_pb2.PublicMember(name=m.name, masked_phone=m.masked_phone, skills=_skills(m.skills))
            for m in line.members
        ],
    )


def _offer(offer: Offer) -> dispatch_pb2.Offer:
    message = dispatch_pb2.Offer(
        volunteer_id=offer.volunteer_id,
        wave=offer.wave,
        offered_at=timestamp(offer.offered_at),
        expires_at=timestamp(offer.expires_at),
        state=dispatch_pb2.OfferState.Value(f"OFFER_STATE_{offer.state.value}"),
        responded_at=timestamp(offer.responded_at),
    )
    if offer.distance_m is not None:
        message.distance_m = offer.distance_m
    return message


def _entry(entry: TimelineEntry) -> dispatch_pb2.TimelineEntry:
    return dispatch_pb2.TimelineEntry(
        step=dispatch_pb2.TimelineStep.Value(f"TIMELINE_STEP_{entry.step.value}"),
        at=timestamp(entry.at),
        volunteer_id=entry.volunteer_id,
        note=entry.note,
    )


def _urgency(assessment: Assessment | None) -> int:
    if assessment is None or assessment.urgency is None:
        return dispatch_pb2.URGENCY_UNSPECIFIED
    return dispatch_pb2.Urgency.Value(f"URGENCY_{assessment.urgency.value}")


def assessment_to_proto(assessment: Assessment | None) -> dispatch_pb2.Assessment | None:
    if assessment is None:
        return None
    return dispatch_pb2.Assessment(
        people_affected=assessment.people_affected,
        people_injured=assessment.people_injured,
        shelter_needed=assessment.shelter_needed,
        food_needed=assessment.food_needed,
        money_needed=assessment.money_needed,
        documents_lost=assessment.documents_lost,
        vulnerable_members=assessment.vulnerable_members,
        urgency=_urgency(assessment),
        assistance_needed=assessment.assistance_needed,
        summary=assessment.summary,
    )


def _kind(incident: Incident) -> int:
    return dispatch_pb2.IncidentKind.Value(f"INCIDENT_KIND_{incident.kind.value}")


def _source(incident: Incident) -> int:
    return dispatch_pb2.IncidentSource.Value(f"INCIDENT_SOURCE_{incident.source.value}")


def _person(incident: Incident) -> types_pb2.IdNumber | None:
    return types_pb2.IdNumber(value=incident.person_id_number) if incident.person_id_number else None


def incident_to_proto(incident: Incident) -> dispatch_pb2.Incident:
    return dispatch_pb2.Incident(
        incident_id=incident.incident_id,
        kind=_kind(incident),
        region=_region(incident.region),
        state=dispatch_pb2.IncidentState.Value(f"INCIDENT_STATE_{incident.state.value}"),
        lead_volunteer_id=incident.lead_volunteer_id,
        township=_region(incident.township),
        source=_source(incident),
        source_reference=incident.source_reference,
        person=_person(incident),
        person_name=incident.person_name,
        contact_phone=incident.contact_phone,
        description=incident.description,
        location=point_to_proto(incident.location),
        required_skill=dispatch_pb2.Skill.Value(f"SKILL_{incident.required_skill.value}")
        if incident.required_skill
        else dispatch_pb2.SKILL_UNSPECIFIED,
        disaster_id=incident.disaster_id,
        reported_at=timestamp(incident.reported_at),
        offered_at=timestamp(incident.offered_at),
        accepted_at=timestamp(incident.accepted_at),
        on_scene_at=timestamp(incident.on_scene_at),
        handed_over_at=timestamp(incident.handed_over_at),
        closed_at=timestamp(incident.closed_at),
        escalated_to_township_at=timestamp(incident.escalated_at),
        wave=incident.wave,
        offers=[_offer(o) for o in incident.offers],
        supporting_volunteer_ids=list(incident.supporters),
        assessment=assessment_to_proto(incident.assessment),
        close_reason=incident.close_reason,
        timeline=[_entry(e) for e in incident.timeline],
    )


def person_to_proto(person: VulnerablePerson) -> dispatch_pb2.VulnerablePerson:
    return dispatch_pb2.VulnerablePerson(
        person=types_pb2.Person(
            id_number=types_pb2.IdNumber(value=person.id_number), name=person.name, phone=person.phone
        ),
        region=_region(person.region),
        category=dispatch_pb2.VulnerableCategory.Value(f"VULNERABLE_CATEGORY_{person.category.value}")
        if person.category
        else dispatch_pb2.VULNERABLE_CATEGORY_UNSPECIFIED,
        contact_name=person.contact_name,
        contact_phone=person.contact_phone,
        location=point_to_proto(person.location),
        care_entry_id=person.care_entry_id,
        updated_at=timestamp(person.updated_at),
    )


def disaster_to_proto(disaster: Disaster) -> dispatch_pb2.Disaster:
    return dispatch_pb2.Disaster(
        disaster_id=disaster.disaster_id,
        region=_region(disaster.region),
        description=disaster.description,
        declared_at=timestamp(disaster.declared_at),
        check_on_tasks=disaster.check_on_tasks,
    )


# -- events ---------------------------------------------------------------------------------------


def incident_reported(incident: Incident) -> events_pb2.IncidentReported:
    return events_pb2.IncidentReported(incident=incident_to_proto(incident))


def team_dispatched(incident: Incident) -> events_pb2.TeamDispatched:
    return events_pb2.TeamDispatched(incident=incident_to_proto(incident))


def team_arrived(incident: Incident) -> events_pb2.TeamArrived:
    return events_pb2.TeamArrived(incident=incident_to_proto(incident))


def incident_closed(incident: Incident) -> events_pb2.IncidentClosed:
    return events_pb2.IncidentClosed(incident=incident_to_proto(incident))


def incident_escalated(
    incident: Incident, *, to_township: bool, at: datetime
) -> events_pb2.IncidentEscalated:
    target = (
        events_pb2.IncidentEscalated.TARGET_TOWNSHIP
        if to_township
        else (events_pb2.IncidentEscalated.TARGET_NEXT_VOLUNTEERS)
    )
    return events_pb2.IncidentEscalated(
        incident_id=incident.incident_id,
        target=target,
        wave=incident.wave,
        region=_region(incident.region),
        township=_region(incident.township),
        kind=_kind(incident),
        escalated_at=timestamp(at),
    )


def incident_handed_over(incident: Incident) -> events_pb2.IncidentHandedOver:
    """What intake needs for a temporary-assistance lead and monitoring for an alert; never an amount."""
    return events_pb2.IncidentHandedOver(
        incident_id=incident.incident_id,
        kind=_kind(incident),
        region=_region(incident.region),
        township=_region(incident.township),
        person=_person(incident),
        person_name=incident.person_name,
        contact_phone=incident.contact_phone,
        description=incident.description,
        assessment=assessment_to_proto(incident.assessment),
        urgency=_urgency(incident.assessment),
        source=_source(incident),
        source_reference=incident.source_reference,
        disaster_id=incident.disaster_id,
        lead_volunteer_id=incident.lead_volunteer_id,
        reported_at=timestamp(incident.reported_at),
        on_scene_at=timestamp(incident.on_scene_at),
        handed_over_at=timestamp(incident.handed_over_at),
    )


def disaster_declared(disaster: Disaster) -> events_pb2.DisasterDeclared:
    return events_pb2.DisasterDeclared(disaster=disaster_to_proto(disaster))
