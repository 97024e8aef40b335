"""Periodic reviews by Dibao category (DOMAIN §5.1.5): schedules, reviews, and why a case is checked;
an index for the disputes every complete report resolves."""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("purpose", sa.String(20), nullable=False, server_default="APPLICATION"))
        batch.add_column(sa.Column("review_id", sa.String(40), nullable=False, server_default=""))
        batch.add_column(sa.Column("reference_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "review_schedules",
        sa.Column("entitlement_id", sa.String(40), primary_key=True),
        sa.Column("household_id", sa.String(64), nullable=False),
        sa.Column("application_id", sa.String(40), nullable=False),
        sa.Column("region", sa.String(12), nullable=False),
        sa.Column("household_type", sa.String(10), nullable=True),
        sa.Column("category", sa.String(1), nullable=True),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("anchor", sa.Date, nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_review_schedules_state_due_on", "review_schedules", ["state", "due_on"])
    op.create_table(
        "reviews",
        sa.Column("review_id", sa.String(40), primary_key=True),
        sa.Column("entitlement_id", sa.String(40), nullable=False),
        sa.Column("household_id", sa.String(64), nullable=False),
        sa.Column("application_id", sa.String(40), nullable=False),
        sa.Column("region", sa.String(12), nullable=False),
        sa.Column("category", sa.String(1), nullable=True),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("report_id", sa.String(40), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_index("ux_reviews_entitlement_due_on", "reviews", ["entitlement_id", "due_on"], unique=True)
    op.create_index("ix_reviews_region_due_on", "reviews", ["region", "due_on"])
    op.create_index("ix_disputes_application_id", "disputes", ["application_id"])


def downgrade() -> None:
    op.drop_index("ix_disputes_application_id", "disputes")
    op.drop_index("ix_reviews_region_due_on", "reviews")
    op.drop_index("ux_reviews_entitlement_due_on", "reviews")
    op.drop_table("reviews")
    op.drop_index("ix_review_schedules_state_due_on", "review_schedules")
    op.drop_table("review_schedules")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("reference_at")
        batch.drop_column("review_id")
        batch.drop_column("purpose")
