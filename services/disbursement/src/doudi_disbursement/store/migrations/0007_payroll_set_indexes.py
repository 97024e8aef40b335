"""Indexes for set-oriented payroll steps: a batch's payments by state, and RECOVERY lines by the key of
the line they are deducted from."""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_payments_batch", table_name="payments")
    op.create_index(
        "ix_payments_batch_state",
        "payments",
        ["batch_request_id", "state"],
        sqlite_where=sa.text("batch_request_id != ''"),
        postgresql_where=sa.text("batch_request_id != ''"),
    )
    op.create_index(
        "ix_payments_offsets_key",
        "payments",
        ["offsets_key"],
        sqlite_where=sa.text("offsets_key != ''"),
        postgresql_where=sa.text("offsets_key != ''"),
    )


def downgrade() -> None:
    op.drop_index("ix_payments_offsets_key", table_name="payments")
    op.drop_index("ix_payments_batch_state", table_name="payments")
    op.create_index("ix_payments_batch", "payments", ["batch_request_id"])
