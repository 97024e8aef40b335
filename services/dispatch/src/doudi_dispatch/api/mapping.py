"""Proto requests → the domain's commands; no rule lives here, only translation."""

from __future__ import annotations

from doudi.dispatch.v1 import dispatch_pb2
from doudi_common.errors import InvalidArgument
from doudi_dispatch.domain.geo import GeoPoint
from doudi_dispatch.domain.incident import (
    Assessment,
    HandOverReport,
    IncidentKind,
    IncidentReport,
    IncidentSource,
    IncidentState,
    Urgency,
)
from doudi_dispatch.domain.registry import DisasterDeclaration, VulnerableCategory, VulnerablePerson
from doudi_dispatch.domain.teams import NewVolunteer, Skill, TeamRegistration
from doudi_runtime.grpc.convert import domain_enum


def point(message: object, field: str) -> GeoPoint | None:
    """The point in a message's ``field``, or None when the field is unset."""
    if not message.HasField(field):  # type: ignore[attr-defined]
        return None
    value = getattr(message, field)
    return GeoPoint(value.latitude_e6, value.longitude_e6)


def skills(values: object, field: str) -> frozenset[Skill]:
    found = set()
    for index, value in enumerate(values):  # type: ignore[attr-defined]
        skill = domain_enum(Skill, dispatch_pb2.Skill, value, "SKILL_", f"{field}[{index}]")
        if skill is None:
            raise InvalidArgument.single(f"{field}[{index}]", "must be a skill")
        found.add(skill)
    return frozenset(found)


def new_volunteer(message: dispatch_pb2.NewVolunteer, field: str) -> NewVolunteer:
    return NewVolunteer(
        name=message.name,
        phone=message.phone,
        skills=skills(message.skills, f"{field}.skills"),
        available=message.available,
        location=point(message, "location"),
    )


def team_registration(request: dispatch_pb2.RegisterTeamRequest) -> TeamRegistration:
    return TeamRegistration(
        village=request.village.code,
        name=request.name,
        duty_phone=request.duty_phone,
        members=tuple(new_volunteer(m, f"members[{i}]") for i, m in enumerate(request.members)),
        base_location=point(request, "base_location"),
    )


def incident_state(value: int) -> IncidentState | None:
    return domain_enum(IncidentState, dispatch_pb2.IncidentState, value, "INCIDENT_STATE_", "state")


def incident_report(request: dispatch_pb2.ReportIncidentRequest) -> IncidentReport:
    return IncidentReport(
        kind=domain_enum(IncidentKind, dispatch_pb2.IncidentKind, request.kind, "INCIDENT_KIND_", "kind"),
        region=request.region.code,
        source=domain_enum(
            IncidentSource, dispatch_pb2.IncidentSource, request.source, "INCIDENT_SOURCE_", "source"
        ),
        description=request.description,
        person_id_number=request.person.value,
        person_name=request.person_name,
        contact_phone=request.contact_phone,
        source_reference=request.source_reference,
        location=point(request, "location"),
        required_skill=domain_enum(
            Skill, dispatch_pb2.Skill, request.required_skill, "SKILL_", "required_skill"
        ),
    )


def reject_disaster_source(request: dispatch_pb2.ReportIncidentRequest) -> None:
    """Check-on tasks of a disaster come from DeclareDisaster only, which links them to it."""
    if request.source == dispatch_pb2.INCIDENT_SOURCE_DISASTER_DECLARATION:
        raise InvalidArgument.single("source", "DISASTER_DECLARATION is set by DeclareDisaster only")


def hand_over_report(request: dispatch_pb2.HandOverRequest) -> HandOverReport:
    message = request.assessment
    return HandOverReport(
        volunteer_id=request.volunteer_id,
        assessment=Assessment(
            urgency=domain_enum(
                Urgency, dispatch_pb2.Urgency, message.urgency, "URGENCY_", "assessment.urgency"
            ),
            summary=message.summary or request.summary,
            assistance_needed=message.assistance_needed,
            people_affected=message.people_affected,
            people_injured=message.people_injured,
            shelter_needed=message.shelter_needed,
            food_needed=message.food_needed,
            money_needed=message.money_needed,
            documents_lost=message.documents_lost,
            vulnerable_members=message.vulnerable_members,
        ),
        person_id_number=request.person.value,
        person_name=request.person_name,
        contact_phone=request.contact_phone,
    )


def vulnerable_person(request: dispatch_pb2.RegisterVulnerablePersonRequest) -> VulnerablePerson:
    return VulnerablePerson(
        id_number=request.person.id_number.value,
        name=request.person.name,
        phone=request.person.phone,
        region=request.region.code,
        category=domain_enum(
            VulnerableCategory,
            dispatch_pb2.VulnerableCategory,
            request.category,
            "VULNERABLE_CATEGORY_",
            "category",
        ),
        contact_name=request.contact_name,
        contact_phone=request.contact_phone,
        location=point(request, "location"),
        care_entry_id=request.care_entry_id,
    )


def disaster_declaration(request: dispatch_pb2.DeclareDisasterRequest) -> DisasterDeclaration:
    return DisasterDeclaration(region=request.region.code, description=request.description)
