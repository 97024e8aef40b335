"""One-off bonuses owed on a voluntary exit from Dibao, each keyed by the payment that pays it."""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exit_bonuses",
        sa.Column("idempotency_key", sa.String(200), primary_key=True),
        sa.Column("entitlement_id", sa.String(40), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("months", sa.Integer, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_exit_bonuses_entitlement", "exit_bonuses", ["entitlement_id"])


def downgrade() -> None:
    op.drop_index("ix_exit_bonuses_entitlement", table_name="exit_bonuses")
    op.drop_table("exit_bonuses")
