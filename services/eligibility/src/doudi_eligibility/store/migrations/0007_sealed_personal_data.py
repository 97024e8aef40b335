"""Personal data sealed at rest: applications and reports, case files, entitlements, notices, objections,
appeals, and the ID numbers entitlements and temporary-assistance events are for.

``entitlement_persons`` and ``ta_events`` were keyed by the ID number. They get a row id, the ID number
sealed and its keyed hash, which takes the ID number's place in their unique and lookup indexes. Every
existing row is sealed under the primary keys. The downgrade opens the values again (it needs the same keys)
and restores the old keys.
"""

import sqlalchemy as sa
from alembic import op

from doudi_runtime.store.sealed import LookupHash, Sealed, reseal_table, unseal_table

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_meta = sa.MetaData()


def _blob_table(name: str, key: str, *columns: str) -> sa.Table:
    return sa.Table(
        name,
        _meta,
        sa.Column(key, sa.String(40), primary_key=True),
        *(sa.Column(c, Sealed(f"eligibility.{name}.{c}")) for c in columns),
    )


def _persons_table(name: str) -> sa.Table:
    return sa.Table(
        name,
        _meta,
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("person_id", Sealed(f"eligibility.{name}.person_id")),
        sa.Column("person_id_hash", LookupHash(f"eligibility.{name}.person_id", hash_of="person_id")),
    )


SEALED_TABLES = (
    _blob_table("applications", "application_id", "application", "report"),
    _blob_table("cases", "application_id", "body"),
    _blob_table("notices", "notice_id", "body"),
    _blob_table("objections", "objection_id", "content"),
    _blob_table("entitlements", "entitlement_id", "body"),
    _blob_table("appeals", "appeal_id", "body"),
    _persons_table("entitlement_persons"),
    _persons_table("ta_events"),
)

#: The tables keyed by ID number: (table, the other key column, the other columns, old indexes, new indexes).
PERSON_TABLES: tuple[tuple[str, str, tuple[str, ...], dict[str, list[str]], dict[str, list[str]]], ...] = (
    (
        "entitlement_persons",
        "entitlement_id",
        (),
        {"ix_entitlement_persons_person_id": ["person_id"]},
        {
            "ux_entitlement_persons_entitlement_person": ["entitlement_id", "person_id_hash"],
            "ix_entitlement_persons_person_id_hash": ["person_id_hash"],
        },
    ),
    (
        "ta_events",
        "application_id",
        ("event_key", "applied_in"),
        {"ix_ta_events_person_event": ["person_id", "event_key"]},
        {
            "ux_ta_events_application_person": ["application_id", "person_id_hash"],
            "ix_ta_events_person_event": ["person_id_hash", "event_key"],
        },
    ),
)

_OTHER_COLUMNS = {
    "entitlement_id": sa.String(40),
    "application_id": sa.String(40),
    "event_key": sa.String(64),
    "applied_in": sa.String(7),
}


def _rebuild(name: str, columns: list[sa.Column], copied: list[str], extra: dict[str, str]) -> None:
    """Recreate ``name`` with ``columns``, keeping the rows' ``copied`` columns (``extra``: constants)."""
    holding = f"{name}_rebuilt"
    op.create_table(holding, *(sa.Column(c, sa.Text) for c in copied))
    listed = ", ".join(copied)
    op.execute(f"INSERT INTO {holding} ({listed}) SELECT {listed} FROM {name}")
    op.drop_table(name)
    op.create_table(name, *columns)
    filled = ", ".join([*copied, *extra])
    constants = ", ".join([*copied, *(f"'{v}'" for v in extra.values())])
    op.execute(f"INSERT INTO {name} ({filled}) SELECT {constants} FROM {holding}")
    op.drop_table(holding)


def upgrade() -> None:
    for name, key, others, old_indexes, _ in PERSON_TABLES:
        for index in old_indexes:
            op.drop_index(index, name)
        columns = [
            sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
            sa.Column(key, _OTHER_COLUMNS[key], nullable=False),
            sa.Column("person_id", sa.Text, nullable=False),
            sa.Column("person_id_hash", sa.String(64), nullable=False),
            *(sa.Column(c, _OTHER_COLUMNS[c], nullable=False) for c in others),
        ]
        _rebuild(name, columns, [key, "person_id", *others], {"person_id_hash": ""})
    bind = op.get_bind()
    for table in SEALED_TABLES:
        reseal_table(bind, table)
    for name, _, _, _, new_indexes in PERSON_TABLES:
        for index, indexed in new_indexes.items():
            op.create_index(index, name, indexed, unique=index.startswith("ux_"))


def downgrade() -> None:
    bind = op.get_bind()
    for table in SEALED_TABLES:
        unseal_table(bind, table)
    for name, key, others, old_indexes, new_indexes in PERSON_TABLES:
        for index in new_indexes:
            op.drop_index(index, name)
        columns = [
            sa.Column(key, _OTHER_COLUMNS[key], primary_key=True),
            sa.Column("person_id", sa.String(40), primary_key=True),
            *(sa.Column(c, _OTHER_COLUMNS[c], nullable=False) for c in others),
        ]
        _rebuild(name, columns, [key, "person_id", *others], {})
        for index, indexed in old_indexes.items():
            op.create_index(index, name, indexed)
