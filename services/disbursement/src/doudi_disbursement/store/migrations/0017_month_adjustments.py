"""What each change found a month paid already differed by from what it now makes due, per entitlement
(DOMAIN §11.4, §12.1): overpaid (positive, the overpayment recorded) or owed (negative, the ARREARS line
that pays it), so a later change of the same month finds only what it adds. Overpayments recorded before
were given their amounts by hand and name no months. And the changes to look at again when a run is
released, for its lines generated before them."""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "month_adjustments",
        sa.Column("entitlement_id", sa.String(40), primary_key=True),
        sa.Column("period", sa.String(7), primary_key=True),
        sa.Column("reference", sa.String(200), primary_key=True),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
    )

    op.create_table(
        "paid_ahead_rechecks",
        sa.Column("run_id", sa.String(40), primary_key=True),
        sa.Column("entitlement_id", sa.String(40), primary_key=True),
        sa.Column("cause", sa.String(200), primary_key=True),
        sa.Column("first_period", sa.String(7), nullable=False),
        sa.Column("change", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("paid_ahead_rechecks")
    op.drop_table("month_adjustments")
