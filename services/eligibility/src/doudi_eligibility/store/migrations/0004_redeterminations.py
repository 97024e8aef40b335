"""Re-determinations after a new standard run in batches, each its own transaction, resumable (DOMAIN §3)."""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "redeterminations",
        sa.Column("set_id", sa.String(64), primary_key=True),
        sa.Column("region_prefix", sa.String(12), nullable=False),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("cursor", sa.String(40), nullable=False),
        sa.Column("examined", sa.BigInteger, nullable=False),
        sa.Column("changed", sa.BigInteger, nullable=False),
        sa.Column("referred_to_review", sa.BigInteger, nullable=False),
        sa.Column("done", sa.Boolean, nullable=False),
        sa.Column("started_at", TIME, nullable=False),
        sa.Column("lease_until", TIME, nullable=False),
        sa.Column("finished_at", TIME, nullable=True),
    )
    op.create_index("ix_redeterminations_done_started_at", "redeterminations", ["done", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_redeterminations_done_started_at", table_name="redeterminations")
    op.drop_table("redeterminations")
