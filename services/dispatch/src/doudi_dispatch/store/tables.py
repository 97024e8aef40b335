"""Tables of the dispatch service's store (the runtime adds its outbox, inbox and idempotency keys)."""

from pathlib import Path

from sqlalchemy import Boolean, Column, Index, Integer, MetaData, String, Table, Text

from doudi_runtime.service import ServiceStore
from doudi_runtime.store import UtcDateTime

metadata = MetaData()

teams = Table(
    "teams",
    metadata,
    Column("team_id", String(40), primary_key=True),
    Column("village", String(12), nullable=False, unique=True),
    Column("township", String(12), nullable=False),
    Column("name", String(50), nullable=False),
    Column("duty_phone", String(20), nullable=False),
    Column("base_latitude_e6", Integer, nullable=True),
    Column("base_longitude_e6", Integer, nullable=True),
    Column("registered_at", UtcDateTime, nullable=False),
)

#: Members stay as rows when they leave a team (``active`` false): incidents keep naming them.
volunteers = Table(
    "volunteers",
    metadata,
    Column("volunteer_id", String(40), primary_key=True),
    Column("team_id", String(40), nullable=False),
    Column("village", String(12), nullable=False),
    Column("township", String(12), nullable=False),
    Column("name", String(50), nullable=False),
    Column("phone", String(20), nullable=False),
    Column("skills", String(200), nullable=False),
    Column("available", Boolean, nullable=False),
    Column("latitude_e6", Integer, nullable=True),
    Column("longitude_e6", Integer, nullable=True),
    Column("active", Boolean, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_volunteers_team_id", "team_id"),
    Index("ix_volunteers_township_active", "township", "active"),
    #: Matching looks in a box around the incident: on-duty members of the township by latitude.
    Index("ix_volunteers_nearby", "township", "active", "available", "latitude_e6", "longitude_e6"),
)

#: One row per incident; offers, supporters, the assessment and the timeline are JSON documents
#: because they are only ever read and written with their incident, under its row lock.
incidents = Table(
    "incidents",
    metadata,
    Column("incident_id", String(40), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("source", String(30), nullable=False),
    Column("source_reference", String(200), nullable=False),
    Column("region", String(12), nullable=False),
    Column("township", String(12), nullable=False),
    Column("person_id_number", String(18), nullable=False),
    Column("person_name", String(50), nullable=False),
    Column("contact_phone", String(20), nullable=False),
    Column("description", Text, nullable=False),
    Column("latitude_e6", Integer, nullable=True),
    Column("longitude_e6", Integer, nullable=True),
    Column("required_skill", String(20), nullable=False),
    Column("disaster_id", String(40), nullable=False),
    Column("state", String(20), nullable=False),
    Column("wave", Integer, nullable=False),
    Column("lead_volunteer_id", String(40), nullable=False),
    Column("reported_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("next_check_at", UtcDateTime, nullable=True),
    Column("offered_at", UtcDateTime, nullable=True),
    Column("accepted_at", UtcDateTime, nullable=True),
    Column("on_scene_at", UtcDateTime, nullable=True),
    Column("handed_over_at", UtcDateTime, nullable=True),
    Column("closed_at", UtcDateTime, nullable=True),
    Column("escalated_at", UtcDateTime, nullable=True),
    Column("offers", Text, nullable=False),
    Column("supporters", Text, nullable=False),
    Column("assessment", Text, nullable=True),
    Column("close_reason", Text, nullable=False),
    Column("timeline", Text, nullable=False),
    Index("ix_incidents_next_check_at", "next_check_at"),
    Index("ix_incidents_township_state", "township", "state"),
    Index("ix_incidents_region", "region"),
    Index("ix_incidents_disaster_id", "disaster_id"),
    Index("ix_incidents_person_id_number", "person_id_number"),
)

vulnerable_persons = Table(
    "vulnerable_persons",
    metadata,
    Column("id_number", String(18), primary_key=True),
    Column("name", String(50), nullable=False),
    Column("phone", String(20), nullable=False),
    Column("region", String(12), nullable=False),
    Column("category", String(40), nullable=False),
    Column("contact_name", String(50), nullable=False),
    Column("contact_phone", String(20), nullable=False),
    Column("latitude_e6", Integer, nullable=True),
    Column("longitude_e6", Integer, nullable=True),
    Column("care_entry_id", String(200), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    #: Set when the person leaves the registry; registering them again clears it.
    Column("removed_at", UtcDateTime, nullable=True),
    Column("removal_reason", Text, nullable=False),
    Index("ix_vulnerable_persons_region", "region"),
)

disasters = Table(
    "disasters",
    metadata,
    Column("disaster_id", String(40), primary_key=True),
    Column("region", String(12), nullable=False),
    Column("description", Text, nullable=False),
    Column("declared_at", UtcDateTime, nullable=False),
    Column("check_on_tasks", Integer, nullable=False),
)

STORE = ServiceStore.create(metadata, Path(__file__).parent / "migrations", audit=True)
