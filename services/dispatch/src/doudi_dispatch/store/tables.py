"""Tables of the dispatch service's store (the runtime adds its outbox, inbox and idempotency keys)."""

from pathlib import Path

from sqlalchemy import Boolean, Column, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

from doudi_runtime.service import ServiceStore
from doudi_runtime.store import UtcDateTime
from doudi_runtime.store.sealed import LookupHash, Sealed

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
    Column("name", Sealed("dispatch.volunteers.name"), nullable=False),
    Column("phone", Sealed("dispatch.volunteers.phone"), nullable=False),
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
#: because they are only ever read and written with their incident, under its row lock. The person, the
#: description and the on-scene assessment are sealed; a person's incidents are found by the lookup hash.
incidents = Table(
    "incidents",
    metadata,
    Column("incident_id", String(40), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("source", String(30), nullable=False),
    Column("source_reference", String(200), nullable=False),
    Column("region", String(12), nullable=False),
    Column("township", String(12), nullable=False),
    Column("person_id_number", Sealed("dispatch.incidents.person_id_number"), nullable=False),
    Column(
        "person_id_number_hash",
        LookupHash("dispatch.incidents.person_id_number", hash_of="person_id_number"),
        nullable=False,
        server_default="",
    ),
    Column("person_name", Sealed("dispatch.incidents.person_name"), nullable=False),
    Column("contact_phone", Sealed("dispatch.incidents.contact_phone"), nullable=False),
    Column("description", Sealed("dispatch.incidents.description"), nullable=False),
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
    Column("assessment", Sealed("dispatch.incidents.assessment"), nullable=True),
    Column("close_reason", Text, nullable=False),
    Column("timeline", Text, nullable=False),
    Index("ix_incidents_next_check_at", "next_check_at"),
    Index("ix_incidents_township_state", "township", "state"),
    Index("ix_incidents_region", "region"),
    Index("ix_incidents_disaster_id", "disaster_id"),
    Index("ix_incidents_person_id_number_hash", "person_id_number_hash"),
)

#: One row per person, keyed by a row id and found by the lookup hash of the sealed identity number.
vulnerable_persons = Table(
    "vulnerable_persons",
    metadata,
    Column("person_id", String(40), primary_key=True),
    Column("id_number", Sealed("dispatch.vulnerable_persons.id_number"), nullable=False),
    Column(
        "id_number_hash",
        LookupHash("dispatch.vulnerable_persons.id_number", hash_of="id_number"),
        nullable=False,
    ),
    Column("name", Sealed("dispatch.vulnerable_persons.name"), nullable=False),
    Column("phone", Sealed("dispatch.vulnerable_persons.phone"), nullable=False),
    Column("region", String(12), nullable=False),
    Column("category", String(40), nullable=False),
    Column("contact_name", Sealed("dispatch.vulnerable_persons.contact_name"), nullable=False),
    Column("contact_phone", Sealed("dispatch.vulnerable_persons.contact_phone"), nullable=False),
    Column("latitude_e6", Integer, nullable=True),
    Column("longitude_e6", Integer, nullable=True),
    Column("care_entry_id", String(200), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    #: Set when the person leaves the registry; registering them again clears it.
    Column("removed_at", UtcDateTime, nullable=True),
    Column("removal_reason", Text, nullable=False),
    UniqueConstraint("id_number_hash", name="uq_vulnerable_persons_id_number_hash"),
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
