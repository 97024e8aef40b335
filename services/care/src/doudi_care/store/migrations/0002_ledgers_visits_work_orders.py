"""Ledger entries, visits, care work orders, provider settlements, protection cases and imports."""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _text(name: str, length: int | None = None) -> sa.Column:
    return sa.Column(name, sa.String(length) if length else sa.Text, nullable=False)


def upgrade() -> None:
    op.create_table(
        "ledger_entries",
        sa.Column("entry_id", sa.String(40), primary_key=True),
        _text("ledger", 30),
        _text("person_key", 80),
        _text("id_number", 18),
        _text("name", 50),
        _text("phone", 20),
        _text("region", 12),
        _text("township", 12),
        _text("risk_level", 10),
        _text("status", 20),
        _text("source", 20),
        _text("details"),
        _text("subject_id", 64),
        _text("entitlement_ids"),
        _text("provider_id", 64),
        sa.Column("care_services", sa.Boolean, nullable=False),
        sa.Column("rural_class1_dibao", sa.Boolean, nullable=False),
        sa.Column("next_due", sa.Date, nullable=False),
        _text("announced_stage", 20),
        sa.Column("last_visited_on", sa.Date, nullable=True),
        _at("registered_at"),
        _at("updated_at"),
        sa.UniqueConstraint("ledger", "person_key", name="uq_ledger_entries_ledger_person"),
    )
    op.create_index("ix_ledger_entries_region", "ledger_entries", ["region"])
    op.create_index("ix_ledger_entries_next_due", "ledger_entries", ["status", "next_due"])
    op.create_index("ix_ledger_entries_id_number", "ledger_entries", ["id_number"])
    op.create_index("ix_ledger_entries_subject_id", "ledger_entries", ["subject_id"])
    op.create_table(
        "visits",
        sa.Column("visit_id", sa.String(40), primary_key=True),
        _text("entry_id", 40),
        _at("visited_at"),
        _text("visitor", 50),
        _text("mode", 20),
        _text("place", 200),
        _text("findings"),
        sa.Column("risk_found", sa.Boolean, nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("late", sa.Boolean, nullable=False),
        sa.Column("next_due", sa.Date, nullable=False),
        _at("recorded_at"),
    )
    op.create_index("ix_visits_entry_id", "visits", ["entry_id"])
    op.create_table(
        "work_orders",
        sa.Column("work_order_id", sa.String(40), primary_key=True),
        _text("entry_id", 40),
        _text("provider_id", 64),
        _text("period", 7),
        sa.Column("seq", sa.Integer, nullable=True),
        _text("state", 20),
        _text("region", 12),
        _text("township", 12),
        _text("content", 200),
        sa.Column("quality_score", sa.Integer, nullable=False),
        _text("confirmed_by", 50),
        _at("completed_at", nullable=True),
        sa.Column("audit_passed", sa.Boolean, nullable=True),
        _text("missed_reason"),
        _at("created_at"),
        _at("updated_at"),
        sa.UniqueConstraint("entry_id", "period", "seq", name="uq_work_orders_entry_period_seq"),
    )
    op.create_index("ix_work_orders_provider_period", "work_orders", ["provider_id", "period"])
    op.create_index("ix_work_orders_state_period", "work_orders", ["state", "period"])
    op.create_table(
        "settlements",
        sa.Column("settlement_id", sa.String(40), primary_key=True),
        _text("provider_id", 64),
        _text("period", 7),
        sa.Column("planned", sa.Integer, nullable=False),
        sa.Column("paid_services", sa.Integer, nullable=False),
        sa.Column("missed", sa.Integer, nullable=False),
        sa.Column("failed_audit", sa.Integer, nullable=False),
        sa.Column("average_score_x100", sa.Integer, nullable=False),
        sa.Column("gross_fen", sa.Integer, nullable=False),
        sa.Column("deductions_fen", sa.Integer, nullable=False),
        sa.Column("payable_fen", sa.Integer, nullable=False),
        _at("settled_at"),
        sa.UniqueConstraint("provider_id", "period", name="uq_settlements_provider_period"),
    )
    op.create_table(
        "protection_cases",
        sa.Column("case_id", sa.String(40), primary_key=True),
        _text("entry_id", 40),
        _text("child_id_number", 18),
        _text("child_name", 50),
        _text("region", 12),
        _text("township", 12),
        _text("description"),
        _text("reporter", 100),
        _text("contact_phone", 20),
        _at("reported_at"),
        _at("dispatch_due_at"),
        _at("assessment_due_at"),
        _at("intervention_due_at"),
        _at("dispatched_at", nullable=True),
        _at("assessed_at", nullable=True),
        _at("intervened_at", nullable=True),
        _text("overdue_steps"),
        _text("notes"),
        _at("next_check_at", nullable=True),
    )
    op.create_index("ix_protection_cases_next_check_at", "protection_cases", ["next_check_at"])
    op.create_table(
        "imports",
        sa.Column("import_id", sa.String(40), primary_key=True),
        _text("result"),
        _at("created_at"),
    )


def downgrade() -> None:
    op.drop_table("imports")
    op.drop_index("ix_protection_cases_next_check_at", "protection_cases")
    op.drop_table("protection_cases")
    op.drop_table("settlements")
    op.drop_index("ix_work_orders_state_period", "work_orders")
    op.drop_index("ix_work_orders_provider_period", "work_orders")
    op.drop_table("work_orders")
    op.drop_index("ix_visits_entry_id", "visits")
    op.drop_table("visits")
    for index in (
        "ix_ledger_entries_subject_id",
        "ix_ledger_entries_id_number",
        "ix_ledger_entries_next_due",
        "ix_ledger_entries_region",
    ):
        op.drop_index(index, "ledger_entries")
    op.drop_table("ledger_entries")
