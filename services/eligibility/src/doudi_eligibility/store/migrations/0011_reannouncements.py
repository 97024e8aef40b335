"""Runs of the reannounce role: every entitlement not terminated announced again as it stands, a page per
transaction, resumable after an interruption."""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reannouncements",
        sa.Column("run_id", sa.String(40), primary_key=True),
        sa.Column("cursor", sa.String(40), nullable=False),
        sa.Column("announced", sa.BigInteger, nullable=False),
        sa.Column("done", sa.Boolean, nullable=False),
        sa.Column("started_at", TIME, nullable=False),
        sa.Column("finished_at", TIME, nullable=True),
    )
    op.create_index("ix_reannouncements_done_started_at", "reannouncements", ["done", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_reannouncements_done_started_at", table_name="reannouncements")
    op.drop_table("reannouncements")
