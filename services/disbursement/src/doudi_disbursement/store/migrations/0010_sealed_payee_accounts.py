"""Beneficiaries' payee names and account numbers sealed at rest, on the roster and on every payment
(DOMAIN §11.1); existing rows are sealed here under the keys the migrating process runs with.

Downgrade is refused: it would write the sealed values back in the open.
"""

import sqlalchemy as sa
from alembic import op

from doudi_runtime.store.sealed import Sealed, reseal_table

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_LENGTHS = {"payee_name": 100, "payee_account": 64}
_KEYS = {"roster": "entitlement_id", "payments": "payment_id"}


def upgrade() -> None:
    for table, key in _KEYS.items():
        with op.batch_alter_table(table) as batch:
            for name, length in _LENGTHS.items():
                batch.alter_column(
                    name, type_=sa.Text, existing_type=sa.String(length), existing_nullable=False
                )
        sealed = sa.Table(
            table,
            sa.MetaData(),
            sa.Column(key, sa.String(40), primary_key=True),
            *(sa.Column(name, Sealed(f"disbursement.{table}.{name}")) for name in _LENGTHS),
        )
        reseal_table(op.get_bind(), sealed)


def downgrade() -> None:
    raise RuntimeError("sealed payee data is not written back in the open: restore a backup instead")
