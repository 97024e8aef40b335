"""The care store's first revision: the runtime's outbox, inbox and idempotency tables."""

from alembic import op

from doudi_runtime.service import create_runtime_tables, drop_runtime_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_runtime_tables(op)


def downgrade() -> None:
    drop_runtime_tables(op)
