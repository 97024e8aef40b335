"""Care providers' accounts and the monthly fees care settled for them (DOMAIN §9.3, H14)."""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "provider_accounts",
        sa.Column("provider_id", sa.String(40), primary_key=True),
        sa.Column("county", sa.String(12), nullable=False),
        sa.Column("account_name", sa.String(100), nullable=False),
        sa.Column("account_number", sa.String(64), nullable=False),
        sa.Column("registered_by", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_provider_accounts_county", "provider_accounts", ["county"])
    op.create_table(
        "provider_fees",
        sa.Column("idempotency_key", sa.String(200), primary_key=True),
        sa.Column("settlement_id", sa.String(40), nullable=False),
        sa.Column("provider_id", sa.String(40), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("gross_fen", sa.BigInteger, nullable=False),
        sa.Column("deductions_fen", sa.BigInteger, nullable=False),
        sa.Column("payable_fen", sa.BigInteger, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_provider_fees_provider", "provider_fees", ["provider_id", "period"])


def downgrade() -> None:
    op.drop_table("provider_fees")
    op.drop_table("provider_accounts")
