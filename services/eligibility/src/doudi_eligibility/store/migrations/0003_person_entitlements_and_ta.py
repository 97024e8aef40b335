"""Who each entitlement pays for, so a person's other entitlements can be found (DOMAIN §5.8, §12.1); the
temporary-assistance advances and approved events (§5.3, §7.4).

Entitlements approved before this revision were all household (Dibao) entitlements: their persons are the
counted members of the case they were approved on.
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "entitlement_persons",
        sa.Column("entitlement_id", sa.String(40), primary_key=True),
        sa.Column("person_id", sa.String(40), primary_key=True),
    )
    op.create_index("ix_entitlement_persons_person_id", "entitlement_persons", ["person_id"])
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT e.entitlement_id, c.body FROM entitlements e"
            " JOIN cases c ON c.application_id = e.application_id"
        )
    ).all()
    persons = [
        {"entitlement_id": entitlement_id, "person_id": person_id}
        for entitlement_id, body in rows
        for person_id in dict.fromkeys(
            m["id_number"] for m in json.loads(body)["application"]["members"] if m["counted"]
        )
    ]
    if persons:
        op.bulk_insert(table, persons)
    op.create_table(
        "ta_advances",
        sa.Column("advance_id", sa.String(40), primary_key=True),
        sa.Column("case_reference", sa.String(64), nullable=False),
        sa.Column("person_id", sa.String(40), nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ta_advances_case_reference", "ta_advances", ["case_reference"])
    op.create_table(
        "ta_events",
        sa.Column("application_id", sa.String(40), primary_key=True),
        sa.Column("person_id", sa.String(40), primary_key=True),
        sa.Column("event_key", sa.String(64), nullable=False),
        sa.Column("applied_in", sa.String(7), nullable=False),
    )
    op.create_index("ix_ta_events_person_event", "ta_events", ["person_id", "event_key"])


def downgrade() -> None:
    op.drop_index("ix_ta_events_person_event", table_name="ta_events")
    op.drop_table("ta_events")
    op.drop_index("ix_ta_advances_case_reference", table_name="ta_advances")
    op.drop_table("ta_advances")
    op.drop_index("ix_entitlement_persons_person_id", table_name="entitlement_persons")
    op.drop_table("entitlement_persons")
