"""The payroll: roster, runs and their shards, payments with unique keys, bank batches."""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

LIVE = sa.text("state != 'CANCELLED'")


def upgrade() -> None:
    op.create_table(
        "roster",
        sa.Column("entitlement_id", sa.String(40), primary_key=True),
        sa.Column("beneficiary_id", sa.String(40), nullable=False),
        sa.Column("programme", sa.String(40), nullable=False),
        sa.Column("township", sa.String(12), nullable=False),
        sa.Column("payee_name", sa.String(100), nullable=False),
        sa.Column("payee_account", sa.String(64), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_roster_township_entitlement", "roster", ["township", "entitlement_id"])
    op.create_table(
        "runs",
        sa.Column("run_id", sa.String(40), primary_key=True),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("region", sa.String(12), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("approved_by", sa.String(200), nullable=False),
        sa.Column("payment_count", sa.BigInteger, nullable=False),
        sa.Column("total_fen", sa.BigInteger, nullable=False),
        sa.Column("state_reason", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ux_runs_live_period_region",
        "runs",
        ["period", "region"],
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )
    op.create_table(
        "run_shards",
        sa.Column("run_id", sa.String(40), primary_key=True),
        sa.Column("township", sa.String(12), primary_key=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payment_count", sa.BigInteger, nullable=False),
        sa.Column("total_fen", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "payments",
        sa.Column("payment_id", sa.String(40), primary_key=True),
        sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
        sa.Column("run_id", sa.String(40), nullable=False),
        sa.Column("entitlement_id", sa.String(40), nullable=False),
        sa.Column("beneficiary_id", sa.String(40), nullable=False),
        sa.Column("programme", sa.String(40), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("component", sa.String(20), nullable=False),
        sa.Column("township", sa.String(12), nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("payee_name", sa.String(100), nullable=False),
        sa.Column("payee_account", sa.String(64), nullable=False),
        sa.Column("batch_request_id", sa.String(80), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_payments_run_township_state", "payments", ["run_id", "township", "state"])
    op.create_index("ix_payments_batch", "payments", ["batch_request_id"])
    op.create_index("ix_payments_beneficiary", "payments", ["beneficiary_id"])
    op.create_table(
        "bank_batches",
        sa.Column("batch_request_id", sa.String(80), primary_key=True),
        sa.Column("run_id", sa.String(40), nullable=False),
        sa.Column("township", sa.String(12), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("bank_batch_id", sa.String(80), nullable=False),
        sa.Column("payment_count", sa.BigInteger, nullable=False),
        sa.Column("total_fen", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_bank_batches_state", "bank_batches", ["state"])


def downgrade() -> None:
    op.drop_table("bank_batches")
    op.drop_table("payments")
    op.drop_table("run_shards")
    op.drop_index("ux_runs_live_period_region", "runs")
    op.drop_table("runs")
    op.drop_table("roster")
