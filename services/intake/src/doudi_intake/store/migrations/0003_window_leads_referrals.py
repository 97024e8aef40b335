"""The window's decisions on applications, duplicate control, leads and referrals."""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

NEW_APPLICATION_COLUMNS = (
    sa.Column("missing_items", sa.Text, nullable=False, server_default="[]"),
    sa.Column("correction_due", sa.Date, nullable=True),
    sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("decision_due", sa.Date, nullable=True),
    sa.Column("state_reason", sa.Text, nullable=False, server_default=""),
    sa.Column("transferred_to", sa.String(12), nullable=False, server_default=""),
    sa.Column("transferred_from", sa.String(40), nullable=False, server_default=""),
    sa.Column("transferred_as", sa.String(40), nullable=False, server_default=""),
    sa.Column("lead_id", sa.String(40), nullable=False, server_default=""),
    sa.Column("mandate_reference", sa.String(200), nullable=False, server_default=""),
    sa.Column("duplicates", sa.Text, nullable=False, server_default="[]"),
)


def upgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        for column in NEW_APPLICATION_COLUMNS:
            batch.add_column(column)
    op.create_index("ix_applications_state_correction_due", "applications", ["state", "correction_due"])
    op.create_table(
        "open_memberships",
        sa.Column("application_id", sa.String(40), primary_key=True),
        sa.Column("member_index", sa.Integer, primary_key=True),
        sa.Column("id_number", sa.String(18), nullable=False),
        sa.Column("programme", sa.String(40), nullable=False),
        sa.Column("township", sa.String(12), nullable=False),
    )
    op.create_index("ix_open_memberships_id_number", "open_memberships", ["id_number"])
    op.create_table(
        "leads",
        sa.Column("lead_id", sa.String(40), primary_key=True),
        sa.Column("id_number", sa.String(18), nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("phone", sa.String(30), nullable=False),
        sa.Column("residence_region", sa.String(12), nullable=False),
        sa.Column("found_by", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("source_reference", sa.String(200), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("contact_due", sa.Date, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("application_id", sa.String(40), nullable=False),
    )
    op.create_index("ix_leads_residence_region", "leads", ["residence_region"])
    op.create_table(
        "referrals",
        sa.Column("referral_id", sa.String(40), primary_key=True),
        sa.Column("id_number", sa.String(18), nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("department", sa.String(40), nullable=False),
        sa.Column("need", sa.Text, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("send_due", sa.Date, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("application_id", sa.String(40), nullable=False),
        sa.Column("result", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("referrals")
    op.drop_index("ix_leads_residence_region", "leads")
    op.drop_table("leads")
    op.drop_index("ix_open_memberships_id_number", "open_memberships")
    op.drop_table("open_memberships")
    op.drop_index("ix_applications_state_correction_due", "applications")
    with op.batch_alter_table("applications") as batch:
        for column in reversed(NEW_APPLICATION_COLUMNS):
            batch.drop_column(column.name)
