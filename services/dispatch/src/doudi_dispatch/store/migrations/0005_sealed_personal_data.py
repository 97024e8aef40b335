"""Personal data sealed at rest: volunteers' names and phones, the person, description and assessment of
incidents, and the vulnerable-person registry are encrypted; people are found by their identity number's
lookup hash.

The registry was keyed by identity number: it is rebuilt keyed by a row id, each person's row sealed as
it is copied. Existing rows of the other tables are sealed here under the keys the migrating process runs
with.

Downgrade is refused: it would write the sealed values back in the open.
"""

import sqlalchemy as sa
from alembic import op

from doudi_common.ids import new_id
from doudi_runtime.store.sealed import LookupHash, Sealed, reseal_table

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_BEFORE = "vulnerable_persons_before_sealing"
_PAGE = 500


def _sealed(table: str, *names: str) -> list[sa.Column]:
    return [sa.Column(name, Sealed(f"dispatch.{table}.{name}")) for name in names]


def _registry(name: str) -> sa.Table:
    """The sealed registry, as this revision creates it."""
    return sa.Table(
        name,
        sa.MetaData(),
        sa.Column("person_id", sa.String(40), primary_key=True),
        sa.Column("id_number", Sealed("dispatch.vulnerable_persons.id_number"), nullable=False),
        sa.Column(
            "id_number_hash",
            LookupHash("dispatch.vulnerable_persons.id_number", hash_of="id_number"),
            nullable=False,
        ),
        sa.Column("name", Sealed("dispatch.vulnerable_persons.name"), nullable=False),
        sa.Column("phone", Sealed("dispatch.vulnerable_persons.phone"), nullable=False),
        sa.Column("region", sa.String(12), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("contact_name", Sealed("dispatch.vulnerable_persons.contact_name"), nullable=False),
        sa.Column("contact_phone", Sealed("dispatch.vulnerable_persons.contact_phone"), nullable=False),
        sa.Column("latitude_e6", sa.Integer, nullable=True),
        sa.Column("longitude_e6", sa.Integer, nullable=True),
        sa.Column("care_entry_id", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removal_reason", sa.Text, nullable=False),
        sa.UniqueConstraint("id_number_hash", name="uq_vulnerable_persons_id_number_hash"),
    )


def _rebuild_registry() -> None:
    op.drop_index("ix_vulnerable_persons_region", "vulnerable_persons")
    op.rename_table("vulnerable_persons", _BEFORE)
    bind = op.get_bind()
    registry = _registry("vulnerable_persons")
    registry.create(bind)
    op.create_index("ix_vulnerable_persons_region", "vulnerable_persons", ["region"])
    before = sa.Table(_BEFORE, sa.MetaData(), autoload_with=bind)
    after: str | None = None
    while True:
        query = sa.select(before).order_by(before.c.id_number).limit(_PAGE)
        if after is not None:
            query = query.where(before.c.id_number > after)
        rows = [row._asdict() for row in bind.execute(query)]
        if not rows:
            break
        bind.execute(
            sa.insert(registry),
            [{**row, "person_id": new_id("person"), "id_number_hash": row["id_number"]} for row in rows],
        )
        after = rows[-1]["id_number"]
    op.drop_table(_BEFORE)


def upgrade() -> None:
    with op.batch_alter_table("volunteers") as batch:
        for name, length in (("name", 50), ("phone", 20)):
            batch.alter_column(name, type_=sa.Text, existing_type=sa.String(length), existing_nullable=False)
    with op.batch_alter_table("incidents") as batch:
        batch.drop_index("ix_incidents_person_id_number")
        batch.add_column(sa.Column("person_id_number_hash", sa.String(64), nullable=False, server_default=""))
        for name, length in (("person_id_number", 18), ("person_name", 50), ("contact_phone", 20)):
            batch.alter_column(name, type_=sa.Text, existing_type=sa.String(length), existing_nullable=False)
        batch.create_index("ix_incidents_person_id_number_hash", ["person_id_number_hash"])
    metadata = sa.MetaData()
    volunteers = sa.Table(
        "volunteers",
        metadata,
        sa.Column("volunteer_id", sa.String(40), primary_key=True),
        *_sealed("volunteers", "name", "phone"),
    )
    incidents = sa.Table(
        "incidents",
        metadata,
        sa.Column("incident_id", sa.String(40), primary_key=True),
        *_sealed(
            "incidents", "person_id_number", "person_name", "contact_phone", "description", "assessment"
        ),
        sa.Column(
            "person_id_number_hash",
            LookupHash("dispatch.incidents.person_id_number", hash_of="person_id_number"),
        ),
    )
    bind = op.get_bind()
    for table in (volunteers, incidents):
        reseal_table(bind, table)
    _rebuild_registry()


def downgrade() -> None:
    raise RuntimeError("sealed personal data is not written back in the open: restore a backup instead")
