"""Matching searches a box around the incident: an index on the on-duty members' places by township."""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_volunteers_nearby",
        "volunteers",
        ["township", "active", "available", "latitude_e6", "longitude_e6"],
    )


def downgrade() -> None:
    op.drop_index("ix_volunteers_nearby", "volunteers")
