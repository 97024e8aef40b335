"""Care providers' account names and numbers sealed at rest; existing rows are sealed here under the keys
the migrating process runs with.

Downgrade is refused: it would write the sealed values back in the open.
"""

import sqlalchemy as sa
from alembic import op

from doudi_runtime.store.sealed import Sealed, reseal_table

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_LENGTHS = {"account_name": 100, "account_number": 64}


def upgrade() -> None:
    with op.batch_alter_table("provider_accounts") as batch:
        for name, length in _LENGTHS.items():
            batch.alter_column(name, type_=sa.Text, existing_type=sa.String(length), existing_nullable=False)
    provider_accounts = sa.Table(
        "provider_accounts",
        sa.MetaData(),
        sa.Column("provider_id", sa.String(40), primary_key=True),
        *(sa.Column(name, Sealed(f"disbursement.provider_accounts.{name}")) for name in _LENGTHS),
    )
    reseal_table(op.get_bind(), provider_accounts)


def downgrade() -> None:
    raise RuntimeError("sealed account data is not written back in the open: restore a backup instead")
