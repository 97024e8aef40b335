"""Personal data sealed at rest: households, reports, surveys, disputes, and an alert's person and account.

An alert's ID number becomes text (ciphertext is longer), and the key of an open alert's fact — until now an
unkeyed digest, which a guess of the ID number could reproduce — becomes the keyed digest of the fact, kept
sealed beside it (``open_fact``) so a key rotation can recompute it. Every existing row is sealed under the
primary keys. The downgrade opens the values again (it needs the same keys) and restores the old digests.
"""

import hashlib

import sqlalchemy as sa
from alembic import op

from doudi_runtime.store.sealed import LookupHash, Sealed, reseal_table, unseal_table

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

FACT_SEPARATOR = "\x1f"

_meta = sa.MetaData()
CASES = sa.Table(
    "cases",
    _meta,
    sa.Column("application_id", sa.String(40), primary_key=True),
    sa.Column("household", Sealed("verification.cases.household")),
)
REPORTS = sa.Table(
    "reports",
    _meta,
    sa.Column("report_id", sa.String(40), primary_key=True),
    sa.Column("body", Sealed("verification.reports.body")),
)
SURVEYS = sa.Table(
    "surveys",
    _meta,
    sa.Column("survey_id", sa.String(40), primary_key=True),
    sa.Column("body", Sealed("verification.surveys.body")),
)
DISPUTES = sa.Table(
    "disputes",
    _meta,
    sa.Column("dispute_id", sa.String(40), primary_key=True),
    sa.Column("body", Sealed("verification.disputes.body")),
)
ALERTS = sa.Table(
    "alerts",
    _meta,
    sa.Column("alert_id", sa.String(40), primary_key=True),
    sa.Column("person_id", Sealed("verification.alerts.person_id")),
    sa.Column("groups", Sealed("verification.alerts.groups")),
    sa.Column("trigger_reason", Sealed("verification.alerts.trigger_reason")),
    sa.Column("description", Sealed("verification.alerts.description")),
    sa.Column("work", Sealed("verification.alerts.work")),
    sa.Column("open_fact", Sealed("verification.alerts.open_fact")),
    sa.Column("open_key", LookupHash("verification.alerts.open_fact", hash_of="open_fact")),
)
SEALED_TABLES = (CASES, REPORTS, SURVEYS, DISPUTES, ALERTS)

#: The alerts' columns as they were stored before: plain text, for writing the facts of open alerts.
_PLAIN_ALERTS = sa.table(
    "alerts",
    sa.column("alert_id"),
    sa.column("person_id"),
    sa.column("trigger"),
    sa.column("source_reference"),
    sa.column("open_fact"),
    sa.column("open_key"),
)


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.alter_column("person_id", existing_type=sa.String(18), type_=sa.Text(), existing_nullable=False)
        batch.add_column(sa.Column("open_fact", sa.Text, nullable=False, server_default=""))
    bind = op.get_bind()
    a = _PLAIN_ALERTS.c
    for row in bind.execute(
        sa.select(a.alert_id, a.person_id, a.trigger, a.source_reference).where(a.open_key.is_not(None))
    ).all():
        fact = FACT_SEPARATOR.join((row.person_id, row.trigger, row.source_reference))
        bind.execute(sa.update(_PLAIN_ALERTS).where(a.alert_id == row.alert_id).values(open_fact=fact))
    for table in SEALED_TABLES:
        reseal_table(bind, table)


def downgrade() -> None:
    bind = op.get_bind()
    for table in SEALED_TABLES:
        unseal_table(bind, table)
    a = _PLAIN_ALERTS.c
    for row in bind.execute(sa.select(a.alert_id, a.open_fact).where(a.open_fact != "")).all():
        digest = hashlib.sha256(row.open_fact.encode()).hexdigest()
        bind.execute(sa.update(_PLAIN_ALERTS).where(a.alert_id == row.alert_id).values(open_key=digest))
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("open_fact")
        batch.alter_column("person_id", existing_type=sa.Text(), type_=sa.String(18), existing_nullable=False)
