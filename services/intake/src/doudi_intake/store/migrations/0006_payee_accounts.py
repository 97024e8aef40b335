"""The account an application's benefits are paid into (DOMAIN §11.1), sealed at rest as one JSON blob;
empty for the applications submitted without one (and for every application before this revision)."""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("payee", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.drop_column("payee")
