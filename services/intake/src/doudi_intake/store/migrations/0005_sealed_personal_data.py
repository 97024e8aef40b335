"""Personal data sealed at rest: ID numbers, names, phones, households and what people suffer from.

The columns become text (ciphertext is longer than the values), duplicate control gets the keyed hash of
the ID number and its index in place of the ID number's, and every existing row is sealed under the
primary keys. The downgrade opens the values again (it needs the same keys) and restores the old types.
"""

import sqlalchemy as sa
from alembic import op

from doudi_runtime.store.sealed import LookupHash, Sealed, reseal_table, unseal_table

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_meta = sa.MetaData()
APPLICATIONS = sa.Table(
    "applications",
    _meta,
    sa.Column("application_id", sa.String(40), primary_key=True),
    sa.Column("statement", Sealed("intake.applications.statement")),
    sa.Column("household", Sealed("intake.applications.household")),
    sa.Column("duplicates", Sealed("intake.applications.duplicates")),
)
OPEN_MEMBERSHIPS = sa.Table(
    "open_memberships",
    _meta,
    sa.Column("application_id", sa.String(40), primary_key=True),
    sa.Column("member_index", sa.Integer, primary_key=True),
    sa.Column("id_number", Sealed("intake.open_memberships.id_number")),
    sa.Column("id_number_hash", LookupHash("intake.open_memberships.id_number", hash_of="id_number")),
)
LEADS = sa.Table(
    "leads",
    _meta,
    sa.Column("lead_id", sa.String(40), primary_key=True),
    sa.Column("id_number", Sealed("intake.leads.id_number")),
    sa.Column("name", Sealed("intake.leads.name")),
    sa.Column("phone", Sealed("intake.leads.phone")),
    sa.Column("reason", Sealed("intake.leads.reason")),
    sa.Column("note", Sealed("intake.leads.note")),
)
REFERRALS = sa.Table(
    "referrals",
    _meta,
    sa.Column("referral_id", sa.String(40), primary_key=True),
    sa.Column("id_number", Sealed("intake.referrals.id_number")),
    sa.Column("name", Sealed("intake.referrals.name")),
    sa.Column("need", Sealed("intake.referrals.need")),
    sa.Column("result", Sealed("intake.referrals.result")),
)
SEALED_TABLES = (APPLICATIONS, OPEN_MEMBERSHIPS, LEADS, REFERRALS)

#: Columns that were bounded strings before they were sealed: (table, column, old type).
WIDENED = (
    ("open_memberships", "id_number", sa.String(18)),
    ("leads", "id_number", sa.String(18)),
    ("leads", "name", sa.String(50)),
    ("leads", "phone", sa.String(30)),
    ("referrals", "id_number", sa.String(18)),
    ("referrals", "name", sa.String(50)),
)


def _widen(table: str, back: bool = False) -> None:
    with op.batch_alter_table(table) as batch:
        for name, column, old in WIDENED:
            if name == table:
                batch.alter_column(
                    column,
                    existing_type=sa.Text() if back else old,
                    type_=old if back else sa.Text(),
                    existing_nullable=False,
                )


def upgrade() -> None:
    for table in ("leads", "referrals"):
        _widen(table)
    op.drop_index("ix_open_memberships_id_number", "open_memberships")
    with op.batch_alter_table("open_memberships") as batch:
        batch.alter_column("id_number", existing_type=sa.String(18), type_=sa.Text(), existing_nullable=False)
        batch.add_column(sa.Column("id_number_hash", sa.String(64), nullable=False, server_default=""))
    bind = op.get_bind()
    for table in SEALED_TABLES:
        reseal_table(bind, table)
    with op.batch_alter_table("open_memberships") as batch:
        batch.alter_column("id_number_hash", existing_type=sa.String(64), server_default=None)
    op.create_index("ix_open_memberships_id_number_hash", "open_memberships", ["id_number_hash"])


def downgrade() -> None:
    bind = op.get_bind()
    for table in SEALED_TABLES:
        unseal_table(bind, table)
    op.drop_index("ix_open_memberships_id_number_hash", "open_memberships")
    with op.batch_alter_table("open_memberships") as batch:
        batch.drop_column("id_number_hash")
        batch.alter_column("id_number", existing_type=sa.Text(), type_=sa.String(18), existing_nullable=False)
    op.create_index("ix_open_memberships_id_number", "open_memberships", ["id_number"])
    for table in ("leads", "referrals"):
        _widen(table, back=True)
