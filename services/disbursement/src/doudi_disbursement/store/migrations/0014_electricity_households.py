"""The co-resident members each roster entry's application declared (by eligibility's opaque person key), so
the electricity subsidy is paid once per household and year (DOMAIN §5.7, §5.8). Entries learn their household
from eligibility's next event about them; until then each is paid as before. The members of a household paid
are kept in ``derived_persons`` under the year."""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "roster_households",
        sa.Column("entitlement_id", sa.String(40), primary_key=True),
        sa.Column("person_key", sa.String(128), primary_key=True),
    )
    op.create_index("ix_roster_households_person", "roster_households", ["person_key"])


def downgrade() -> None:
    op.drop_index("ix_roster_households_person", table_name="roster_households")
    op.drop_table("roster_households")
