"""Arrears per withheld month, overpayments with their offsets and repayments, derived payment
declarations, and payment attempts for re-issue."""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.add_column(sa.Column("attempt", sa.Integer, nullable=False, server_default=sa.text("1")))
        batch.add_column(
            sa.Column("offsets_key", sa.String(200), nullable=False, server_default=sa.text("''"))
        )
    op.create_index("ix_payments_state_township", "payments", ["state", "township"])
    op.create_table(
        "arrears",
        sa.Column("idempotency_key", sa.String(200), primary_key=True),
        sa.Column("entitlement_id", sa.String(40), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_arrears_entitlement", "arrears", ["entitlement_id"])
    op.create_table(
        "overpayments",
        sa.Column("overpayment_id", sa.String(40), primary_key=True),
        sa.Column("beneficiary_id", sa.String(40), nullable=False),
        sa.Column("programme", sa.String(40), nullable=False),
        sa.Column("township", sa.String(12), nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("decision_reference", sa.String(200), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_overpayments_beneficiary", "overpayments", ["beneficiary_id", "programme"])
    op.create_table(
        "repayments",
        sa.Column("repayment_id", sa.String(40), primary_key=True),
        sa.Column("overpayment_id", sa.String(40), nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("reference", sa.Text, nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_repayments_overpayment", "repayments", ["overpayment_id"])
    op.create_table(
        "derived_declarations",
        sa.Column("declaration_id", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("region", sa.String(12), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("amounts", sa.Text, nullable=False),
        sa.Column("reference", sa.Text, nullable=False),
        sa.Column("declared_by", sa.String(200), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("region", "period", "kind", name="ux_derived_declarations_region_period_kind"),
    )
    op.create_table(
        "recoveries",
        sa.Column("payment_key", sa.String(200), primary_key=True),
        sa.Column("overpayment_id", sa.String(40), primary_key=True),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_recoveries_overpayment", "recoveries", ["overpayment_id"])


def downgrade() -> None:
    op.drop_index("ix_recoveries_overpayment", table_name="recoveries")
    op.drop_table("recoveries")
    op.drop_table("derived_declarations")
    op.drop_index("ix_repayments_overpayment", table_name="repayments")
    op.drop_table("repayments")
    op.drop_index("ix_overpayments_beneficiary", table_name="overpayments")
    op.drop_table("overpayments")
    op.drop_index("ix_arrears_entitlement", table_name="arrears")
    op.drop_table("arrears")
    op.drop_index("ix_payments_state_township", table_name="payments")
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("offsets_key")
        batch.drop_column("attempt")
