"""The payee's name and account sealed in one context per field on the roster and on the payments, so a
generated payment carries the roster's ciphertext as it is: existing values are opened in their table's
former context and sealed again in the shared one.

Downgrade seals them back in each table's own context.
"""

import sqlalchemy as sa
from alembic import op

from doudi_runtime.store.sealed import Sealed

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_SHARED = {"payee_name": "disbursement.payee.name", "payee_account": "disbursement.payee.account"}
_KEYS = {"roster": "entitlement_id", "payments": "payment_id"}
_PAGE = 1000


def _view(table: str, key: str, contexts: dict[str, str]) -> sa.Table:
    return sa.Table(
        table,
        sa.MetaData(),
        sa.Column(key, sa.String(40), primary_key=True),
        *(sa.Column(name, Sealed(context)) for name, context in contexts.items()),
    )


def _move(table: str, key: str, source: dict[str, str], target: dict[str, str]) -> None:
    connection = op.get_bind()
    reader, writer = _view(table, key, source), _view(table, key, target)
    statement = (
        sa.update(writer)
        .where(writer.c[key] == sa.bindparam("row_key"))
        .values({name: sa.bindparam(f"new_{name}") for name in target})
    )
    after = ""
    while True:
        rows = connection.execute(
            sa.select(reader).where(reader.c[key] > after).order_by(reader.c[key]).limit(_PAGE)
        ).all()
        if not rows:
            return
        connection.execute(
            statement,
            [{"row_key": row[0], **{f"new_{name}": getattr(row, name) for name in target}} for row in rows],
        )
        after = rows[-1][0]


def _own(table: str) -> dict[str, str]:
    return {name: f"disbursement.{table}.{name}" for name in _SHARED}


def upgrade() -> None:
    for table, key in _KEYS.items():
        _move(table, key, _own(table), _SHARED)


def downgrade() -> None:
    for table, key in _KEYS.items():
        _move(table, key, _SHARED, _own(table))
