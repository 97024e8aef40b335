"""Entitlements found by their application: a periodic review's report names the application."""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_entitlements_application_id", "entitlements", ["application_id"])


def downgrade() -> None:
    op.drop_index("ix_entitlements_application_id", table_name="entitlements")
