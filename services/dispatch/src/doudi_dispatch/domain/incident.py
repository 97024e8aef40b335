"""The incident state machine (DOMAIN §10.3): open → offered → accepted → on scene → handed over → closed.

Every transition is timestamped and appended to the incident's timeline. The first volunteer to
accept leads; later ones join in support. Only the lead hands over, with the quick assessment, and
a hand-over that asks for assistance must name the person, because the township opens the
temporary-assistance case (DOMAIN §7.4) in that person's name. Volunteers decide nothing about
money: nothing here carries an amount.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from doudi_common.calendar import china_date
from doudi_common.errors import FailedPrecondition, FieldViolation, InvalidArgument
from doudi_common.idcard import parse_id_number
from doudi_common.region import RegionCode
from doudi_dispatch.domain.fields import (
    MAX_NAME_LENGTH,
    MAX_REFERENCE_LENGTH,
    MAX_TEXT_LENGTH,
    compact_phone,
    phone_violation,
    raise_if_any,
    text_violation,
)
from doudi_dispatch.domain.geo import GeoPoint, point_violations
from doudi_dispatch.domain.teams import Skill, village_violation

#: A bound on the quick form's head counts: larger numbers are typing errors, not incidents.
MAX_PEOPLE = 10_000


class IncidentKind(StrEnum):
    ILLNESS = "ILLNESS"
    DISASTER = "DISASTER"
    ACCIDENT = "ACCIDENT"
    FIRE = "FIRE"
    OUT_OF_CONTACT = "OUT_OF_CONTACT"
    CHECK_ON = "CHECK_ON"
    CHILD_PROTECTION = "CHILD_PROTECTION"


class IncidentSource(StrEnum):
    HOTLINE = "HOTLINE"
    VILLAGER = "VILLAGER"
    VOLUNTEER = "VOLUNTEER"
    CARE = "CARE"
    MONITORING = "MONITORING"
    OTHER_SYSTEM = "OTHER_SYSTEM"
    DISASTER_DECLARATION = "DISASTER_DECLARATION"


class IncidentState(StrEnum):
    OPEN = "OPEN"
    OFFERED = "OFFERED"
    ACCEPTED = "ACCEPTED"
    ON_SCENE = "ON_SCENE"
    HANDED_OVER = "HANDED_OVER"
    CLOSED = "CLOSED"


#: Waiting for a volunteer; the dispatch loop looks at these.
WAITING_STATES = frozenset({IncidentState.OPEN, IncidentState.OFFERED})
#: A volunteer leads; the lead counts as busy for other incidents.
RESPONDING_STATES = frozenset({IncidentState.ACCEPTED, IncidentState.ON_SCENE})
#: Not yet with the township: what the open-incidents gauge counts.
OPEN_STATES = WAITING_STATES | RESPONDING_STATES
#: The order of the states, for checking that an incident only moves forward.
STATE_ORDER = tuple(IncidentState)


class OfferState(StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    WITHDRAWN = "WITHDRAWN"


class TimelineStep(StrEnum):
    REPORTED = "REPORTED"
    OFFERED = "OFFERED"
    ESCALATED_TO_NEXT = "ESCALATED_TO_NEXT"
    ESCALATED_TO_TOWNSHIP = "ESCALATED_TO_TOWNSHIP"
    ACCEPTED = "ACCEPTED"
    JOINED = "JOINED"
    ON_SCENE = "ON_SCENE"
    HANDED_OVER = "HANDED_OVER"
    CLOSED = "CLOSED"


class Urgency(StrEnum):
    URGENT = "URGENT"
    ROUTINE = "ROUTINE"


#: The skill an incident needs unless its report names another; None: any volunteer may go.
SKILL_FOR_KIND: dict[IncidentKind, Skill | None] = {
    IncidentKind.ILLNESS: Skill.MEDICAL,
    IncidentKind.ACCIDENT: Skill.FIRST_AID,
    IncidentKind.FIRE: Skill.FIRST_AID,
    IncidentKind.DISASTER: Skill.RESCUE,
    IncidentKind.OUT_OF_CONTACT: None,
    IncidentKind.CHECK_ON: None,
    IncidentKind.CHILD_PROTECTION: None,
}


@dataclass(frozen=True)
class Offer:
    volunteer_id: str
    wave: int
    offered_at: datetime
    expires_at: datetime
    state: OfferState = OfferState.PENDING
    responded_at: datetime | None = None
    distance_m: int | None = None


@dataclass(frozen=True)
class TimelineEntry:
    step: TimelineStep
    at: datetime
    volunteer_id: str = ""
    note: str = ""


@dataclass(frozen=True)
class Assessment:
    """The quick form on scene (DOMAIN §10.3 "Assess")."""

    urgency: Urgency | None
    summary: str
    assistance_needed: bool = False
    people_affected: int = 0
    people_injured: int = 0
    shelter_needed: bool = False
    food_needed: bool = False
    money_needed: bool = False
    documents_lost: bool = False
    vulnerable_members: bool = False


@dataclass(frozen=True)
class IncidentReport:
    kind: IncidentKind | None
    region: str
    source: IncidentSource | None
    description: str
    person_id_number: str = ""
    person_name: str = ""
    contact_phone: str = ""
    source_reference: str = ""
    location: GeoPoint | None = None
    required_skill: Skill | None = None
    disaster_id: str = ""


@dataclass(frozen=True)
class HandOverReport:
    volunteer_id: str
    assessment: Assessment
    person_id_number: str = ""
    person_name: str = ""
    contact_phone: str = ""


@dataclass(frozen=True)
class Incident:
    incident_id: str
    kind: IncidentKind
    region: str
    township: str
    source: IncidentSource
    description: str
    state: IncidentState
    reported_at: datetime
    updated_at: datetime
    #: When the dispatch loop should look at it next (None: nothing to do).
    next_check_at: datetime | None
    required_skill: Skill | None = None
    source_reference: str = ""
    person_id_number: str = ""
    person_name: str = ""
    contact_phone: str = ""
    location: GeoPoint | None = None
    disaster_id: str = ""
    wave: int = 0
    offers: tuple[Offer, ...] = ()
    lead_volunteer_id: str = ""
    supporters: tuple[str, ...] = ()
    offered_at: datetime | None = None
    accepted_at: datetime | None = None
    on_scene_at: datetime | None = None
    handed_over_at: datetime | None = None
    closed_at: datetime | None = None
    escalated_at: datetime | None = None
    assessment: Assessment | None = None
    close_reason: str = ""
    timeline: tuple[TimelineEntry, ...] = field(default=())

    def offer_to(self, volunteer_id: str) -> Offer | None:
        return next((o for o in self.offers if o.volunteer_id == volunteer_id), None)

    @property
    def offered_ids(self) -> frozenset[str]:
        return frozenset(o.volunteer_id for o in self.offers)

    @property
    def responders(self) -> tuple[str, ...]:
        return (self.lead_volunteer_id, *self.supporters) if self.lead_volunteer_id else ()


def _id_violation(value: str, field: str, today: date) -> FieldViolation | None:
    if not value:
        return None
    try:
        parse_id_number(value, field=field, today=today)
    except InvalidArgument as error:
        return error.violations[0]
    return None


def validate_report(report: IncidentReport, today: date) -> None:
    raise_if_any(
        [
            None if report.kind is not None else FieldViolation("kind", "is required"),
            None if report.source is not None else FieldViolation("source", "is required"),
            village_violation(report.region, "region"),
            text_violation(report.description, "description", MAX_TEXT_LENGTH),
            _id_violation(report.person_id_number, "person", today),
            text_violation(report.person_name, "person_name", MAX_NAME_LENGTH, required=False),
            phone_violation(report.contact_phone, "contact_phone", required=False),
            text_violation(report.source_reference, "source_reference", MAX_REFERENCE_LENGTH, required=False),
            *point_violations(report.location, "location"),
        ]
    )


def report(incident_report: IncidentReport, *, incident_id: str, now: datetime) -> Incident:
    """A new OPEN incident, due for its first offers at once."""
    validate_report(incident_report, china_date(now))
    assert incident_report.kind is not None and incident_report.source is not None
    township = RegionCode(incident_report.region).township
    assert township is not None
    return Incident(
        incident_id=incident_id,
        kind=incident_report.kind,
        region=incident_report.region,
        township=township.code,
        source=incident_report.source,
        description=incident_report.description.strip(),
        state=IncidentState.OPEN,
        reported_at=now,
        updated_at=now,
        next_check_at=now,
        required_skill=incident_report.required_skill or SKILL_FOR_KIND[incident_report.kind],
        source_reference=incident_report.source_reference.strip(),
        person_id_number=incident_report.person_id_number.strip().upper(),
        person_name=incident_report.person_name.strip(),
        contact_phone=compact_phone(incident_report.contact_phone),
        location=incident_report.location,
        disaster_id=incident_report.disaster_id,
        timeline=(TimelineEntry(TimelineStep.REPORTED, now, note=incident_report.source.value),),
    )


def _step(incident: Incident, entry: TimelineEntry, **changes: object) -> Incident:
    return replace(incident, timeline=(*incident.timeline, entry), updated_at=entry.at, **changes)  # type: ignore[arg-type]


def _withdraw_pending(offers: tuple[Offer, ...], now: datetime, keep: str = "") -> tuple[Offer, ...]:
    return tuple(
        replace(o, state=OfferState.WITHDRAWN, responded_at=now)
        if o.state is OfferState.PENDING and o.volunteer_id != keep
        else o
        for o in offers
    )


def _accept_offer(offers: tuple[Offer, ...], volunteer_id: str, now: datetime) -> tuple[Offer, ...]:
    return tuple(
        replace(o, state=OfferState.ACCEPTED, responded_at=now) if o.volunteer_id == volunteer_id else o
        for o in offers
    )


def accept(incident: Incident, volunteer_id: str, *, now: datetime) -> tuple[Incident, bool]:
    """The first volunteer to accept an open offer leads; (incident, whether this volunteer leads).

    Once someone leads, any other volunteer who was offered the incident may still join in support,
    until it is handed over. Accepting again changes nothing.
    """
    if incident.state in WAITING_STATES:
        offer = incident.offer_to(volunteer_id)
        if offer is None or offer.state is not OfferState.PENDING:
            raise FailedPrecondition(
                f"incident {incident.incident_id} has no open offer to volunteer {volunteer_id}"
            )
        offers = _withdraw_pending(_accept_offer(incident.offers, volunteer_id, now), now)
        accepted = _step(
            incident,
            TimelineEntry(TimelineStep.ACCEPTED, now, volunteer_id),
            state=IncidentState.ACCEPTED,
            offers=offers,
            lead_volunteer_id=volunteer_id,
            accepted_at=now,
            next_check_at=None,
        )
        return accepted, True
    if incident.state in RESPONDING_STATES:
        if volunteer_id == incident.lead_volunteer_id:
            return incident, True
        if volunteer_id in incident.supporters:
            return incident, False
        if incident.offer_to(volunteer_id) is None:
            raise FailedPrecondition(
                f"incident {incident.incident_id} was not offered to volunteer {volunteer_id}"
            )
        joined = _step(
            incident,
            TimelineEntry(TimelineStep.JOINED, now, volunteer_id),
            offers=_accept_offer(incident.offers, volunteer_id, now),
            supporters=(*incident.supporters, volunteer_id),
        )
        return joined, False
    raise FailedPrecondition(
        f"incident {incident.incident_id} is {incident.state.value}; it no longer takes volunteers"
    )


def _where(location: GeoPoint | None) -> str:
    if location is None:
        return ""
    return f"checked in at {location.latitude_e6 / 1e6:.6f},{location.longitude_e6 / 1e6:.6f}"


def arrive(
    incident: Incident, volunteer_id: str, *, now: datetime, location: GeoPoint | None = None
) -> Incident:
    """A responder checks in on scene; the first arrival moves the incident ON_SCENE (DOMAIN §10.3)."""
    raise_if_any(list(point_violations(location, "location")))
    if incident.state not in RESPONDING_STATES:
        raise FailedPrecondition(
            f"incident {incident.incident_id} is {incident.state.value}; arrival is recorded after acceptance"
        )
    if volunteer_id not in incident.responders:
        raise FailedPrecondition(f"volunteer {volunteer_id} did not accept incident {incident.incident_id}")
    already = any(
        e.step is TimelineStep.ON_SCENE and e.volunteer_id == volunteer_id for e in incident.timeline
    )
    if already:
        return incident
    entry = TimelineEntry(TimelineStep.ON_SCENE, now, volunteer_id, _where(location))
    if incident.state is IncidentState.ACCEPTED:
        return _step(incident, entry, state=IncidentState.ON_SCENE, on_scene_at=now)
    return _step(incident, entry)


def validate_hand_over(command: HandOverReport, today: date) -> None:
    assessment = command.assessment
    counts = (
        ("assessment.people_affected", assessment.people_affected),
        ("assessment.people_injured", assessment.people_injured),
    )
    raise_if_any(
        [
            text_violation(command.volunteer_id, "volunteer_id", MAX_REFERENCE_LENGTH),
            None if assessment.urgency is not None else FieldViolation("assessment.urgency", "is required"),
            text_violation(assessment.summary, "assessment.summary", MAX_TEXT_LENGTH),
            *(
                FieldViolation(name, f"must be between 0 and {MAX_PEOPLE}")
                for name, value in counts
                if not 0 <= value <= MAX_PEOPLE
            ),
            None
            if assessment.people_injured <= max(assessment.people_affected, 0)
            else FieldViolation("assessment.people_injured", "cannot exceed people_affected"),
            _id_violation(command.person_id_number, "person", today),
            text_violation(command.person_name, "person_name", MAX_NAME_LENGTH, required=False),
            phone_violation(command.contact_phone, "contact_phone", required=False),
        ]
    )


def hand_over(incident: Incident, command: HandOverReport, *, now: datetime) -> Incident:
    """The lead reports to the township; a request for assistance must name the person concerned."""
    validate_hand_over(command, china_date(now))
    if incident.state is not IncidentState.ON_SCENE:
        raise FailedPrecondition(
            f"incident {incident.incident_id} is {incident.state.value}; only a team on scene hands over"
        )
    if command.volunteer_id != incident.lead_volunteer_id:
        raise FailedPrecondition(f"only the leading volunteer hands incident {incident.incident_id} over")
    person = command.person_id_number.strip().upper() or incident.person_id_number
    if command.assessment.assistance_needed and not person:
        raise InvalidArgument.single(
            "person",
            "is required when assistance is needed: the township opens the case in this person's name",
        )
    assessment = replace(command.assessment, summary=command.assessment.summary.strip())
    return _step(
        incident,
        TimelineEntry(TimelineStep.HANDED_OVER, now, command.volunteer_id),
        state=IncidentState.HANDED_OVER,
        handed_over_at=now,
        assessment=assessment,
        person_id_number=person,
        person_name=command.person_name.strip() or incident.person_name,
        contact_phone=compact_phone(command.contact_phone) or incident.contact_phone,
    )


def close(incident: Incident, reason: str, *, now: datetime) -> Incident:
    """Closed after the follow-up or, with its reason, earlier (a false alarm, handled by the township)."""
    raise_if_any([text_violation(reason, "reason", MAX_TEXT_LENGTH)])
    if incident.state is IncidentState.CLOSED:
        raise FailedPrecondition(f"incident {incident.incident_id} is already closed")
    return _step(
        incident,
        TimelineEntry(TimelineStep.CLOSED, now, note=reason.strip()),
        state=IncidentState.CLOSED,
        offers=_withdraw_pending(incident.offers, now),
        closed_at=now,
        next_check_at=None,
        close_reason=reason.strip(),
    )
