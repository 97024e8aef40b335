"""Response teams and volunteers, incidents, the vulnerable-person registry and declared disasters."""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("team_id", sa.String(40), primary_key=True),
        sa.Column("village", sa.String(12), nullable=False, unique=True),
        sa.Column("township", sa.String(12), nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("duty_phone", sa.String(20), nullable=False),
        sa.Column("base_latitude_e6", sa.Integer, nullable=True),
        sa.Column("base_longitude_e6", sa.Integer, nullable=True),
        _at("registered_at"),
    )
    op.create_table(
        "volunteers",
        sa.Column("volunteer_id", sa.String(40), primary_key=True),
        sa.Column("team_id", sa.String(40), nullable=False),
        sa.Column("village", sa.String(12), nullable=False),
        sa.Column("township", sa.String(12), nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("skills", sa.String(200), nullable=False),
        sa.Column("available", sa.Boolean, nullable=False),
        sa.Column("latitude_e6", sa.Integer, nullable=True),
        sa.Column("longitude_e6", sa.Integer, nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        _at("updated_at"),
    )
    op.create_index("ix_volunteers_team_id", "volunteers", ["team_id"])
    op.create_index("ix_volunteers_township_active", "volunteers", ["township", "active"])
    op.create_table(
        "incidents",
        sa.Column("incident_id", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("source", sa.String(30), nullable=False),
        sa.Column("source_reference", sa.String(200), nullable=False),
        sa.Column("region", sa.String(12), nullable=False),
        sa.Column("township", sa.String(12), nullable=False),
        sa.Column("person_id_number", sa.String(18), nullable=False),
        sa.Column("person_name", sa.String(50), nullable=False),
        sa.Column("contact_phone", sa.String(20), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("latitude_e6", sa.Integer, nullable=True),
        sa.Column("longitude_e6", sa.Integer, nullable=True),
        sa.Column("required_skill", sa.String(20), nullable=False),
        sa.Column("disaster_id", sa.String(40), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("wave", sa.Integer, nullable=False),
        sa.Column("lead_volunteer_id", sa.String(40), nullable=False),
        _at("reported_at"),
        _at("updated_at"),
        _at("next_check_at", nullable=True),
        _at("offered_at", nullable=True),
        _at("accepted_at", nullable=True),
        _at("on_scene_at", nullable=True),
        _at("handed_over_at", nullable=True),
        _at("closed_at", nullable=True),
        _at("escalated_at", nullable=True),
        sa.Column("offers", sa.Text, nullable=False),
        sa.Column("supporters", sa.Text, nullable=False),
        sa.Column("assessment", sa.Text, nullable=True),
        sa.Column("close_reason", sa.Text, nullable=False),
        sa.Column("timeline", sa.Text, nullable=False),
    )
    op.create_index("ix_incidents_next_check_at", "incidents", ["next_check_at"])
    op.create_index("ix_incidents_township_state", "incidents", ["township", "state"])
    op.create_index("ix_incidents_region", "incidents", ["region"])
    op.create_index("ix_incidents_disaster_id", "incidents", ["disaster_id"])
    op.create_index("ix_incidents_person_id_number", "incidents", ["person_id_number"])
    op.create_table(
        "vulnerable_persons",
        sa.Column("id_number", sa.String(18), primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("region", sa.String(12), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("contact_name", sa.String(50), nullable=False),
        sa.Column("contact_phone", sa.String(20), nullable=False),
        sa.Column("latitude_e6", sa.Integer, nullable=True),
        sa.Column("longitude_e6", sa.Integer, nullable=True),
        sa.Column("care_entry_id", sa.String(200), nullable=False),
        _at("updated_at"),
        _at("removed_at", nullable=True),
        sa.Column("removal_reason", sa.Text, nullable=False),
    )
    op.create_index("ix_vulnerable_persons_region", "vulnerable_persons", ["region"])
    op.create_table(
        "disasters",
        sa.Column("disaster_id", sa.String(40), primary_key=True),
        sa.Column("region", sa.String(12), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        _at("declared_at"),
        sa.Column("check_on_tasks", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("disasters")
    op.drop_index("ix_vulnerable_persons_region", "vulnerable_persons")
    op.drop_table("vulnerable_persons")
    for index in (
        "ix_incidents_person_id_number",
        "ix_incidents_disaster_id",
        "ix_incidents_region",
        "ix_incidents_township_state",
        "ix_incidents_next_check_at",
    ):
        op.drop_index(index, "incidents")
    op.drop_table("incidents")
    op.drop_index("ix_volunteers_township_active", "volunteers")
    op.drop_index("ix_volunteers_team_id", "volunteers")
    op.drop_table("volunteers")
    op.drop_table("teams")
