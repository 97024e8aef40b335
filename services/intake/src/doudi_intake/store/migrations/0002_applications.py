"""Applications submitted at the one window."""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "applications",
        sa.Column("application_id", sa.String(40), primary_key=True),
        sa.Column("programme", sa.String(40), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("township", sa.String(12), nullable=False),
        sa.Column("state", sa.String(30), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("statement", sa.Text, nullable=False),
        sa.Column("requested_amount_fen", sa.BigInteger, nullable=False),
        sa.Column("household", sa.Text, nullable=False),
    )
    op.create_index("ix_applications_township_state", "applications", ["township", "state"])


def downgrade() -> None:
    op.drop_index("ix_applications_township_state", "applications")
    op.drop_table("applications")
