"""The persons each roster entry covers (by eligibility's opaque person key) and who each per-person derived
line paid for, so the price subsidy is paid once per person and month (DOMAIN §5.7, §5.8). Entries learn
their persons from eligibility's next event about them; until then they are paid per counted person as
before."""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "roster_persons",
        sa.Column("entitlement_id", sa.String(40), primary_key=True),
        sa.Column("person_key", sa.String(128), primary_key=True),
    )
    op.create_index("ix_roster_persons_person", "roster_persons", ["person_key"])
    op.create_table(
        "derived_persons",
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("period", sa.String(7), primary_key=True),
        sa.Column("person_key", sa.String(128), primary_key=True),
        sa.Column("payment_key", sa.String(200), nullable=False),
    )
    op.create_index("ix_derived_persons_payment", "derived_persons", ["payment_key"])


def downgrade() -> None:
    op.drop_index("ix_derived_persons_payment", table_name="derived_persons")
    op.drop_table("derived_persons")
    op.drop_index("ix_roster_persons_person", table_name="roster_persons")
    op.drop_table("roster_persons")
