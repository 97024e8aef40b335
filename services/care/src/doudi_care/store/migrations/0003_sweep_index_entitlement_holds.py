"""The daily sweep's index (status, last announced stage, due, id), and the entitlements that hold an
entry's visits and work orders while they are suspended."""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_ledger_entries_sweep", "ledger_entries", ["status", "announced_stage", "next_due", "entry_id"]
    )
    op.add_column(
        "ledger_entries", sa.Column("suspended_entitlement_ids", sa.Text, nullable=False, server_default="[]")
    )


def downgrade() -> None:
    with op.batch_alter_table("ledger_entries") as batch:
        batch.drop_column("suspended_entitlement_ids")
    op.drop_index("ix_ledger_entries_sweep", "ledger_entries")
