"""Personal data sealed at rest: identity numbers, names, phones, ledger details, visits' places and
findings, and protection cases are encrypted; a ledger entry is found by its identity number's lookup hash.

Existing rows are sealed here under the keys the migrating process runs with. A ledger entry whose
identity number is known keeps an empty ``person_key`` (its hash is the key); entries still waiting for
their identity number keep ``subject:<id>``.

Downgrade is refused: it would write the sealed values back in the open.
"""

import sqlalchemy as sa
from alembic import op

from doudi_runtime.store.sealed import LookupHash, Sealed, reseal_table

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_LEDGER_SEALED = ("id_number", "name", "phone", "details")
_PROTECTION_SEALED = ("child_id_number", "child_name", "description", "reporter", "contact_phone", "notes")
_PROTECTION_LENGTHS = {"child_id_number": 18, "child_name": 50, "reporter": 100, "contact_phone": 20}
_LEDGER_LENGTHS = {"id_number": 18, "name": 50, "phone": 20}


def _sealed_tables() -> list[sa.Table]:
    metadata = sa.MetaData()
    ledger_entries = sa.Table(
        "ledger_entries",
        metadata,
        sa.Column("entry_id", sa.String(40), primary_key=True),
        *(sa.Column(name, Sealed(f"care.ledger_entries.{name}")) for name in _LEDGER_SEALED),
        sa.Column("id_number_hash", LookupHash("care.ledger_entries.id_number", hash_of="id_number")),
    )
    visits = sa.Table(
        "visits",
        metadata,
        sa.Column("visit_id", sa.String(40), primary_key=True),
        sa.Column("place", Sealed("care.visits.place")),
        sa.Column("findings", Sealed("care.visits.findings")),
    )
    protection_cases = sa.Table(
        "protection_cases",
        metadata,
        sa.Column("case_id", sa.String(40), primary_key=True),
        *(sa.Column(name, Sealed(f"care.protection_cases.{name}")) for name in _PROTECTION_SEALED),
    )
    return [ledger_entries, visits, protection_cases]


def upgrade() -> None:
    with op.batch_alter_table("ledger_entries") as batch:
        batch.drop_constraint("uq_ledger_entries_ledger_person", type_="unique")
        batch.drop_index("ix_ledger_entries_id_number")
        batch.add_column(sa.Column("id_number_hash", sa.String(64), nullable=False, server_default=""))
        for name, length in _LEDGER_LENGTHS.items():
            batch.alter_column(name, type_=sa.Text, existing_type=sa.String(length), existing_nullable=False)
    with op.batch_alter_table("visits") as batch:
        batch.alter_column("place", type_=sa.Text, existing_type=sa.String(200), existing_nullable=False)
    with op.batch_alter_table("protection_cases") as batch:
        for name, length in _PROTECTION_LENGTHS.items():
            batch.alter_column(name, type_=sa.Text, existing_type=sa.String(length), existing_nullable=False)
    bind = op.get_bind()
    for table in _sealed_tables():
        reseal_table(bind, table)
    op.execute(sa.text("UPDATE ledger_entries SET person_key = '' WHERE id_number_hash <> ''"))
    with op.batch_alter_table("ledger_entries") as batch:
        batch.create_unique_constraint(
            "uq_ledger_entries_ledger_person", ["ledger", "id_number_hash", "person_key"]
        )
        batch.create_index("ix_ledger_entries_id_number_hash", ["id_number_hash"])


def downgrade() -> None:
    raise RuntimeError("sealed personal data is not written back in the open: restore a backup instead")
