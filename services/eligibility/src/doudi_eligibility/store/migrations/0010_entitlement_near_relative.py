"""Entitlements say whether a near relative of staff is registered for their application (DOMAIN §12.2): the
steps of one that is look the registered staff up in the separate archive, the others need not. Those
approved since the archive exists are marked from it."""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "entitlements", sa.Column("near_relative", sa.Boolean, nullable=False, server_default=sa.false())
    )
    entitlements = sa.table(
        "entitlements", sa.column("application_id", sa.String), sa.column("near_relative", sa.Boolean)
    )
    registered = sa.table("near_relatives", sa.column("application_id", sa.String))
    op.execute(
        entitlements.update()
        .where(entitlements.c.application_id.in_(sa.select(registered.c.application_id)))
        .values(near_relative=sa.true())
    )


def downgrade() -> None:
    with op.batch_alter_table("entitlements") as batch:
        batch.drop_column("near_relative")
