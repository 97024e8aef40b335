"""Township reserve funds (备用金) for urgent temporary assistance, with their ledger (DOMAIN §11.3)."""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reserve_funds",
        sa.Column("township", sa.String(12), primary_key=True),
        sa.Column("balance_fen", sa.BigInteger, nullable=False),
        sa.Column("advanced_fen", sa.BigInteger, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "reserve_entries",
        sa.Column("entry_id", sa.String(40), primary_key=True),
        sa.Column("township", sa.String(12), nullable=False),
        sa.Column("sequence", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("balance_after_fen", sa.BigInteger, nullable=False),
        sa.Column("advance_id", sa.String(40), nullable=False),
        sa.Column("advance_state", sa.String(20), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("township", "sequence", name="ux_reserve_entries_township_sequence"),
    )
    op.create_index("ix_reserve_entries_advance", "reserve_entries", ["advance_id"])
    op.create_index("ix_reserve_entries_advance_state", "reserve_entries", ["advance_state"])


def downgrade() -> None:
    op.drop_index("ix_reserve_entries_advance_state", table_name="reserve_entries")
    op.drop_index("ix_reserve_entries_advance", table_name="reserve_entries")
    op.drop_table("reserve_entries")
    op.drop_table("reserve_funds")
