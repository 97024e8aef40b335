"""The monitored population's register of households that left Dibao (DOMAIN §8.1, §7.3); the members'
ID numbers are sealed by the application (text at rest)."""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monitored_households",
        sa.Column("entitlement_id", sa.String(40), primary_key=True),
        sa.Column("household_id", sa.String(64), nullable=False),
        sa.Column("application_id", sa.String(40), nullable=False),
        sa.Column("region", sa.String(12), nullable=False),
        sa.Column("group", sa.String(20), nullable=False),
        sa.Column("since", sa.String(7), nullable=False),
        sa.Column("until", sa.String(7), nullable=False),
        sa.Column("persons", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_monitored_households_region_until", "monitored_households", ["region", "until"])


def downgrade() -> None:
    op.drop_index("ix_monitored_households_region_until", "monitored_households")
    op.drop_table("monitored_households")
