"""Tables of the care service's store (the runtime adds its outbox, inbox and idempotency keys)."""

from pathlib import Path

from sqlalchemy import Boolean, Column, Date, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

from doudi_runtime.service import ServiceStore
from doudi_runtime.store import UtcDateTime

metadata = MetaData()

#: One row per person and ledger. ``person_key`` is the identity number, or ``subject:<id>`` for an
#: entry an entitlement opened before the township recorded who the person is.
ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("entry_id", String(40), primary_key=True),
    Column("ledger", String(30), nullable=False),
    Column("person_key", String(80), nullable=False),
    Column("id_number", String(18), nullable=False),
    Column("name", String(50), nullable=False),
    Column("phone", String(20), nullable=False),
    Column("region", String(12), nullable=False),
    Column("township", String(12), nullable=False),
    Column("risk_level", String(10), nullable=False),
    Column("status", String(20), nullable=False),
    Column("source", String(20), nullable=False),
    Column("details", Text, nullable=False),
    Column("subject_id", String(64), nullable=False),
    Column("entitlement_ids", Text, nullable=False),
    #: Entitlements of ``entitlement_ids`` now suspended; while only suspended ones remain the entry rests.
    Column("suspended_entitlement_ids", Text, nullable=False, server_default="[]"),
    Column("provider_id", String(64), nullable=False),
    Column("care_services", Boolean, nullable=False),
    Column("rural_class1_dibao", Boolean, nullable=False),
    Column("next_due", Date, nullable=False),
    Column("announced_stage", String(20), nullable=False),
    Column("last_visited_on", Date, nullable=True),
    Column("registered_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("ledger", "person_key", name="uq_ledger_entries_ledger_person"),
    Index("ix_ledger_entries_region", "region"),
    Index("ix_ledger_entries_next_due", "status", "next_due"),
    #: The daily sweep's work: by status and last announced stage, entries in (due, id) keyset order.
    Index("ix_ledger_entries_sweep", "status", "announced_stage", "next_due", "entry_id"),
    Index("ix_ledger_entries_id_number", "id_number"),
    Index("ix_ledger_entries_subject_id", "subject_id"),
)

visits = Table(
    "visits",
    metadata,
    Column("visit_id", String(40), primary_key=True),
    Column("entry_id", String(40), nullable=False),
    Column("visited_at", UtcDateTime, nullable=False),
    Column("visitor", String(50), nullable=False),
    Column("mode", String(20), nullable=False),
    Column("place", String(200), nullable=False),
    Column("findings", Text, nullable=False),
    Column("risk_found", Boolean, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("late", Boolean, nullable=False),
    Column("next_due", Date, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Index("ix_visits_entry_id", "entry_id"),
)

#: ``seq`` numbers the orders the monthly plan makes (1..n), so planning twice makes nothing twice.
work_orders = Table(
    "work_orders",
    metadata,
    Column("work_order_id", String(40), primary_key=True),
    Column("entry_id", String(40), nullable=False),
    Column("provider_id", String(64), nullable=False),
    Column("period", String(7), nullable=False),
    Column("seq", Integer, nullable=True),
    Column("state", String(20), nullable=False),
    Column("region", String(12), nullable=False),
    Column("township", String(12), nullable=False),
    Column("content", String(200), nullable=False),
    Column("quality_score", Integer, nullable=False),
    Column("confirmed_by", String(50), nullable=False),
    Column("completed_at", UtcDateTime, nullable=True),
    Column("audit_passed", Boolean, nullable=True),
    Column("missed_reason", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("entry_id", "period", "seq", name="uq_work_orders_entry_period_seq"),
    Index("ix_work_orders_provider_period", "provider_id", "period"),
    Index("ix_work_orders_state_period", "state", "period"),
)

#: A provider's month is settled once: the identity disbursement pays by.
settlements = Table(
    "settlements",
    metadata,
    Column("settlement_id", String(40), primary_key=True),
    Column("provider_id", String(64), nullable=False),
    Column("period", String(7), nullable=False),
    Column("planned", Integer, nullable=False),
    Column("paid_services", Integer, nullable=False),
    Column("missed", Integer, nullable=False),
    Column("failed_audit", Integer, nullable=False),
    Column("average_score_x100", Integer, nullable=False),
    Column("gross_fen", Integer, nullable=False),
    Column("deductions_fen", Integer, nullable=False),
    Column("payable_fen", Integer, nullable=False),
    Column("settled_at", UtcDateTime, nullable=False),
    UniqueConstraint("provider_id", "period", name="uq_settlements_provider_period"),
)

protection_cases = Table(
    "protection_cases",
    metadata,
    Column("case_id", String(40), primary_key=True),
    Column("entry_id", String(40), nullable=False),
    Column("child_id_number", String(18), nullable=False),
    Column("child_name", String(50), nullable=False),
    Column("region", String(12), nullable=False),
    Column("township", String(12), nullable=False),
    Column("description", Text, nullable=False),
    Column("reporter", String(100), nullable=False),
    Column("contact_phone", String(20), nullable=False),
    Column("reported_at", UtcDateTime, nullable=False),
    Column("dispatch_due_at", UtcDateTime, nullable=False),
    Column("assessment_due_at", UtcDateTime, nullable=False),
    Column("intervention_due_at", UtcDateTime, nullable=False),
    Column("dispatched_at", UtcDateTime, nullable=True),
    Column("assessed_at", UtcDateTime, nullable=True),
    Column("intervened_at", UtcDateTime, nullable=True),
    Column("overdue_steps", Text, nullable=False),
    Column("notes", Text, nullable=False),
    #: The earliest deadline still to watch; NULL once nothing is left to escalate.
    Column("next_check_at", UtcDateTime, nullable=True),
    Index("ix_protection_cases_next_check_at", "next_check_at"),
)

#: The answer of each bulk import, so a retried import replays it.
imports = Table(
    "imports",
    metadata,
    Column("import_id", String(40), primary_key=True),
    Column("result", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

STORE = ServiceStore.create(metadata, Path(__file__).parent / "migrations", audit=True)
