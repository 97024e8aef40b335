"""Verification cases, their reports, home surveys and disputes."""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("application_id", sa.String(40), primary_key=True),
        sa.Column("programme", sa.String(40), nullable=False),
        sa.Column("township", sa.String(12), nullable=False),
        sa.Column("residence_region", sa.String(12), nullable=False),
        sa.Column("household", sa.Text, nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("latest_report_id", sa.String(40), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_cases_state_next_attempt", "cases", ["state", "next_attempt_at"])
    op.create_table(
        "reports",
        sa.Column("report_id", sa.String(40), primary_key=True),
        sa.Column("application_id", sa.String(40), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("counted_members", sa.Integer, nullable=False),
        sa.Column("gross_income_fen", sa.BigInteger, nullable=False),
        sa.Column("deductions_fen", sa.BigInteger, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("produced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.Date, nullable=False),
    )
    op.create_index("ix_reports_application_id", "reports", ["application_id"])
    op.create_table(
        "surveys",
        sa.Column("survey_id", sa.String(40), primary_key=True),
        sa.Column("application_id", sa.String(40), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_surveys_application_id", "surveys", ["application_id"])
    op.create_table(
        "disputes",
        sa.Column("dispute_id", sa.String(40), primary_key=True),
        sa.Column("report_id", sa.String(40), nullable=False),
        sa.Column("application_id", sa.String(40), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("recheck_due", sa.Date, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_report_id", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("disputes")
    op.drop_index("ix_surveys_application_id", "surveys")
    op.drop_table("surveys")
    op.drop_index("ix_reports_application_id", "reports")
    op.drop_table("reports")
    op.drop_index("ix_cases_state_next_attempt", "cases")
    op.drop_table("cases")
