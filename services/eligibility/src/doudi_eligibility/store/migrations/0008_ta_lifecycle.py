"""Where each temporary-assistance case stands from report to follow-up (DOMAIN §7.4). The body holds no
personal data (amounts, dates, the receiving body, the minutes' reference), so nothing here is sealed."""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ta_lifecycles",
        sa.Column("reference", sa.String(64), primary_key=True),
        sa.Column("region", sa.String(12), nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("entitlement_id", sa.String(40), nullable=True),
        sa.Column("payment_month", sa.String(7), nullable=True),
        sa.Column("payment_problem", sa.Text, nullable=False, server_default=""),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ta_lifecycles_state_month", "ta_lifecycles", ["state", "payment_month"])
    op.create_index("ix_ta_lifecycles_entitlement_id", "ta_lifecycles", ["entitlement_id"])


def downgrade() -> None:
    op.drop_index("ix_ta_lifecycles_entitlement_id", table_name="ta_lifecycles")
    op.drop_index("ix_ta_lifecycles_state_month", table_name="ta_lifecycles")
    op.drop_table("ta_lifecycles")
