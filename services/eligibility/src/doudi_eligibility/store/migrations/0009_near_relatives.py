"""Near-relative registrations (DOMAIN §12.2), kept apart from the case files: the separate archive."""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "near_relatives",
        sa.Column("registration_id", sa.String(40), primary_key=True),
        sa.Column("application_id", sa.String(40), nullable=False),
        sa.Column("region", sa.String(12), nullable=False),
        sa.Column("staff_user_id", sa.String(200), nullable=False),
        sa.Column("staff_position", sa.String(30), nullable=False),
        sa.Column("organisation", sa.String(200), nullable=False),
        sa.Column("relation", sa.String(40), nullable=False),
        # Sealed at rest by the table's column type (eligibility.near_relatives.note).
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("registered_by", sa.String(200), nullable=False),
        sa.Column("registered_role", sa.String(30), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ux_near_relatives_application_staff",
        "near_relatives",
        ["application_id", "staff_user_id"],
        unique=True,
    )
    op.create_index("ix_near_relatives_region", "near_relatives", ["region"])


def downgrade() -> None:
    op.drop_index("ix_near_relatives_region", table_name="near_relatives")
    op.drop_index("ux_near_relatives_application_staff", table_name="near_relatives")
    op.drop_table("near_relatives")
