"""The audit trail's tables (hash-chained records and the chain's head)."""

from alembic import op

from doudi_runtime.audit.trail import create_audit_tables, drop_audit_tables

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_tables(op)


def downgrade() -> None:
    drop_audit_tables(op)
