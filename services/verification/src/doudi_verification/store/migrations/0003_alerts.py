"""Monitoring alerts (DOMAIN §8.3)."""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("alert_id", sa.String(40), primary_key=True),
        sa.Column("trigger", sa.String(40), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("person_id", sa.String(18), nullable=False),
        sa.Column("household_id", sa.String(64), nullable=False),
        sa.Column("region", sa.String(12), nullable=False),
        sa.Column("township", sa.String(12), nullable=False),
        sa.Column("urgency", sa.String(20), nullable=False),
        sa.Column("groups", sa.Text, nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("source_reference", sa.String(200), nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("overdue_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("trigger_reason", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("reports", sa.Integer, nullable=False),
        sa.Column("work", sa.Text, nullable=False),
        sa.Column("open_key", sa.String(64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    # NULLs never collide, so only open alerts compete for their fact's key.
    op.create_index("ux_alerts_open_key", "alerts", ["open_key"], unique=True)
    op.create_index("ix_alerts_region", "alerts", ["region"])
    op.create_index("ix_alerts_state_due_at", "alerts", ["state", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_alerts_state_due_at", "alerts")
    op.drop_index("ix_alerts_region", "alerts")
    op.drop_index("ux_alerts_open_key", "alerts")
    op.drop_table("alerts")
