"""Cases, decisions, notices, objections, entitlements, appeals, parameter versions and the audit log."""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "applications",
        sa.Column("application_id", sa.String(40), primary_key=True),
        sa.Column("application", sa.Text, nullable=True),
        sa.Column("report", sa.Text, nullable=True),
        sa.Column("withdrawn", sa.Boolean, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
    )
    op.create_table(
        "cases",
        sa.Column("application_id", sa.String(40), primary_key=True),
        sa.Column("programme", sa.String(40), nullable=False),
        sa.Column("region", sa.String(12), nullable=False),
        sa.Column("step", sa.String(30), nullable=False),
        sa.Column("accepted_at", TIME, nullable=False),
        sa.Column("deadline", sa.Date, nullable=False),
        sa.Column("decision_id", sa.String(40), nullable=False),
        sa.Column("entitlement_id", sa.String(40), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
    )
    op.create_index("ix_cases_step_deadline", "cases", ["step", "deadline"])
    op.create_table(
        "decisions",
        sa.Column("decision_id", sa.String(40), primary_key=True),
        sa.Column("application_id", sa.String(40), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("programme", sa.String(40), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("decided_at", TIME, nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_decisions_application_id", "decisions", ["application_id"])
    op.create_table(
        "notices",
        sa.Column("notice_id", sa.String(40), primary_key=True),
        sa.Column("application_id", sa.String(40), nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_index("ix_notices_state_ends_on", "notices", ["state", "ends_on"])
    op.create_table(
        "objections",
        sa.Column("objection_id", sa.String(40), primary_key=True),
        sa.Column("notice_id", sa.String(40), nullable=False),
        sa.Column("application_id", sa.String(40), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("real_name", sa.Boolean, nullable=False),
        sa.Column("raised_by", sa.String(200), nullable=False),
        sa.Column("raised_at", TIME, nullable=False),
    )
    op.create_table(
        "entitlements",
        sa.Column("entitlement_id", sa.String(40), primary_key=True),
        sa.Column("application_id", sa.String(40), nullable=False),
        sa.Column("subject_id", sa.String(40), nullable=False),
        sa.Column("programme", sa.String(40), nullable=False),
        sa.Column("region", sa.String(12), nullable=False),
        sa.Column("state", sa.String(30), nullable=False),
        sa.Column("monthly_amount_fen", sa.BigInteger, nullable=False),
        sa.Column("parameter_version", sa.String(200), nullable=False),
        sa.Column("last_decision_id", sa.String(40), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
    )
    op.create_index("ix_entitlements_state_region", "entitlements", ["state", "region"])
    op.create_index("ix_entitlements_last_decision_id", "entitlements", ["last_decision_id"])
    op.create_table(
        "appeals",
        sa.Column("appeal_id", sa.String(40), primary_key=True),
        sa.Column("decision_id", sa.String(40), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("filed_at", TIME, nullable=False),
    )
    op.create_table(
        "parameter_versions",
        sa.Column("set_id", sa.String(64), primary_key=True),
        sa.Column("region", sa.String(12), nullable=False),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("published_by", sa.String(200), nullable=False),
        sa.Column("published_at", TIME, nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("actor_role", sa.String(30), nullable=False),
        sa.Column("actor_id", sa.String(200), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_index("ix_audit_log_subject_id", "audit_log", ["subject_id"])


def downgrade() -> None:
    for table in (
        "audit_log",
        "parameter_versions",
        "appeals",
        "entitlements",
        "objections",
        "notices",
        "decisions",
        "cases",
        "applications",
    ):
        op.drop_table(table)
